//! The planner: turns what a GraphQL query selected into Jenkins `tree=` expressions.
//!
//! A resolver that lists jobs or builds hands its selection set to the planner and
//! gets back the exact nested `tree=` that fetches every field the query needs, in one
//! request. The rendered tree is canonical (sorted, no whitespace, at most one range per
//! node, placed after the brackets), so identical selections give identical upstream
//! requests, which the cache then coalesces.

use std::collections::BTreeMap;

use async_graphql::SelectionField;

/// Builds are fetched through `builds` (the newest 100) unless a page goes past it.
pub const BUILDS_WINDOW: u32 = 100;

/// How deep one recursive listing request descends into folders.
pub const LISTING_DEPTH: usize = 4;

/// A `tree=` expression under construction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TreeSpec {
    children: BTreeMap<String, TreeSpec>,
    range: Option<(u32, Option<u32>)>,
}

impl TreeSpec {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Select a leaf field.
    pub fn leaf(&mut self, name: &str) -> &mut Self {
        self.children.entry(name.to_string()).or_default();
        self
    }

    /// Select several leaf fields.
    pub fn leaves(&mut self, names: &[&str]) -> &mut Self {
        for n in names {
            self.leaf(n);
        }
        self
    }

    /// Select a field with children; returns the child to fill.
    pub fn child(&mut self, name: &str) -> &mut TreeSpec {
        self.children.entry(name.to_string()).or_default()
    }

    /// Limit a collection node to `[min, max)` (Jenkins' `{M,N}`).
    pub fn range(&mut self, min: u32, max: Option<u32>) -> &mut Self {
        self.range = Some((min, max));
        self
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Merge another tree into this one (ranges: the wider wins).
    pub fn merge(&mut self, other: &TreeSpec) {
        for (k, v) in &other.children {
            self.children.entry(k.clone()).or_default().merge(v);
        }
        self.range = match (self.range, other.range) {
            (None, r) | (r, None) => r,
            (Some((a, x)), Some((b, y))) => Some((a.min(b), x.zip(y).map(|(x, y)| x.max(y)))),
        };
    }

    /// Parse a tree this module rendered (`a,b[c,d]{0,5}`), so that trees of keys batched
    /// together can be merged. Returns `None` for anything it did not render.
    pub fn parse(text: &str) -> Option<TreeSpec> {
        fn list(chars: &[char], pos: &mut usize, t: &mut TreeSpec) -> Option<()> {
            loop {
                let start = *pos;
                while *pos < chars.len() && !matches!(chars[*pos], ',' | '[' | ']' | '{' | '}') {
                    *pos += 1;
                }
                let name: String = chars[start..*pos].iter().collect();
                if name.is_empty() {
                    return None;
                }
                let child = t.child(&name);
                if chars.get(*pos) == Some(&'[') {
                    *pos += 1;
                    list(chars, pos, child)?;
                    if chars.get(*pos) != Some(&']') {
                        return None;
                    }
                    *pos += 1;
                }
                if chars.get(*pos) == Some(&'{') {
                    let end = chars[*pos..].iter().position(|c| *c == '}')? + *pos;
                    let range: String = chars[*pos + 1..end].iter().collect();
                    let (min, max) = range.split_once(',')?;
                    let max = if max.is_empty() {
                        None
                    } else {
                        Some(max.parse().ok()?)
                    };
                    child.range(min.parse().ok()?, max);
                    *pos = end + 1;
                }
                if chars.get(*pos) == Some(&',') {
                    *pos += 1;
                } else {
                    return Some(());
                }
            }
        }
        let chars: Vec<char> = text.chars().collect();
        let mut t = TreeSpec::new();
        let mut pos = 0;
        list(&chars, &mut pos, &mut t)?;
        (pos == chars.len()).then_some(t)
    }

    /// Render as Jenkins expects: `a,b[c,d]{0,5}`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        let mut first = true;
        for (name, child) in &self.children {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(name);
            if !child.children.is_empty() {
                out.push('[');
                child.render_into(out);
                out.push(']');
            }
            if let Some((min, max)) = child.range {
                match max {
                    Some(max) => out.push_str(&format!("{{{min},{max}}}")),
                    None => out.push_str(&format!("{{{min},}}")),
                }
            }
        }
    }
}

/// The fields of a change set item we read.
fn change_items(t: &mut TreeSpec) {
    t.child("items").leaves(&[
        "commitId",
        "msg",
        "comment",
        "timestamp",
        "authorEmail",
        "affectedPaths",
    ]);
    t.child("items")
        .child("author")
        .leaves(&["fullName", "absoluteUrl"]);
    t.child("items")
        .child("paths")
        .leaves(&["editType", "file"]);
    t.leaf("kind");
}

/// Jenkins fields a Build selection needs.
pub fn build_fields(sel: &[SelectionField<'_>], t: &mut TreeSpec) {
    t.leaves(&["number", "url"]);
    for f in sel {
        match f.name() {
            "displayName" => {
                t.leaf("displayName");
            }
            "result" | "status" | "building" => {
                t.leaves(&["result", "building"]);
            }
            "timestamp" => {
                t.leaf("timestamp");
            }
            "duration" => {
                t.leaves(&["duration", "building", "timestamp"]);
            }
            "estimatedDuration" => {
                t.leaf("estimatedDuration");
            }
            "description" => {
                t.leaf("description");
            }
            "queueId" => {
                t.leaf("queueId");
            }
            "keepLog" => {
                t.leaf("keepLog");
            }
            "builtOn" => {
                t.leaf("builtOn");
            }
            "causes" => {
                t.child("actions").child("causes").leaves(&[
                    "shortDescription",
                    "userId",
                    "userName",
                    "upstreamProject",
                    "upstreamBuild",
                    "upstreamUrl",
                    "addr",
                    "note",
                ]);
            }
            "parameters" => {
                t.child("actions")
                    .child("parameters")
                    .leaves(&["name", "value"]);
            }
            "changes" => {
                change_items(t.child("changeSet"));
                change_items(t.child("changeSets"));
            }
            "culprits" => {
                t.child("culprits").leaves(&["fullName", "absoluteUrl"]);
            }
            "artifacts" => {
                t.child("artifacts")
                    .leaves(&["fileName", "relativePath", "displayPath"]);
            }
            "testSummary" => {
                t.child("actions")
                    .leaves(&["failCount", "skipCount", "totalCount", "urlName"]);
            }
            "revision" => {
                let a = t.child("actions");
                a.child("lastBuiltRevision").leaf("SHA1");
                a.child("lastBuiltRevision").child("branch").leaf("name");
                a.leaf("remoteUrls");
            }
            _ => {}
        }
    }
}

/// Jenkins fields of a build-list selection (`lastBuild { … }` and friends).
fn nested_build(f: &SelectionField<'_>) -> TreeSpec {
    let mut t = TreeSpec::new();
    let children: Vec<_> = f.selection_set().collect();
    build_fields(&children, &mut t);
    t
}

/// Jenkins fields a Job (or Folder, or Item) selection needs, nested children included.
///
/// `depth` bounds how many folder levels of `items`/`jobs` selections are folded into
/// this one request.
pub fn item_fields(sel: &[SelectionField<'_>], t: &mut TreeSpec, depth: usize) {
    t.leaves(&["name", "url"]);
    for f in sel {
        match f.name() {
            "fullName" | "id" | "parent" | "connection" => {
                t.leaf("fullName");
            }
            "displayName" => {
                t.leaf("displayName");
            }
            "fullDisplayName" => {
                t.leaf("fullDisplayName");
            }
            "description" => {
                t.leaf("description");
            }
            "color" | "status" => {
                t.leaf("color");
            }
            "buildable" => {
                t.leaf("buildable");
            }
            "disabled" => {
                t.leaves(&["disabled", "color"]);
            }
            "inQueue" => {
                t.leaf("inQueue");
            }
            "nextBuildNumber" => {
                t.leaf("nextBuildNumber");
            }
            "labelExpression" => {
                t.leaf("labelExpression");
            }
            "health" => {
                t.child("healthReport")
                    .leaves(&["score", "description", "iconClassName"]);
            }
            "parameters" | "parameterDefinitions" => {
                let defs = t.child("property").child("parameterDefinitions");
                defs.leaves(&["name", "type", "description", "choices"]);
                defs.child("defaultParameterValue").leaf("value");
            }
            "queueItem" => {
                t.child("queueItem").leaves(&[
                    "id",
                    "why",
                    "blocked",
                    "buildable",
                    "stuck",
                    "inQueueSince",
                    "params",
                ]);
            }
            "lastBuild"
            | "lastSuccessfulBuild"
            | "lastFailedBuild"
            | "lastCompletedBuild"
            | "lastStableBuild"
            | "lastUnstableBuild"
            | "lastUnsuccessfulBuild"
            | "firstBuild" => {
                let nb = nested_build(f);
                t.child(f.name()).merge(&nb);
            }
            "builds" => {
                if let Some(first) = simple_builds_page(f) {
                    let mut nb = TreeSpec::new();
                    for edge_or_node in f.selection_set() {
                        collect_page_nodes(&edge_or_node, &mut nb);
                    }
                    nb.leaves(&["number", "url"]);
                    let c = t.child("builds");
                    c.merge(&nb);
                    let cur = c.range.and_then(|(_, m)| m).unwrap_or(0);
                    c.range(0, Some(cur.max(first + 1)));
                }
            }
            "trend" => {
                let last = arg_u32(f, "last").unwrap_or(20).min(BUILDS_WINDOW);
                let c = t.child("builds");
                c.leaves(&["number", "result", "building", "duration", "timestamp"]);
                let cur = c.range.and_then(|(_, m)| m).unwrap_or(0);
                c.range(0, Some(cur.max(last)));
            }
            "items" | "jobs" | "folders" if depth > 0 => {
                let children: Vec<_> = f.selection_set().collect();
                let nodes = page_nodes_or_self(&children);
                let mut ct = TreeSpec::new();
                item_fields(&nodes, &mut ct, depth - 1);
                t.child("jobs").merge(&ct);
            }
            _ => {}
        }
    }
}

/// For connection-style pages (`edges { node }`, `nodes`), the node selections; else the list itself.
fn page_nodes_or_self<'a>(sel: &[SelectionField<'a>]) -> Vec<SelectionField<'a>> {
    let mut out = Vec::new();
    let mut paged = false;
    for f in sel {
        match f.name() {
            "nodes" => {
                paged = true;
                out.extend(f.selection_set());
            }
            "edges" => {
                paged = true;
                for e in f.selection_set() {
                    if e.name() == "node" {
                        out.extend(e.selection_set());
                    }
                }
            }
            "pageInfo" | "totalCount" => paged = true,
            _ => {}
        }
    }
    if paged {
        out
    } else {
        sel.to_vec()
    }
}

fn collect_page_nodes(f: &SelectionField<'_>, t: &mut TreeSpec) {
    let sel: Vec<_> = match f.name() {
        "nodes" => f.selection_set().collect(),
        "edges" => f
            .selection_set()
            .filter(|e| e.name() == "node")
            .flat_map(|e| e.selection_set().collect::<Vec<_>>())
            .collect(),
        _ => return,
    };
    build_fields(&sel, t);
}

/// Node selections of a page field (`edges { node }` / `nodes`).
pub fn page_node_selection<'a>(f: &SelectionField<'a>) -> Vec<SelectionField<'a>> {
    let children: Vec<_> = f.selection_set().collect();
    page_nodes_or_self(&children)
}

fn arg_u32(f: &SelectionField<'_>, name: &str) -> Option<u32> {
    let args = f.arguments().ok()?;
    args.iter()
        .find(|(n, _)| n.as_str() == name)
        .and_then(|(_, v)| match v {
            async_graphql::Value::Number(n) => {
                n.as_u64().map(|n| n.min(u64::from(u32::MAX)) as u32)
            }
            _ => None,
        })
}

fn has_arg(f: &SelectionField<'_>, name: &str) -> bool {
    f.arguments()
        .map(|a| {
            a.iter()
                .any(|(n, v)| n.as_str() == name && *v != async_graphql::Value::Null)
        })
        .unwrap_or(false)
}

/// `builds(first: N)` with no cursor and no filter within the 100-build window can ride
/// along in its parent's request; anything else is fetched on its own.
fn simple_builds_page(f: &SelectionField<'_>) -> Option<u32> {
    if has_arg(f, "before") || has_arg(f, "result") {
        return None;
    }
    let first = arg_u32(f, "first").unwrap_or(DEFAULT_BUILDS_PAGE);
    (first < BUILDS_WINDOW).then_some(first)
}

/// Builds per page when `first` is not given.
pub const DEFAULT_BUILDS_PAGE: u32 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_canonically() {
        let mut t = TreeSpec::new();
        t.leaves(&["url", "name"]);
        t.child("lastBuild").leaves(&["result", "number"]);
        t.child("builds").leaf("number").range(0, Some(5));
        assert_eq!(
            t.render(),
            "builds[number]{0,5},lastBuild[number,result],name,url"
        );
    }

    #[test]
    fn merge_widens_ranges() {
        let mut a = TreeSpec::new();
        a.child("builds").leaf("number").range(0, Some(5));
        let mut b = TreeSpec::new();
        b.child("builds").leaf("result").range(0, Some(20));
        a.merge(&b);
        assert_eq!(a.render(), "builds[number,result]{0,20}");
    }

    #[test]
    fn parses_what_it_renders() {
        for text in [
            "a",
            "builds[number,result]{0,20},name",
            "jobs[jobs[name],name]",
            "allBuilds[number]{100,}",
        ] {
            let t = TreeSpec::parse(text).expect(text);
            assert_eq!(t.render(), text);
        }
        assert!(TreeSpec::parse("a[").is_none());
        assert!(TreeSpec::parse("").is_none());
        assert!(TreeSpec::parse("a,,b").is_none());
    }

    #[test]
    fn open_range() {
        let mut t = TreeSpec::new();
        t.child("allBuilds").leaf("number").range(100, None);
        assert_eq!(t.render(), "allBuilds[number]{100,}");
    }
}
