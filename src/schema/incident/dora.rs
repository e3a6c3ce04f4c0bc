//! `deployments` and `dora`: the deployments of every controller the caller may see (or
//! of some), filtered and ordered, and the four DORA metrics computed from them. Both
//! read the same listings (see [`super::deploy::deployments_on`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions};
use futures::future::join_all;

use super::super::load::{now_ms, skip_connection};
use super::super::objects::DeploymentObj;
use super::super::values::{DateTime, DoraDuration, DoraMetrics, DoraRate, Long};
use super::deploy::deployments_on;
use super::figures::{dora, mean, median, DeployFact, Outcome};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::Tree;

/// Days a DORA window spans when `since` is not given.
pub(crate) const DEFAULT_DORA_DAYS: i64 = 30;
const DAY: i64 = 86_400_000;

/// Which deployments a field looks at (its arguments).
#[derive(Default, Debug, Clone)]
pub(crate) struct DeploymentFilter {
    /// Only deployments to this environment (compared without regard to case).
    pub(crate) environment: Option<String>,
    /// Only deployments that started at or after this time.
    pub(crate) since: Option<DateTime>,
    /// Only deployments that started at or before this time.
    pub(crate) until: Option<DateTime>,
    /// Only jobs under this folder (full name), on every connection searched.
    pub(crate) folder: Option<String>,
    /// Only this deploy job (full name).
    pub(crate) job: Option<String>,
}

impl DeploymentFilter {
    fn keeps(&self, d: &DeploymentObj) -> bool {
        let start = d.build.data.timestamp.unwrap_or(0);
        let env_ok = self.environment.as_ref().is_none_or(|e| {
            d.environment
                .as_ref()
                .is_some_and(|x| x.eq_ignore_ascii_case(e))
        });
        env_ok
            && self.since.is_none_or(|s| start >= s.0)
            && self.until.is_none_or(|u| start <= u.0)
            && self.job.as_ref().is_none_or(|j| d.build.job == *j)
    }
}

/// Every deployment on `ups` that `filter` keeps (before its time bounds, which DORA
/// applies itself), newest first, and whether every deploy job's history was read whole.
async fn gather(
    ctx: &Context<'_>,
    ups: &[Arc<Upstream>],
    folder: &str,
    tree: &Tree,
) -> (Vec<DeploymentObj>, bool) {
    let per = join_all(ups.iter().map(|u| deployments_on(ctx, u, folder, tree))).await;
    let mut all = Vec::new();
    let mut whole = true;
    for (found, w) in per.into_iter().filter_map(|r| skip_connection(ctx, r)) {
        all.extend(found);
        whole &= w;
    }
    all.sort_by_key(|d| {
        let b = &d.build.data;
        std::cmp::Reverse((b.timestamp.unwrap_or(0), d.end.unwrap_or(i64::MAX)))
    });
    (all, whole)
}

/// Deployments on `ups` kept by `filter`, newest first, at most `first`.
pub(crate) async fn list_deployments(
    ctx: &Context<'_>,
    ups: &[Arc<Upstream>],
    filter: &DeploymentFilter,
    first: i32,
    tree: &Tree,
) -> Vec<DeploymentObj> {
    let folder = filter.folder.as_deref().unwrap_or("").trim_matches('/');
    let (all, _) = gather(ctx, ups, folder, tree).await;
    all.into_iter()
        .filter(|d| filter.keeps(d))
        .take(first.max(0) as usize)
        .collect()
}

/// How a deployment ended, for DORA.
fn outcome(d: &DeploymentObj) -> Outcome {
    match d.result.as_deref() {
        Some("SUCCESS") => Outcome::Succeeded,
        Some("FAILURE" | "UNSTABLE") => Outcome::Failed,
        _ => Outcome::Other,
    }
}

/// One job's deployments (oldest first) as DORA facts for `env`: each successful one
/// carries the commits of the job's builds since its previous successful deployment to
/// `env` that no earlier one carried there.
fn facts(job: &[&DeploymentObj], env: &str) -> Vec<DeployFact> {
    let mut pending: Vec<(String, i64)> = Vec::new();
    let mut carried: HashSet<String> = HashSet::new();
    let mut read: HashSet<u32> = HashSet::new();
    let mut out = Vec::new();
    for d in job {
        if read.insert(d.build.num()) {
            let commits = d
                .build
                .data
                .all_change_sets()
                .flat_map(|s| s.items.iter().flatten());
            for c in commits {
                let (Some(id), Some(t)) = (c.commit_id.as_ref().or(c.id.as_ref()), c.timestamp)
                else {
                    continue;
                };
                if !pending.iter().any(|(p, _)| p == id) {
                    pending.push((id.clone(), t));
                }
            }
        }
        if !d
            .environment
            .as_ref()
            .is_some_and(|e| e.eq_ignore_ascii_case(env))
        {
            continue;
        }
        let outcome = outcome(d);
        let commit_times = if outcome == Outcome::Succeeded {
            pending
                .drain(..)
                .filter(|(id, _)| carried.insert(id.clone()))
                .map(|(_, t)| t)
                .collect()
        } else {
            Vec::new()
        };
        out.push(DeployFact {
            outcome,
            start: d.build.data.timestamp.unwrap_or(0),
            end: d.end,
            commit_times,
        });
    }
    out
}

fn duration(xs: &[i64], deployments: usize) -> DoraDuration {
    DoraDuration {
        median: median(xs).map(Long),
        mean: mean(xs).map(Long),
        samples: xs.len() as i32,
        deployments: deployments as i32,
    }
}

/// The DORA metrics of `filter.environment` on `ups` over `[since, until]` (the last
/// [`DEFAULT_DORA_DAYS`] days by default).
pub(crate) async fn dora_metrics(
    ctx: &Context<'_>,
    ups: &[Arc<Upstream>],
    filter: &DeploymentFilter,
    tree: &Tree,
) -> async_graphql::Result<DoraMetrics> {
    let Some(env) = filter.environment.clone().filter(|e| !e.trim().is_empty()) else {
        return Err(GatewayError::BadArgument("DORA metrics need an environment".into()).extend());
    };
    let until = filter.until.map_or_else(now_ms, |u| u.0);
    let since = filter
        .since
        .map_or(until - DEFAULT_DORA_DAYS * DAY, |s| s.0);
    if since >= until {
        return Err(GatewayError::BadArgument("since must be before until".into()).extend());
    }
    let folder = filter.folder.as_deref().unwrap_or("").trim_matches('/');
    let (all, whole) = gather(ctx, ups, folder, tree).await;
    let mut jobs: BTreeMap<(String, String), Vec<&DeploymentObj>> = BTreeMap::new();
    for d in all
        .iter()
        .filter(|d| filter.job.as_ref().is_none_or(|j| d.build.job == *j))
    {
        let key = (d.build.up.name.to_string(), d.build.job.clone());
        jobs.entry(key).or_default().push(d);
    }
    let grouped: Vec<Vec<DeployFact>> = jobs
        .into_values()
        .map(|mut ds| {
            ds.sort_by_key(|d| (d.build.num(), d.end.unwrap_or(i64::MAX)));
            facts(&ds, &env)
        })
        .collect();
    let d = dora(&grouped, since, until);
    Ok(DoraMetrics {
        environment: env,
        since: DateTime(since),
        until: DateTime(until),
        deployments: d.deployments as i32,
        deployment_frequency: DoraRate {
            value: d.per_day,
            deployments: d.successes as i32,
        },
        lead_time: duration(&d.lead_times, d.lead_deployments),
        change_failure_rate: DoraRate {
            value: (d.deployments > 0).then(|| d.failures as f64 / d.deployments as f64),
            deployments: d.deployments as i32,
        },
        time_to_restore: duration(&d.restores, d.restore_deployments),
        complete: whole,
    })
}
