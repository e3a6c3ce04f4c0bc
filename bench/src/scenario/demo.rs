//! The demo world (ci-prod, ci-staging, ci-legacy; standing still, every token valid):
//! the gateway's upstream requests against the naive client's, and against the floor.

use jenkins_sim::World;
use serde::Serialize;

use super::{measure_query, QueryPlan, QueryReport, DASHBOARD_FOLDER_LEVELS};
use crate::config::BenchConfig;
use crate::fleet::Fleet;
use crate::gateway::GatewayProcess;
use crate::measure::NaiveQuery;
use crate::queries::{self, DASHBOARD};

/// Figures of the demo scenario.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Jobs over the three controllers.
    pub jobs: usize,
    /// Dashboard with stages, without stages, the point query.
    pub queries: Vec<QueryReport>,
}

/// The demo controllers' names, in `majordomo demo` order.
const NAMES: [&str; 3] = ["ci-prod", "ci-staging", "ci-legacy"];

/// Run the demo scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<DemoReport> {
    eprintln!(
        "demo world: 3 controllers, {} ms per request",
        cfg.latency_ms
    );
    let worlds = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), World::demo(42, i)))
        .collect();
    let fleet = Fleet::start(worlds, cfg.latency_ms, None).await?;
    let toml = cfg.with_admission(fleet.gateway_toml(None));
    let gw = GatewayProcess::start(&cfg.gateway_bin, &toml).await?;
    let no_stages = queries::dashboard_without_stages();
    let point = queries::point("ci-prod", "release/deploy-production");
    let naive = Some((cfg.naive_samples, None));
    let plans = [
        QueryPlan {
            name: "dashboard",
            query: DASHBOARD,
            naive: NaiveQuery::Dashboard { stages: true },
            folder_levels: DASHBOARD_FOLDER_LEVELS,
            chain: true,
            warm: Some(false),
            fixed_rps: None,
            naive_runs: naive,
        },
        QueryPlan {
            name: "dashboard without stages",
            query: &no_stages,
            naive: NaiveQuery::Dashboard { stages: false },
            folder_levels: DASHBOARD_FOLDER_LEVELS,
            chain: true,
            warm: Some(false),
            fixed_rps: None,
            naive_runs: naive,
        },
        QueryPlan {
            name: "point query",
            query: &point,
            naive: NaiveQuery::Point {
                controller: 0,
                job: "release/deploy-production".into(),
            },
            folder_levels: 0,
            chain: false,
            warm: Some(false),
            fixed_rps: None,
            naive_runs: naive,
        },
    ];
    let mut out = Vec::new();
    for plan in plans {
        out.push(measure_query(cfg, &fleet, &toml, Some(&gw), plan).await?);
    }
    gw.stop().await;
    let jobs = fleet.jobs();
    fleet.shutdown().await;
    Ok(DemoReport { jobs, queries: out })
}
