//! How items are named: full names, the item names of branches, permalinks.

/// The full name of the item `name` in the folder `parent` (`""` for the root).
pub(crate) fn join_full_name(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// A path through the item tree to one item, e.g. `team-a/services/api-build`.
pub fn split_full_name(full_name: &str) -> impl Iterator<Item = &str> {
    full_name.split('/').filter(|s| !s.is_empty())
}

/// branch-api's `NameEncoder.encode`: the item name of a branch (`feature/foo` → `feature%2Ffoo`).
pub fn branch_item_name(branch: &str) -> String {
    let mut out = String::with_capacity(branch.len() + 4);
    for c in branch.chars() {
        match c {
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '?' => out.push_str("%3F"),
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    out
}

/// The permalinks Jenkins gives every job.
pub const PERMALINKS: [&str; 8] = [
    "firstBuild",
    "lastBuild",
    "lastCompletedBuild",
    "lastFailedBuild",
    "lastStableBuild",
    "lastSuccessfulBuild",
    "lastUnstableBuild",
    "lastUnsuccessfulBuild",
];
