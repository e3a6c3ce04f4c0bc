//! Generated worlds: deterministic from a seed, sized by knobs; the demo and large worlds.
//!
//! Generation runs in two passes. First a *plan* of the item tree is drawn: names, job
//! kinds, how many builds each job has, how particular builds must end, which jobs are
//! running now and which wait in the queue. Then every job's builds are realised from its
//! plan (times, results, causes, commits, culprits, tests, artifacts, stages, steps, logs),
//! and queue ids, executors, the queue and recently left items are filled in over the
//! whole world. Splitting it so lets the demo worlds pin exact facts (build #142 of
//! `backend-service`, the failing last build of `api-server`) while everything around
//! them stays random but realistic. Only `ChaCha8Rng` draws decide anything, so a spec
//! (seed and `now_ms` included) always yields the same world.
//!
//! Planning: `vocabulary` (the words), `generator` (the dice), `plan` (a spec and job
//! plans), `tree` (the item tree), `agents`, `queue`. Realisation: `realise` (items, the
//! world around them, and `extend` for teams added later), `builds`, `course` (how a
//! build ends, its tests), `changes`, `stages`, `steps` (a table from a stage's kind to
//! its steps), `logs`. Scenarios: `incidents` (regressions, flaky tests, slowing stages,
//! deployments and releases) and `demo` (the demo companies, one function per team).

mod agents;
mod builds;
mod changes;
mod course;
mod demo;
mod generator;
mod incidents;
mod logs;
mod plan;
mod queue;
mod realise;
mod stages;
mod steps;
mod tree;
mod vocabulary;

use rand::Rng;

use self::generator::Gen;
use self::vocabulary::{users, DEVELOPERS};
use crate::world::{ControllerInfo, World};

pub use self::plan::GenSpec;

/// Above this many jobs a world is generated lean: one short step per stage, no literal
/// logs, fewer commits, so that tens of thousands of jobs fit in a few hundred MB.
const LEAN_ABOVE_JOBS: usize = 5_000;

impl World {
    /// Generate a world from a spec; the same spec always gives the same world.
    pub fn generate(spec: &GenSpec) -> World {
        let total =
            spec.folders * spec.jobs_per_folder + spec.root_jobs + spec.multibranch * spec.branches;
        let mut g = Gen::new(
            spec.seed,
            spec.now_ms,
            total > LEAN_ABOVE_JOBS,
            spec.log_bytes,
        );
        g.devs = DEVELOPERS.len();
        g.builds_per_job = spec.builds_per_job.max(1) as u64;
        g.agents = g.random_agents(spec.agents, spec.offline_agents.min(spec.agents));
        let mut nodes = g.generic_tree(spec);
        let queue = g.choose_queue(&mut nodes, spec.queue);
        // Planned after the queue, so that none of them runs or waits.
        if spec.incidents {
            let release = incidents::release_commit(spec.seed, spec.now_ms);
            nodes.push(incidents::incidents_folder(&mut g, &release));
        }
        let controller = ControllerInfo {
            session: format!("{:08x}", g.rng.gen::<u32>()),
            num_executors: if spec.agents == 0 { 3 } else { 0 },
            ..ControllerInfo::default()
        };
        let users = users(g.devs);
        let mut world = g.finish(controller, users, nodes, queue);
        if spec.incidents {
            incidents::pin_incidents(&mut world);
        }
        world
    }

    /// The demo world of controller `variant`: 0 is "ci-prod", 1 "ci-staging", 2
    /// "ci-legacy"; higher variants are medium-sized generated worlds.
    ///
    /// Times follow the real clock, so the world looks current. The gateway's examples
    /// and `majordomo demo` rely on the names in these worlds.
    pub fn demo(seed: u64, variant: usize) -> World {
        World::demo_at(seed, variant, crate::clock::now_ms())
    }

    /// The demo world of controller `variant` as it stands at `now_ms` (epoch ms): the
    /// same seed, variant and time always give the same world.
    pub fn demo_at(seed: u64, variant: usize, now_ms: i64) -> World {
        let now = now_ms;
        match variant {
            0 => demo::prod::world(seed, now),
            1 => demo::staging::world(seed, now),
            2 => demo::legacy::world(seed, now),
            n => World::generate(&GenSpec {
                seed: seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                now_ms: now,
                folders: 4,
                jobs_per_folder: 8,
                builds_per_job: 12,
                ..GenSpec::default()
            }),
        }
    }

    /// A large world for benchmarks: 40 team folders × 500 jobs three levels deep (about
    /// 20,000 jobs, 5 builds each, 40% pipelines), 50 multibranch projects × 4 branches,
    /// 200 queue items and 50 agents (5 offline). Logs are generated, steps kept short.
    pub fn large(seed: u64) -> World {
        World::generate(&GenSpec {
            seed,
            now_ms: crate::clock::now_ms(),
            folders: 40,
            depth: 3,
            jobs_per_folder: 500,
            root_jobs: 0,
            builds_per_job: 5,
            pipeline_share: 0.4,
            multibranch: 50,
            branches: 4,
            queue: 200,
            agents: 50,
            offline_agents: 5,
            log_bytes: 32 * 1024,
            incidents: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{branch_item_name, BuildResult, Item};

    #[test]
    fn branch_names_are_encoded_like_branch_api() {
        assert_eq!(
            branch_item_name("feature/login-page"),
            "feature%2Flogin-page"
        );
        assert_eq!(branch_item_name("PR-42"), "PR-42");
    }

    #[test]
    fn stage_ids_follow_flow_node_numbering() {
        let w = World::demo(7, 0);
        let (_, job) = w
            .item("release/release-pipeline")
            .and_then(Item::as_job)
            .unwrap();
        let b = job.build(38).unwrap();
        assert_eq!(b.result, Some(BuildResult::Failure));
        let mut ids: Vec<u64> = b
            .stages
            .iter()
            .flat_map(|s| std::iter::once(&s.id).chain(s.steps.iter().map(|x| &x.id)))
            .map(|id| id.parse().unwrap())
            .collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "ids are unique");
        let failed = b
            .stages
            .iter()
            .position(|s| s.name == "Integration Tests")
            .unwrap();
        assert_eq!(b.stages[failed].status, "FAILED");
        let err = b.stages[failed].error.clone().unwrap();
        for s in &b.stages[failed + 1..] {
            assert_eq!(s.status, "FAILED");
            assert_eq!(s.error.as_ref().unwrap().message, err.message);
        }
        let last = b.stages[failed].steps.last().unwrap();
        assert_eq!(last.status, "FAILED");
        assert!(last.error.is_some());
        // Stages lie within the run.
        for s in &b.stages {
            assert!(s.start >= b.timestamp + b.queue_duration);
            assert!(s.start + s.duration <= b.timestamp + b.duration);
        }
    }
}
