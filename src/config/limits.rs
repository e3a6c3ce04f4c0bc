//! What one request may cost (`[limits]`) and how the HTTP server bounds its client
//! connections (`[server]`).

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// What one request may cost. The defaults follow Apollo Router's where it has one
/// (tokens, aliases, root fields) and let every example query, GraphiQL's introspection
/// and the dashboard through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (413 beyond it).
    pub max_request_bytes: usize,
    /// Deepest nesting of brackets (`{`, `[`, `(`) in a document, counted before parsing.
    pub max_nesting: u64,
    /// Most lexical tokens in a document.
    pub max_tokens: u64,
    /// Deepest field selection (a top-level scalar is depth 1).
    pub max_depth: u64,
    /// Most field selections once every fragment spread is inlined.
    pub max_fields: u64,
    /// Most aliased fields once every fragment spread is inlined.
    pub max_aliases: u64,
    /// Most fields at the top of an operation.
    pub max_root_fields: u64,
    /// Most upstream requests a query is estimated to cost (over every controller) before
    /// anything is sent; above it the query is refused with `QUERY_TOO_EXPENSIVE`.
    pub max_estimated_requests: u64,
    /// How many items the estimate assumes a list holds when nothing bounds it (a
    /// folder's children, failing jobs, a queue).
    pub assumed_list_size: u64,
    /// Most upstream requests one query may send (a hard cap, in case the estimate was
    /// low); what is left of the answer is `null` with `UPSTREAM_BUDGET_EXCEEDED`.
    pub max_upstream_requests: u64,
    /// Most bytes of console logs one query may stream from Jenkins.
    pub max_log_bytes: u64,
    /// Milliseconds a query may take; what has not arrived by then is `null` with
    /// `TIMEOUT` and the rest is sent. 0: no deadline.
    pub query_timeout_ms: u64,
    /// A query estimated at this many upstream requests or more is heavy: its answer is
    /// large (a dashboard of every job is thousands), and it is built whole in memory.
    pub heavy_query_estimate: u64,
    /// At most this many heavy queries build their answers at once; others wait their
    /// turn (up to `query_timeout_ms`, then `OVERLOADED`). Unset: twice the CPUs, at least
    /// 4 (more at once adds memory, not throughput: a warm answer is CPU work). 0: no
    /// limit. Light queries never wait for it.
    pub max_concurrent_heavy_queries: Option<usize>,
}

impl LimitsConfig {
    /// The limit on heavy queries at once, `None` for none.
    pub(crate) fn heavy_queries(&self) -> Option<usize> {
        match self.max_concurrent_heavy_queries {
            Some(0) => None,
            Some(n) => Some(n),
            None => {
                let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
                Some((2 * cpus).max(4))
            }
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_request_bytes: 1024 * 1024,
            max_nesting: 64,
            max_tokens: 15_000,
            max_depth: 24,
            max_fields: 1_500,
            max_aliases: 30,
            max_root_fields: 20,
            max_estimated_requests: 10_000,
            assumed_list_size: 50,
            max_upstream_requests: 5_000,
            max_log_bytes: 256 * 1024 * 1024,
            query_timeout_ms: 30_000,
            heavy_query_estimate: 100,
            max_concurrent_heavy_queries: None,
        }
    }
}

/// How the HTTP server bounds client connections, so that no client can hold the gateway's
/// descriptors or keep it from stopping. The defaults suit a gateway behind a load balancer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// A client has this long, in milliseconds, to send a request's headers once the server
    /// waits for them; then the connection is closed. It also bounds how long a new
    /// connection may stay silent, and (as hyper times the wait for every request head) how
    /// long an HTTP/1.1 keep-alive connection may wait for its next request.
    pub header_read_timeout_ms: u64,
    /// A connection with no request in flight and no bytes moving for this long, in
    /// milliseconds, is closed. A request in flight is never cut, however slow its query.
    pub idle_timeout_ms: u64,
    /// Most client connections open at once; a connection beyond them is answered 503
    /// (`OVERLOADED`, with `Retry-After`) and closed. Lowered at start when the process's
    /// descriptor limit (RLIMIT_NOFILE) would not leave room for the upstream connections.
    pub max_connections: usize,
    /// On SIGTERM or SIGINT, requests in flight get this long, in milliseconds, to finish;
    /// connections still open then are cut. 0 cuts them at once.
    pub shutdown_grace_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 1024,
            shutdown_grace_ms: 30_000,
        }
    }
}

impl ServerConfig {
    /// [`Self::header_read_timeout_ms`] as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// [`Self::idle_timeout_ms`] as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    /// [`Self::shutdown_grace_ms`] as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// Timeouts and the connection limit are positive.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("max_connections", self.max_connections as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::InvalidValue {
                    field: format!("server.{field}"),
                    reason: "must be greater than 0".into(),
                });
            }
        }
        Ok(())
    }
}
