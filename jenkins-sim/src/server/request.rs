//! A request in Jenkins' URL space: its parameters and path, and the item the path names.

use axum::http::{HeaderMap, Method};

use crate::world::{branch_item_name, Item, World};

/// Decode `%HH` only, as Stapler decodes path tokens (`+` stays `+`).
fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Servlet-style query parameters (`+` is a space).
pub(super) fn query_params(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

pub(super) struct Req<'a> {
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
    pub(super) params: Vec<(String, String)>,
    pub(super) headers: &'a HeaderMap,
}

impl Req<'_> {
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub(super) fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(k, _)| k == name)
    }
}

pub(super) fn segments(path: &str) -> Vec<String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return vec![];
    }
    trimmed.split('/').map(decode_segment).collect()
}

/// Resolve `job/a/job/b/...` to an item; returns (item, full name, rest of the path).
pub(super) fn resolve<'w>(world: &'w World, segs: &[String]) -> Option<(&'w Item, String, usize)> {
    let mut items = &world.items;
    let mut found: Option<(&Item, String)> = None;
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "job" {
        let name = &segs[i + 1];
        let multibranch = found
            .as_ref()
            .is_some_and(|(it, _)| matches!(it, Item::Multibranch(_)));
        let item = items.iter().find(|it| it.name() == name).or_else(|| {
            // MultiBranchProject.getItem also accepts the decoded branch name.
            multibranch
                .then(|| items.iter().find(|it| it.name() == branch_item_name(name)))
                .flatten()
        })?;
        let full = match &found {
            Some((_, parent)) => format!("{parent}/{}", item.name()),
            None => item.name().to_string(),
        };
        items = match item.as_folder() {
            Some((_, f)) => &f.items,
            None => &EMPTY,
        };
        found = Some((item, full));
        i += 2;
    }
    found.map(|(it, full)| (it, full, i))
}

static EMPTY: Vec<Item> = Vec::new();
