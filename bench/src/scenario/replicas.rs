//! Replicas sharing one Redis, over the large world: the upstream requests of a cold
//! dashboard answered by one gateway, by three at once (with and without Redis), and by a
//! gateway started after the others stopped (listings expired, Redis kept).

use std::time::Duration;

use jenkins_sim::World;
use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::{Fleet, RequestCounts};
use crate::gateway::GatewayProcess;
use crate::queries::{ALLOWED_ERRORS, DASHBOARD};
use crate::redis::Redis;

/// One measured step: upstream requests and the slowest gateway's latency.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Step {
    /// Gateways answering the dashboard at once.
    pub gateways: usize,
    /// Upstream requests over all of them.
    pub upstream: RequestCounts,
    /// The slowest gateway's dashboard, ms.
    pub slowest_ms: f64,
}

/// Figures of the replicas scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicasReport {
    /// Jobs in the world.
    pub jobs: usize,
    /// One gateway, cold, with Redis empty.
    pub one: Step,
    /// Three gateways at once, cold, with Redis empty.
    pub three: Step,
    /// Three gateways at once, cold, without Redis.
    pub three_without_redis: Step,
    /// A fresh gateway after the listings expired, Redis kept.
    pub restart: Step,
    /// Keys and memory in Redis after the cold dashboards.
    pub redis_keys: u64,
    /// Redis' `used_memory`, MiB.
    pub redis_mib: f64,
}

/// Run the replicas scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<ReplicasReport> {
    eprintln!("replicas: the large world, one Redis; generating…");
    let world = tokio::task::spawn_blocking(|| World::large(7)).await?;
    let fleet = Fleet::start(vec![("c0".to_string(), world)], cfg.latency_ms, None).await?;
    let redis = Redis::start()?;
    // Listings live 2 s here, so the restart finds them expired without a long wait.
    let ttl = Some((2_000, 1_000));
    let shared = cfg.with_admission(fleet.gateway_toml_shared(ttl, &redis.url()));
    let alone = cfg.with_admission(fleet.gateway_toml(ttl));

    eprintln!("  one gateway, cold");
    let one = step(cfg, &fleet, &shared, 1).await?;
    let redis_keys = redis.keys();
    let redis_mib = redis.used_mib();
    redis.flush();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    eprintln!("  three gateways at once, cold");
    let three = step(cfg, &fleet, &shared, 3).await?;
    eprintln!("  three gateways at once, cold, without Redis");
    let three_without_redis = step(cfg, &fleet, &alone, 3).await?;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    eprintln!("  a restarted gateway");
    let restart = step(cfg, &fleet, &shared, 1).await?;
    let jobs = fleet.jobs();
    fleet.shutdown().await;
    Ok(ReplicasReport {
        jobs,
        one,
        three,
        three_without_redis,
        restart,
        redis_keys,
        redis_mib,
    })
}

/// `n` fresh gateway processes answer the dashboard at once.
async fn step(cfg: &BenchConfig, fleet: &Fleet, toml: &str, n: usize) -> anyhow::Result<Step> {
    let mut gateways = Vec::with_capacity(n);
    for _ in 0..n {
        gateways.push(GatewayProcess::start(&cfg.gateway_bin, toml).await?);
    }
    fleet.reset();
    let answers = futures::future::join_all(
        gateways
            .iter()
            .map(|gw| gw.query(DASHBOARD, ALLOWED_ERRORS)),
    )
    .await;
    let mut slowest = Duration::ZERO;
    for answer in answers {
        slowest = slowest.max(answer?.1);
    }
    let upstream = fleet.counts();
    for gw in gateways {
        gw.stop().await;
    }
    Ok(Step {
        gateways: n,
        upstream,
        slowest_ms: slowest.as_secs_f64() * 1_000.0,
    })
}
