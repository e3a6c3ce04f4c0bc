//! What the command line does: serve, run the demo, check connections, check a running
//! gateway's health. `main.rs` only parses arguments and calls these; errors stay typed
//! ([`CliError`]) until it prints them.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::gateway::GatewayState;
use crate::jenkins::{JenkinsError, QueryBudget};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No `--config` and no `MAJORDOMO_CONFIG`.
    #[error("no configuration: pass --config FILE (or set MAJORDOMO_CONFIG)")]
    NoConfig,
    /// The configuration is invalid.
    #[error("{path}: {source}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: ConfigError,
    },
    /// The configuration is valid but a client could not be built from it.
    #[error("{0}")]
    Gateway(#[from] ConfigError),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// `majordomo mcp` failed.
    #[error("{0}")]
    Mcp(#[from] crate::mcp::McpServeError),
    /// `connections test NAME` for a name the config does not have.
    #[error("no connection is named {0:?}")]
    UnknownConnection(String),
    /// Logs or traces could not be set up.
    #[error("{0}")]
    Telemetry(#[from] crate::telemetry::TracesError),
    /// `health --url` is not an http(s) URL.
    #[error("--url {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Load the configuration file (the environment is applied once, inside).
pub fn load(path: Option<&Path>) -> Result<Config, CliError> {
    let path = path.ok_or(CliError::NoConfig)?;
    Config::load(path).map_err(|source| CliError::Config {
        path: path.to_path_buf(),
        source,
    })
}

/// Serve the gateway until `shutdown` resolves: the API on `listen`, and the admin routes
/// on `admin_listen` when it is set.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let admin = match config.admin_listen {
        Some(at) => Some(tokio::net::TcpListener::bind(at).await?),
        None => None,
    };
    let gateway = GatewayState::new(config)?;
    tracing::info!(%addr, connections = gateway.connection_count(), "majordomo serving /graphql");
    // One line (a reader may close the pipe after it), ending with the GraphQL endpoint,
    // which scripts read.
    match &admin {
        Some(admin) => {
            let admin_addr = admin.local_addr()?;
            tracing::info!(addr = %admin_addr, "admin routes (/metrics, /readyz, /healthz) on their own listener");
            println!("Majordomo: the fleet page at http://{addr}/, metrics at http://{admin_addr}/metrics, GraphiQL at http://{addr}/graphql");
        }
        None => println!(
            "Majordomo: the fleet page at http://{addr}/, GraphiQL at http://{addr}/graphql"
        ),
    }
    crate::server::serve(listener, admin, gateway, shutdown).await?;
    Ok(())
}

/// Send the spans still buffered and stop exporting (off the runtime's threads, since
/// the export runs on them).
pub async fn stop_telemetry(guard: crate::telemetry::TelemetryGuard) {
    let _ = tokio::task::spawn_blocking(move || guard.shutdown()).await;
}

/// Serve MCP on stdin/stdout until the client closes it (`majordomo mcp`).
pub async fn mcp(config: Config, key: Option<&str>) -> Result<(), CliError> {
    let gateway = GatewayState::new(config)?;
    tracing::info!(
        connections = gateway.connection_count(),
        "majordomo serving MCP on stdio"
    );
    crate::mcp::serve_stdio(gateway, key).await?;
    Ok(())
}

/// Outcome of checking one connection.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Connection name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Jenkins user, or `(anonymous)`.
    pub user: String,
    /// `ONLINE` or an error code.
    pub status: String,
    /// Version and user, or the failure with its hint.
    pub detail: String,
}

impl CheckResult {
    fn online(&self) -> bool {
        self.status == "ONLINE"
    }
}

/// Check every connection (or one) at once: `api/json` and `whoAmI` each. The whole check
/// takes about as long as the slowest controller.
pub async fn check(config: Config, only: Option<&str>) -> Result<Vec<CheckResult>, CliError> {
    if let Some(name) = only {
        if config.connection(name).is_none() {
            return Err(CliError::UnknownConnection(name.to_string()));
        }
    }
    let users: Vec<(String, String)> = config
        .connections
        .iter()
        .map(|c| {
            let user = c.username.clone().unwrap_or_else(|| "(anonymous)".into());
            (c.name.clone(), user)
        })
        .collect();
    let gateway = GatewayState::new(config)?;
    let ups: Vec<_> = gateway
        .upstreams()
        .iter()
        .filter(|u| only.is_none_or(|n| n == &*u.name))
        .collect();
    let probes = join_all(ups.iter().map(|up| async move {
        let budget = QueryBudget::unlimited();
        let probe: Result<(String, Option<String>), JenkinsError> = async {
            up.client
                .root(&crate::planner::probe_tree(), &budget)
                .await?;
            let who = up.client.whoami(&budget).await?;
            let version = up.client.version(&budget).await?;
            Ok((who.name.clone().unwrap_or_default(), version))
        }
        .await;
        probe
    }))
    .await;
    Ok(ups
        .iter()
        .zip(probes)
        .map(|(up, probe)| {
            let user = users
                .iter()
                .find(|(n, _)| n == &*up.name)
                .map(|(_, u)| u.clone())
                .unwrap_or_default();
            let (status, detail) = match probe {
                Ok((who, version)) => (
                    "ONLINE".to_string(),
                    format!(
                        "Jenkins {} as {who}",
                        version.unwrap_or_else(|| "(version hidden)".into())
                    ),
                ),
                Err(e) => (e.code().to_string(), format!("{e}; hint: {}", e.hint())),
            };
            CheckResult {
                name: up.name.to_string(),
                url: up.url.clone(),
                user,
                status,
                detail,
            }
        })
        .collect())
}

/// How `connections list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// An aligned table.
    Table,
    /// One JSON array.
    Json,
}

/// `majordomo connections list`: id, name, url, user and status of every connection,
/// checked at once; exits 1 when any is not ONLINE.
pub async fn list_connections(config: Config, output: Output) -> Result<ExitCode, CliError> {
    let checks = check(config, None).await?;
    match output {
        Output::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&checks).unwrap_or_else(|_| "[]".into())
            );
        }
        Output::Table => {
            let mut rows = vec![[
                "ID".to_string(),
                "NAME".into(),
                "URL".into(),
                "USER".into(),
                "STATUS".into(),
            ]];
            for (i, r) in checks.iter().enumerate() {
                rows.push([
                    (i + 1).to_string(),
                    r.name.clone(),
                    r.url.clone(),
                    r.user.clone(),
                    r.status.clone(),
                ]);
            }
            print!("{}", table(&rows));
        }
    }
    Ok(exit_code(&checks))
}

/// `majordomo connections test`: print a table; exits 1 when any fails.
pub async fn test_connections(config: Config, only: Option<&str>) -> Result<ExitCode, CliError> {
    let results = check(config, only).await?;
    let mut rows = vec![["NAME".to_string(), "STATUS".into(), "DETAIL".into()]];
    rows.extend(
        results
            .iter()
            .map(|r| [r.name.clone(), r.status.clone(), r.detail.clone()]),
    );
    print!("{}", table(&rows));
    Ok(exit_code(&results))
}

fn exit_code(results: &[CheckResult]) -> ExitCode {
    if results.iter().all(CheckResult::online) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Try to open a URL in the user's browser; say so when there is none.
pub fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let opened = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok();
    if !opened {
        println!("open {url} in a browser");
    }
}

/// The address of a gateway's `/healthz`: `--url` when given (a base URL, or the
/// `/healthz` URL itself), else the configured `listen` (loopback when it listens on every
/// address), else `http://127.0.0.1:8080`. The environment (`MAJORDOMO_LISTEN`) applies as
/// it does for `serve`.
pub fn health_url(url: Option<&str>, config: Option<&Path>) -> Result<reqwest::Url, CliError> {
    let given = match url {
        Some(url) => url.to_string(),
        None => {
            let config = match config {
                Some(path) => load(Some(path))?,
                None => {
                    let mut config = Config::default();
                    config.apply_env()?;
                    config
                }
            };
            format!("http://{}/", loopback(config.listen))
        }
    };
    let bad = |reason: &str| CliError::BadUrl {
        url: given.clone(),
        reason: reason.to_string(),
    };
    let mut base = reqwest::Url::parse(&given).map_err(|e| bad(&e.to_string()))?;
    if base.scheme() != "http" && base.scheme() != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    if base.path().ends_with("/healthz") {
        return Ok(base);
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join("healthz").map_err(|e| bad(&e.to_string()))
}

/// Where to reach a server listening on `addr` from the same host.
fn loopback(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// `majordomo health`: GET `url` within `timeout`; exit 0 only on `200` with the body `ok`,
/// 1 otherwise (the container's `HEALTHCHECK`; the image has no curl).
pub async fn health(url: &reqwest::Url, timeout: Duration) -> ExitCode {
    let checked = async {
        let client = reqwest::Client::builder()
            // A proxy from the environment must not stand between a container and itself.
            .no_proxy()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        if status == reqwest::StatusCode::OK && body.trim() == "ok" {
            Ok(())
        } else {
            let body: String = body.chars().take(80).collect();
            Err(format!("answered {status}: {body:?}"))
        }
    };
    match checked.await {
        Ok(()) => {
            println!("healthy: {url} answered 200 ok");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("unhealthy: {url}: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves when the process is asked to stop: SIGINT (Ctrl-C) or SIGTERM (`docker
/// stop`, Kubernetes). As PID 1 in a container SIGTERM has no default action, so it must
/// be handled here. The handlers are installed when this is called, not when the future
/// is first polled, so a signal that arrives while the server starts is not lost (nor
/// does it kill the process). Call it inside the Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else {
                tracing::warn!("cannot listen for SIGINT and SIGTERM: serving until killed");
                return std::future::pending::<()>().await;
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("Ctrl-C: shutting down");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_urls_point_at_healthz_on_a_reachable_address() {
        let url = |given: &str| health_url(Some(given), None).map(|u| u.to_string());
        assert_eq!(
            url("http://127.0.0.1:8080").ok().as_deref(),
            Some("http://127.0.0.1:8080/healthz")
        );
        assert_eq!(
            url("http://gw:9000/prefix").ok().as_deref(),
            Some("http://gw:9000/prefix/healthz")
        );
        assert_eq!(
            url("http://gw:9000/healthz").ok().as_deref(),
            Some("http://gw:9000/healthz")
        );
        assert!(matches!(url("ftp://gw/"), Err(CliError::BadUrl { .. })));
        assert_eq!(
            loopback(
                "0.0.0.0:8080"
                    .parse()
                    .unwrap_or(SocketAddr::from(([1, 1, 1, 1], 1)))
            ),
            SocketAddr::from(([127, 0, 0, 1], 8080))
        );
        assert_eq!(
            loopback(
                "[::]:8080"
                    .parse()
                    .unwrap_or(SocketAddr::from(([1, 1, 1, 1], 1)))
            ),
            SocketAddr::from((Ipv6Addr::LOCALHOST, 8080))
        );
    }
}
