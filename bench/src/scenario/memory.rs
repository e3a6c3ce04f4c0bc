//! A lean process: the large world's warm dashboard (every byte of it in the cache), its
//! gateway's memory through `wrk -c32` on it and a minute after, and its speed, for this
//! gateway and, when `BENCH_BASELINE_BIN` names one, another build side by side (the
//! commit before a change): the two alternate, round after round, each a fresh process,
//! so a drift of the machine's load affects both alike. No admission limit
//! (`max_concurrent_queries` off, the default).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jenkins_sim::World;
use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::Fleet;
use crate::gateway::GatewayProcess;
use crate::load::{self, median, Latency, WrkResult};
use crate::queries::{ALLOWED_ERRORS, DASHBOARD};

/// One gateway binary's runs.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    /// `this build` or `baseline`.
    pub name: String,
    /// The binary.
    pub bin: PathBuf,
    /// Each round's figures.
    pub rounds: Vec<Round>,
}

/// One fresh gateway process under the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// Sequential warm dashboards, one client.
    pub warm: Latency,
    /// RSS once warm, before the load, MiB.
    pub rss_before_mib: f64,
    /// The saturation run.
    pub saturation: WrkResult,
    /// Highest RSS sampled during the saturation run (every 100 ms), MiB.
    pub rss_peak_mib: f64,
    /// The kernel's high-water mark (VmHWM) after the saturation run, MiB.
    pub hwm_mib: f64,
    /// RSS right after the load stopped, MiB.
    pub rss_after_mib: f64,
    /// RSS after `idle_secs` of no requests, MiB.
    pub rss_idle_mib: f64,
}

/// Figures of the memory scenario.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    /// Bytes of the dashboard's answer.
    pub answer_bytes: usize,
    /// Seconds idle before the last RSS reading.
    pub idle_secs: u64,
    /// Connections of the saturation runs.
    pub connections: usize,
    /// This build first, then the baseline when there is one.
    pub builds: Vec<Build>,
}

impl Build {
    /// The median over rounds of `f`.
    pub fn median_of(&self, f: impl Fn(&Round) -> f64) -> f64 {
        median(self.rounds.iter().map(f).collect())
    }
}

/// Run the memory scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<MemoryReport> {
    let idle_secs = cfg.memory_idle_secs;
    let mut builds = vec![Build {
        name: "this build".into(),
        bin: cfg.gateway_bin.clone(),
        rounds: Vec::new(),
    }];
    if let Some(bin) = &cfg.baseline_bin {
        anyhow::ensure!(bin.exists(), "no baseline binary at {}", bin.display());
        builds.push(Build {
            name: "baseline".into(),
            bin: bin.clone(),
            rounds: Vec::new(),
        });
    }
    eprintln!(
        "memory: the large world's warm dashboard, {} build(s), {} round(s): {} warm, \
         wrk -c{} for {} s, then {idle_secs} s idle",
        builds.len(),
        cfg.memory_rounds,
        cfg.warm_requests.min(60),
        cfg.connections,
        cfg.load_secs
    );
    let fleet = Fleet::start(
        vec![("c0".to_string(), World::large(7))],
        cfg.latency_ms,
        None,
    )
    .await?;
    let config = fleet.gateway_toml(None);
    let mut answer_bytes = 0;
    for round in 0..cfg.memory_rounds {
        for build in &mut builds {
            eprintln!("  round {}: {}", round + 1, build.name);
            let (r, bytes) = one_round(cfg, &build.bin, &config, idle_secs).await?;
            answer_bytes = bytes;
            build.rounds.push(r);
        }
    }
    fleet.shutdown().await;
    Ok(MemoryReport {
        answer_bytes,
        idle_secs,
        connections: cfg.connections,
        builds,
    })
}

async fn one_round(
    cfg: &BenchConfig,
    bin: &Path,
    config: &str,
    idle_secs: u64,
) -> anyhow::Result<(Round, usize)> {
    let gw = GatewayProcess::start(bin, config).await?;
    // Cold once, then a few to settle: every answer is in the cache from here on.
    let (resp, _) = gw.query(DASHBOARD, ALLOWED_ERRORS).await?;
    let bytes = resp.to_string().len();
    for _ in 0..3 {
        gw.query(DASHBOARD, ALLOWED_ERRORS).await?;
    }
    let mut samples = Vec::new();
    for _ in 0..cfg.warm_requests.min(60) {
        let (_, took) = gw.query(DASHBOARD, ALLOWED_ERRORS).await?;
        samples.push(took);
    }
    let warm = Latency::of(samples);
    let rss_before_mib = gw.memory().rss_mib;
    let url = gw.url();
    let load = load::wrk(&cfg.wrk, &url, DASHBOARD, cfg.connections, cfg.load_secs);
    tokio::pin!(load);
    let mut rss_peak_mib = rss_before_mib;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let saturation = loop {
        tokio::select! {
            w = &mut load => break w?,
            _ = tick.tick() => rss_peak_mib = rss_peak_mib.max(gw.memory().rss_mib),
        }
    };
    let after = gw.memory();
    let rss_after_mib = after.rss_mib;
    let idle_until = Instant::now() + Duration::from_secs(idle_secs);
    tokio::time::sleep_until(idle_until.into()).await;
    let rss_idle_mib = gw.memory().rss_mib;
    gw.stop().await;
    Ok((
        Round {
            warm,
            rss_before_mib,
            saturation,
            rss_peak_mib: rss_peak_mib.max(rss_after_mib),
            hwm_mib: after.peak_rss_mib,
            rss_after_mib,
            rss_idle_mib,
        },
        bytes,
    ))
}
