//! The planner: the one layer that knows Jenkins' shape.
//!
//! Resolvers hand it what they need (the selection of a job, a build, a folder listing,
//! a page of builds, the jobs of a search) and it answers with the [`Tree`]s and ranges
//! that fetch exactly that in the fewest requests: nested folder levels, last builds and
//! first build pages ride in one listing; `builds{M,N}` inside Jenkins' newest-100 window
//! and `allBuilds` only beyond it. The GraphQL field → Jenkins field table is in
//! [`plans`]; paging through builds is the state machine in [`builds`]. Nothing above this
//! layer writes a `tree=` fragment; only the client below it builds URLs.

pub(crate) mod builds;
pub(crate) mod cost;
pub(crate) mod incident;
pub(crate) mod plans;
pub(crate) mod split;

use async_graphql::{SelectionField, Value};

use crate::jenkins::client::BUILDS_WINDOW;
use crate::jenkins::Tree;
use plans::{base_of, field_plan, type_plan, Plan};

/// How many folder levels one recursive listing request descends.
pub(crate) const LISTING_DEPTH: usize = 4;
/// Builds per page when `first` is not given.
pub(crate) const DEFAULT_BUILDS_PAGE: i32 = 20;
/// Jobs per page when `first` is not given.
pub(crate) const DEFAULT_JOBS_PAGE: i32 = 50;
/// Largest page a client may ask for.
pub(crate) const MAX_PAGE: i32 = 1000;
/// Builds a trend looks at when `last` is not given.
pub(crate) const DEFAULT_TREND: i32 = 20;
/// Bytes of a build log tail when `maxBytes` is not given.
pub(crate) const DEFAULT_TAIL_BYTES: i32 = 64 * 1024;
/// Bytes of a stage's log tail when `maxBytes` is not given.
pub(crate) const DEFAULT_STAGE_LOG_BYTES: i32 = 8 * 1024;
/// Failing test cases returned when `first` is not given.
pub(crate) const DEFAULT_FAILED_TESTS: i32 = 50;

/// The tree that fetches what `sel` (fields of GraphQL type `ty`) needs, folding up to
/// `depth` levels of folder children into the same request.
fn plan_into(ty: &str, sel: &[SelectionField<'_>], t: &mut Tree, depth: usize) {
    t.leaves(base_of(ty));
    for f in sel {
        for plan in field_plan(ty, f.name()) {
            apply(plan, f, t, depth);
        }
    }
}

fn apply(plan: &Plan, f: &SelectionField<'_>, t: &mut Tree, depth: usize) {
    match *plan {
        Plan::Known | Plan::Own | Plan::Whole => {}
        Plan::Read(fields) => {
            t.leaves(fields);
        }
        Plan::At(path, fields) => {
            t.path(path).leaves(fields);
        }
        Plan::Nested(path, ty) => {
            let sel: Vec<_> = f.selection_set().collect();
            plan_into(ty, &sel, t.path(path), depth);
        }
        Plan::BuildsPage => {
            if let Some(first) = riding_page(f) {
                let nodes = page_nodes(f);
                let page = t.child("builds");
                plan_into("Build", &nodes, page, depth);
                let end = page.range_end().unwrap_or(0).max(first + 1);
                page.range(0, Some(end));
            }
        }
        Plan::Trend => {
            let last = arg_u32(f, "last").unwrap_or(DEFAULT_TREND as u32);
            let page = t.child("builds");
            page.leaves(TREND_FIELDS);
            let end = page.range_end().unwrap_or(0).max(last.min(BUILDS_WINDOW));
            page.range(0, Some(end));
        }
        Plan::Children => {
            if depth > 0 {
                let sel: Vec<_> = f.selection_set().collect();
                plan_into("Item", &sel, t.child("jobs"), depth - 1);
            }
        }
    }
}

/// Build fields a trend is computed from.
pub(crate) const TREND_FIELDS: &[&str] = &["number", "result", "building", "duration", "timestamp"];

/// The tree of an object of type `ty` for the field being resolved (`job(fullName:)`,
/// `lastBuild`, `folder(path:)`…), with up to [`LISTING_DEPTH`] folder levels.
pub(crate) fn tree_of(ty: &str, field: &SelectionField<'_>) -> Tree {
    let sel: Vec<_> = field.selection_set().collect();
    let mut t = Tree::new();
    plan_into(ty, &sel, &mut t, LISTING_DEPTH);
    t
}

/// The listing of a folder's children for a children field (`items`, `jobs`, `folders`)
/// resolved on a folder fetched without them.
pub(crate) fn children_tree(field: &SelectionField<'_>) -> Tree {
    let mut t = Tree::new();
    apply(&Plan::Children, field, &mut t, LISTING_DEPTH + 1);
    t
}

/// The nested `jobs[…,jobs[…]]` tree that lists a folder recursively [`LISTING_DEPTH`]
/// levels deep with what `nodes` (job selections) want at every level, plus what the
/// search filters read.
pub(crate) fn search_tree(nodes: &[SelectionField<'_>]) -> Tree {
    let mut level = Tree::new();
    plan_into("Item", nodes, &mut level, 0);
    level.leaves(&["name", "url", "color"]);
    let mut current = level.clone();
    for _ in 1..LISTING_DEPTH {
        let mut next = level.clone();
        next.child("jobs").merge(&current);
        current = next;
    }
    let mut root = Tree::new();
    root.child("jobs").merge(&current);
    root
}

/// The listing a `health` selection needs: every part of it shares one recursive
/// listing per controller, with whatever its `failingJobs` select.
pub(crate) fn health_tree(field: &SelectionField<'_>) -> Tree {
    fn collect<'a>(f: &SelectionField<'a>, out: &mut Vec<SelectionField<'a>>) {
        for c in f.selection_set() {
            if c.name() == "failingJobs" {
                out.extend(c.selection_set());
            } else {
                collect(&c, out);
            }
        }
    }
    let mut sel = Vec::new();
    collect(field, &mut sel);
    search_tree(&sel)
}

/// The node selections of a page field (`nodes { … }` or `edges { node { … } }`).
pub(crate) fn page_nodes<'a>(f: &SelectionField<'a>) -> Vec<SelectionField<'a>> {
    let mut out = Vec::new();
    for c in f.selection_set() {
        match c.name() {
            "nodes" => out.extend(c.selection_set()),
            "edges" => {
                for e in c.selection_set().filter(|e| e.name() == "node") {
                    out.extend(e.selection_set());
                }
            }
            _ => {}
        }
    }
    out
}

/// The tree of one page of builds (their fields, `result` for filtering).
pub(crate) fn page_fields(field: &SelectionField<'_>) -> Tree {
    let mut t = Tree::new();
    plan_into("Build", &page_nodes(field), &mut t, 0);
    t.leaf("result");
    t
}

/// Whether a builds page can ride in its job's listing: no cursor, no filter, inside
/// Jenkins' window. The resolver asks the same question to know where its page is.
pub(crate) fn rides_along(first: i32, cursor: bool, filtered: bool) -> bool {
    !cursor && !filtered && (first.clamp(0, MAX_PAGE) as u32) < BUILDS_WINDOW
}

fn riding_page(f: &SelectionField<'_>) -> Option<u32> {
    let first = arg_i32(f, "first").unwrap_or(DEFAULT_BUILDS_PAGE);
    rides_along(first, has_arg(f, "after"), has_arg(f, "result"))
        .then_some(first.clamp(0, MAX_PAGE) as u32)
}

fn arg(f: &SelectionField<'_>, name: &str) -> Option<Value> {
    let args = f.arguments().ok()?;
    args.into_iter()
        .find(|(n, v)| n.as_str() == name && *v != Value::Null)
        .map(|(_, v)| v)
}

fn arg_i32(f: &SelectionField<'_>, name: &str) -> Option<i32> {
    match arg(f, name)? {
        Value::Number(n) => n
            .as_i64()
            .map(|n| n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32),
        _ => None,
    }
}

fn arg_u32(f: &SelectionField<'_>, name: &str) -> Option<u32> {
    arg_i32(f, name).map(|n| n.max(0) as u32)
}

fn has_arg(f: &SelectionField<'_>, name: &str) -> bool {
    arg(f, name).is_some()
}

/// The tree of a type read whole: every field of its plan (the queue, the computers,
/// a test report).
fn whole_tree(ty: &str, t: &mut Tree) {
    let Some(plan) = type_plan(ty) else { return };
    t.leaves(plan.base);
    for (_, parts) in plan.fields {
        for part in *parts {
            match *part {
                Plan::Read(fields) => {
                    t.leaves(fields);
                }
                Plan::At(path, fields) => {
                    t.path(path).leaves(fields);
                }
                Plan::Nested(path, inner) => whole_tree(inner, t.path(path)),
                _ => {}
            }
        }
    }
}

/// The queue, with every field a queue item can show.
pub(crate) fn queue_tree() -> Tree {
    let mut t = Tree::new();
    whole_tree("QueueItem", t.child("items"));
    t.child("items").leaf("url");
    t
}

/// The computers, with every field an agent can show.
pub(crate) fn computers_tree() -> Tree {
    let mut t = Tree::new();
    whole_tree("Agent", t.child("computer"));
    t
}

/// A build's test report, with every field a failing case can show.
pub(crate) fn tests_tree() -> Tree {
    let mut t = Tree::new();
    whole_tree("FailedTest", t.path(&["suites", "cases"]));
    t
}

/// What runs on a controller's flyweight executors: every running pipeline, paused at an
/// input or not (`computer[oneOffExecutors[currentExecutable[number,url]]]`).
pub(crate) fn running_tree() -> Tree {
    let mut t = Tree::new();
    t.path(&["computer", "oneOffExecutors", "currentExecutable"])
        .leaves(&["number", "url"]);
    t
}

/// What a connection's probe reads on the controller root.
pub(crate) fn probe_tree() -> Tree {
    let mut t = Tree::new();
    t.leaf("quietingDown");
    t
}

/// `builds{M,N}` inside the newest-100 window, `allBuilds{M,N}` beyond it (Jenkins then
/// loads every build from disk, so only a page that needs it pays that).
pub(crate) fn builds_range(fields: &Tree, start: u32, end: u32) -> Tree {
    let list = if end <= BUILDS_WINDOW {
        "builds"
    } else {
        "allBuilds"
    };
    let mut t = Tree::new();
    t.child(list)
        .merge(fields)
        .leaf("number")
        .range(start, Some(end));
    t
}

#[cfg(test)]
mod tests;
