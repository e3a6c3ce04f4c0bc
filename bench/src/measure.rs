//! The measurements every scenario is made of: cold (fresh gateway process), warm
//! (sequential, at saturation with `wrk`, at a fixed rate), the naive client, and the
//! round-trip chain a cold query cannot beat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use jenkins_sim::RequestRecord;
use serde::Serialize;
use serde_json::Value;

use crate::config::BenchConfig;
use crate::fleet::{Fleet, RequestCounts, FIXED_LIMIT};
use crate::gateway::{GatewayProcess, Memory};
use crate::load::{self, ms, FixedRateResult, Latency, WrkResult};
use crate::naive::NaiveFleet;
use crate::queries::ALLOWED_ERRORS;

/// What a query costs on a cold gateway: each sample is a fresh gateway process.
#[derive(Debug, Clone)]
pub struct Cold {
    /// Latency of the first query of each fresh process.
    pub latency: Latency,
    /// Upstream requests of the first sample, by kind.
    pub counts: RequestCounts,
    /// Whether every sample cost the same number of upstream requests.
    pub stable: bool,
    /// The requests of the first sample, per controller.
    pub requests: Vec<Vec<RequestRecord>>,
    /// The first sample's answer.
    pub response: Value,
    /// Five queries right after the first sample's cold one, on the same process: what
    /// building the answer costs the gateway once the data is cached.
    pub warm_after: Latency,
}

/// Run `query` on `samples` fresh gateway processes.
pub async fn cold(
    cfg: &BenchConfig,
    fleet: &Fleet,
    toml: &str,
    query: &str,
    samples: usize,
) -> anyhow::Result<Cold> {
    let mut latencies = Vec::with_capacity(samples);
    let mut first: Option<(RequestCounts, Vec<Vec<RequestRecord>>, Value)> = None;
    let mut stable = true;
    let mut warm_after = Vec::new();
    for _ in 0..samples.max(1) {
        let gw = GatewayProcess::start(&cfg.gateway_bin, toml).await?;
        fleet.reset();
        let (resp, took) = gw.query(query, ALLOWED_ERRORS).await?;
        latencies.push(took);
        let counts = fleet.counts();
        match &first {
            None => {
                let reqs = (0..fleet.controllers.len())
                    .map(|i| fleet.requests(i))
                    .collect();
                first = Some((counts, reqs, resp));
                for _ in 0..5 {
                    warm_after.push(gw.query(query, ALLOWED_ERRORS).await?.1);
                }
            }
            Some((c, _, _)) => stable &= c.total == counts.total,
        }
        gw.stop().await;
    }
    let (counts, requests, response) = first.ok_or_else(|| anyhow::anyhow!("no cold sample"))?;
    Ok(Cold {
        latency: Latency::of(latencies),
        counts,
        stable,
        requests,
        response,
        warm_after: Latency::of(warm_after),
    })
}

/// Warm figures of one query on a running gateway.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Warm {
    /// Upstream requests of the query repeated right after the cold one (entries of the
    /// volatile class fetched early in a long cold query may have expired by then).
    pub upstream_after_cold: usize,
    /// Upstream requests of each of three queries repeated after that one (a volatile
    /// entry fetched late in the cold query can expire during them).
    pub upstream_repeats: Vec<usize>,
    /// Latency of `n` sequential warm queries (one client, unloaded).
    pub latency: Latency,
    /// Upstream requests per query over those `n` (cache entries expiring on their TTL
    /// during the run are refreshed: that is the only upstream traffic).
    pub upstream_per_query: f64,
    /// `wrk` at saturation, when run.
    pub saturation: Option<WrkResult>,
    /// Upstream requests per query during the saturation run.
    pub saturation_upstream_per_query: Option<f64>,
    /// Gateway memory after the sequential warm queries.
    pub memory_sequential: Memory,
    /// Gateway memory after the saturation run.
    pub memory_saturation: Option<Memory>,
    /// The fixed-rate run, when run.
    pub fixed_rate: Option<FixedRateResult>,
    /// Upstream requests per query during the fixed-rate run.
    pub fixed_rate_upstream_per_query: Option<f64>,
}

/// Warm the gateway with `query`, then measure it warm: the repeat, `cfg.warm_requests`
/// sequential queries, and (if asked) `wrk` at saturation and the fixed rate.
pub async fn warm(
    cfg: &BenchConfig,
    fleet: &Fleet,
    gw: &GatewayProcess,
    query: &str,
    saturate: bool,
    fixed_rps: Option<u64>,
) -> anyhow::Result<Warm> {
    gw.query(query, ALLOWED_ERRORS).await?;
    fleet.reset();
    gw.query(query, ALLOWED_ERRORS).await?;
    let upstream_after_cold = fleet.total();
    let mut upstream_repeats = Vec::new();
    for _ in 0..3 {
        fleet.reset();
        gw.query(query, ALLOWED_ERRORS).await?;
        upstream_repeats.push(fleet.total());
    }
    fleet.reset();
    let mut samples = Vec::with_capacity(cfg.warm_requests);
    for _ in 0..cfg.warm_requests {
        samples.push(gw.query(query, ALLOWED_ERRORS).await?.1);
    }
    let mut out = Warm {
        upstream_after_cold,
        upstream_repeats,
        memory_sequential: gw.memory(),
        upstream_per_query: fleet.total() as f64 / cfg.warm_requests.max(1) as f64,
        latency: Latency::of(samples),
        ..Warm::default()
    };
    if saturate {
        fleet.reset();
        let w = load::wrk(&cfg.wrk, &gw.url(), query, cfg.connections, cfg.load_secs).await?;
        // Queries wrk left in flight finish (and may refresh expired entries) before the
        // next measurement resets the counters.
        tokio::time::sleep(Duration::from_secs(1)).await;
        out.saturation_upstream_per_query = Some(fleet.total() as f64 / w.requests.max(1) as f64);
        out.saturation = Some(w);
        out.memory_saturation = Some(gw.memory());
    }
    if let Some(rps) = fixed_rps {
        fleet.reset();
        let f = load::fixed_rate(&gw.url(), query, rps, cfg.load_duration()).await?;
        let answered = (f.achieved_rps * cfg.load_duration().as_secs_f64()).max(1.0);
        out.fixed_rate_upstream_per_query = Some(fleet.total() as f64 / answered);
        out.fixed_rate = Some(f);
    }
    Ok(out)
}

/// What the naive client does for one query.
#[derive(Debug, Clone)]
pub enum NaiveQuery {
    /// The dashboard, with or without stages.
    Dashboard {
        /// Whether stages are read.
        stages: bool,
    },
    /// One job and its last build on controller `controller`.
    Point {
        /// Index of the controller.
        controller: usize,
        /// Full name of the job.
        job: String,
    },
}

impl NaiveQuery {
    async fn run(&self, naive: &NaiveFleet) -> anyhow::Result<()> {
        match self {
            NaiveQuery::Dashboard { stages } => naive.dashboard(*stages).await.map(|_| ()),
            NaiveQuery::Point { controller, job } => naive.clients[*controller].point(job).await,
        }
    }
}

/// The naive client's figures for one query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Naive {
    /// Upstream requests per query (it has no cache: cold and warm are the same).
    pub upstream_per_query: f64,
    /// Latency per query, one client.
    pub latency: Latency,
    /// Queries per second with `clients` naive clients running back to back.
    pub saturation_qps: Option<f64>,
    /// Upstream requests per second at saturation.
    pub saturation_upstream_rps: Option<f64>,
    /// Concurrent clients at saturation.
    pub saturation_clients: Option<usize>,
}

/// Run the naive client `samples` times, then (if asked) `clients` of them back to back
/// for the load duration.
pub async fn naive(
    cfg: &BenchConfig,
    fleet: &Fleet,
    query: &NaiveQuery,
    samples: usize,
    saturate_clients: Option<usize>,
) -> anyhow::Result<Naive> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let mut latencies = Vec::with_capacity(samples);
    fleet.reset();
    for _ in 0..samples.max(1) {
        let client = NaiveFleet::new(fleet, &http);
        let t = Instant::now();
        query.run(&client).await?;
        latencies.push(t.elapsed());
    }
    let mut out = Naive {
        upstream_per_query: fleet.total() as f64 / samples.max(1) as f64,
        latency: Latency::of(latencies),
        ..Naive::default()
    };
    if let Some(clients) = saturate_clients {
        fleet.reset();
        let done = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + cfg.load_duration();
        let runs = (0..clients).map(|_| {
            let (http, done, query) = (http.clone(), done.clone(), query.clone());
            async move {
                let client = NaiveFleet::new(fleet, &http);
                while Instant::now() < deadline {
                    query.run(&client).await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            }
        });
        for r in join_all(runs).await {
            r?;
        }
        let secs = start.elapsed().as_secs_f64();
        out.saturation_qps = Some(done.load(Ordering::Relaxed) as f64 / secs);
        out.saturation_upstream_rps = Some(fleet.total() as f64 / secs);
        out.saturation_clients = Some(clients);
    }
    Ok(out)
}

/// The chain of upstream round trips a cold query cannot beat, timed request by request
/// against the idle controllers: per controller, the first wave (listing and probe, in
/// parallel) and then its `wfapi/describe` calls; the slowest controller decides.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Chain {
    /// With unlimited concurrency: the slowest first wave plus one describe, ms.
    pub unbounded_ms: f64,
    /// With the gateway's 8 requests in flight per controller: the first wave plus
    /// ⌈describes / 8⌉ describe round trips, ms.
    pub bounded_ms: f64,
    /// The slowest single first-wave request (listing or probe), ms.
    pub first_wave_ms: f64,
    /// The first wave of every controller sent at once, as the gateway sends it (the
    /// simulators then share this machine's cores), ms.
    pub first_wave_together_ms: f64,
    /// Median describe round trip, ms.
    pub describe_ms: f64,
    /// Describes of the busiest controller.
    pub max_describes: usize,
    /// Every request of the cold query sent by a plain HTTP client with no limit: the
    /// first wave of every controller at once, then every describe at once (bodies read,
    /// not parsed), ms, median of three. Unlike the chain, this pays what serving 1,000
    /// describes at once costs the simulators on this machine's cores.
    pub fan_out_ms: f64,
}

/// Send every request of the cold query at once, to every controller: its describes, or
/// the rest (the first wave).
async fn wave(
    fleet: &Fleet,
    http: &reqwest::Client,
    cold: &Cold,
    describes: bool,
) -> anyhow::Result<()> {
    let requests = cold.requests.iter().enumerate().flat_map(|(i, reqs)| {
        reqs.iter()
            .filter(move |r| r.path.ends_with("/wfapi/describe") == describes)
            .map(move |r| (i, r))
    });
    for r in join_all(requests.map(|(i, r)| fleet.round_trip(http, i, r, 1))).await {
        r?;
    }
    Ok(())
}

/// Time the requests a cold query made (as recorded by the controllers).
pub async fn chain(fleet: &Fleet, cold: &Cold) -> anyhow::Result<Chain> {
    let http = reqwest::Client::new();
    let mut out = Chain::default();
    let mut together = Vec::new();
    let mut fan_out = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        wave(fleet, &http, cold, false).await?;
        together.push(t.elapsed());
        let t = Instant::now();
        wave(fleet, &http, cold, false).await?;
        wave(fleet, &http, cold, true).await?;
        fan_out.push(t.elapsed());
    }
    together.sort();
    out.first_wave_together_ms = ms(together[1]);
    fan_out.sort();
    out.fan_out_ms = ms(fan_out[1]);
    for (i, reqs) in cold.requests.iter().enumerate() {
        let (describes, first): (Vec<&RequestRecord>, Vec<&RequestRecord>) = reqs
            .iter()
            .partition(|r| r.path.ends_with("/wfapi/describe"));
        let mut wave = Duration::ZERO;
        for r in &first {
            wave = wave.max(fleet.round_trip(&http, i, r, 3).await?);
        }
        let mut desc = Vec::new();
        for r in describes.iter().take(16) {
            desc.push(fleet.round_trip(&http, i, r, 1).await?);
        }
        desc.sort();
        let d = desc.get(desc.len() / 2).copied().unwrap_or_default();
        let waves = describes.len().div_ceil(FIXED_LIMIT);
        let unbounded = wave
            + if describes.is_empty() {
                Duration::ZERO
            } else {
                d
            };
        let bounded = wave + d * waves as u32;
        out.unbounded_ms = out.unbounded_ms.max(ms(unbounded));
        out.bounded_ms = out.bounded_ms.max(ms(bounded));
        out.first_wave_ms = out.first_wave_ms.max(ms(wave));
        out.describe_ms = out.describe_ms.max(ms(d));
        out.max_describes = out.max_describes.max(describes.len());
    }
    Ok(out)
}

/// Runs in a dashboard answer whose stages came back (pipelines with a last build).
pub fn stage_runs(resp: &Value) -> usize {
    fn walk(v: &Value) -> usize {
        match v {
            Value::Object(m) => {
                let here = usize::from(m.get("stages").is_some_and(Value::is_array));
                here + m.values().map(walk).sum::<usize>()
            }
            Value::Array(a) => a.iter().map(walk).sum(),
            _ => 0,
        }
    }
    walk(resp)
}

/// Jobs in a dashboard answer (the objects that select `lastBuild`).
pub fn dashboard_jobs(resp: &Value) -> usize {
    match resp {
        Value::Object(m) => {
            usize::from(m.contains_key("lastBuild")) + m.values().map(dashboard_jobs).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(dashboard_jobs).sum(),
        _ => 0,
    }
}
