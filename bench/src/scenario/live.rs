//! Live: subscribers to fleet build events over the live demo worlds. Upstream requests per
//! second with one subscriber and with many (shared pollers: they should be equal), the
//! delay from the simulator's state change (a build's end) to each subscriber receiving
//! `FINISHED`, and the gateway's CPU and memory meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jenkins_sim::{LiveConfig, World};
use serde::Serialize;
use serde_json::Value;

use crate::config::BenchConfig;
use crate::fleet::Fleet;
use crate::gateway::{GatewayProcess, Memory};
use crate::load::Latency;

const SUBSCRIPTION: &str = "subscription { buildEvents { kind jobName number } }";

/// One phase: a number of subscribers over the same window.
#[derive(Debug, Clone, Serialize)]
pub struct LivePhase {
    /// Subscribers (one Server-Sent Events stream each).
    pub subscribers: usize,
    /// Streams that opened (answered 200 with an event stream).
    pub streams_open: usize,
    /// Measured seconds.
    pub secs: f64,
    /// Upstream requests per second (all controllers).
    pub upstream_rps: f64,
    /// `FINISHED` events received (all subscribers).
    pub finished_events: usize,
    /// From a build's end in the simulator to a subscriber receiving its `FINISHED`.
    pub delay: Latency,
    /// Gateway CPU over the window, in cores (1.0: one core busy).
    pub cpu_cores: f64,
    /// Gateway memory at the end of the window.
    pub memory: Memory,
}

/// The live figures.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    /// The gateway's poll interval, ms.
    pub poll_interval_ms: u64,
    /// The phases, fewest subscribers first.
    pub phases: Vec<LivePhase>,
}

/// Run the phases.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<LiveReport> {
    let poll_interval_ms = 1_000;
    let mut phases = Vec::new();
    for subscribers in [1, cfg.live_subscribers] {
        eprintln!("live: {subscribers} subscribers to fleet build events");
        let live = LiveConfig {
            trigger_every: Duration::from_millis(1_500),
            build_duration: Duration::from_secs(6),
            ..LiveConfig::default()
        };
        let worlds = vec![
            ("ci-prod".to_string(), World::demo(42, 0)),
            ("ci-staging".to_string(), World::demo(42, 1)),
        ];
        let fleet = Fleet::start(worlds, cfg.latency_ms, Some(live)).await?;
        let toml = format!(
            "{}\n[live]\npoll_interval_ms = {poll_interval_ms}\n\n[server]\nmax_connections = {}\n",
            fleet.gateway_toml(None),
            subscribers + 64
        );
        let gw = GatewayProcess::start(&cfg.gateway_bin, &toml).await?;
        phases.push(phase(cfg, &fleet, &gw, subscribers).await?);
        gw.stop().await;
        fleet.shutdown().await;
    }
    Ok(LiveReport {
        poll_interval_ms,
        phases,
    })
}

async fn phase(
    cfg: &BenchConfig,
    fleet: &Fleet,
    gw: &GatewayProcess,
    subscribers: usize,
) -> anyhow::Result<LivePhase> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()?;
    let received: Arc<Mutex<Vec<(String, u64, i64)>>> = Arc::default();
    let open = Arc::new(AtomicUsize::new(0));
    let mut streams = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        streams.push(tokio::spawn(subscribe(
            http.clone(),
            gw.url(),
            Arc::clone(&received),
            Arc::clone(&open),
        )));
    }
    // Let every stream open and the pollers take their first (baseline) poll.
    tokio::time::sleep(Duration::from_secs(3)).await;
    received.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let (before, cpu_before) = (fleet.total(), cpu_secs(gw.pid()));
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(cfg.steady_secs)).await;
    let secs = t.elapsed().as_secs_f64();
    let (after, cpu_after) = (fleet.total(), cpu_secs(gw.pid()));
    let memory = gw.memory();
    let streams_open = open.load(Ordering::Relaxed);
    for s in &streams {
        s.abort();
    }
    let events = std::mem::take(&mut *received.lock().unwrap_or_else(|e| e.into_inner()));
    let delays = delays(fleet, &events);
    Ok(LivePhase {
        subscribers,
        streams_open,
        secs,
        upstream_rps: (after - before) as f64 / secs,
        finished_events: events.len(),
        delay: Latency::of(delays),
        cpu_cores: (cpu_after - cpu_before) / secs,
        memory,
    })
}

/// From each build's end in the simulator (its start plus time queued plus duration) to
/// the event's arrival.
fn delays(fleet: &Fleet, events: &[(String, u64, i64)]) -> Vec<Duration> {
    events
        .iter()
        .filter_map(|(job, number, at)| {
            let end = fleet.controllers.iter().find_map(|c| {
                c.sim.with_world(|w| {
                    let b = w.item(job)?.as_job()?.1.build(*number)?;
                    (!b.building()).then_some(b.timestamp + b.queue_duration + b.duration)
                })
            })?;
            Some(Duration::from_millis(u64::try_from(at - end).ok()?))
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One subscriber: an SSE stream; each `FINISHED` is noted with its arrival time.
async fn subscribe(
    http: reqwest::Client,
    url: String,
    received: Arc<Mutex<Vec<(String, u64, i64)>>>,
    open: Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let mut resp = http
        .post(url)
        .header("accept", "text/event-stream")
        .json(&serde_json::json!({ "query": SUBSCRIPTION }))
        .send()
        .await?
        .error_for_status()?;
    open.fetch_add(1, Ordering::Relaxed);
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(at) = buf.find("\n\n") {
            let block: String = buf.drain(..at + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let v: Value = serde_json::from_str(data)?;
            let e = &v["data"]["buildEvents"];
            if e["kind"] == "FINISHED" {
                let job = e["jobName"].as_str().unwrap_or_default().to_string();
                let number = e["number"].as_u64().unwrap_or_default();
                received
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((job, number, now_ms()));
            }
        }
    }
    Ok(())
}

/// User plus system CPU seconds of a process, from `/proc/PID/stat` (100 ticks a second).
fn cpu_secs(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return 0.0 };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 counted from the state
    // (field 3), the first after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}
