//! [`GatewayProcess`]: the gateway as a separate process (`majordomo serve --config …`), so
//! that a fresh process is a truly cold cache and its memory can be read from `/proc`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Why a GraphQL answer is not what the benchmark expects.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The process did not start serving.
    #[error("the gateway did not start: {0}")]
    Start(String),
    /// The HTTP request failed.
    #[error("request to the gateway failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not JSON.
    #[error("the gateway's answer is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The answer carried errors other than the expected ones.
    #[error("unexpected GraphQL error {code}: {message}")]
    GraphQl {
        /// `extensions.code`.
        code: String,
        /// The message.
        message: String,
    },
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Memory {
    /// `VmRSS`: resident now, MiB.
    pub rss_mib: f64,
    /// `VmHWM`: the peak resident set, MiB.
    pub peak_rss_mib: f64,
}

/// A running gateway process. Dropping it kills the process.
pub struct GatewayProcess {
    child: Child,
    config_path: PathBuf,
    /// Where it serves.
    pub addr: SocketAddr,
    http: reqwest::Client,
}

static CONFIGS: AtomicUsize = AtomicUsize::new(0);

impl GatewayProcess {
    /// Write `config_toml` to a temporary file and start `bin serve --config FILE` on an
    /// ephemeral port; return once it serves `/healthz`.
    pub async fn start(bin: &Path, config_toml: &str) -> Result<GatewayProcess, GatewayError> {
        let n = CONFIGS.fetch_add(1, Ordering::Relaxed);
        let config_path =
            std::env::temp_dir().join(format!("majordomo-bench-{}-{n}.toml", std::process::id()));
        std::fs::write(&config_path, config_toml)
            .map_err(|e| GatewayError::Start(format!("{}: {e}", config_path.display())))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", "warn")
            .env_remove("MAJORDOMO_LISTEN")
            .env_remove("MAJORDOMO_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| GatewayError::Start(format!("{}: {e}", bin.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| GatewayError::Start("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                // The line ends with the GraphQL endpoint.
                if let Some(rest) = line
                    .rsplit("http://")
                    .next()
                    .filter(|_| line.contains("http://"))
                {
                    if let Ok(addr) = rest.trim_end_matches("/graphql").parse::<SocketAddr>() {
                        return Some(addr);
                    }
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| GatewayError::Start("it never printed its address".into()))?;
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let gw = GatewayProcess {
            child,
            config_path,
            addr,
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = gw
                .http
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(gw);
            }
            if Instant::now() > deadline {
                return Err(GatewayError::Start("/healthz never answered".into()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The GraphQL endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Run one query; return the answer and its latency. Errors other than `allowed`
    /// codes fail.
    pub async fn query(
        &self,
        query: &str,
        allowed: &[&str],
    ) -> Result<(Value, Duration), GatewayError> {
        let t = Instant::now();
        let body = self
            .http
            .post(self.url())
            .json(&json!({ "query": query }))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        // The latency is the gateway's: until the last byte of the answer, not the time
        // this client then takes to parse it.
        let took = t.elapsed();
        let resp: Value = serde_json::from_slice(&body)?;
        check_errors(&resp, allowed)?;
        Ok((resp, took))
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The process's memory now.
    pub fn memory(&self) -> Memory {
        self.child.id().map(memory_of).unwrap_or_default()
    }

    /// CPU time the process has used so far (user and system), from `/proc/PID/stat`:
    /// what a request costs the gateway whatever else runs on the machine.
    pub fn cpu_time(&self) -> Duration {
        self.child.id().map(cpu_time_of).unwrap_or_default()
    }

    /// Stop the process and wait for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config_path);
    }
}

/// Fail on any GraphQL error whose code is not in `allowed`.
pub fn check_errors(resp: &Value, allowed: &[&str]) -> Result<(), GatewayError> {
    for e in resp["errors"].as_array().into_iter().flatten() {
        let code = e["extensions"]["code"].as_str().unwrap_or("(none)");
        if !allowed.contains(&code) {
            return Err(GatewayError::GraphQl {
                code: code.to_string(),
                message: e["message"].as_str().unwrap_or("").to_string(),
            });
        }
    }
    if resp["data"].is_null() {
        return Err(GatewayError::GraphQl {
            code: "(no data)".into(),
            message: resp.to_string(),
        });
    }
    Ok(())
}

fn cpu_time_of(pid: u32) -> Duration {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is the first, utime
    // the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Duration::from_secs_f64((field(11) + field(12)) / ticks)
}

fn memory_of(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    Memory {
        rss_mib: field("VmRSS:"),
        peak_rss_mib: field("VmHWM:"),
    }
}
