//! The large world (about 20,000 jobs per controller): the dashboard and the point query
//! cold and warm, at saturation, the point query at a fixed rate, the naive client, and
//! the gateway's memory.

use jenkins_sim::World;
use serde::Serialize;

use super::{measure_query, QueryPlan, QueryReport, DASHBOARD_FOLDER_LEVELS};
use crate::config::BenchConfig;
use crate::fleet::Fleet;
use crate::gateway::{GatewayProcess, Memory};
use crate::load::{self, Latency, WrkResult};
use crate::measure::{self, NaiveQuery};
use crate::queries::{self, ALLOWED_ERRORS, DASHBOARD};

/// Figures of the large-world scenario.
#[derive(Debug, Clone, Serialize)]
pub struct LargeReport {
    /// Controllers, each serving a large world.
    pub controllers: usize,
    /// Jobs over all controllers.
    pub jobs: usize,
    /// The job of the point query.
    pub point_job: String,
    /// Dashboard and point query.
    pub queries: Vec<QueryReport>,
    /// Gateway memory after every run above (its dashboard saturation ran 32 queries at
    /// once).
    pub memory_after_load: Memory,
    /// A second, fresh gateway: its memory idle.
    pub memory_idle: Memory,
    /// … after listing every job (`jobs(first: 1000)`), the dashboard and the point query,
    /// so its cache holds the large world.
    pub memory_cache_filled: Memory,
    /// Jobs `jobs(first: 1000)` counted (`totalCount`).
    pub all_jobs_total: u64,
    /// … then the dashboard at saturation with 4 connections.
    pub dashboard_c4: WrkResult,
    /// … its memory after that.
    pub memory_after_c4: Memory,
    /// The cold dashboard with the adaptive limit's ceiling at 128 instead of 64.
    pub cold_dashboard_at_128: Latency,
    /// The cold dashboard with a fixed limit of 8 (`min_concurrency = max_concurrency = 8`),
    /// as before the limit adapted.
    pub cold_dashboard_fixed_8: Latency,
}

fn plain(name: &str) -> bool {
    name.split('/').all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Run the large-world scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<LargeReport> {
    eprintln!(
        "large world: {} controller(s), {} ms per request; generating…",
        cfg.large_controllers, cfg.latency_ms
    );
    let worlds = tokio::task::spawn_blocking({
        let n = cfg.large_controllers;
        move || {
            (0..n)
                .map(|i| (format!("c{i}"), World::large(7 + i as u64)))
                .collect::<Vec<_>>()
        }
    })
    .await?;
    let fleet = Fleet::start(worlds, cfg.latency_ms, None).await?;
    let point_job = fleet.controllers[0]
        .sim
        .with_world(|w| {
            w.jobs()
                .into_iter()
                .find(|(n, _, j)| n.matches('/').count() == 2 && plain(n) && !j.builds.is_empty())
                .map(|(n, _, _)| n)
        })
        .ok_or_else(|| anyhow::anyhow!("the large world has no job three levels deep"))?;
    eprintln!("  {} jobs; point query on c0 {point_job}", fleet.jobs());
    let toml = cfg.with_admission(fleet.gateway_toml(None));
    let gw = GatewayProcess::start(&cfg.gateway_bin, &toml).await?;
    let point = queries::point("c0", &point_job);
    let clients = Some(cfg.connections);
    let plans = [
        QueryPlan {
            name: "dashboard",
            query: DASHBOARD,
            naive: NaiveQuery::Dashboard { stages: true },
            folder_levels: DASHBOARD_FOLDER_LEVELS,
            chain: true,
            warm: Some(true),
            fixed_rps: None,
            naive_runs: Some((cfg.naive_samples, clients)),
        },
        QueryPlan {
            name: "point query",
            query: &point,
            naive: NaiveQuery::Point {
                controller: 0,
                job: point_job.clone(),
            },
            folder_levels: 0,
            chain: false,
            warm: Some(true),
            fixed_rps: Some(cfg.fixed_rps),
            naive_runs: Some((cfg.naive_samples.max(20), clients)),
        },
    ];
    let mut out = Vec::new();
    for plan in plans {
        out.push(measure_query(cfg, &fleet, &toml, Some(&gw), plan).await?);
    }
    let memory_after_load = gw.memory();
    eprintln!(
        "  dashboard: cold ×{} with the limit's ceiling at 128",
        cfg.cold_samples.min(5)
    );
    let wide = cfg.with_admission(fleet.gateway_toml_with(None, 128));
    let cold_dashboard_at_128 =
        measure::cold(cfg, &fleet, &wide, DASHBOARD, cfg.cold_samples.min(5))
            .await?
            .latency;
    eprintln!(
        "  dashboard: cold ×{} with a fixed limit of 8",
        cfg.cold_samples.min(5)
    );
    let fixed = cfg.with_admission(fleet.gateway_toml_fixed(None, 8));
    let cold_dashboard_fixed_8 =
        measure::cold(cfg, &fleet, &fixed, DASHBOARD, cfg.cold_samples.min(5))
            .await?
            .latency;
    gw.stop().await;
    eprintln!("  memory: a fresh gateway, every job listed, then the dashboard with wrk -c4");
    let gw = GatewayProcess::start(&cfg.gateway_bin, &toml).await?;
    let memory_idle = gw.memory();
    let (all, _) = gw.query(queries::ALL_JOBS, ALLOWED_ERRORS).await?;
    gw.query(DASHBOARD, ALLOWED_ERRORS).await?;
    gw.query(&point, ALLOWED_ERRORS).await?;
    let memory_cache_filled = gw.memory();
    let dashboard_c4 = load::wrk(&cfg.wrk, &gw.url(), DASHBOARD, 4, cfg.load_secs).await?;
    let memory_after_c4 = gw.memory();
    gw.stop().await;
    let jobs = fleet.jobs();
    fleet.shutdown().await;
    Ok(LargeReport {
        controllers: cfg.large_controllers,
        jobs,
        point_job,
        queries: out,
        memory_after_load,
        memory_idle,
        memory_cache_filled,
        all_jobs_total: all["data"]["jobs"]["totalCount"].as_u64().unwrap_or(0),
        dashboard_c4,
        memory_after_c4,
        cold_dashboard_at_128,
        cold_dashboard_fixed_8,
    })
}
