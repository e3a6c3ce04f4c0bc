//! What pollers read: the nested listing of a controller's jobs with their last builds and
//! queue items (one request per controller and interval, split to fit like any other), the
//! fields of a build that build events carry, and the queue item of one that left.

use async_graphql::SelectionField;

use super::plans::{base_of, field_plan, Plan};
use super::{tree_of, LISTING_DEPTH};
use crate::jenkins::Tree;

/// The `Build` fields every build event carries without another request.
pub(crate) const LIVE_BUILD_FIELDS: &[&str] = &[
    "number",
    "displayName",
    "result",
    "building",
    "status",
    "timestamp",
    "duration",
    "estimatedDuration",
    "url",
    "queueId",
];

/// The queue item fields a job's listing carries.
const LISTED_QUEUE_FIELDS: &[&str] =
    &["id", "inQueueSince", "why", "blocked", "buildable", "stuck"];

/// What a poller reads of each build: the plans of [`LIVE_BUILD_FIELDS`].
pub(crate) fn live_build_tree() -> Tree {
    let mut t = Tree::new();
    t.leaves(base_of("Build"));
    for field in LIVE_BUILD_FIELDS {
        for plan in field_plan("Build", field) {
            match *plan {
                Plan::Read(fields) => {
                    t.leaves(fields);
                }
                Plan::At(path, fields) => {
                    t.path(path).leaves(fields);
                }
                _ => {}
            }
        }
    }
    t
}

/// One level of the listing: what tells a job's state, and its folders' children below.
fn listing_level(depth: usize) -> Tree {
    let mut level = Tree::new();
    level.leaves(&["name", "url", "color"]);
    level.child("lastBuild").merge(&live_build_tree());
    level.child("queueItem").leaves(LISTED_QUEUE_FIELDS);
    if depth > 1 {
        level.child("jobs").merge(&listing_level(depth - 1));
    }
    level
}

/// The root listing a build poller reads every interval: [`LISTING_DEPTH`] folder levels,
/// each job with its last build and queue item, and the controller's quiet-down state.
pub(crate) fn live_listing_tree() -> Tree {
    let mut root = Tree::new();
    root.leaf("quietingDown");
    root.child("jobs").merge(&listing_level(LISTING_DEPTH));
    root
}

/// The listing of a folder deeper than the root listing reaches.
pub(crate) fn live_folder_tree() -> Tree {
    let mut t = Tree::new();
    t.child("jobs").merge(&listing_level(LISTING_DEPTH));
    t
}

/// Whether a `build` selection of an event is answered by what the poller read (else the
/// build is loaded with the selection's own tree).
pub(crate) fn covered_by_live(field: &SelectionField<'_>) -> bool {
    live_build_tree().covers(&tree_of("Build", field))
}

/// What a poller reads of a queue item that left the queue: what it became.
pub(crate) fn left_item_tree() -> Tree {
    let mut t = Tree::new();
    t.leaves(&["id", "cancelled"]);
    t.child("executable").leaves(&["number", "url"]);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_nests_last_builds_and_queue_items() {
        let t = live_listing_tree().render();
        assert!(
            t.starts_with("jobs[color,jobs[color,jobs[color,jobs[color,lastBuild["),
            "{t}"
        );
        assert!(t.ends_with(",quietingDown"), "{t}");
        let b = live_build_tree().render();
        assert_eq!(
            b,
            "building,displayName,duration,estimatedDuration,number,queueId,result,timestamp,url"
        );
    }
}
