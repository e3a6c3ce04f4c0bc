//! [`Tree`]: a Jenkins `tree=` expression as a value.
//!
//! The planner builds trees; the client renders them into URLs. A tree renders
//! canonically (children sorted, no whitespace, at most one range per node, placed after
//! the brackets, as Jenkins requires), and equal selections are equal values, so loader
//! keys and cache keys built from trees coalesce.

use std::collections::BTreeMap;
use std::fmt;

/// A `tree=` expression: named children, each with its own children and an optional
/// `{min,max}` range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Tree {
    children: BTreeMap<String, Tree>,
    range: Option<(u32, Option<u32>)>,
}

/// What an absent child is.
static EMPTY: Tree = Tree {
    children: BTreeMap::new(),
    range: None,
};

impl Tree {
    /// An empty tree.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Select a leaf field.
    pub(crate) fn leaf(&mut self, name: &str) -> &mut Self {
        self.children.entry(name.to_string()).or_default();
        self
    }

    /// Select several leaf fields.
    pub(crate) fn leaves(&mut self, names: &[&str]) -> &mut Self {
        for n in names {
            self.leaf(n);
        }
        self
    }

    /// Select a field with children; returns the child to fill.
    pub(crate) fn child(&mut self, name: &str) -> &mut Tree {
        self.children.entry(name.to_string()).or_default()
    }

    /// Select a chain of fields (`a[b[c]]`); returns the innermost.
    pub(crate) fn path(&mut self, names: &[&str]) -> &mut Tree {
        names.iter().fold(self, |t, n| t.child(n))
    }

    /// Limit a collection node to `[min, max)` (Jenkins' `{M,N}`; `max` open when `None`).
    pub(crate) fn range(&mut self, min: u32, max: Option<u32>) -> &mut Self {
        self.range = Some((min, max));
        self
    }

    /// The end of this node's range, when it has one.
    pub(crate) fn range_end(&self) -> Option<u32> {
        self.range.and_then(|(_, max)| max)
    }

    /// Whether nothing is selected.
    pub(crate) fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Whether `name` is selected at the top.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.children.contains_key(name)
    }

    /// The selected children, in canonical order.
    pub(crate) fn children(&self) -> impl Iterator<Item = (&str, &Tree)> {
        self.children.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The child `name`, or an empty tree when it is not selected.
    pub(crate) fn child_tree(&self, name: &str) -> &Tree {
        self.children.get(name).unwrap_or(&EMPTY)
    }

    /// Select `name` with exactly `child` below it.
    pub(crate) fn set_child(&mut self, name: &str, child: Tree) {
        self.children.insert(name.to_string(), child);
    }

    /// This tree without its range.
    pub(crate) fn without_range(&self) -> Tree {
        Tree {
            children: self.children.clone(),
            range: None,
        }
    }

    /// This tree with the range of `other`.
    pub(crate) fn with_range_of(mut self, other: &Tree) -> Tree {
        self.range = other.range;
        self
    }

    /// An empty tree with this one's range.
    pub(crate) fn with_only_range(&self) -> Tree {
        Tree {
            children: BTreeMap::new(),
            range: self.range,
        }
    }

    /// Merge another tree into this one (ranges: the wider wins).
    pub(crate) fn merge(&mut self, other: &Tree) -> &mut Self {
        for (k, v) in &other.children {
            self.children.entry(k.clone()).or_default().merge(v);
        }
        self.range = match (self.range, other.range) {
            (None, r) | (r, None) => r,
            (Some((a, x)), Some((b, y))) => Some((a.min(b), x.zip(y).map(|(x, y)| x.max(y)))),
        };
        self
    }

    /// Whether every field `other` selects (at any depth) is selected here too; ranges
    /// are not compared.
    pub(crate) fn covers(&self, other: &Tree) -> bool {
        other.children.iter().all(|(name, theirs)| {
            self.children
                .get(name)
                .is_some_and(|ours| ours.covers(theirs))
        })
    }

    /// Render as Jenkins expects: `a,b[c,d]{0,5}`.
    pub(crate) fn render(&self) -> String {
        self.to_string()
    }

    /// Parse what [`Tree::render`] writes; for tests that state trees as text.
    #[cfg(test)]
    pub(crate) fn parse(text: &str) -> Tree {
        fn list(chars: &[char], pos: &mut usize, t: &mut Tree) {
            loop {
                let start = *pos;
                while *pos < chars.len() && !matches!(chars[*pos], ',' | '[' | ']' | '{' | '}') {
                    *pos += 1;
                }
                let name: String = chars[start..*pos].iter().collect();
                let child = t.child(&name);
                if chars.get(*pos) == Some(&'[') {
                    *pos += 1;
                    list(chars, pos, child);
                    *pos += 1;
                }
                if chars.get(*pos) == Some(&'{') {
                    let end = chars[*pos..]
                        .iter()
                        .position(|c| *c == '}')
                        .map_or(chars.len(), |e| e + *pos);
                    let range: String = chars[*pos + 1..end].iter().collect();
                    let (min, max) = range.split_once(',').unwrap_or((&range, ""));
                    child.range(min.parse().unwrap_or(0), max.parse().ok());
                    *pos = end + 1;
                }
                if chars.get(*pos) == Some(&',') {
                    *pos += 1;
                } else {
                    return;
                }
            }
        }
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut t = Tree::new();
        if !chars.is_empty() {
            list(&chars, &mut 0, &mut t);
        }
        t
    }
}

impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, child)) in self.children.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
            if !child.children.is_empty() {
                write!(f, "[{child}]")?;
            }
            match child.range {
                Some((min, Some(max))) => write!(f, "{{{min},{max}}}")?,
                Some((min, None)) => write!(f, "{{{min},}}")?,
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_canonically() {
        let mut t = Tree::new();
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
        let mut a = Tree::new();
        a.child("builds").leaf("number").range(0, Some(5));
        let mut b = Tree::new();
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
            assert_eq!(Tree::parse(text).render(), text);
        }
    }

    #[test]
    fn covers_compares_selections() {
        let big = Tree::parse("a,b[c,d[e]],f");
        assert!(big.covers(&Tree::parse("b[d[e]],f")));
        assert!(big.covers(&Tree::new()));
        assert!(!big.covers(&Tree::parse("b[x]")));
        assert!(!Tree::parse("b").covers(&Tree::parse("b[c]")));
    }

    #[test]
    fn paths_nest() {
        let mut t = Tree::new();
        t.path(&["actions", "causes"]).leaf("userId");
        t.path(&["actions"]).leaf("failCount");
        assert_eq!(t.render(), "actions[causes[userId],failCount]");
    }
}
