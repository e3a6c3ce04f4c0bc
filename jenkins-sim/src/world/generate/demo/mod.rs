//! The demo controllers: three companies' worth of teams, with facts pinned for the
//! gateway's examples, and what their worlds share: agents, a terse way to describe a
//! job's plan, the queue, and how a controller is finished.

pub(super) mod legacy;
pub(super) mod prod;
pub(super) mod staging;

use rand::Rng;

use super::generator::Gen;
use super::plan::{Approval, Fate, JobPlan, Lang, Node, QueuePlan, Trigger, Waits};
use super::vocabulary::{environment_param, users};
use crate::world::{Agent, ControllerInfo, GitScm, Item, Job, JobKind, LiveRule, ParamDef, World};

/// The generator of a demo company: its own seed, log size (KiB), how many developers
/// work there and how many builds its typical job has.
pub(super) fn company(seed: u64, now: i64, (log_kib, devs, builds): (u64, usize, u64)) -> Gen {
    let mut g = Gen::new(seed, now, false, log_kib * 1024);
    g.devs = devs;
    g.builds_per_job = builds;
    g
}

/// A team's folder holding these jobs.
pub(super) fn folder(
    name: &str,
    description: &str,
    jobs: impl IntoIterator<Item = JobPlan>,
) -> Node {
    Node::folder(
        name,
        Some(description),
        jobs.into_iter().map(Node::job).collect(),
    )
}

/// Teams added to a demo controller after its first ones: planned and realised by a
/// generator of their own (`salt` its seed, `shape` as for [`company`]), so that every
/// job that was there stays exactly as it was.
pub(super) fn add_teams(
    world: &mut World,
    (salt, now): (u64, i64),
    shape: (u64, usize, u64),
    teams: impl FnOnce(&mut Gen) -> Vec<Node>,
) {
    let mut g = company(salt, now, shape);
    let nodes = teams(&mut g);
    g.extend(world, nodes);
}

/// An agent of a demo company: name, labels, executors, and, if it is offline, why and
/// whether a user marked it so.
pub(super) type AgentRow = (
    &'static str,
    &'static [&'static str],
    u32,
    Option<(&'static str, bool)>,
);

/// The agents of these rows.
pub(super) fn agents(rows: &[AgentRow]) -> Vec<Agent> {
    rows.iter()
        .map(|&(name, labels, executors, down)| {
            let a = agent(name, labels, executors);
            match down {
                Some((reason, temporarily)) => offline(a, reason, temporarily),
                None => a,
            }
        })
        .collect()
}

/// An agent, online and idle.
fn agent(name: &str, labels: &[&str], executors: u32) -> Agent {
    Agent {
        name: name.into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        executors,
        busy: 0,
        offline: false,
        offline_reason: None,
        temporarily_offline: false,
    }
}

/// The agent, offline for `reason`: marked offline by a user, or disconnected.
fn offline(mut a: Agent, reason: &str, temporarily: bool) -> Agent {
    a.offline = true;
    a.offline_reason = Some(reason.into());
    a.temporarily_offline = temporarily;
    a
}

/// A queue item the demo pins: the job and why it waits.
pub(super) fn queued(job: &str, waits: Waits) -> QueuePlan {
    QueuePlan {
        job: job.into(),
        waits,
    }
}

/// Realise a demo controller's plans, with its system message (and, for an old one,
/// its version and built-in executors).
pub(super) fn finish(
    mut g: Gen,
    description: &str,
    old: Option<(&str, u32)>,
    nodes: Vec<Node>,
    queue: Vec<QueuePlan>,
) -> World {
    let controller = ControllerInfo {
        version: old.map_or_else(|| ControllerInfo::default().version, |(v, _)| v.into()),
        session: format!("{:08x}", g.rng.gen::<u32>()),
        description: Some(description.into()),
        num_executors: old.map_or(0, |(_, n)| n),
        ..ControllerInfo::default()
    };
    let users = users(g.devs);
    g.finish(controller, users, nodes, queue)
}

/// The `input` of an approval.
pub(super) fn approval(message: &str, ok: &str, submitter: &str) -> Approval {
    Approval {
        message: message.into(),
        ok: ok.into(),
        submitter: Some(submitter.into()),
    }
}

/// A deploy job's environments over `builds` builds, the last to production: dev most
/// often, staging now and then, production after staging.
pub(super) fn deploy_cycle(builds: u64) -> Vec<(u64, &'static str)> {
    const CYCLE: [&str; 6] = ["dev", "dev", "staging", "dev", "staging", "production"];
    let offset = 6 - (builds % 6) as usize;
    (1..=builds)
        .map(|n| (n, CYCLE[(n as usize - 1 + offset) % 6]))
        .collect()
}

/// Plans jobs of a team (the team names their repositories, images and paths), in the
/// order they are asked for.
pub(super) fn team<'g>(
    g: &'g mut Gen,
    team: &'static str,
) -> impl FnMut(&str, JobKind, Trigger, u64, Lang) -> JobPlan + 'g {
    move |name, kind, trigger, builds, lang| g.plan_in(name, team, kind, trigger, builds, lang)
}

pub(super) fn with_job(world: &mut World, full: &str, f: impl FnOnce(&mut Job)) {
    if let Some(job) = world.item_mut(full).and_then(Item::as_job_mut) {
        f(job);
    }
}

pub(super) fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// A terse way to pin what the demo needs of a job's plan.
impl JobPlan {
    pub(super) fn stages(mut self, names: &[&str]) -> Self {
        self.job.stage_names = strings(names);
        self
    }

    /// Size of the test suite (0: no test report).
    pub(super) fn tests(mut self, n: u32) -> Self {
        self.profile.tests = n;
        self
    }

    /// Good builds archive artifacts.
    pub(super) fn artifacts(mut self) -> Self {
        self.profile.artifacts = true;
        self
    }

    /// Probability that a build fails after a good one.
    pub(super) fn flaky(mut self, p: f64) -> Self {
        self.profile.flaky = p;
        self
    }

    /// Typical time between builds, ms.
    pub(super) fn cadence(mut self, ms: i64) -> Self {
        self.profile.cadence_ms = ms;
        self
    }

    /// Typical duration of a build, ms.
    pub(super) fn lasting(mut self, ms: i64) -> Self {
        self.profile.duration_ms = ms;
        self
    }

    pub(super) fn describe(mut self, text: &str) -> Self {
        self.job.description = Some(text.into());
        self
    }

    /// How these builds must end.
    pub(super) fn fates(mut self, fates: &[(u64, Fate)]) -> Self {
        self.fates = fates.to_vec();
        self
    }

    /// Build `number`'s log is generated to `bytes`.
    pub(super) fn log_size(mut self, number: u64, bytes: u64) -> Self {
        self.log_sizes.push((number, bytes));
        self
    }

    /// The last build is still running.
    pub(super) fn running(mut self) -> Self {
        self.running = true;
        self
    }

    /// The last build ended this long ago, ms.
    pub(super) fn idle(mut self, ms: i64) -> Self {
        self.idle_ms = Some(ms);
        self
    }

    pub(super) fn label(mut self, label: &str) -> Self {
        self.job.label = Some(label.into());
        self
    }

    pub(super) fn params(mut self, defs: Vec<ParamDef>) -> Self {
        self.job.parameters = defs;
        self
    }

    /// Builds are triggered by the `builds` builds of job `full`.
    pub(super) fn upstream(mut self, full: &str, builds: u64) -> Self {
        self.upstream = Some((full.into(), builds));
        self
    }

    /// What live mode may do with the job.
    pub(super) fn live(mut self, rule: LiveRule) -> Self {
        self.job.live = rule;
        self
    }

    /// Run the tests in parallel branches.
    pub(super) fn tests_in_parallel(mut self) -> Self {
        self.test_in_parallel();
        self
    }

    /// Promote through staging to production with an approval between: `input message`,
    /// its proceed button, and who may approve.
    pub(super) fn promoting(mut self, message: &str, ok: &str, submitter: &str) -> Self {
        self.promote(approval(message, ok, submitter));
        self
    }

    /// Deploy to an environment a build (`ENVIRONMENT`, and the "Deploy" stage named after
    /// it), production after an approval.
    pub(super) fn deploying(
        mut self,
        environments: &[(u64, &'static str)],
        approve: Option<Approval>,
    ) -> Self {
        self.job.parameters.push(environment_param());
        self.environments = environments.to_vec();
        self.approval = approve;
        self
    }

    /// Check out this repository's `main`.
    pub(super) fn repo(mut self, url: &str) -> Self {
        self.job.git = Some(GitScm {
            url: url.into(),
            branch: Some("main".into()),
        });
        self
    }

    /// The service the job deploys, named in its commands.
    pub(super) fn of(mut self, service: &str) -> Self {
        self.slug = service.into();
        self
    }

    /// The last build waits at its approval, since `ms` ago.
    pub(super) fn paused(mut self, ms: i64) -> Self {
        self.running = true;
        self.paused = true;
        self.idle_ms = Some(ms);
        self
    }

    /// Disabled (retired).
    pub(super) fn disabled(mut self) -> Self {
        self.job.disabled = true;
        self
    }
}

/// A multibranch project with these branches (name, builds); `running` names a branch
/// whose last build is still running.
pub(super) fn demo_multibranch(
    g: &mut Gen,
    name: &str,
    team: &str,
    branches: &[(&str, u64)],
    running: &str,
) -> Node {
    let names: Vec<&str> = branches.iter().map(|(b, _)| *b).collect();
    let mut node = g.multibranch(name, "", team, names.len(), Some(&names));
    if let Node::Folder { children, .. } = &mut node {
        for child in children.iter_mut() {
            if let Node::Job(plan) = child {
                let branch = plan.job.branch.clone().unwrap_or_default();
                if let Some((_, n)) = branches.iter().find(|(b, _)| *b == branch) {
                    plan.builds = *n;
                }
                plan.running = branch == running;
                if branch == "main" {
                    plan.idle_ms = Some(2 * 3_600_000);
                }
            }
        }
    }
    node
}
