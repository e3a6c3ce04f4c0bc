//! Planning: a spec becomes plans of jobs (kind, profile, how many builds, how given
//! builds must end) before any build is realised.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::vocabulary::{
    dry_run_param, environment_param, is_test_stage, param, DEPLOY_STAGES, ETL_STAGES, NODE_STAGES,
    PARALLEL_STAGES, PARALLEL_TESTS, PROMOTION_STAGES, SERVICES, STAGE_SETS, TERRAFORM_STAGES,
    TIMER_SUFFIXES,
};
use crate::world::{
    join_full_name, BuildResult, Folder, FolderKind, GitScm, Job, JobKind, Parallel, ParamDef,
    ParamKind,
};

/// Knobs of a generated world.
#[derive(Debug, Clone)]
pub struct GenSpec {
    /// Seed: the same seed and `now_ms` give the same world.
    pub seed: u64,
    /// "Now", epoch ms: finished builds end before it, running builds started before it.
    pub now_ms: i64,
    /// Team folders at the root (`payments`, `platform`, …).
    pub folders: usize,
    /// Levels of folders in each team's tree, the team folder included (1 = flat).
    pub depth: usize,
    /// Jobs in each team folder, counted over all of its nested folders.
    pub jobs_per_folder: usize,
    /// Jobs directly at the root.
    pub root_jobs: usize,
    /// Builds of a typical job (jobs vary around it; a few were never built).
    pub builds_per_job: usize,
    /// Fraction (0.0..=1.0) of jobs that are pipelines; the rest are freestyle.
    pub pipeline_share: f64,
    /// Multibranch projects, spread over the team folders (or the root without folders).
    pub multibranch: usize,
    /// Branch jobs per multibranch project (`main`, `develop`, `feature/…`, `PR-N`, …).
    pub branches: usize,
    /// Items waiting in the queue (quiet period, blocked, waiting for an executor, stuck).
    pub queue: usize,
    /// Agents besides the built-in node.
    pub agents: usize,
    /// How many of those agents are offline.
    pub offline_agents: usize,
    /// Mean size of a generated console log, bytes (generated logs are never stored).
    pub log_bytes: u64,
    /// Add a folder `incidents` of jobs whose histories hold incidents: a release built by
    /// `checkout-api` and deployed by `deploy-checkout-api` (two failed production
    /// deployments, then the restore), a regression (`orders-api`), a flaky test
    /// (`wallet-service`), a stage getting slower (`search-service`).
    pub incidents: bool,
}

/// 2026-01-01T00:00:00Z: the default "now", fixed so that the default spec is deterministic.
const DEFAULT_NOW_MS: i64 = 1_767_225_600_000;

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            seed: 1,
            now_ms: DEFAULT_NOW_MS,
            folders: 3,
            depth: 2,
            jobs_per_folder: 6,
            root_jobs: 3,
            builds_per_job: 8,
            pipeline_share: 0.5,
            multibranch: 1,
            branches: 3,
            queue: 4,
            agents: 3,
            offline_agents: 1,
            log_bytes: 16 * 1024,
            incidents: false,
        }
    }
}

/// How a build must end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Fate {
    Success,
    Unstable,
    Aborted,
    /// A failure in a stage picked at random.
    Failure,
    /// A failure in the named stage.
    FailAt(&'static str),
    /// A failure of the tests, with failed test cases.
    FailTests,
}

impl Fate {
    pub(super) fn result(self) -> BuildResult {
        match self {
            Fate::Success => BuildResult::Success,
            Fate::Unstable => BuildResult::Unstable,
            Fate::Aborted => BuildResult::Aborted,
            Fate::Failure | Fate::FailAt(_) | Fate::FailTests => BuildResult::Failure,
        }
    }
}

/// What usually starts a job's builds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Trigger {
    Scm,
    Timer,
    Manual,
    Upstream,
    Branch,
}

/// The language of a job's repository: it shapes paths, commands and artifacts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Lang {
    Java,
    Node,
    Go,
    Python,
}

/// How a job behaves over time.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    /// Typical duration of a build, ms.
    pub(super) duration_ms: i64,
    /// Typical time between builds, ms (exactly the period for timer jobs).
    pub(super) cadence_ms: i64,
    /// Probability that a build fails after a good one.
    pub(super) flaky: f64,
    /// Probability that a build fails after a failed one (failure streaks).
    pub(super) sticky: f64,
    /// Size of the test suite (0: no test report).
    pub(super) tests: u32,
    /// Whether good builds archive artifacts.
    pub(super) artifacts: bool,
    pub(super) trigger: Trigger,
    pub(super) lang: Lang,
}

/// Everything needed to realise one job.
pub(super) struct JobPlan {
    pub(super) kind: JobKind,
    /// The job without builds.
    pub(super) job: Job,
    /// Team (folder) the job belongs to: used in URLs, image names and paths.
    pub(super) team: String,
    /// Short name used in commands and artifacts (the repository for branch jobs).
    pub(super) slug: String,
    pub(super) builds: u64,
    /// Whether the last build is still running.
    pub(super) running: bool,
    /// Time since the last build ended, ms (drawn from the cadence when unset).
    pub(super) idle_ms: Option<i64>,
    pub(super) fates: Vec<(u64, Fate)>,
    /// Build number → generated log size, for builds whose log size matters.
    pub(super) log_sizes: Vec<(u64, u64)>,
    /// Upstream job (full name) and its number of builds, for upstream-triggered jobs.
    pub(super) upstream: Option<(String, u64)>,
    pub(super) profile: Profile,
    /// The `input` step of the job's "Approve" stage.
    pub(super) approval: Option<Approval>,
    /// The last build is running, paused at the approval.
    pub(super) paused: bool,
    /// Build number → environment it deploys to (its `ENVIRONMENT` parameter; its
    /// "Deploy" stage is named after it).
    pub(super) environments: Vec<(u64, &'static str)>,
    /// From this build on nothing changes: the job keeps building the same revision.
    pub(super) same_revision_from: Option<u64>,
    /// Build number → the commits it builds, instead of drawn ones.
    pub(super) commits: Vec<(u64, Vec<Commit>)>,
}

/// A commit a scenario needs in a build's change set.
#[derive(Debug, Clone)]
pub(super) struct Commit {
    /// Its id, when several jobs (or controllers) must see the same one; drawn otherwise.
    pub(super) sha: Option<String>,
    pub(super) author: String,
    pub(super) message: String,
    /// (edit type, file) of each path it touches.
    pub(super) paths: Vec<(String, String)>,
    pub(super) when: CommitTime,
}

/// When a planned commit was made.
#[derive(Debug, Clone, Copy)]
pub(super) enum CommitTime {
    /// This long (ms) before the build that builds it was scheduled.
    Before(i64),
    /// At this time, epoch ms.
    At(i64),
}

/// The `input` step of an "Approve" stage: `input message: …, ok: …, submitter: …`.
#[derive(Debug, Clone)]
pub(super) struct Approval {
    pub(super) message: String,
    pub(super) ok: String,
    /// Who may approve; Jenkins shows it on the input page only.
    pub(super) submitter: Option<String>,
}

impl JobPlan {
    /// Run the tests in parallel: [`PARALLEL_STAGES`].
    pub(super) fn test_in_parallel(&mut self) {
        let (stage, branches) = PARALLEL_TESTS;
        self.job.stage_names = PARALLEL_STAGES.iter().map(|s| s.to_string()).collect();
        self.job.parallel = vec![Parallel {
            stage: stage.into(),
            branches: branches.iter().map(|s| s.to_string()).collect(),
        }];
    }

    /// Promote through staging to production, waiting for an approval between them.
    pub(super) fn promote(&mut self, approval: Approval) {
        self.job.stage_names = PROMOTION_STAGES.iter().map(|s| s.to_string()).collect();
        self.approval = Some(approval);
    }

    /// The stages build `number` runs through: the job's, with the "Deploy" stage named
    /// after the environment the build deploys to, and an approval before production.
    pub(super) fn phases(&self, number: u64) -> Vec<String> {
        let Some(&(_, env)) = self.environments.iter().find(|(n, _)| *n == number) else {
            return self.job.stage_names.clone();
        };
        let deploy = format!("Deploy {}{}", env[..1].to_uppercase(), &env[1..]);
        let mut out = Vec::with_capacity(self.job.stage_names.len() + 1);
        for s in &self.job.stage_names {
            if s == "Deploy" {
                if env == "production" && self.approval.is_some() {
                    out.push("Approve".to_string());
                }
                out.push(deploy.clone());
            } else {
                out.push(s.clone());
            }
        }
        out
    }
}

/// A node of the planned item tree.
pub(super) enum Node {
    Folder {
        kind: FolderKind,
        folder: Folder,
        children: Vec<Node>,
    },
    Job(Box<JobPlan>),
}

impl Node {
    pub(super) fn folder(name: &str, description: Option<&str>, children: Vec<Node>) -> Node {
        Node::Folder {
            kind: FolderKind::Folder,
            folder: Folder {
                name: name.into(),
                description: description.map(str::to_string),
                ..Folder::default()
            },
            children,
        }
    }

    pub(super) fn job(plan: JobPlan) -> Node {
        Node::Job(Box::new(plan))
    }
}

/// Why a planned queue item waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Waits {
    /// In the quiet period.
    Quiet,
    /// Behind its own running build.
    Blocked,
    /// For a free executor.
    Executor,
    /// For a label no node has.
    Stuck,
}

/// A planned queue item.
pub(super) struct QueuePlan {
    pub(super) job: String,
    pub(super) waits: Waits,
}

impl Gen {
    pub(super) fn profile(&mut self, kind: JobKind, trigger: Trigger, lang: Lang) -> Profile {
        let duration_ms = if kind == JobKind::Pipeline {
            self.rng.gen_range(90_000..1_500_000)
        } else {
            self.rng.gen_range(20_000..480_000)
        };
        let cadence_ms = match trigger {
            Trigger::Timer if self.chance(0.2) => 3_600_000,
            Trigger::Timer => 86_400_000,
            Trigger::Manual => self.rng.gen_range(6 * 3_600_000..4 * 86_400_000),
            _ => self.rng.gen_range(20 * 60_000..36 * 3_600_000),
        };
        // A few jobs are simply broken; most fail now and then.
        let flaky = if self.chance(0.06) {
            0.45
        } else {
            self.rng.gen_range(0.02..0.15)
        };
        let sticky = self.rng.gen_range(0.35..0.75);
        let tests = if trigger != Trigger::Timer && self.chance(0.6) {
            self.rng.gen_range(40..2500)
        } else {
            0
        };
        Profile {
            duration_ms,
            cadence_ms,
            flaky,
            sticky,
            tests,
            artifacts: self.chance(0.4),
            trigger,
            lang,
        }
    }

    pub(super) fn stage_set(&mut self, name: &str, trigger: Trigger, lang: Lang) -> Vec<String> {
        let set: &[&str] =
            if name.contains("etl") || (trigger == Trigger::Timer && self.chance(0.5)) {
                ETL_STAGES
            } else if name.contains("deploy") {
                DEPLOY_STAGES
            } else if name.contains("terraform") {
                TERRAFORM_STAGES
            } else if lang == Lang::Node && self.chance(0.7) {
                NODE_STAGES
            } else {
                self.pick(STAGE_SETS)
            };
        set.iter().map(|s| s.to_string()).collect()
    }

    /// A job plan with a random profile; callers adjust what they need.
    pub(super) fn plan(
        &mut self,
        name: &str,
        team: &str,
        kind: JobKind,
        trigger: Trigger,
        builds: u64,
    ) -> JobPlan {
        let lang = self.pick(&[Lang::Java, Lang::Java, Lang::Node, Lang::Go, Lang::Python]);
        self.plan_in(name, team, kind, trigger, builds, lang)
    }

    pub(super) fn plan_in(
        &mut self,
        name: &str,
        team: &str,
        kind: JobKind,
        trigger: Trigger,
        builds: u64,
        lang: Lang,
    ) -> JobPlan {
        let profile = self.profile(kind, trigger, lang);
        let git = if trigger != Trigger::Timer || self.chance(0.5) {
            let branch = if self.chance(0.9) { "main" } else { "master" };
            Some(GitScm {
                url: format!("https://git.example.com/{team}/{name}.git"),
                branch: Some(branch.into()),
            })
        } else {
            None
        };
        let stage_names = if kind == JobKind::Pipeline {
            self.stage_set(name, trigger, lang)
        } else {
            Vec::new()
        };
        JobPlan {
            kind,
            job: Job {
                name: name.into(),
                git,
                stage_names,
                ..Job::default()
            },
            team: team.into(),
            slug: name.into(),
            builds,
            running: false,
            idle_ms: None,
            fates: Vec::new(),
            log_sizes: Vec::new(),
            upstream: None,
            profile,
            approval: None,
            paused: false,
            environments: Vec::new(),
            same_revision_from: None,
            commits: Vec::new(),
        }
    }

    /// `count` distinct job names made of a service and a suffix.
    pub(super) fn names(&mut self, count: usize, suffixes: &[&str]) -> Vec<String> {
        let space = SERVICES.len() * suffixes.len();
        let name = |i: usize| {
            format!(
                "{}-{}",
                SERVICES[i / suffixes.len()],
                suffixes[i % suffixes.len()]
            )
        };
        let mut out: Vec<String> = rand::seq::index::sample(&mut self.rng, space, count.min(space))
            .iter()
            .map(name)
            .collect();
        out.extend((space..count).map(|k| format!("{}-{}", name(k % space), k / space + 1)));
        out
    }

    /// A random job of a team, as the generic worlds have them.
    pub(super) fn random_job(&mut self, name: &str, team: &str, pipeline_share: f64) -> JobPlan {
        let mut kind = if self.chance(pipeline_share) {
            JobKind::Pipeline
        } else {
            JobKind::Freestyle
        };
        if kind == JobKind::Freestyle && !self.lean && self.chance(0.03) {
            kind = JobKind::Matrix;
        }
        let suffix = name.rsplit('-').next().unwrap_or("");
        let trigger = if TIMER_SUFFIXES.contains(&suffix) && self.chance(0.8) {
            Trigger::Timer
        } else {
            let r: f64 = self.rng.gen();
            if r < 0.7 {
                Trigger::Scm
            } else if r < 0.85 {
                Trigger::Manual
            } else {
                Trigger::Upstream
            }
        };
        let base = self.builds_per_job as f64;
        let builds = (base * self.rng.gen_range(0.5..1.5)).round().max(1.0) as u64;
        let mut plan = self.plan(name, team, kind, trigger, builds);
        let r: f64 = self.rng.gen();
        if r < 0.02 {
            plan.job.disabled = true;
            plan.idle_ms = Some(self.rng.gen_range(20..200) * 86_400_000);
            plan.job.description = Some(format!("Disabled: {name} was retired."));
        } else if r < 0.04 {
            plan.builds = 0;
            plan.job.description = Some("Created from the service template; not built yet.".into());
        } else if r < 0.5 {
            plan.job.description = Some(format!("Builds and tests {name} ({team} team)."));
        }
        if !self.agents.is_empty() && self.chance(0.08) {
            plan.job.label = Some(self.pick(&["docker", "linux"]).into());
        }
        if self.chance(0.08) {
            plan.job.parameters = self.some_params();
        }
        // Some of the pipelines that test run their tests in parallel.
        let tests = plan.job.stage_names.iter().any(|s| is_test_stage(s));
        if plan.kind == JobKind::Pipeline && tests && self.chance(0.2) {
            plan.test_in_parallel();
        }
        plan
    }

    pub(super) fn some_params(&mut self) -> Vec<ParamDef> {
        let pool = [
            param(
                "BRANCH",
                ParamKind::String,
                "Git branch to build",
                Some("main"),
                &[],
            ),
            dry_run_param(),
            environment_param(),
            param("SKIP_TESTS", ParamKind::Boolean, "", Some("false"), &[]),
            param(
                "REGION",
                ParamKind::Choice,
                "",
                None,
                &["eu-west-1", "us-east-1", "ap-southeast-2"],
            ),
        ];
        let n = self.rng.gen_range(1..=3);
        let mut idx: Vec<usize> = (0..pool.len()).collect();
        idx.shuffle(&mut self.rng);
        idx.truncate(n);
        idx.sort_unstable();
        idx.into_iter().map(|i| pool[i].clone()).collect()
    }
}

pub(super) fn plans_mut<'a>(
    nodes: &'a mut [Node],
    prefix: &str,
    out: &mut Vec<(String, &'a mut JobPlan)>,
) {
    for node in nodes {
        match node {
            Node::Folder {
                folder, children, ..
            } => {
                let full = join_full_name(prefix, &folder.name);
                plans_mut(children, &full, out);
            }
            Node::Job(plan) => out.push((join_full_name(prefix, &plan.job.name), plan)),
        }
    }
}
