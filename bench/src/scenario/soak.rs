//! Soak and fault: several minutes at a steady rate over two healthy controllers and one
//! that cycles through hanging, 503, resetting connections and refusing the credentials,
//! with hostile documents mixed in at a low rate. It counts what was served, how complete
//! the healthy controllers' answers were, errors by code, latency, and the gateway's
//! memory and open descriptors at start and end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jenkins_sim::{Faults, World};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::config::BenchConfig;
use crate::fleet::{Fleet, TOKEN, USER};
use crate::gateway::{GatewayProcess, Memory};
use crate::load::Latency;
use crate::queries;

/// The faults the third controller cycles through, each for one phase, then healthy.
const PHASES: [&str; 5] = ["hang", "503", "reset", "401", "healthy"];

/// Figures of the soak scenario.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// How long the load ran, s.
    pub secs: u64,
    /// Requests sent per second.
    pub rate: u64,
    /// One in this many requests is a hostile document.
    pub hostile_every: u64,
    /// How long each fault phase lasted, s.
    pub phase_secs: u64,
    /// Dashboards sent and answered.
    pub dashboards: usize,
    /// Hostile documents sent.
    pub hostile: usize,
    /// Dashboards whose healthy controllers' part was complete (ONLINE, every top-level
    /// item there, no error of theirs).
    pub healthy_complete: usize,
    /// HTTP statuses of every request.
    pub statuses: BTreeMap<u16, usize>,
    /// `extensions.code` of every error, counted.
    pub error_codes: BTreeMap<String, usize>,
    /// Requests that got no HTTP answer at all.
    pub transport_failures: usize,
    /// Latency of the dashboards.
    pub latency: Latency,
    /// Gateway memory when the load began and when it ended.
    pub memory_start: Memory,
    /// … at the end.
    pub memory_end: Memory,
    /// Open file descriptors of the gateway when the load began.
    pub fds_start: usize,
    /// … at the end.
    pub fds_end: usize,
}

/// Documents a hostile client sends, in turn.
fn hostile(i: usize) -> Value {
    let depth = 1_500;
    match i % 5 {
        0 => {
            json!({ "query": format!("{{ jobs(filter: {{ namePattern: {}\"x\"{} }}) {{ totalCount }} }}", "[".repeat(depth), "]".repeat(depth)) })
        }
        1 => {
            let mut q =
                String::from("{ connections { ...F0 } } fragment F0 on Connection { name }\n");
            for n in 1..=30 {
                q.push_str(&format!(
                    "fragment F{n} on Connection {{ ...F{p} a: name ...F{p} }}\n",
                    p = n - 1
                ));
            }
            json!({ "query": q })
        }
        2 => {
            json!({ "query": "{ jobs(first: 1000) { nodes { builds(first: 100) { nodes { stages { logTail } } } } } }" })
        }
        3 => {
            json!({ "query": "query($n: String!) { job(connection: \"c0\", fullName: $n) { name } }", "variables": { "n": "a".repeat(70_000) } })
        }
        _ => json!({ "query": "{ connections { name " }),
    }
}

/// The faults of a phase.
fn faults(phase: &str) -> Faults {
    match phase {
        "hang" => Faults {
            hang: true,
            ..Faults::default()
        },
        "503" => Faults {
            error_rate: 1.0,
            error_statuses: vec![503],
            ..Faults::default()
        },
        "reset" => Faults {
            reset: true,
            ..Faults::default()
        },
        "401" => Faults {
            reject_credentials: true,
            ..Faults::default()
        },
        _ => Faults::default(),
    }
}

fn fds_of(gw: &GatewayProcess) -> usize {
    gw.pid()
        .and_then(|pid| std::fs::read_dir(format!("/proc/{pid}/fd")).ok())
        .map_or(0, |d| d.count())
}

#[derive(Default)]
struct Tally {
    dashboards: usize,
    hostile: usize,
    healthy_complete: usize,
    statuses: BTreeMap<u16, usize>,
    error_codes: BTreeMap<String, usize>,
    transport_failures: usize,
    latencies: Vec<Duration>,
}

/// Whether the healthy controllers' part of a dashboard is whole.
fn healthy_part_complete(body: &Value, healthy: &[(String, usize)]) -> bool {
    let conns = body["data"]["connections"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    healthy.iter().all(|(name, items)| {
        let mine = conns.iter().find(|c| c["name"] == name.as_str());
        let errors_of_mine = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["extensions"]["connection"] == name.as_str());
        mine.is_some_and(|c| {
            c["status"] == "ONLINE" && c["root"]["items"].as_array().map(Vec::len) == Some(*items)
        }) && !errors_of_mine
    })
}

/// Run the soak scenario.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<SoakReport> {
    let secs = cfg.soak_secs;
    let phase_secs = (secs / 10).clamp(3, 30);
    let (rate, hostile_every) = (20u64, 20u64);
    eprintln!("soak: {secs} s at {rate} req/s, one hostile document in {hostile_every}, faults cycling every {phase_secs} s");
    let worlds = vec![
        ("c0".to_string(), World::demo(42, 0)),
        ("c1".to_string(), World::demo(42, 1)),
        ("faulty".to_string(), World::demo(42, 0)),
    ];
    let fleet = Fleet::start(worlds, cfg.latency_ms, None).await?;
    let healthy: Vec<(String, usize)> = fleet.controllers[..2]
        .iter()
        .map(|c| (c.name.clone(), c.sim.with_world(|w| w.items.len())))
        .collect();
    let mut toml = String::from("listen = \"127.0.0.1:0\"\n\n[limits]\nquery_timeout_ms = 4000\n");
    for c in &fleet.controllers {
        toml.push_str(&format!(
            "\n[[connections]]\nname = \"{}\"\nurl = \"{}\"\nusername = \"{USER}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 2000\n",
            c.name,
            c.sim.url()
        ));
    }
    let gw = Arc::new(GatewayProcess::start(&cfg.gateway_bin, &toml).await?);
    // Warm it once so the start figures are of a serving process.
    let _ = gw
        .query(queries::DASHBOARD, &["UNAUTHORIZED", "TIMEOUT"])
        .await;
    let memory_start = gw.memory();
    let fds_start = fds_of(&gw);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / rate));
    let mut tasks = tokio::task::JoinSet::new();
    let mut phase = usize::MAX;
    let mut i = 0usize;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        let now_phase = (started.elapsed().as_secs() / phase_secs) as usize % PHASES.len();
        if now_phase != phase {
            phase = now_phase;
            fleet.controllers[2].sim.set_faults(faults(PHASES[phase]));
        }
        i += 1;
        let is_hostile = (i as u64).is_multiple_of(hostile_every);
        let body = if is_hostile {
            hostile(i / hostile_every as usize)
        } else {
            json!({ "query": queries::DASHBOARD })
        };
        let (http, url, tally, healthy) = (http.clone(), gw.url(), tally.clone(), healthy.clone());
        tasks.spawn(async move {
            let t = Instant::now();
            let answer = http.post(url).json(&body).send().await;
            let took = t.elapsed();
            let mut tally = tally.lock().await;
            if is_hostile {
                tally.hostile += 1;
            } else {
                tally.dashboards += 1;
            }
            let Ok(resp) = answer else {
                tally.transport_failures += 1;
                return;
            };
            *tally.statuses.entry(resp.status().as_u16()).or_default() += 1;
            let Ok(value) = resp.json::<Value>().await else {
                return;
            };
            for e in value["errors"].as_array().into_iter().flatten() {
                let code = e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string();
                *tally.error_codes.entry(code).or_default() += 1;
            }
            if !is_hostile {
                tally.latencies.push(took);
                if healthy_part_complete(&value, &healthy) {
                    tally.healthy_complete += 1;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    fleet.controllers[2].sim.set_faults(Faults::default());
    // Let idle connections close before the descriptors are counted again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_end = gw.memory();
    let fds_end = fds_of(&gw);
    let tally = std::mem::take(&mut *tally.lock().await);
    if let Ok(gw) = Arc::try_unwrap(gw) {
        gw.stop().await;
    }
    fleet.shutdown().await;
    Ok(SoakReport {
        secs,
        rate,
        hostile_every,
        phase_secs,
        dashboards: tally.dashboards,
        hostile: tally.hostile,
        healthy_complete: tally.healthy_complete,
        statuses: tally.statuses,
        error_codes: tally.error_codes,
        transport_failures: tally.transport_failures,
        latency: Latency::of(tally.latencies),
        memory_start,
        memory_end,
        fds_start,
        fds_end,
    })
}
