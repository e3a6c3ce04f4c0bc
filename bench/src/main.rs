//! `majordomo-bench`: the Majordomo benchmark driver (run it through `bench/run.sh`).
//!
//! It starts simulated controllers (jenkins-sim) in this process, the gateway as its own
//! process (`majordomo serve`), and measures upstream requests, latency, throughput and
//! memory, side by side with a naive client. A benchmark, not a test: it prints figures
//! and writes them to `bench/results/latest.json`; it asserts nothing.
//!
//! - [`config`]: the knobs, read from the environment in one place.
//! - [`fleet`]: the simulated controllers and their request counters.
//! - [`gateway`]: the gateway process (start, query, memory).
//! - [`naive`]: the naive client (one request per folder, job, build and run).
//! - [`load`]: percentiles, `wrk` at saturation, the fixed-rate client.
//! - [`measure`]: cold, warm, naive and round-trip-chain measurements.
//! - [`redis`]: the Redis server of the replicas scenario.
//! - [`scenario`]: the demo, large, scaling, steady-state, live (subscribers),
//!   soak-and-fault, telemetry-cost and replicas scenarios.
//! - [`report`]: the JSON results and the printed tables.

mod config;
mod fleet;
mod gateway;
mod load;
mod measure;
mod naive;
mod queries;
mod redis;
mod report;
mod scenario;

use std::time::Instant;

use anyhow::Context as _;

use crate::config::BenchConfig;
use crate::report::{Machine, Report};

fn now_utc() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = BenchConfig::from_env();
    anyhow::ensure!(
        cfg.gateway_bin.exists(),
        "no gateway binary at {} (build it with `cargo build --release`, or set MAJORDOMO_BIN)",
        cfg.gateway_bin.display()
    );
    let machine = Machine::detect();
    let started = now_utc();
    let t = Instant::now();
    let mut report = Report {
        started,
        took_secs: 0.0,
        machine,
        latency_ms: cfg.latency_ms,
        quick: cfg.quick,
        cold_samples: cfg.cold_samples,
        max_queries: cfg.max_queries,
        demo: None,
        large: None,
        scaling: None,
        steady: None,
        live: None,
        soak: None,
        telemetry: None,
        replicas: None,
        memory: None,
    };
    if cfg.runs("demo") {
        report.demo = Some(scenario::demo::run(&cfg).await.context("demo scenario")?);
    }
    if cfg.runs("large") {
        report.large = Some(scenario::large::run(&cfg).await.context("large scenario")?);
    }
    if cfg.runs("scaling") {
        report.scaling = Some(
            scenario::scaling::run(&cfg)
                .await
                .context("scaling scenario")?,
        );
    }
    if cfg.runs("steady") {
        report.steady = Some(
            scenario::steady::run(&cfg)
                .await
                .context("steady scenario")?,
        );
    }
    if cfg.runs("live") {
        report.live = Some(scenario::live::run(&cfg).await.context("live scenario")?);
    }
    if cfg.runs("soak") {
        report.soak = Some(scenario::soak::run(&cfg).await.context("soak scenario")?);
    }
    if cfg.runs("replicas") {
        report.replicas = Some(
            scenario::replicas::run(&cfg)
                .await
                .context("replicas scenario")?,
        );
    }
    if cfg.runs("memory") {
        report.memory = Some(
            scenario::memory::run(&cfg)
                .await
                .context("memory scenario")?,
        );
    }
    if cfg.runs("telemetry") {
        report.telemetry = Some(
            scenario::telemetry::run(&cfg)
                .await
                .context("telemetry scenario")?,
        );
    }
    report.took_secs = t.elapsed().as_secs_f64();
    let text = report.render();
    println!("{text}");
    if let Some(dir) = cfg.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cfg.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", cfg.out.display()))?;
    let text_out = cfg.out.with_extension("txt");
    std::fs::write(&text_out, text).with_context(|| format!("writing {}", text_out.display()))?;
    println!(
        "results written to {} and {}",
        cfg.out.display(),
        text_out.display()
    );
    Ok(())
}
