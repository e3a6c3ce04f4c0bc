//! "ci-legacy": an old controller with a handful of freestyle jobs.

use rand::Rng;

use crate::world::generate::generator::Gen;
use crate::world::generate::plan::{Fate, Lang, Node, Trigger};
use crate::world::generate::vocabulary::{param, users};
use crate::world::{ControllerInfo, JobKind, ParamKind, World};

/// "ci-legacy": an old controller with a handful of freestyle jobs.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = Gen::new(seed ^ 0xC1_0002, now, false, 24 * 1024);
    g.devs = 4;
    let mut build = g.plan_in(
        "build-monolith",
        "legacy",
        JobKind::Freestyle,
        Trigger::Scm,
        120,
        Lang::Java,
    );
    build.profile.tests = 2_300;
    build.profile.artifacts = true;
    let mut deploy = g.plan_in(
        "deploy-monolith",
        "legacy",
        JobKind::Freestyle,
        Trigger::Manual,
        40,
        Lang::Java,
    );
    deploy.profile.tests = 0;
    deploy.job.parameters = vec![param(
        "ENV",
        ParamKind::Choice,
        "Environment",
        None,
        &["qa", "uat", "prod"],
    )];
    let mut backup = g.plan_in(
        "nightly-backup",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        30,
        Lang::Python,
    );
    backup.profile.cadence_ms = 86_400_000;
    let cleanup = g.plan_in(
        "cleanup-workspaces",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        14,
        Lang::Python,
    );
    let mut ldap = g.plan_in(
        "sync-ldap",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        25,
        Lang::Python,
    );
    ldap.fates = vec![
        (23, Fate::Failure),
        (24, Fate::Failure),
        (25, Fate::Failure),
    ];
    let nodes = [build, deploy, backup, cleanup, ldap]
        .into_iter()
        .map(Node::job)
        .collect();
    let controller = ControllerInfo {
        version: "2.426.3".into(),
        session: format!("{:08x}", g.rng.gen::<u32>()),
        description: Some("ci-legacy: the old monolith's Jenkins. Do not add jobs here.".into()),
        num_executors: 2,
        ..ControllerInfo::default()
    };
    let users = users(g.devs);
    g.finish(controller, users, nodes, Vec::new())
}
