//! Requests that fit: Jenkins' servlet containers (Jetty, Tomcat) and the proxies in front
//! of them refuse a request line over 8 KiB, so a `tree=` too long for one request is
//! split into several whose union is the whole, and their answers are merged back.
//!
//! A tree splits at its top level into groups of children that fit; a child too long on
//! its own splits the same way below it, each part keeping the list's identity field
//! (`name` for items, `number` for builds) so that the parts' lists can be merged element
//! by element. Lists without an identity (actions, change sets) merge by position:
//! Jenkins exports the same list in the same order whatever the tree asks of it.

use serde_json::Value;

use crate::jenkins::path::encode_query_value;
use crate::jenkins::Tree;

/// The field that identifies an element of a list node, when it has one.
fn identity(list: &str) -> Option<&'static str> {
    match list {
        "jobs" => Some("name"),
        "builds" | "allBuilds" => Some("number"),
        _ => None,
    }
}

/// Bytes `tree` takes in a URL once encoded.
pub(crate) fn encoded_len(tree: &Tree) -> usize {
    encode_query_value(&tree.render()).len()
}

/// Trees whose union is `tree`, each at most `room` bytes encoded: `tree` itself when it
/// fits. A leaf longer than `room` cannot be split and is returned as it is (the client
/// then refuses it with a clear error rather than Jenkins).
pub(crate) fn fit(tree: &Tree, room: usize) -> Vec<Tree> {
    if encoded_len(tree) <= room {
        return vec![tree.clone()];
    }
    // Each child alone, split further when it is too long itself.
    let mut pieces: Vec<Tree> = Vec::new();
    for (name, child) in tree.children() {
        let mut alone = Tree::new();
        alone.set_child(name, child.clone());
        if encoded_len(&alone) <= room || child.is_empty() {
            pieces.push(alone);
            continue;
        }
        // Room inside `name[...]{range}` for the child's own parts.
        let mut shell = Tree::new();
        shell.set_child(name, Tree::new());
        let wrapper = encoded_len(&shell) + 6 + range_len(child);
        let key = identity(name);
        let inner_room = room.saturating_sub(wrapper + key.map_or(0, |k| k.len() + 1));
        for mut part in fit(&child.without_range(), inner_room) {
            if let Some(k) = key {
                part.leaf(k);
            }
            let mut piece = Tree::new();
            piece.set_child(name, part.with_range_of(child));
            pieces.push(piece);
        }
    }
    pack(pieces, room)
}

/// Characters the range of `node` adds (`{0,21}`).
fn range_len(node: &Tree) -> usize {
    let mut t = Tree::new();
    t.set_child("x", node.with_only_range());
    encoded_len(&t).saturating_sub(1)
}

/// Pack pieces into as few trees as fit (first fit, largest first).
fn pack(mut pieces: Vec<Tree>, room: usize) -> Vec<Tree> {
    pieces.sort_by_key(|p| std::cmp::Reverse(encoded_len(p)));
    let mut bins: Vec<Tree> = Vec::new();
    for piece in pieces {
        let slot = bins.iter_mut().find(|b| {
            let mut merged = (*b).clone();
            merged.merge(&piece);
            encoded_len(&merged) <= room
        });
        match slot {
            Some(bin) => {
                bin.merge(&piece);
            }
            None => bins.push(piece),
        }
    }
    bins
}

/// Merge the answer to one part of a split request into the answer so far. `tree` is the
/// whole request's tree: it says which lists merge by identity.
pub(crate) fn merge(into: &mut Value, part: Value, tree: &Tree) {
    match (into, part) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                let sub = tree.child_tree(&k);
                match a.get_mut(&k) {
                    Some(existing) => match (existing, v) {
                        (Value::Array(xs), Value::Array(ys)) => merge_lists(xs, ys, &k, sub),
                        (existing, v) => merge(existing, v, sub),
                    },
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (into, part) if into.is_null() => *into = part,
        _ => {}
    }
}

fn merge_lists(xs: &mut Vec<Value>, ys: Vec<Value>, list: &str, tree: &Tree) {
    match identity(list) {
        Some(key) => {
            for y in ys {
                let id = y.get(key).cloned();
                match xs
                    .iter_mut()
                    .find(|x| id.is_some() && x.get(key) == id.as_ref())
                {
                    Some(x) => merge(x, y, tree),
                    None => xs.push(y),
                }
            }
        }
        None => {
            for (i, y) in ys.into_iter().enumerate() {
                match xs.get_mut(i) {
                    Some(x) => merge(x, y, tree),
                    None => xs.push(y),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wide(fields: usize) -> Tree {
        let mut t = Tree::new();
        let names: Vec<String> = (0..fields).map(|i| format!("field{i:03}")).collect();
        for n in &names {
            t.path(&["jobs", "lastBuild"]).leaf(n);
            t.path(&["jobs"]).leaf(n);
        }
        t.path(&["jobs"]).range(0, Some(500));
        t
    }

    #[test]
    fn a_tree_that_fits_stays_one_request() {
        let t = Tree::parse("jobs[name,color,lastBuild[number,result]]");
        assert_eq!(fit(&t, 1_000), vec![t]);
    }

    #[test]
    fn a_long_tree_splits_into_parts_that_fit_and_cover_it() {
        let t = wide(300);
        let room = 2_000;
        let parts = fit(&t, room);
        assert!(parts.len() > 1);
        assert!(
            parts.len() <= 1 + encoded_len(&t) / room + 2,
            "{} parts",
            parts.len()
        );
        let mut union = Tree::new();
        for p in &parts {
            assert!(encoded_len(p) <= room, "{} > {room}", encoded_len(p));
            assert!(
                p.child_tree("jobs").has("name"),
                "each part can be merged by name"
            );
            assert_eq!(
                p.child_tree("jobs").range_end(),
                Some(500),
                "ranges are kept"
            );
            union.merge(p);
        }
        union.path(&["jobs"]).leaf("name");
        let mut whole = t.clone();
        whole.path(&["jobs"]).leaf("name");
        assert_eq!(union, whole);
    }

    #[test]
    fn answers_merge_by_identity_and_position() {
        let tree = Tree::parse("jobs[name,color,lastBuild[number,result],actions[causes]]");
        let mut a = json!({"_class": "root", "jobs": [
            {"name": "x", "color": "blue", "actions": [{}, {"causes": [1]}]},
            {"name": "y", "color": "red"}
        ]});
        let b = json!({"jobs": [
            {"name": "y", "lastBuild": {"number": 2, "result": "FAILURE"}},
            {"name": "x", "lastBuild": null, "actions": [{"a": 1}, {}]},
            {"name": "z", "lastBuild": {"number": 1}}
        ]});
        merge(&mut a, b, &tree);
        assert_eq!(
            a,
            json!({"_class": "root", "jobs": [
                {"name": "x", "color": "blue", "actions": [{"a": 1}, {"causes": [1]}], "lastBuild": null},
                {"name": "y", "color": "red", "lastBuild": {"number": 2, "result": "FAILURE"}},
                {"name": "z", "lastBuild": {"number": 1}}
            ]})
        );
    }
}
