//! The demo controllers: three companies' worth of teams, with facts pinned for the
//! gateway's examples, and what their worlds share.

pub(super) mod legacy;
pub(super) mod prod;
pub(super) mod staging;

use super::generator::Gen;
use super::plan::Node;
use crate::world::{Agent, Item, Job, World};

pub(super) fn demo_agent(name: &str, labels: &[&str], executors: u32) -> Agent {
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

pub(super) fn offline(mut a: Agent, reason: &str, temporarily: bool) -> Agent {
    a.offline = true;
    a.offline_reason = Some(reason.into());
    a.temporarily_offline = temporarily;
    a
}

pub(super) fn with_job(world: &mut World, full: &str, f: impl FnOnce(&mut Job)) {
    if let Some(job) = world.item_mut(full).and_then(Item::as_job_mut) {
        f(job);
    }
}

pub(super) fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
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
