//! `jobs(filter, first, after)`: jobs across controllers, found through recursive
//! listings, filtered and paged by cursor.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, InputObject};
use futures::future::join_all;

use super::convert::{is_building, job_kind, job_status, last_result_of};
use super::ids::Cursor;
use super::load::{all_jobs, skip_connection};
use super::objects::{JobObj, JobPage};
use super::values::{BuildResultEnum, JobKind, JobStatus, PageInfo};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::planner::{self, MAX_PAGE};

/// Which jobs `jobs(filter)` returns. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub(crate) struct JobFilter {
    /// Glob on the name or full name (`*` any run, `?` one character; case-insensitive).
    /// Without wildcards it matches a substring.
    pub(crate) name_pattern: Option<String>,
    /// Job status (from the color) is one of these.
    pub(crate) status: Option<Vec<JobStatus>>,
    /// The last completed build's result is one of these.
    pub(crate) last_result: Option<Vec<BuildResultEnum>>,
    /// Only jobs inside this folder (full name), at any depth.
    pub(crate) folder: Option<String>,
    /// Only these connections.
    pub(crate) connections: Option<Vec<String>>,
    /// Only these kinds of job.
    pub(crate) kinds: Option<Vec<JobKind>>,
    /// Only jobs that are (or are not) building now.
    pub(crate) building: Option<bool>,
}

/// Whether `text` matches `pattern`: a glob (`*`, `?`) when it has wildcards, else a
/// substring; case-insensitive either way.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    if !p.iter().any(|c| *c == '*' || *c == '?') {
        return text.to_lowercase().contains(&pattern.to_lowercase());
    }
    // Iterative wildcard match with backtracking on the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl JobFilter {
    fn accepts(&self, job: &JobObj) -> bool {
        let d = &job.data;
        if let Some(p) = &self.name_pattern {
            let name = d.name.as_deref().unwrap_or("");
            if !glob(p, name) && !glob(p, &job.full_name) {
                return false;
            }
        }
        if let Some(s) = &self.status {
            if !s.contains(&job_status(d.color.as_deref())) {
                return false;
            }
        }
        if let Some(r) = &self.last_result {
            match last_result_of(d.color.as_deref()) {
                Some(x) if r.contains(&x) => {}
                _ => return false,
            }
        }
        if let Some(k) = &self.kinds {
            if !k.contains(&job_kind(d.class.as_deref())) {
                return false;
            }
        }
        if let Some(b) = self.building {
            if is_building(d.color.as_deref()) != b {
                return false;
            }
        }
        true
    }
}

/// `jobs(filter, first, after)` over some connections.
pub(crate) async fn search_jobs(
    ctx: &Context<'_>,
    ups: Vec<Arc<Upstream>>,
    filter: JobFilter,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<JobPage> {
    let first = first.clamp(0, MAX_PAGE) as usize;
    let after = match after {
        Some(c) => Some(match Cursor::decode(&c) {
            Some(Cursor::Job(conn, name)) => (conn, name),
            _ => return Err(GatewayError::BadCursor(c).extend()),
        }),
        None => None,
    };
    let nodes_sel = planner::page_nodes(&ctx.field());
    let tree = planner::search_tree(&nodes_sel);
    let folder = filter
        .folder
        .clone()
        .unwrap_or_default()
        .trim_matches('/')
        .to_string();
    let ups: Vec<Arc<Upstream>> = ups
        .into_iter()
        .filter(|u| {
            filter
                .connections
                .as_ref()
                .is_none_or(|c| c.iter().any(|n| n.as_str() == &*u.name))
        })
        .collect();
    let lists = join_all(ups.iter().map(|u| all_jobs(ctx, u, &folder, &tree))).await;
    let mut matched: Vec<JobObj> = Vec::new();
    for list in lists {
        if let Some(list) = skip_connection(ctx, list) {
            matched.extend(list.into_iter().filter(|j| filter.accepts(j)));
        }
    }
    let total = matched.len();
    let order = |j: &JobObj| {
        ups.iter()
            .position(|u| Arc::ptr_eq(u, &j.up))
            .unwrap_or(usize::MAX)
    };
    let start = match &after {
        Some((conn, name)) => {
            let conn_pos = ups
                .iter()
                .position(|u| &*u.name == conn)
                .unwrap_or(usize::MAX);
            matched
                .iter()
                .position(|j| (order(j), j.full_name.as_str()) > (conn_pos, name.as_str()))
                .unwrap_or(matched.len())
        }
        None => 0,
    };
    let page: Vec<JobObj> = matched.into_iter().skip(start).take(first + 1).collect();
    let has_next_page = page.len() > first;
    let nodes: Vec<JobObj> = page.into_iter().take(first).collect();
    let end_cursor = nodes
        .last()
        .map(|j| Cursor::Job(j.up.name.to_string(), j.full_name.clone()).encode());
    Ok(JobPage {
        nodes,
        page_info: PageInfo {
            has_next_page,
            end_cursor,
        },
        total_count: total as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("api", "platform/api-server"));
        assert!(glob("*-server", "api-server"));
        assert!(glob("plat*/api-?erver", "platform/api-server"));
        assert!(!glob("*-worker", "api-server"));
        assert!(glob("API*", "api-server"));
    }
}
