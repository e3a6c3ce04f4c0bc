//! Load: latency percentiles, `wrk` at saturation, and an open-loop fixed-rate client.
//!
//! Debian's `wrk` has no fixed-rate mode (that is wrk2, which Debian does not ship), so
//! the fixed-rate run is done here: requests are sent on a schedule whether or not earlier
//! ones have come back, and each latency is measured from the time the request was *due*,
//! so a stalled server cannot hide its stall (no coordinated omission).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

/// Latency percentiles of a set of samples, in ms.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// How many samples.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// The slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples`.
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort();
        let at = |p: f64| {
            let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            ms(samples[rank.clamp(1, samples.len()) - 1])
        };
        Latency {
            samples: samples.len(),
            p50_ms: at(50.0),
            p95_ms: at(95.0),
            p99_ms: at(99.0),
            max_ms: ms(samples[samples.len() - 1]),
        }
    }
}

/// The median of `v` (0 for none): rounds of a side-by-side scenario are summed up by it.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Milliseconds of a duration.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What a `wrk` run measured.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct WrkResult {
    /// Requests completed.
    pub requests: u64,
    /// Requests per second.
    pub rps: f64,
    /// Latency at saturation (wrk's own histogram).
    pub latency: Latency,
    /// Socket errors plus non-2xx answers.
    pub errors: u64,
    /// Connections kept open.
    pub connections: usize,
}

/// Run `wrk` against `url`, POSTing the GraphQL `query` for `secs` seconds.
pub async fn wrk(
    wrk: &str,
    url: &str,
    query: &str,
    connections: usize,
    secs: u64,
) -> anyhow::Result<WrkResult> {
    let body = json!({ "query": query }).to_string();
    anyhow::ensure!(!body.contains("]==]"), "the body cannot be quoted for Lua");
    let script = format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[{body}]==]
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  io.write(string.format("BENCHMAX %d %d\n", latency.max, latency.min))
end
"#
    );
    let path = std::env::temp_dir().join(format!("majordomo-bench-{}.lua", std::process::id()));
    std::fs::write(&path, script)?;
    let threads = connections.clamp(1, 2);
    let out = tokio::process::Command::new(wrk)
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&path)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .await?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nums = |prefix: &str| -> Vec<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|r| {
                r.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let b = nums("BENCH ");
    let m = nums("BENCHMAX ");
    anyhow::ensure!(
        b.len() == 6 && m.len() == 2,
        "cannot read wrk's output: {text}"
    );
    let secs_run = b[1] / 1e6;
    Ok(WrkResult {
        requests: b[0] as u64,
        rps: b[0] / secs_run.max(1e-9),
        latency: Latency {
            samples: b[0] as usize,
            p50_ms: b[3] / 1000.0,
            p95_ms: b[4] / 1000.0,
            p99_ms: b[5] / 1000.0,
            max_ms: m[0] / 1000.0,
        },
        errors: b[2] as u64,
        connections,
    })
}

/// What a fixed-rate run measured.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FixedRateResult {
    /// The rate asked for, requests per second.
    pub target_rps: u64,
    /// The rate achieved (answers per second of the run).
    pub achieved_rps: f64,
    /// Latency from when each request was due.
    pub latency: Latency,
    /// Failed requests (transport errors, non-2xx, GraphQL errors).
    pub errors: u64,
}

/// Send `query` to `url` at `rps` for `duration`, open loop.
pub async fn fixed_rate(
    url: &str,
    query: &str,
    rps: u64,
    duration: Duration,
) -> anyhow::Result<FixedRateResult> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let body = Arc::new(json!({ "query": query }).to_string());
    let total = (rps as f64 * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rps.max(1) as f64);
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (http, body, url) = (http.clone(), body.clone(), url.to_string());
        let (samples, errors) = (samples.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let ok = async {
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.as_str().to_owned())
                    .send()
                    .await
                    .ok()?;
                if !r.status().is_success() {
                    return None;
                }
                let v: serde_json::Value = r.json().await.ok()?;
                v.get("errors").is_none().then_some(())
            }
            .await;
            let took = due.elapsed();
            match ok {
                Some(()) => samples.lock().map(|mut s| s.push(took)).unwrap_or(()),
                None => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let samples = std::mem::take(&mut *samples.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let answered = samples.len();
    Ok(FixedRateResult {
        target_rps: rps,
        achieved_rps: answered as f64 / elapsed.as_secs_f64(),
        latency: Latency::of(samples),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
    })
}
