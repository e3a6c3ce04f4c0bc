//! The scenarios of a run: the demo world against the naive client, the large world under
//! load, the scaling series, the steady state over a live world, subscribers to live build
//! events, a soak under faults, what telemetry costs, replicas sharing one Redis, and the
//! gateway's memory and speed on the large warm dashboard (against a baseline build).

pub mod demo;
pub mod large;
pub mod live;
pub mod memory;
pub mod replicas;
pub mod scaling;
pub mod soak;
pub mod steady;
pub mod telemetry;

use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::{Fleet, RequestCounts};
use crate::load::Latency;
use crate::measure::{self, Chain, Naive, NaiveQuery, Warm};

/// Everything measured about one query on one set of controllers.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// Which query.
    pub name: String,
    /// Controllers behind the gateway.
    pub controllers: usize,
    /// Jobs in the answer (dashboards) or 1.
    pub jobs_in_answer: usize,
    /// Runs whose stages the answer holds.
    pub runs_with_stages: usize,
    /// Upstream requests of one cold query, by kind.
    pub cold_upstream: RequestCounts,
    /// Whether every cold sample cost the same.
    pub cold_upstream_stable: bool,
    /// The floor: one request per folder level per controller plus one
    /// `wfapi/describe` per run whose stages were asked for.
    pub floor: usize,
    /// Cold latency: the first query of a fresh gateway process.
    pub cold: Latency,
    /// The round-trip chain a cold query cannot beat.
    pub chain: Option<Chain>,
    /// Warm figures.
    pub warm: Option<Warm>,
    /// The naive client on the same controllers.
    pub naive: Option<Naive>,
}

impl QueryReport {
    /// Naive upstream requests per gateway cold upstream request.
    pub fn upstream_ratio(&self) -> Option<f64> {
        self.naive
            .as_ref()
            .map(|n| n.upstream_per_query / self.cold_upstream.total.max(1) as f64)
    }
}

/// How a query is measured.
pub struct QueryPlan<'a> {
    /// Label.
    pub name: &'a str,
    /// GraphQL text.
    pub query: &'a str,
    /// What the naive client does for it.
    pub naive: NaiveQuery,
    /// Folder levels it reads (for the floor); 0 for a point query (floor 1).
    pub folder_levels: usize,
    /// Time the round-trip chain.
    pub chain: bool,
    /// Measure warm (sequential), and also with `wrk` at saturation.
    pub warm: Option<bool>,
    /// Fixed request rate of the warm run.
    pub fixed_rps: Option<u64>,
    /// Naive samples, and naive clients at saturation.
    pub naive_runs: Option<(usize, Option<usize>)>,
}

/// Measure one query: cold on fresh processes, then warm on `warm_gw` (when given), then
/// the naive client.
pub async fn measure_query(
    cfg: &BenchConfig,
    fleet: &Fleet,
    toml: &str,
    warm_gw: Option<&crate::gateway::GatewayProcess>,
    plan: QueryPlan<'_>,
) -> anyhow::Result<QueryReport> {
    eprintln!("  {}: cold ×{}", plan.name, cfg.cold_samples);
    let cold = measure::cold(cfg, fleet, toml, plan.query, cfg.cold_samples).await?;
    let runs = measure::stage_runs(&cold.response);
    let is_dashboard = plan.folder_levels > 0;
    let floor = if is_dashboard {
        plan.folder_levels * fleet.controllers.len() + runs
    } else {
        1
    };
    let chain = if plan.chain {
        Some(measure::chain(fleet, &cold).await?)
    } else {
        None
    };
    let warm = match (warm_gw, plan.warm) {
        (Some(gw), Some(saturate)) => {
            eprintln!("  {}: warm", plan.name);
            Some(measure::warm(cfg, fleet, gw, plan.query, saturate, plan.fixed_rps).await?)
        }
        _ => None,
    };
    let naive = match plan.naive_runs {
        Some((samples, clients)) => {
            eprintln!("  {}: naive ×{samples}", plan.name);
            Some(measure::naive(cfg, fleet, &plan.naive, samples, clients).await?)
        }
        None => None,
    };
    Ok(QueryReport {
        name: plan.name.to_string(),
        controllers: fleet.controllers.len(),
        jobs_in_answer: if is_dashboard {
            measure::dashboard_jobs(&cold.response)
        } else {
            1
        },
        runs_with_stages: runs,
        cold_upstream: cold.counts,
        cold_upstream_stable: cold.stable,
        floor,
        cold: cold.latency,
        chain,
        warm,
        naive,
    })
}

/// Folder levels the dashboard reads: the root and the top-level folders.
pub const DASHBOARD_FOLDER_LEVELS: usize = 2;
