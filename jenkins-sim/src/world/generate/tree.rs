//! Planning the item tree of a generic world: team folders nested to a depth, root jobs,
//! multibranch projects with their branches, and the jobs every controller has.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::plan::{plans_mut, Approval, GenSpec, JobPlan, Lang, Node, Trigger};
use super::vocabulary::{
    every_param_kind, JOB_SUFFIXES, NODE_STAGES, REPO_SUFFIXES, SUBFOLDERS_DEEP, SUBFOLDERS_TOP,
    TEAMS, TOPICS,
};
use crate::world::{branch_item_name, join_full_name, Folder, FolderKind, GitScm, JobKind};

impl Gen {
    /// The team trees, root jobs and multibranch projects of a generic world.
    pub(super) fn generic_tree(&mut self, spec: &GenSpec) -> Vec<Node> {
        let mut teams: Vec<&str> = TEAMS.to_vec();
        teams.shuffle(&mut self.rng);
        let depth = spec.depth.max(1);
        let mut nodes: Vec<Node> = Vec::new();
        for i in 0..spec.folders {
            let name = match i / teams.len() {
                0 => teams[i].to_string(),
                k => format!("{}-{}", teams[i % teams.len()], k + 1),
            };
            nodes.push(self.team_tree(
                &name,
                "",
                &name,
                1,
                depth,
                spec.jobs_per_folder,
                spec.pipeline_share,
            ));
        }
        let root_names = self.names(spec.root_jobs, JOB_SUFFIXES);
        let mut root_jobs: Vec<JobPlan> = root_names
            .iter()
            .map(|n| self.random_job(n, "ci", spec.pipeline_share))
            .collect();
        self.link_upstreams("", &mut root_jobs);
        nodes.extend(root_jobs.into_iter().map(Node::job));

        let mut repo_names: Vec<Vec<String>> = Vec::new();
        let targets = spec.folders.max(1);
        for t in 0..targets {
            let per = spec.multibranch / targets + usize::from(t < spec.multibranch % targets);
            repo_names.push(self.names(per, REPO_SUFFIXES));
        }
        for (t, names) in repo_names.into_iter().enumerate() {
            for name in names {
                if spec.folders == 0 {
                    let node = self.multibranch(&name, "", "web", spec.branches, None);
                    nodes.push(node);
                } else if let Node::Folder {
                    folder, children, ..
                } = &mut nodes[t]
                {
                    let team = folder.name.clone();
                    let node = self.multibranch(&name, &team, &team, spec.branches, None);
                    children.push(node);
                }
            }
        }
        self.give_every_param_kind(&mut nodes);
        self.ensure_idle_jobs(&mut nodes);
        self.ensure_approval(&mut nodes);
        nodes
    }

    /// A controller of some size has a pipeline that promotes to production, its last run
    /// waiting for an approval.
    fn ensure_approval(&mut self, nodes: &mut [Node]) {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        if plans.len() < 8 {
            return;
        }
        let candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i].1;
                p.kind == JobKind::Pipeline
                    && p.job.branch.is_none()
                    && !p.job.disabled
                    && p.job.label.is_none()
                    && p.job.parameters.is_empty()
                    && p.builds >= 2
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let p = &mut plans[candidates[self.rng.gen_range(0..candidates.len())]].1;
        p.promote(Approval {
            message: "Deploy to production?".into(),
            ok: "Ship it".into(),
            submitter: Some("release-managers".into()),
        });
        p.job.parallel.clear();
        p.running = true;
        p.paused = true;
        p.idle_ms = Some(self.rng.gen_range(20 * 60_000..8 * 3_600_000));
    }

    /// Every controller of some size has a retired (disabled) job and one never built.
    pub(super) fn ensure_idle_jobs(&mut self, nodes: &mut [Node]) {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        if plans.len() < 8 {
            return;
        }
        let mut candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i].1;
                p.job.branch.is_none()
                    && !p.job.disabled
                    && p.builds > 0
                    && p.job.parameters.is_empty()
            })
            .collect();
        candidates.shuffle(&mut self.rng);
        let mut candidates = candidates.into_iter();
        if !plans.iter().any(|(_, p)| p.job.disabled) {
            if let Some(i) = candidates.next() {
                let p = &mut plans[i].1;
                p.job.disabled = true;
                p.idle_ms = Some(self.rng.gen_range(20..200) * 86_400_000);
                p.job.description = Some(format!("Disabled: {} was retired.", p.job.name));
            }
        }
        if !plans
            .iter()
            .any(|(_, p)| p.builds == 0 && p.job.branch.is_none())
        {
            if let Some(i) = candidates.next() {
                let p = &mut plans[i].1;
                p.builds = 0;
                p.job.description =
                    Some("Created from the service template; not built yet.".into());
            }
        }
    }

    /// One team's folder tree, `depth` levels deep, holding `jobs` jobs in all.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn team_tree(
        &mut self,
        name: &str,
        prefix: &str,
        team: &str,
        level: usize,
        depth: usize,
        jobs: usize,
        pipeline_share: f64,
    ) -> Node {
        let full = join_full_name(prefix, name);
        let mut children = Vec::new();
        let mut own = jobs;
        if level < depth {
            // Two subfolders per level: this folder keeps its even share of the subtree.
            let folders_below = (1usize << (depth - level + 1)) - 1;
            own = jobs / folders_below;
            let rest = jobs - own;
            let pool = if level == 1 {
                SUBFOLDERS_TOP
            } else {
                SUBFOLDERS_DEEP
            };
            let mut names: Vec<&str> = pool.to_vec();
            names.shuffle(&mut self.rng);
            for (k, sub) in names.into_iter().take(2).enumerate() {
                let share = rest / 2 + usize::from(k == 0 && rest % 2 == 1);
                children.push(self.team_tree(
                    sub,
                    &full,
                    team,
                    level + 1,
                    depth,
                    share,
                    pipeline_share,
                ));
            }
        }
        let names = self.names(own, JOB_SUFFIXES);
        let mut plans: Vec<JobPlan> = names
            .iter()
            .map(|n| self.random_job(n, team, pipeline_share))
            .collect();
        self.link_upstreams(&full, &mut plans);
        children.extend(plans.into_iter().map(Node::job));
        let description = if level == 1 {
            Some(format!("Jobs of the {team} team"))
        } else {
            None
        };
        Node::folder(name, description.as_deref(), children)
    }

    /// Upstream-triggered jobs get a sibling with builds as their upstream.
    pub(super) fn link_upstreams(&mut self, prefix: &str, plans: &mut [JobPlan]) {
        let built: Vec<(String, u64)> = plans
            .iter()
            .filter(|p| p.builds > 0 && p.profile.trigger != Trigger::Upstream)
            .map(|p| (join_full_name(prefix, &p.job.name), p.builds))
            .collect();
        for p in plans
            .iter_mut()
            .filter(|p| p.profile.trigger == Trigger::Upstream)
        {
            if built.is_empty() {
                p.profile.trigger = Trigger::Manual;
            } else {
                p.upstream = Some(built[self.rng.gen_range(0..built.len())].clone());
            }
        }
    }

    /// The first buildable job gets a parameter of every kind.
    pub(super) fn give_every_param_kind(&mut self, nodes: &mut [Node]) {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        if let Some((_, p)) = plans
            .into_iter()
            .find(|(_, p)| !p.job.disabled && p.job.branch.is_none())
        {
            p.job.parameters = every_param_kind();
        }
    }

    pub(super) fn branch_names(&mut self, n: usize) -> Vec<String> {
        let mut out: Vec<String> = ["main", "develop"]
            .iter()
            .take(n)
            .map(|s| s.to_string())
            .collect();
        let mut topics: Vec<&str> = TOPICS.to_vec();
        topics.shuffle(&mut self.rng);
        let mut k = 0;
        while out.len() < n {
            let topic = topics[k % topics.len()];
            let round = k / topics.len();
            let name = match k % 4 {
                0 => format!("feature/{topic}"),
                1 => format!("PR-{}", self.rng.gen_range(10..900)),
                2 => format!("bugfix/{topic}"),
                _ => format!("release/1.{}", self.rng.gen_range(2..40)),
            };
            let name = if round > 0 && !name.starts_with("PR-") {
                format!("{name}-{round}")
            } else {
                name
            };
            if !out.contains(&name) {
                out.push(name);
            }
            k += 1;
        }
        out
    }

    /// A multibranch project with branch jobs; `branches` overrides the random branch names.
    pub(super) fn multibranch(
        &mut self,
        name: &str,
        prefix: &str,
        team: &str,
        n: usize,
        branches: Option<&[&str]>,
    ) -> Node {
        let url = format!("https://git.example.com/{team}/{name}.git");
        let names: Vec<String> = match branches {
            Some(b) => b.iter().map(|s| s.to_string()).collect(),
            None => self.branch_names(n),
        };
        let lang = self.pick(&[Lang::Node, Lang::Node, Lang::Java, Lang::Go]);
        let stages = if lang == Lang::Node {
            NODE_STAGES.iter().map(|s| s.to_string()).collect()
        } else {
            self.stage_set(name, Trigger::Branch, lang)
        };
        let base = self.builds_per_job;
        let children = names
            .iter()
            .map(|branch| {
                let builds = match branch.as_str() {
                    "main" | "master" => base + self.rng.gen_range(0..=base),
                    "develop" => (base * 4 / 5).max(1),
                    b if b.starts_with("PR-") => self.rng.gen_range(1..=3),
                    _ => self.rng.gen_range(1..=4),
                };
                let mut plan = self.plan_in(
                    &branch_item_name(branch),
                    team,
                    JobKind::Pipeline,
                    Trigger::Branch,
                    builds,
                    lang,
                );
                plan.slug = name.to_string();
                plan.job.display_name = Some(branch.clone());
                plan.job.branch = Some(branch.clone());
                plan.job.git = Some(GitScm {
                    url: url.clone(),
                    branch: Some(branch.clone()),
                });
                plan.job.stage_names = stages.clone();
                // Branches are built on every push.
                plan.profile.cadence_ms = self.rng.gen_range(30 * 60_000..12 * 3_600_000);
                if branch.starts_with("PR-") || branch.contains('/') {
                    plan.idle_ms = Some(self.rng.gen_range(10 * 60_000..3 * 86_400_000));
                }
                Node::job(plan)
            })
            .collect();
        let _ = prefix;
        Node::Folder {
            kind: FolderKind::Multibranch,
            folder: Folder {
                name: name.into(),
                description: Some(format!("Branches and pull requests of {url}")),
                source_url: Some(url),
                ..Folder::default()
            },
            children,
        }
    }
}
