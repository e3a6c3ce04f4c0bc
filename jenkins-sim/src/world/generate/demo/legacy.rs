//! "ci-legacy": an old controller with a handful of freestyle jobs.

use super::{company, finish, team};
use crate::world::generate::plan::Lang::{Java, Python};
use crate::world::generate::plan::Trigger::{Manual, Scm, Timer};
use crate::world::generate::plan::{Fate, Node};
use crate::world::generate::vocabulary::param;
use crate::world::JobKind::Freestyle;
use crate::world::{ParamKind, World};

/// "ci-legacy": an old controller with a handful of freestyle jobs.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = company(seed ^ 0xC1_0002, now, (24, 4, 8));
    let mut job = team(&mut g, "legacy");
    let build = job("build-monolith", Freestyle, Scm, 120, Java)
        .tests(2_300)
        .artifacts();
    let environments = &["qa", "uat", "prod"];
    let deploy = job("deploy-monolith", Freestyle, Manual, 40, Java)
        .tests(0)
        .params(vec![param(
            "ENV",
            ParamKind::Choice,
            "Environment",
            None,
            environments,
        )]);
    let backup = job("nightly-backup", Freestyle, Timer, 30, Python).cadence(86_400_000);
    let cleanup = job("cleanup-workspaces", Freestyle, Timer, 14, Python);
    let ldap = job("sync-ldap", Freestyle, Timer, 25, Python).fates(&[
        (23, Fate::Failure),
        (24, Fate::Failure),
        (25, Fate::Failure),
    ]);
    drop(job);
    let nodes = [build, deploy, backup, cleanup, ldap]
        .into_iter()
        .map(Node::job)
        .collect();
    let description = "ci-legacy: the old monolith's Jenkins. Do not add jobs here.";
    finish(g, description, Some(("2.426.3", 2)), nodes, Vec::new())
}
