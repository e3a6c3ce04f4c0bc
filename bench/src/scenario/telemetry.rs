//! What metrics and tracing cost: the warm point query's p99 at a fixed rate (500 req/s)
//! and its throughput at saturation, on a gateway with trace export off (metrics only, the
//! default), one exporting every trace over OTLP/HTTP to a collector stand-in in this
//! process, one exporting a tenth of them, and export off again (the control: what noise
//! alone makes of a ratio), side by side: the configurations alternate, round after round,
//! each round starting with the next, so a drift of the machine's load affects all alike.
//! Each gateway is a fresh process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use jenkins_sim::World;
use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::Fleet;
use crate::gateway::GatewayProcess;
use crate::load::{self, median, FixedRateResult, WrkResult};
use crate::queries::{self, ALLOWED_ERRORS};

/// One configuration's runs.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    /// `export off`, `export on`, `export 0.1` or `export off again` (the control: the
    /// same as export off).
    pub name: String,
    /// The `[telemetry]` section it ran with (empty: the defaults).
    pub telemetry_toml: String,
    /// Each round's fixed-rate run.
    pub fixed: Vec<FixedRateResult>,
    /// Each round's saturation run.
    pub saturation: Vec<WrkResult>,
    /// Each round's gateway CPU time per request at saturation, µs (from `/proc`: the
    /// cost itself, unlike throughput on a shared machine).
    pub cpu_us_per_request: Vec<f64>,
}

impl Variant {
    /// The median over rounds of the fixed-rate p99, ms.
    pub fn p99_ms(&self) -> f64 {
        median(self.fixed.iter().map(|f| f.latency.p99_ms).collect())
    }

    /// The median over rounds of the saturation throughput, req/s.
    pub fn rps(&self) -> f64 {
        median(self.saturation.iter().map(|w| w.rps).collect())
    }

    /// The median over rounds of the gateway's CPU time per request, µs.
    pub fn cpu_us(&self) -> f64 {
        median(self.cpu_us_per_request.clone())
    }
}

/// Figures of the telemetry-cost scenario.
#[derive(Debug, Clone, Serialize)]
pub struct TelemetryReport {
    /// The point query.
    pub query: String,
    /// Rounds (each runs both variants).
    pub rounds: usize,
    /// The request rate of the fixed-rate runs.
    pub fixed_rps: u64,
    /// Export off, on (every trace), on (sampling 0.1), off again.
    pub variants: Vec<Variant>,
    /// OTLP export requests the collector stand-in received.
    pub exports: u64,
    /// Bytes of those requests.
    pub export_bytes: u64,
}

impl TelemetryReport {
    /// The median over rounds of variant `i`'s `figure` ÷ export off's in the same round.
    /// The variants of a round run back to back, so a drift of the machine's speed (a
    /// shared VM's steal time moves throughput by 20% from one minute to the next) cancels
    /// out of each round's ratio, where it would not out of a ratio of medians.
    fn paired(&self, i: usize, figure: impl Fn(&Variant, usize) -> f64) -> f64 {
        let (off, v) = (&self.variants[0], &self.variants[i]);
        let rounds = v.saturation.len().min(off.saturation.len());
        median(
            (0..rounds)
                .map(|r| figure(v, r) / figure(off, r).max(1e-9))
                .collect(),
        )
    }

    /// p99 of variant `i` ÷ export off (1.05 = 5% more), paired by round.
    pub fn p99_ratio(&self, i: usize) -> f64 {
        self.paired(i, |v, r| v.fixed[r].latency.p99_ms)
    }

    /// Throughput of variant `i` ÷ export off, paired by round.
    pub fn rps_ratio(&self, i: usize) -> f64 {
        self.paired(i, |v, r| v.saturation[r].rps)
    }

    /// CPU per request of variant `i` ÷ export off, paired by round.
    pub fn cpu_ratio(&self, i: usize) -> f64 {
        self.paired(i, |v, r| v.cpu_us_per_request[r])
    }
}

/// A stand-in OTLP/HTTP collector: accepts every export, keeps only counts.
async fn collector() -> anyhow::Result<(String, Arc<[AtomicU64; 2]>)> {
    let counts: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    async fn export(State(counts): State<Arc<[AtomicU64; 2]>>, body: Bytes) -> &'static str {
        counts[0].fetch_add(1, Ordering::Relaxed);
        counts[1].fetch_add(body.len() as u64, Ordering::Relaxed);
        ""
    }
    let app = Router::new()
        .route("/v1/traces", post(export))
        .with_state(counts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}"), counts))
}

/// Run the telemetry-cost scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<TelemetryReport> {
    let rounds = cfg.telemetry_rounds;
    eprintln!(
        "telemetry cost: warm point query, export off vs on, {rounds} round(s) of \
         {} s at saturation and {} s at {} req/s each",
        cfg.load_secs, cfg.load_secs, cfg.fixed_rps
    );
    let worlds = vec![("ci-prod".to_string(), World::demo(42, 0))];
    let fleet = Fleet::start(worlds, cfg.latency_ms, None).await?;
    let (endpoint, counts) = collector().await?;
    let base = cfg.with_admission(fleet.gateway_toml(None));
    let point = queries::point("ci-prod", "release/deploy-production");
    let export = |ratio: f64| {
        format!("\n[telemetry]\nendpoint = \"{endpoint}\"\nsampling_ratio = {ratio:.1}\n")
    };
    let mut variants: Vec<Variant> = [
        ("export off", String::new()),
        ("export on", export(1.0)),
        ("export 0.1", export(0.1)),
        // The same as the first: what the machine's noise alone makes of a ratio.
        ("export off again", String::new()),
    ]
    .into_iter()
    .map(|(name, telemetry_toml)| Variant {
        name: name.into(),
        telemetry_toml,
        fixed: Vec::new(),
        saturation: Vec::new(),
        cpu_us_per_request: Vec::new(),
    })
    .collect();
    let n = variants.len();
    for round in 0..rounds {
        // Each round starts with the next variant: a cost of running first or last in a
        // round (the previous gateway's exit, the machine's rhythm) falls on all alike.
        for i in 0..n {
            let v = &mut variants[(round + i) % n];
            eprintln!("  round {}: {}", round + 1, v.name);
            let gw =
                GatewayProcess::start(&cfg.gateway_bin, &format!("{base}{}", v.telemetry_toml))
                    .await?;
            for _ in 0..50 {
                gw.query(&point, ALLOWED_ERRORS).await?;
            }
            let cpu = gw.cpu_time();
            let w = load::wrk(&cfg.wrk, &gw.url(), &point, cfg.connections, cfg.load_secs).await?;
            let used = gw.cpu_time().saturating_sub(cpu);
            v.cpu_us_per_request
                .push(used.as_secs_f64() * 1e6 / w.requests.max(1) as f64);
            v.saturation.push(w);
            v.fixed.push(
                load::fixed_rate(&gw.url(), &point, cfg.fixed_rps, cfg.load_duration()).await?,
            );
            gw.stop().await;
        }
    }
    fleet.shutdown().await;
    Ok(TelemetryReport {
        query: point,
        rounds,
        fixed_rps: cfg.fixed_rps,
        variants,
        exports: counts[0].load(Ordering::Relaxed),
        export_bytes: counts[1].load(Ordering::Relaxed),
    })
}
