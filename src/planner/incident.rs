//! The trees behind the incident answers: deploy jobs' recent builds, every job's recent
//! SCM data for a commit, a failing job's recent history, the builds a flaky-test count
//! reads, and a permalink's number. Each asks in one request (a listing, split to fit the
//! controller's request limit when it must) what would otherwise take one per build, and
//! folds in what the caller selected of the builds it returns.

use async_graphql::SelectionField;

use super::{plan_into, whole_tree};
use crate::jenkins::client::BUILDS_WINDOW;
use crate::jenkins::Tree;

/// Deployments listed when `first` is not given.
pub(crate) const DEFAULT_DEPLOYMENTS: i32 = 50;
/// Builds of each deploy job a deployment list, a commit's deployments and DORA read.
pub(crate) const DEPLOY_BUILDS: u32 = 50;
/// Builds of each job (of every job of the fleet) a commit is looked for in.
pub(crate) const COMMIT_BUILDS: u32 = 25;
/// Builds of a failing job its regression is looked for in.
pub(crate) const REGRESSION_BUILDS: u32 = 50;
/// Most builds a flaky-test count reads the test reports of.
pub(crate) const MAX_FLAKY_BUILDS: u32 = 30;
/// Runs a stage trend is read from when `last` is not given (`wfapi/runs` gives ten).
pub(crate) const DEFAULT_STAGE_RUNS: i32 = 10;
/// Builds a flaky-test count looks at when `last` is not given.
pub(crate) const DEFAULT_FLAKY_BUILDS: i32 = 10;

/// Build fields that say what a build is, how it ended and when.
const BUILD_FACTS: &[&str] = &[
    "number",
    "url",
    "result",
    "building",
    "timestamp",
    "duration",
];

/// The selections below `f` reached by following `path` (aliases and fragments merged).
pub(crate) fn below<'a>(f: &SelectionField<'a>, path: &[&str]) -> Vec<SelectionField<'a>> {
    let Some((first, rest)) = path.split_first() else {
        return f.selection_set().collect();
    };
    f.selection_set()
        .filter(|c| c.name() == *first)
        .flat_map(|c| below(&c, rest))
        .collect()
}

/// What a build needs to say which commit it built and what changed in it (each commit's
/// id, message, author and time; its paths only when the selection asks for them).
fn scm(t: &mut Tree) {
    t.path(&["actions", "lastBuiltRevision"]).leaf("SHA1");
    for set in ["changeSet", "changeSets"] {
        let items = t.path(&[set, "items"]);
        items.leaves(&["commitId", "msg", "timestamp", "authorEmail"]);
        items.child("author").leaf("fullName");
    }
}

/// What a deployment shows of its build: how it ended, its parameters (the environment),
/// who started it, what it deployed.
fn deploy_facts(t: &mut Tree) {
    t.leaves(BUILD_FACTS);
    whole_tree("Parameter", t.path(&["actions", "parameters"]));
    whole_tree("Cause", t.path(&["actions", "causes"]));
    scm(t);
}

/// The builds of a deploy job, newest first: what deployments need, plus the fields the
/// selection at `build_paths` (below the field `f`) wants of each build.
pub(crate) fn deploy_builds_tree(f: &SelectionField<'_>, build_paths: &[&[&str]]) -> Tree {
    let mut builds = Tree::new();
    deploy_facts(&mut builds);
    for path in build_paths {
        plan_into("Build", &below(f, path), &mut builds, 0);
    }
    let mut t = Tree::new();
    t.child("builds")
        .merge(&builds)
        .range(0, Some(DEPLOY_BUILDS));
    t
}

/// What a commit search reads of each job: its newest [`COMMIT_BUILDS`] builds with the
/// revision they checked out and the ids of the commits in their change sets (each
/// commit's message, author and time only when the selection shows the commit's
/// `change`); for a deploy job also their parameters (the environment), and their causes
/// when a deployment's `startedBy` or `causes` is selected; plus what the selection at
/// `build_paths` wants of each build. Asked of every job, siblings share one listing of
/// their folder (see [`crate::loaders`]), so a request's answer is bounded by one folder's
/// jobs, never the whole controller's.
pub(crate) fn commit_scan_tree(
    f: &SelectionField<'_>,
    build_paths: &[&[&str]],
    deploy_job: bool,
) -> Tree {
    let mut builds = Tree::new();
    builds.leaves(BUILD_FACTS);
    builds.path(&["actions", "lastBuiltRevision"]).leaf("SHA1");
    let shows_change = !below(f, &["change"]).is_empty();
    for set in ["changeSet", "changeSets"] {
        let items = builds.path(&[set, "items"]);
        items.leaf("commitId");
        if shows_change {
            items.leaves(&["msg", "timestamp", "authorEmail"]);
            items.child("author").leaf("fullName");
        }
    }
    if deploy_job {
        whole_tree("Parameter", builds.path(&["actions", "parameters"]));
        let shows_causes = below(f, &["deployments"])
            .iter()
            .any(|d| matches!(d.name(), "startedBy" | "causes"));
        if shows_causes {
            whole_tree("Cause", builds.path(&["actions", "causes"]));
        }
    }
    for path in build_paths {
        plan_into("Build", &below(f, path), &mut builds, 0);
    }
    let mut t = Tree::new();
    t.child("builds")
        .merge(&builds)
        .range(0, Some(COMMIT_BUILDS));
    t
}

/// A failing job's newest builds with what a regression compares: results, parameters,
/// commits and culprits; plus the fields the selection at `build_paths` wants.
pub(crate) fn regression_tree(f: &SelectionField<'_>, build_paths: &[&[&str]]) -> Tree {
    let mut builds = Tree::new();
    builds.leaves(BUILD_FACTS);
    whole_tree("Parameter", builds.path(&["actions", "parameters"]));
    whole_tree("UserRef", builds.child("culprits"));
    scm(&mut builds);
    for set in ["changeSet", "changeSets"] {
        whole_tree("Change", builds.path(&[set, "items"]));
    }
    for path in build_paths {
        plan_into("Build", &below(f, path), &mut builds, 0);
    }
    let mut t = Tree::new();
    t.child("builds")
        .merge(&builds)
        .range(0, Some(REGRESSION_BUILDS.min(BUILDS_WINDOW)));
    t
}

/// A job's newest `n` builds with what tells whether two of them built the same code.
pub(crate) fn flaky_builds_tree(n: u32) -> Tree {
    let mut t = Tree::new();
    let builds = t.child("builds");
    builds.leaves(&["number", "result", "building"]);
    builds.path(&["actions", "lastBuiltRevision"]).leaf("SHA1");
    for set in ["changeSet", "changeSets"] {
        builds.path(&[set, "items"]).leaf("commitId");
    }
    builds.range(0, Some(n.min(BUILDS_WINDOW)));
    t
}

/// The number of the build a permalink (`lastFailedBuild`) names.
pub(crate) fn permalink_tree(permalink: &str) -> Tree {
    let mut t = Tree::new();
    t.child(permalink).leaf("number");
    t
}
