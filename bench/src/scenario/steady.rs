//! Steady state: dashboard users refreshing on a schedule over a live world whose builds
//! finish at a steady rate; upstream requests per second through the gateway against the
//! same users polling directly with the naive client.
//!
//! The real schedule (50 users every 10 s, listings cached 5 s, volatile data 1 s) is run
//! shortened and proportional: users refresh every `period`, and both cache lifetimes are
//! scaled by `period / 10 s`, so each refresh meets the cache in the same state it would
//! in real time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use jenkins_sim::{LiveConfig, World};
use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::{Fleet, RequestCounts};
use crate::gateway::GatewayProcess;
use crate::load::Latency;
use crate::naive::NaiveFleet;
use crate::queries::{ALLOWED_ERRORS, DASHBOARD};

/// The real refresh period the schedule stands for.
const REAL_PERIOD: Duration = Duration::from_secs(10);

/// One phase: one kind of client, a number of users, one build rate.
#[derive(Debug, Clone, Serialize)]
pub struct SteadyPhase {
    /// `gateway` or `naive`.
    pub client: String,
    /// Dashboard users.
    pub users: usize,
    /// Mean seconds between triggered builds, per controller.
    pub trigger_every_secs: f64,
    /// Measured seconds.
    pub secs: f64,
    /// Dashboards answered in the window.
    pub dashboards: u64,
    /// Builds that finished in the window, per second (all controllers).
    pub finished_builds_per_sec: f64,
    /// Upstream requests per second (all controllers).
    pub upstream_rps: f64,
    /// Upstream requests in the window, by kind.
    pub upstream: RequestCounts,
    /// Upstream requests per finished build.
    pub upstream_per_finished_build: f64,
    /// Dashboard latency seen by the users.
    pub latency: Latency,
}

/// The steady-state figures.
#[derive(Debug, Clone, Serialize)]
pub struct SteadyReport {
    /// How often each user refreshes, s (stands for 10 s).
    pub period_secs: f64,
    /// The scaled listing lifetime, ms (stands for 5,000).
    pub listing_ttl_ms: u64,
    /// The scaled volatile lifetime, ms (stands for 1,000).
    pub volatile_ttl_ms: u64,
    /// Seconds a build runs.
    pub build_secs: f64,
    /// The phases.
    pub phases: Vec<SteadyPhase>,
}

#[derive(Clone, Copy)]
enum Client {
    Gateway,
    Naive,
}

/// Run the steady-state phases.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<SteadyReport> {
    let period = Duration::from_millis(cfg.steady_period_ms);
    let scale = period.as_secs_f64() / REAL_PERIOD.as_secs_f64();
    let listing_ttl_ms = (5000.0 * scale).round() as u64;
    let volatile_ttl_ms = (1000.0 * scale).round() as u64;
    let build = Duration::from_secs(6);
    let base = 2.0;
    let users = cfg.steady_users;
    let few = (users / 5).max(1);
    let many = users * 4;
    let phases = [
        (Client::Gateway, few, base),
        (Client::Gateway, users, base),
        (Client::Gateway, many, base),
        (Client::Gateway, users, base / 4.0),
        (Client::Naive, few, base),
        (Client::Naive, users, base),
    ];
    let mut out = Vec::new();
    for (client, users, trigger) in phases {
        let name = match client {
            Client::Gateway => "gateway",
            Client::Naive => "naive",
        };
        eprintln!("steady state: {name}, {users} users, a build every {trigger} s per controller");
        let live = LiveConfig {
            trigger_every: Duration::from_secs_f64(trigger),
            build_duration: build,
            ..LiveConfig::default()
        };
        let worlds = vec![
            ("ci-prod".to_string(), World::demo(42, 0)),
            ("ci-staging".to_string(), World::demo(42, 1)),
        ];
        let fleet = Fleet::start(worlds, cfg.latency_ms, Some(live)).await?;
        let gw = match client {
            Client::Gateway => Some(
                GatewayProcess::start(
                    &cfg.gateway_bin,
                    &cfg.with_admission(
                        fleet.gateway_toml(Some((listing_ttl_ms, volatile_ttl_ms))),
                    ),
                )
                .await?,
            ),
            Client::Naive => None,
        };
        let phase = phase(cfg, &fleet, gw.as_ref(), users, period).await?;
        out.push(SteadyPhase {
            client: name.to_string(),
            users,
            trigger_every_secs: trigger,
            ..phase
        });
        if let Some(gw) = gw {
            gw.stop().await;
        }
        fleet.shutdown().await;
    }
    Ok(SteadyReport {
        period_secs: period.as_secs_f64(),
        listing_ttl_ms,
        volatile_ttl_ms,
        build_secs: build.as_secs_f64(),
        phases: out,
    })
}

/// Users refresh every `period` (staggered evenly) for two periods of warm-up, then for
/// `cfg.steady_secs` while requests and finished builds are counted.
async fn phase(
    cfg: &BenchConfig,
    fleet: &Fleet,
    gw: Option<&GatewayProcess>,
    users: usize,
    period: Duration,
) -> anyhow::Result<SteadyPhase> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let start = Instant::now();
    let measure_from = start + period * 2;
    let end = measure_from + Duration::from_secs(cfg.steady_secs);
    let answered = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let user = |u: usize| {
        let (http, answered, latencies) = (http.clone(), answered.clone(), latencies.clone());
        async move {
            let naive = NaiveFleet::new(fleet, &http);
            let mut next = start + period.mul_f64(u as f64 / users as f64);
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let t = Instant::now();
                match gw {
                    Some(gw) => {
                        gw.query(DASHBOARD, ALLOWED_ERRORS).await?;
                    }
                    None => {
                        naive.dashboard(true).await?;
                    }
                }
                if t >= measure_from && t < end {
                    answered.fetch_add(1, Ordering::Relaxed);
                    latencies
                        .lock()
                        .map_err(|_| anyhow::anyhow!("poisoned"))?
                        .push(t.elapsed());
                }
                next = (next + period).max(Instant::now());
            }
            anyhow::Ok(())
        }
    };
    let counter = async {
        tokio::time::sleep_until(measure_from.into()).await;
        fleet.reset();
        let before = fleet.finished_builds();
        tokio::time::sleep_until(end.into()).await;
        let requests = fleet.counts();
        let finished = fleet.finished_builds().saturating_sub(before);
        (requests, finished)
    };
    let (results, (requests, finished)) = futures::join!(join_all((0..users).map(user)), counter);
    for r in results {
        r?;
    }
    let secs = cfg.steady_secs as f64;
    let samples = std::mem::take(&mut *latencies.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok(SteadyPhase {
        client: String::new(),
        users,
        trigger_every_secs: 0.0,
        secs,
        dashboards: answered.load(Ordering::Relaxed),
        finished_builds_per_sec: finished as f64 / secs,
        upstream_rps: requests.total as f64 / secs,
        upstream: requests,
        upstream_per_finished_build: requests.total as f64 / (finished.max(1)) as f64,
        latency: Latency::of(samples),
    })
}
