//! [`JenkinsClient`]: one per connection. Owns the HTTP client (auth, TLS,
//! timeouts), the per-controller adaptive concurrency limit, retry and circuit
//! breaker, and sends every GET through the shared [`UpstreamCache`].
//!
//! [`transport`] sends one request (slots, retry, breaker, error classification, its
//! metrics and span); [`fetch`] asks the cache, Redis and Jenkins for one JSON answer;
//! [`pipeline`] holds the Pipeline REST API's requests; [`logs`] reads console logs in
//! bounded memory.
//!
//! Every answer is asked for through [`JenkinsClient::cached`]: a hit counted on the
//! query, a `jenkins.fetch` span when the query waits, and that wait timed;
//! [`from_cache`] runs a fetch that may only read the cache.

mod fetch;
mod logs;
mod pipeline;
mod transport;

pub(crate) use fetch::from_cache;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;

use super::breaker::{CircuitBreaker, CircuitState};
use super::budget::QueryBudget;
use super::error::JenkinsError;
use super::limit::AdaptiveLimit;
use super::path::{api_json, build_path, job_path, InvalidFullName};
use super::tree::Tree;
use super::wire;
use crate::cache::{
    credential_scope, shared_scope, CacheClass, CacheKey, SharedCache, UpstreamCache,
};
use crate::config::{ConfigError, ConnectionAuth, ConnectionConfig};
use crate::telemetry::metrics::Metrics;

/// Largest tail a caller may ask for; bounds memory per request.
pub(crate) const MAX_TAIL_BYTES: usize = 8 * 1024 * 1024;
/// Most grep matches a caller may ask for.
pub(crate) const MAX_GREP_MATCHES: usize = 1_000;
/// Most context lines (each side) a caller may ask for.
pub(crate) const MAX_GREP_CONTEXT: usize = 50;
/// Longest URL the client sends. Jenkins' servlet containers refuse far shorter request
/// lines (8 KiB by default); this bound only keeps absurd arguments off the wire.
pub(crate) const MAX_URL_BYTES: usize = 64 * 1024;
/// Room kept in a request head for a caller's forwarded `Authorization` header.
const FORWARDED_AUTH_ROOM: usize = "authorization: \r\n".len() + 1024;
/// `builds` holds the newest 100 builds; past that only `allBuilds` helps.
pub(crate) const BUILDS_WINDOW: u32 = 100;

/// The kind of endpoint a request reads: a metric label and a span attribute, so that
/// what a controller costs can be told by kind without a label per job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A controller root or an item (`api/json` with a `tree=`).
    Listing,
    /// A build (`<job>/<number>/api/json`).
    Build,
    /// A run's stages (`wfapi/describe`).
    Describe,
    /// A job's recent runs with their stages (`wfapi/runs`).
    Runs,
    /// The inputs a run is paused at (`wfapi/pendingInputActions`).
    Inputs,
    /// One flow node (`execution/node/<id>/wfapi/describe`).
    Node,
    /// One flow node's log (`execution/node/<id>/wfapi/log`).
    NodeLog,
    /// A build's test report.
    Tests,
    /// A console log (`logText/progressiveText`).
    Log,
    /// The build queue.
    Queue,
    /// The computers (agents).
    Computers,
    /// `whoAmI`.
    WhoAmI,
}

impl Endpoint {
    /// The label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Endpoint::Listing => "listing",
            Endpoint::Build => "build",
            Endpoint::Describe => "describe",
            Endpoint::Runs => "runs",
            Endpoint::Inputs => "inputs",
            Endpoint::Node => "node",
            Endpoint::NodeLog => "node_log",
            Endpoint::Tests => "tests",
            Endpoint::Log => "log",
            Endpoint::Queue => "queue",
            Endpoint::Computers => "computers",
            Endpoint::WhoAmI => "whoami",
        }
    }

    /// The name of its `jenkins.fetch` span.
    fn span_name(self) -> &'static str {
        match self {
            Endpoint::Listing => "jenkins listing",
            Endpoint::Build => "jenkins build",
            Endpoint::Describe => "jenkins describe",
            Endpoint::Runs => "jenkins runs",
            Endpoint::Inputs => "jenkins inputs",
            Endpoint::Node => "jenkins node",
            Endpoint::NodeLog => "jenkins node_log",
            Endpoint::Tests => "jenkins tests",
            Endpoint::Log => "jenkins log",
            Endpoint::Queue => "jenkins queue",
            Endpoint::Computers => "jenkins computers",
            Endpoint::WhoAmI => "jenkins whoami",
        }
    }
}

/// Knobs that are not in the config file: retry and circuit-breaker timing
/// and the response size limit. Tests shorten them.
#[derive(Debug, Clone)]
pub(crate) struct ClientTuning {
    /// Wait before the single retry of an idempotent GET.
    pub(crate) retry_backoff: Duration,
    /// Consecutive connection failures/timeouts that open the circuit.
    pub(crate) breaker_threshold: u32,
    /// How long an open circuit fails fast before a probe.
    pub(crate) breaker_cooldown: Duration,
    /// Largest JSON body accepted.
    pub(crate) max_body_bytes: usize,
}

impl Default for ClientTuning {
    fn default() -> Self {
        ClientTuning {
            retry_backoff: Duration::from_millis(200),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A client for one Jenkins controller. Cheap to clone (shared inside).
#[derive(Clone)]
pub(crate) struct JenkinsClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    base: reqwest::Url,
    http: reqwest::Client,
    /// Preemptive `Basic` header, marked sensitive; never logged.
    auth: Option<HeaderValue>,
    scope: u64,
    /// The service account's scope in Redis keys (stable across processes).
    shared_scope: String,
    /// Whether each caller's forwarded credentials replace `auth` (`auth = "forward"`).
    forward: bool,
    timeout: Duration,
    limit: Arc<AdaptiveLimit>,
    breaker: CircuitBreaker,
    cache: Arc<UpstreamCache>,
    metrics: Arc<Metrics>,
    upstream_requests: AtomicU64,
    last_latency_us: AtomicU64,
    version: Mutex<Option<String>>,
    tuning: ClientTuning,
    /// Bytes a request target (path and query) may take: `max_request_bytes` less the
    /// request line's method and version and the headers the client sends.
    target_room: usize,
}

impl std::fmt::Debug for JenkinsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsClient")
            .field("name", &self.inner.name)
            .field("base", &self.inner.base.as_str())
            .field("authenticated", &self.inner.auth.is_some())
            .field("forward", &self.inner.forward)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl JenkinsClient {
    /// A client for `config`, sharing `cache` with the other clients.
    pub(crate) fn new(
        config: &ConnectionConfig,
        cache: Arc<UpstreamCache>,
    ) -> Result<Self, ConfigError> {
        Self::with_tuning(config, cache, ClientTuning::default())
    }

    /// Like [`JenkinsClient::new`] with explicit retry/breaker timing.
    pub(crate) fn with_tuning(
        config: &ConnectionConfig,
        cache: Arc<UpstreamCache>,
        tuning: ClientTuning,
    ) -> Result<Self, ConfigError> {
        let base = config.base_url()?;
        let timeout = config.timeout();
        let http = http_client(config, timeout)?;
        let auth = basic_auth(config)?;
        let scope = credential_scope(config.username.as_deref(), config.token.as_ref());
        let shared_scope = shared_scope(config.username.as_deref(), config.token.as_ref());
        let forward = config.auth == ConnectionAuth::Forward;
        // What a request head holds besides its target: `GET ` and ` HTTP/1.1`, and the
        // headers sent with it (host, authorization, user agent, accept, accept-encoding),
        // plus room for a trace header.
        let head_overhead = "GET  HTTP/1.1\r\n".len()
            + "host: \r\n".len()
            + base.host_str().map_or(0, str::len)
            + 6
            + auth
                .as_ref()
                .map_or(0, |a| "authorization: \r\n".len() + a.len())
            + if forward { FORWARDED_AUTH_ROOM } else { 0 }
            + concat!("user-agent: majordomo/", env!("CARGO_PKG_VERSION"), "\r\n").len()
            + "accept: */*\r\naccept-encoding: gzip\r\n\r\n".len()
            + 128;
        let probe_timeout = timeout.saturating_mul(2) + tuning.retry_backoff;
        Ok(JenkinsClient {
            inner: Arc::new(Inner {
                name: Arc::from(config.name.as_str()),
                base,
                http,
                auth,
                scope,
                shared_scope,
                forward,
                timeout,
                limit: AdaptiveLimit::new(config.min_concurrency, config.max_concurrency),
                breaker: CircuitBreaker::new(
                    tuning.breaker_threshold,
                    tuning.breaker_cooldown,
                    probe_timeout,
                ),
                metrics: Arc::clone(cache.metrics()),
                cache,
                upstream_requests: AtomicU64::new(0),
                last_latency_us: AtomicU64::new(u64::MAX),
                version: Mutex::new(None),
                tuning,
                target_room: config.max_request_bytes.saturating_sub(head_overhead),
            }),
        })
    }

    /// Bytes a tree may take, encoded, in a request for the item `full_name` (`""`: the
    /// root), so that the whole request fits the controller's limit.
    pub(crate) fn item_room(&self, full_name: &str) -> usize {
        let path = self.job_path(full_name).unwrap_or_default();
        self.room_after(&path)
    }

    /// Bytes a tree may take in a request for build `number` of `full_name`.
    pub(crate) fn build_room(&self, full_name: &str, number: u32) -> usize {
        let path = self.build_path(full_name, number).unwrap_or_default();
        self.room_after(&path)
    }

    fn room_after(&self, path: &str) -> usize {
        let fixed = self.inner.base.path().len() + path.len() + "api/json?tree=".len();
        self.inner.target_room.saturating_sub(fixed)
    }

    /// The connection name.
    pub(crate) fn name(&self) -> &str {
        &self.inner.name
    }

    /// HTTP requests sent to this controller so far (retries and HEADs included).
    pub(crate) fn upstream_requests(&self) -> u64 {
        self.inner.upstream_requests.load(Ordering::Relaxed)
    }

    /// Time to response headers of the latest upstream request.
    pub(crate) fn last_latency(&self) -> Option<Duration> {
        match self.inner.last_latency_us.load(Ordering::Relaxed) {
            u64::MAX => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// Whether each caller's forwarded credentials replace the service account's.
    pub(crate) fn forwards(&self) -> bool {
        self.inner.forward
    }

    /// The circuit breaker's state.
    pub(crate) fn circuit_state(&self) -> CircuitState {
        self.inner.breaker.state()
    }

    /// Requests holding a concurrency slot now, and how many the adaptive limit lets in.
    pub(crate) fn slots(&self) -> (usize, usize) {
        (self.inner.limit.in_flight(), self.inner.limit.limit())
    }

    /// The shared cache.
    #[cfg(test)]
    pub(crate) fn cache(&self) -> &Arc<UpstreamCache> {
        &self.inner.cache
    }

    // ----- typed requests -------------------------------------------------

    /// The controller root (`api/json`) with a tree such as
    /// `jobs[name,url,color],quietingDown`. A listing lives as long as listings do; a
    /// root asked only for its state (no `jobs`) is volatile.
    pub(crate) async fn root(
        &self,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::Item>, JenkinsError> {
        let class = if tree.has("jobs") {
            CacheClass::Listing
        } else {
            CacheClass::Volatile
        };
        let (metrics, name) = (&self.inner.metrics, &self.inner.name);
        self.fetch_json(
            api_json("", tree),
            Endpoint::Listing,
            budget,
            move |root: &wire::Item| {
                metrics.fleet.jobs(name, root);
                class
            },
        )
        .await
        .map_err(|e| self.root_error(e))
    }

    /// A job or folder by full name (`a/b/c`) with a tree. Class: listing.
    pub(crate) async fn item(
        &self,
        full_name: &str,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::Item>, JenkinsError> {
        let path = self.job_path(full_name)?;
        self.fetch_json(
            api_json(&path, tree),
            Endpoint::Listing,
            budget,
            |_: &wire::Item| CacheClass::Listing,
        )
        .await
    }

    /// A build. `building` is added to the tree when missing, because the
    /// class depends on it: finished builds are immutable, running ones volatile.
    pub(crate) async fn build(
        &self,
        full_name: &str,
        number: u32,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::Build>, JenkinsError> {
        let path = self.build_path(full_name, number)?;
        let mut tree = tree.clone();
        if !tree.is_empty() {
            tree.leaf("building");
        }
        self.fetch_json(api_json(&path, &tree), Endpoint::Build, budget, build_class)
            .await
    }

    /// The build queue. Class: volatile.
    pub(crate) async fn queue(
        &self,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::Queue>, JenkinsError> {
        let (metrics, name) = (&self.inner.metrics, &self.inner.name);
        self.fetch_json(
            api_json("queue/", tree),
            Endpoint::Queue,
            budget,
            |q: &wire::Queue| {
                metrics.fleet.queue(name, q);
                CacheClass::Volatile
            },
        )
        .await
    }

    /// Computers (agents). Class: listing.
    pub(crate) async fn computers(
        &self,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::ComputerSet>, JenkinsError> {
        let (metrics, name) = (&self.inner.metrics, &self.inner.name);
        self.fetch_json(
            api_json("computer/", tree),
            Endpoint::Computers,
            budget,
            |c: &wire::ComputerSet| {
                metrics.fleet.computers(name, c);
                CacheClass::Listing
            },
        )
        .await
    }

    /// The computers with a `tree` that leaves out what the fleet gauges are computed from
    /// (e.g. only the builds running on one-off executors), so they are left as they are.
    /// Class: listing.
    pub(crate) async fn computers_partial(
        &self,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::ComputerSet>, JenkinsError> {
        self.fetch_json(
            api_json("computer/", tree),
            Endpoint::Computers,
            budget,
            |_: &wire::ComputerSet| CacheClass::Listing,
        )
        .await
    }

    /// A queue item by id, also after it left the queue (then it tells what it became:
    /// `executable`, `cancelled`). Class: volatile.
    pub(crate) async fn queue_item(
        &self,
        id: i64,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::QueueItem>, JenkinsError> {
        self.fetch_json(
            api_json(&format!("queue/item/{id}/"), tree),
            Endpoint::Queue,
            budget,
            |_: &wire::QueueItem| CacheClass::Volatile,
        )
        .await
    }

    /// A 404 on the root means the URL is wrong, not that something is missing.
    fn root_error(&self, e: JenkinsError) -> JenkinsError {
        match e {
            JenkinsError::NotFound { connection } => JenkinsError::RootNotFound { connection },
            other => other,
        }
    }

    /// An item (`""`: the root) as raw JSON: one part of a request the planner split,
    /// merged with the others before it is parsed. Class: listing.
    pub(crate) async fn item_json(
        &self,
        full_name: &str,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<serde_json::Value>, JenkinsError> {
        let path = self.job_path(full_name)?;
        let answer = self
            .fetch_json(
                api_json(&path, tree),
                Endpoint::Listing,
                budget,
                |_: &serde_json::Value| CacheClass::Listing,
            )
            .await;
        if path.is_empty() {
            answer.map_err(|e| self.root_error(e))
        } else {
            answer
        }
    }

    /// A build as raw JSON: one part of a split request. The class follows `building`
    /// when the part asked for it; else the part is volatile.
    pub(crate) async fn build_json(
        &self,
        full_name: &str,
        number: u32,
        tree: &Tree,
        budget: &QueryBudget,
    ) -> Result<Arc<serde_json::Value>, JenkinsError> {
        let path = self.build_path(full_name, number)?;
        self.fetch_json(
            api_json(&path, tree),
            Endpoint::Build,
            budget,
            |v: &serde_json::Value| match v.get("building") {
                Some(serde_json::Value::Bool(false)) => CacheClass::Immutable,
                _ => CacheClass::Volatile,
            },
        )
        .await
    }

    /// Who the credentials authenticate as; the cheapest credential check. Class: volatile.
    pub(crate) async fn whoami(
        &self,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::WhoAmI>, JenkinsError> {
        // Never from Redis: this is also how the version is learnt (`X-Jenkins`), which an
        // answer another replica loaded does not carry.
        self.fetch_json_with(
            api_json("whoAmI/", &Tree::new()),
            Endpoint::WhoAmI,
            budget,
            |_: &wire::WhoAmI| CacheClass::Volatile,
            false,
        )
        .await
    }

    /// The Jenkins version from the `X-Jenkins` header: the last one seen on
    /// any response, or else from a `whoami` request. `None` when a proxy strips it.
    pub(crate) async fn version(
        &self,
        budget: &QueryBudget,
    ) -> Result<Option<String>, JenkinsError> {
        if let Some(version) = self.seen_version() {
            return Ok(Some(version));
        }
        if let Some(shared) = self.inner.cache.shared() {
            if let Some(version) = shared.version(&self.inner.name).await {
                return Ok(Some(version));
            }
        }
        self.whoami(budget).await?;
        Ok(self.seen_version())
    }

    /// The cache keys of `request` for the credentials it is sent with: the service
    /// account's, or on a forwarding connection the caller's own (anonymous without them).
    /// The second is the Redis key, when Redis is configured; a caller's forwarded
    /// credentials never reach Redis (their digest could be guessed offline from a weak
    /// password), so forwarding connections keep their answers in process.
    fn keys<T: 'static>(
        &self,
        request: String,
        budget: &QueryBudget,
    ) -> (CacheKey, Option<String>) {
        let shared = (self.inner.cache.is_shared() && !self.inner.forward)
            .then(|| SharedCache::key(&self.inner.name, &self.inner.shared_scope, &request));
        let scope = if self.inner.forward {
            budget
                .forwarded()
                .map_or_else(|| credential_scope(None, None), |f| f.scope())
        } else {
            self.inner.scope
        };
        (
            CacheKey::new::<T>(Arc::clone(&self.inner.name), scope, request),
            shared,
        )
    }

    /// What a value computed by the gateway (a log tail, a search) is stored as in Redis:
    /// its JSON, when Redis is configured.
    fn shared_body<T: serde::Serialize>(&self, value: &T) -> Option<Vec<u8>> {
        if self.inner.cache.is_shared() && !self.inner.forward {
            serde_json::to_vec(value).ok()
        } else {
            None
        }
    }

    /// The `Authorization` header a request carries, if any.
    fn authorization<'a>(&'a self, budget: &'a QueryBudget) -> Option<&'a HeaderValue> {
        if self.inner.forward {
            budget.forwarded().map(|f| f.header())
        } else {
            self.inner.auth.as_ref()
        }
    }

    /// The version from the last `X-Jenkins` header seen, if any.
    pub(crate) fn seen_version(&self) -> Option<String> {
        self.inner
            .version
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn bad_request(&self, detail: impl Into<String>) -> JenkinsError {
        JenkinsError::BadRequest {
            connection: self.inner.name.to_string(),
            status: None,
            detail: detail.into(),
        }
    }

    fn invalid_name(&self, e: InvalidFullName) -> JenkinsError {
        self.bad_request(e.to_string())
    }

    fn job_path(&self, full_name: &str) -> Result<String, JenkinsError> {
        job_path(full_name).map_err(|e| self.invalid_name(e))
    }

    fn build_path(&self, full_name: &str, number: u32) -> Result<String, JenkinsError> {
        build_path(full_name, number).map_err(|e| self.invalid_name(e))
    }

    fn invalid_response(&self, rel: &str, detail: String) -> JenkinsError {
        JenkinsError::InvalidResponse {
            connection: self.inner.name.to_string(),
            path: strip_query(rel).to_string(),
            detail,
        }
    }
}

fn build_class(build: &wire::Build) -> CacheClass {
    match build.building {
        Some(false) => CacheClass::Immutable,
        _ => CacheClass::Volatile,
    }
}

fn finished_class(finished: bool) -> CacheClass {
    if finished {
        CacheClass::Immutable
    } else {
        CacheClass::Volatile
    }
}

fn strip_query(rel: &str) -> &str {
    rel.split_once('?').map_or(rel, |(path, _)| path)
}

/// The HTTP client of one connection: its timeouts, the CA bundle it trusts and whether it
/// verifies certificates at all.
fn http_client(
    config: &ConnectionConfig,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("majordomo/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(60));
    if let Some(path) = &config.ca_file {
        let ca_error = |detail: String| ConfigError::CaFile {
            connection: config.name.clone(),
            path: path.clone(),
            detail,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate found".into()));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if !config.tls_verify {
        tracing::warn!(connection = %config.name, "TLS certificate verification is disabled for this connection");
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| ConfigError::HttpClient {
        connection: config.name.clone(),
        detail: e.without_url().to_string(),
    })
}

/// The `Authorization` header of the connection's service account, marked sensitive so
/// that no debug output prints it.
fn basic_auth(config: &ConnectionConfig) -> Result<Option<HeaderValue>, ConfigError> {
    match config.credentials() {
        Some((user, token)) => {
            use secrecy::ExposeSecret as _;
            let raw = format!("{user}:{}", token.expose_secret());
            let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
            let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                ConfigError::IncompleteCredentials {
                    connection: config.name.clone(),
                    detail: "the username or token contains characters not allowed in a header"
                        .into(),
                }
            })?;
            value.set_sensitive(true);
            Ok(Some(value))
        }
        None => Ok(None),
    }
}
