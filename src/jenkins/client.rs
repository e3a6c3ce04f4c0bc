//! [`JenkinsClient`]: one per connection. Owns the HTTP client (auth, TLS,
//! timeouts), the per-controller concurrency limit, retry and circuit
//! breaker, and sends every GET through the shared [`UpstreamCache`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::breaker::{CircuitBreaker, CircuitState};
use super::error::JenkinsError;
use super::log::{
    drop_partial_first_line, ConsoleDecoder, LogGrep, LogSearcher, LogTail, TailBuffer,
};
use super::path::{
    api_json, build_path, encode_query_value, job_path, raw_encode, InvalidFullName,
};
use super::tree::Tree;
use super::wire;
use crate::cache::{credential_scope, CacheClass, CacheKey, Loaded, UpstreamCache};
use crate::config::{ConfigError, ConnectionConfig};

/// Largest tail a caller may ask for; bounds memory per request.
pub(crate) const MAX_TAIL_BYTES: usize = 8 * 1024 * 1024;
/// Most grep matches a caller may ask for.
pub(crate) const MAX_GREP_MATCHES: usize = 1_000;
/// Most context lines (each side) a caller may ask for.
pub(crate) const MAX_GREP_CONTEXT: usize = 50;
/// Longest URL the client sends. Jenkins' servlet containers refuse far shorter request
/// lines (8 KiB by default); this bound only keeps absurd arguments off the wire.
pub(crate) const MAX_URL_BYTES: usize = 64 * 1024;
/// `builds` holds the newest 100 builds; past that only `allBuilds` helps.
pub(crate) const BUILDS_WINDOW: u32 = 100;

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
    timeout: Duration,
    permits: Arc<Semaphore>,
    breaker: CircuitBreaker,
    cache: Arc<UpstreamCache>,
    upstream_requests: AtomicU64,
    last_latency_us: AtomicU64,
    version: Mutex<Option<String>>,
    tuning: ClientTuning,
}

impl std::fmt::Debug for JenkinsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsClient")
            .field("name", &self.inner.name)
            .field("base", &self.inner.base.as_str())
            .field("authenticated", &self.inner.auth.is_some())
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Whether a request's whole exchange is bounded by the timeout (JSON), or
/// only each read (streamed logs, which may legitimately take longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    Total,
    PerRead,
}

/// A response that still holds its concurrency permit while the body is read.
struct Upstream {
    response: Response,
    _permit: OwnedSemaphorePermit,
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
        let http = builder.build().map_err(|e| ConfigError::HttpClient {
            connection: config.name.clone(),
            detail: e.without_url().to_string(),
        })?;
        let auth = match config.credentials() {
            Some((user, token)) => {
                use secrecy::ExposeSecret as _;
                let raw = format!("{user}:{}", token.expose_secret());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                let mut value =
                    HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                        ConfigError::IncompleteCredentials {
                            connection: config.name.clone(),
                            detail:
                                "the username or token contains characters not allowed in a header"
                                    .into(),
                        }
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let scope = credential_scope(config.username.as_deref(), config.token.as_ref());
        let probe_timeout = timeout.saturating_mul(2) + tuning.retry_backoff;
        Ok(JenkinsClient {
            inner: Arc::new(Inner {
                name: Arc::from(config.name.as_str()),
                base,
                http,
                auth,
                scope,
                timeout,
                permits: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
                breaker: CircuitBreaker::new(
                    tuning.breaker_threshold,
                    tuning.breaker_cooldown,
                    probe_timeout,
                ),
                cache,
                upstream_requests: AtomicU64::new(0),
                last_latency_us: AtomicU64::new(u64::MAX),
                version: Mutex::new(None),
                tuning,
            }),
        })
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

    /// The circuit breaker's state.
    pub(crate) fn circuit_state(&self) -> CircuitState {
        self.inner.breaker.state()
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
    pub(crate) async fn root(&self, tree: &Tree) -> Result<Arc<wire::Item>, JenkinsError> {
        let class = if tree.has("jobs") {
            CacheClass::Listing
        } else {
            CacheClass::Volatile
        };
        self.fetch_json(api_json("", tree), move |_: &wire::Item| class)
            .await
    }

    /// A job or folder by full name (`a/b/c`) with a tree. Class: listing.
    pub(crate) async fn item(
        &self,
        full_name: &str,
        tree: &Tree,
    ) -> Result<Arc<wire::Item>, JenkinsError> {
        let path = self.job_path(full_name)?;
        self.fetch_json(api_json(&path, tree), |_: &wire::Item| CacheClass::Listing)
            .await
    }

    /// A build. `building` is added to the tree when missing, because the
    /// class depends on it: finished builds are immutable, running ones volatile.
    pub(crate) async fn build(
        &self,
        full_name: &str,
        number: u32,
        tree: &Tree,
    ) -> Result<Arc<wire::Build>, JenkinsError> {
        let path = self.build_path(full_name, number)?;
        let mut tree = tree.clone();
        if !tree.is_empty() {
            tree.leaf("building");
        }
        self.fetch_json(api_json(&path, &tree), build_class).await
    }

    /// The build queue. Class: volatile.
    pub(crate) async fn queue(&self, tree: &Tree) -> Result<Arc<wire::Queue>, JenkinsError> {
        self.fetch_json(api_json("queue/", tree), |_: &wire::Queue| {
            CacheClass::Volatile
        })
        .await
    }

    /// Computers (agents). Class: listing.
    pub(crate) async fn computers(
        &self,
        tree: &Tree,
    ) -> Result<Arc<wire::ComputerSet>, JenkinsError> {
        self.fetch_json(api_json("computer/", tree), |_: &wire::ComputerSet| {
            CacheClass::Listing
        })
        .await
    }

    /// Who the credentials authenticate as; the cheapest credential check. Class: volatile.
    pub(crate) async fn whoami(&self) -> Result<Arc<wire::WhoAmI>, JenkinsError> {
        self.fetch_json(api_json("whoAmI/", &Tree::new()), |_: &wire::WhoAmI| {
            CacheClass::Volatile
        })
        .await
    }

    /// The Jenkins version from the `X-Jenkins` header: the last one seen on
    /// any response, or else from a `whoami` request. `None` when a proxy strips it.
    pub(crate) async fn version(&self) -> Result<Option<String>, JenkinsError> {
        if let Some(version) = self.seen_version() {
            return Ok(Some(version));
        }
        self.whoami().await?;
        Ok(self.seen_version())
    }

    /// The junit test report of a build. Pass `finished` from the build: a
    /// running pipeline may still add results. 404 when the build has none.
    pub(crate) async fn test_report(
        &self,
        full_name: &str,
        number: u32,
        tree: &Tree,
        finished: bool,
    ) -> Result<Arc<wire::TestReport>, JenkinsError> {
        let path = format!("{}testReport/", self.build_path(full_name, number)?);
        self.fetch_json(api_json(&path, tree), move |_: &wire::TestReport| {
            finished_class(finished)
        })
        .await
    }

    /// Stages of a pipeline run (`wfapi/describe`). Class from the run status.
    /// A 404 is explained as NOT_FOUND, NOT_A_PIPELINE or PIPELINE_API_MISSING.
    pub(crate) async fn wfapi_describe(
        &self,
        full_name: &str,
        number: u32,
    ) -> Result<Arc<wire::RunExt>, JenkinsError> {
        let path = format!("{}wfapi/describe", self.build_path(full_name, number)?);
        let result = self
            .fetch_json(path, |run: &wire::RunExt| {
                if run.is_running() {
                    CacheClass::Volatile
                } else {
                    CacheClass::Immutable
                }
            })
            .await;
        self.explain_wfapi(result, full_name, Some(number)).await
    }

    /// One flow node (a stage with its `stageFlowNodes`, or a step).
    pub(crate) async fn wfapi_node(
        &self,
        full_name: &str,
        number: u32,
        node_id: &str,
    ) -> Result<Arc<wire::StageNodeExt>, JenkinsError> {
        let path = format!(
            "{}execution/node/{}/wfapi/describe",
            self.build_path(full_name, number)?,
            raw_encode(node_id)
        );
        let result = self
            .fetch_json(path, |node: &wire::StageNodeExt| {
                match node.status.as_deref() {
                    Some("IN_PROGRESS") | Some("PAUSED_PENDING_INPUT") | None => {
                        CacheClass::Volatile
                    }
                    Some(_) => CacheClass::Immutable,
                }
            })
            .await;
        self.explain_wfapi_node(result, full_name, number).await
    }

    /// The last 10 KiB of one step's log, as HTML (`wfapi/log`). Pass
    /// `finished` from the run: `nodeStatus` says SUCCESS even while running.
    pub(crate) async fn wfapi_node_log(
        &self,
        full_name: &str,
        number: u32,
        node_id: &str,
        finished: bool,
    ) -> Result<Arc<wire::NodeLogExt>, JenkinsError> {
        let path = format!(
            "{}execution/node/{}/wfapi/log",
            self.build_path(full_name, number)?,
            raw_encode(node_id)
        );
        let result = self
            .fetch_json(path, move |_: &wire::NodeLogExt| finished_class(finished))
            .await;
        self.explain_wfapi_node(result, full_name, number).await
    }

    // ----- logs -------------------------------------------------------------

    /// The end of a build's console log: at most `max_bytes` of visible text,
    /// whole lines, annotations stripped, LF line endings. Reads only the end:
    /// a HEAD learns the size (`X-Text-Size`), then a GET streams from near
    /// the end. Class: immutable once the log is complete, else volatile.
    pub(crate) async fn log_tail(
        &self,
        full_name: &str,
        number: u32,
        max_bytes: usize,
    ) -> Result<Arc<LogTail>, JenkinsError> {
        let max_bytes = max_bytes.clamp(1, MAX_TAIL_BYTES);
        let base = format!(
            "{}logText/progressiveText",
            self.build_path(full_name, number)?
        );
        let key = self.key::<LogTail>(format!("{base}#tail={max_bytes}"));
        self.inner
            .cache
            .get_or_load(key, async {
                let tail = self.load_log_tail(&base, max_bytes).await?;
                Ok(Loaded {
                    weight: tail.text.len(),
                    class: finished_class(!tail.more_data),
                    value: tail,
                })
            })
            .await
    }

    /// Searches a build's whole console log for lines containing `pattern`
    /// (plain, case-sensitive), streaming it chunk by chunk with bounded memory.
    /// Returns up to `max_matches` matches with `context` lines each side.
    pub(crate) async fn log_grep(
        &self,
        full_name: &str,
        number: u32,
        pattern: &str,
        context: usize,
        max_matches: usize,
    ) -> Result<Arc<LogGrep>, JenkinsError> {
        if pattern.is_empty() {
            return Err(self.bad_request("the search pattern is empty"));
        }
        let context = context.min(MAX_GREP_CONTEXT);
        let max_matches = max_matches.clamp(1, MAX_GREP_MATCHES);
        let base = format!(
            "{}logText/progressiveText",
            self.build_path(full_name, number)?
        );
        let key = self.key::<LogGrep>(format!(
            "{base}#grep={}&context={context}&max={max_matches}",
            encode_query_value(pattern)
        ));
        self.inner
            .cache
            .get_or_load(key, async {
                let grep = self
                    .load_log_grep(&base, pattern, context, max_matches)
                    .await?;
                let weight = grep
                    .matches
                    .iter()
                    .map(|m| {
                        m.line.len()
                            + m.before
                                .iter()
                                .chain(&m.after)
                                .map(String::len)
                                .sum::<usize>()
                    })
                    .sum::<usize>()
                    + 64;
                Ok(Loaded {
                    weight,
                    class: finished_class(!grep.more_data),
                    value: grep,
                })
            })
            .await
    }

    async fn load_log_tail(&self, base: &str, max_bytes: usize) -> Result<LogTail, JenkinsError> {
        // Annotations can make up most of a pipeline log's bytes, so read a
        // raw window twice the size of the visible text we keep.
        let window = (max_bytes as u64).saturating_mul(2);
        let size = self.log_size(base).await?;
        let start = size.map_or(0, |size| size.saturating_sub(window));
        // Start one byte early: if that byte is '\n', the line at `start` is
        // whole. `start` never exceeds the size, since Jenkins would answer a
        // start beyond the end with the whole log.
        let fetch_from = start.saturating_sub(1);
        let upstream = self
            .send(
                Method::GET,
                &format!("{base}?start={fetch_from}"),
                Deadline::PerRead,
            )
            .await?;
        let (total, more_data) = log_headers(upstream.response.headers());
        let mut decoder = ConsoleDecoder::new();
        let mut tail = TailBuffer::new(max_bytes + 1);
        let mut scratch = Vec::new();
        let mut response = upstream.response;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            decoder.push(&chunk, &mut scratch);
            tail.push(&scratch);
            scratch.clear();
        }
        decoder.finish(&mut scratch);
        tail.push(&scratch);
        let (mut bytes, dropped) = tail.into_tail();
        let mut truncated = fetch_from > 0 || dropped;
        if truncated {
            drop_partial_first_line(&mut bytes);
        }
        if bytes.len() > max_bytes {
            bytes.drain(..bytes.len() - max_bytes);
            drop_partial_first_line(&mut bytes);
            truncated = true;
        }
        Ok(LogTail {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            total_bytes: total.or(size).unwrap_or(0),
            truncated,
            more_data,
        })
    }

    /// `X-Text-Size` of a log, from a HEAD (the body is never transferred).
    async fn log_size(&self, base: &str) -> Result<Option<u64>, JenkinsError> {
        let path = format!("{base}?start=0");
        match self.send(Method::HEAD, &path, Deadline::Total).await {
            Ok(upstream) => Ok(log_headers(upstream.response.headers()).0),
            // Some proxies refuse HEAD: read the headers of a GET and drop the body.
            Err(JenkinsError::BadRequest {
                status: Some(405 | 501),
                ..
            }) => {
                let upstream = self.send(Method::GET, &path, Deadline::PerRead).await?;
                Ok(log_headers(upstream.response.headers()).0)
            }
            Err(e) => Err(e),
        }
    }

    async fn load_log_grep(
        &self,
        base: &str,
        pattern: &str,
        context: usize,
        max_matches: usize,
    ) -> Result<LogGrep, JenkinsError> {
        // One request from the start: `X-Text-Size` cannot be used to page a
        // running build's log (Jenkins may send fewer lines than that size
        // covers), and a finished build's log comes whole.
        let upstream = self
            .send(Method::GET, &format!("{base}?start=0"), Deadline::PerRead)
            .await?;
        let (size, more_data) = log_headers(upstream.response.headers());
        let size = size.unwrap_or(0);
        let mut decoder = ConsoleDecoder::new();
        let mut searcher = LogSearcher::new(pattern, context, max_matches);
        let mut scratch = Vec::new();
        let mut response = upstream.response;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            decoder.push(&chunk, &mut scratch);
            searcher.push(&scratch);
            scratch.clear();
            if searcher.is_done() {
                // Enough matches: dropping the response closes the stream.
                return Ok(searcher.finish(size, more_data));
            }
        }
        decoder.finish(&mut scratch);
        searcher.push(&scratch);
        Ok(searcher.finish(size, more_data))
    }

    // ----- plumbing ---------------------------------------------------------

    fn key<T: 'static>(&self, request: String) -> CacheKey {
        CacheKey::new::<T>(Arc::clone(&self.inner.name), self.inner.scope, request)
    }

    fn seen_version(&self) -> Option<String> {
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

    async fn fetch_json<T, C>(&self, rel: String, classify: C) -> Result<Arc<T>, JenkinsError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        C: FnOnce(&T) -> CacheClass,
    {
        let key = self.key::<T>(rel.clone());
        self.inner
            .cache
            .get_or_load(key, async {
                let (value, weight) = self.load_json::<T>(&rel).await?;
                let class = classify(&value);
                Ok(Loaded {
                    value,
                    weight,
                    class,
                })
            })
            .await
    }

    async fn load_json<T: DeserializeOwned>(&self, rel: &str) -> Result<(T, usize), JenkinsError> {
        let upstream = self.send(Method::GET, rel, Deadline::Total).await?;
        let content_type = upstream
            .response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let mut response = upstream.response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            if body.len() + chunk.len() > self.inner.tuning.max_body_bytes {
                return Err(self.invalid_response(
                    rel,
                    format!(
                        "body larger than {} bytes",
                        self.inner.tuning.max_body_bytes
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        match serde_json::from_slice::<T>(&body) {
            Ok(value) => Ok((value, body.len())),
            // The serde message names a line and column, never the body,
            // which may be a login page we have no business echoing.
            Err(e) => Err(self.invalid_response(rel, format!("{e} (content-type {content_type})"))),
        }
    }

    fn invalid_response(&self, rel: &str, detail: String) -> JenkinsError {
        JenkinsError::InvalidResponse {
            connection: self.inner.name.to_string(),
            path: strip_query(rel).to_string(),
            detail,
        }
    }

    /// Sends one request with the concurrency limit, one retry of connection
    /// errors / 502 / 503 after a short backoff, and the circuit breaker.
    /// Non-2xx statuses become errors.
    async fn send(
        &self,
        method: Method,
        rel: &str,
        deadline: Deadline,
    ) -> Result<Upstream, JenkinsError> {
        let inner = &self.inner;
        if let Err(open) = inner.breaker.admit() {
            return Err(JenkinsError::CircuitOpen {
                connection: inner.name.to_string(),
                cause: open.cause,
                retry_in_ms: u64::try_from(open.retry_in.as_millis()).unwrap_or(u64::MAX),
            });
        }
        let url = inner
            .base
            .join(rel)
            .map_err(|e| self.bad_request(format!("cannot build a URL from the request: {e}")))?;
        // The credentials go only to this controller, under its context path.
        if !url.as_str().starts_with(inner.base.as_str()) {
            return Err(self.bad_request("the request leaves the connection's URL"));
        }
        // No controller accepts a request line this long; refusing it here keeps a
        // client's oversized argument from ever looking like a controller failure.
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(self.bad_request(format!(
                "the URL would be {} bytes, over the {MAX_URL_BYTES} any controller accepts",
                url.as_str().len()
            )));
        }
        // Waiting for a slot counts against the timeout, so a saturated
        // controller cannot hold a caller longer than its own timeout.
        let permit =
            tokio::time::timeout(inner.timeout, Arc::clone(&inner.permits).acquire_owned())
                .await
                .map_err(|_| JenkinsError::Timeout {
                    connection: inner.name.to_string(),
                    detail: "no free request slot for this controller within the timeout".into(),
                })?
                .map_err(|_| JenkinsError::Unreachable {
                    connection: inner.name.to_string(),
                    detail: "client is shutting down".into(),
                })?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = inner.http.request(method.clone(), url.clone());
            if let Some(auth) = &inner.auth {
                request = request.header(AUTHORIZATION, auth.clone());
            }
            if deadline == Deadline::Total {
                request = request.timeout(inner.timeout);
            }
            inner.upstream_requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = request.send().await;
            let elapsed = started.elapsed();
            match outcome {
                Ok(response) => {
                    inner.breaker.record_success();
                    inner.last_latency_us.store(
                        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX - 1),
                        Ordering::Relaxed,
                    );
                    self.remember_version(response.headers());
                    let status = response.status();
                    tracing::debug!(
                        connection = %inner.name, %method, path = strip_query(rel),
                        status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64,
                        "jenkins request"
                    );
                    if status.is_success() {
                        return Ok(Upstream {
                            response,
                            _permit: permit,
                        });
                    }
                    if attempt == 1 && is_retryable_status(status) {
                        tokio::time::sleep(inner.tuning.retry_backoff).await;
                        continue;
                    }
                    return Err(JenkinsError::from_status(
                        status.as_u16(),
                        response.headers(),
                        &inner.name,
                    ));
                }
                // reqwest refused to build the request: the client's fault, not the controller's.
                Err(error) if error.is_builder() => {
                    return Err(self.bad_request(format!(
                        "the request could not be built: {}",
                        error.without_url()
                    )));
                }
                Err(error) => {
                    let retryable = is_retryable_error(&error);
                    let classified = self.classify(error);
                    tracing::debug!(
                        connection = %inner.name, %method, path = strip_query(rel),
                        code = classified.code(), attempt, "jenkins request failed"
                    );
                    if attempt == 1 && retryable {
                        tokio::time::sleep(inner.tuning.retry_backoff).await;
                        continue;
                    }
                    if classified.is_connection_failure() {
                        inner.breaker.record_failure(classified.code());
                    }
                    return Err(classified);
                }
            }
        }
    }

    fn remember_version(&self, headers: &HeaderMap) {
        if let Some(version) = headers.get("x-jenkins").and_then(|v| v.to_str().ok()) {
            let mut slot = self
                .inner
                .version
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if slot.as_deref() != Some(version) {
                *slot = Some(version.to_string());
            }
        }
    }

    /// Maps a transport error to TIMEOUT, TLS_ERROR or UNREACHABLE. The URL
    /// is removed from the message; it never held credentials anyway.
    fn classify(&self, error: reqwest::Error) -> JenkinsError {
        let connection = self.inner.name.to_string();
        if error.is_timeout() {
            return JenkinsError::Timeout {
                connection,
                detail: format!("no answer within {} ms", self.inner.timeout.as_millis()),
            };
        }
        let error = error.without_url();
        let chain = error_chain(&error);
        if error.is_connect() && (has_invalid_data_io(&error) || looks_like_tls(&chain)) {
            return JenkinsError::TlsError {
                connection,
                detail: chain,
            };
        }
        JenkinsError::Unreachable {
            connection,
            detail: chain,
        }
    }

    /// Turns a wfapi 404 into NOT_FOUND, NOT_A_PIPELINE or PIPELINE_API_MISSING
    /// by asking the classic API what the job or run is.
    async fn explain_wfapi<T>(
        &self,
        result: Result<T, JenkinsError>,
        full_name: &str,
        number: Option<u32>,
    ) -> Result<T, JenkinsError> {
        let Err(JenkinsError::NotFound { .. }) = &result else {
            return result;
        };
        let is_pipeline = match number {
            Some(number) => {
                let mut number_only = Tree::new();
                number_only.leaf("number");
                let path = api_json(&self.build_path(full_name, number)?, &number_only);
                self.fetch_json(path, |_: &wire::Build| CacheClass::Volatile)
                    .await?
                    .is_pipeline()
            }
            None => {
                let mut name_only = Tree::new();
                name_only.leaf("name");
                let path = api_json(&self.job_path(full_name)?, &name_only);
                self.fetch_json(path, |_: &wire::Item| CacheClass::Volatile)
                    .await?
                    .is_pipeline()
            }
        };
        let connection = self.inner.name.to_string();
        let job = full_name.to_string();
        Err(if is_pipeline {
            JenkinsError::PipelineApiMissing { connection, job }
        } else {
            JenkinsError::NotAPipeline { connection, job }
        })
    }

    /// A node-level wfapi 404 usually means the node does not exist; only if
    /// the run's own `wfapi/describe` fails too is the API itself in question.
    async fn explain_wfapi_node<T>(
        &self,
        result: Result<T, JenkinsError>,
        full_name: &str,
        number: u32,
    ) -> Result<T, JenkinsError> {
        let Err(JenkinsError::NotFound { .. }) = &result else {
            return result;
        };
        self.wfapi_describe(full_name, number).await?;
        result
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

/// `X-Text-Size` and whether `X-More-Data: true` is present.
fn log_headers(headers: &HeaderMap) -> (Option<u64>, bool) {
    let size = headers
        .get("x-text-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let more = headers
        .get("x-more-data")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    (size, more)
}

fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::BAD_GATEWAY || status == StatusCode::SERVICE_UNAVAILABLE
}

/// Connection failures (refused, reset, closed before an answer) are worth
/// one more try for a GET; timeouts are not (they would double the wait), nor
/// are TLS failures (they will fail the same way).
fn is_retryable_error(error: &reqwest::Error) -> bool {
    !error.is_timeout()
        && (error.is_connect() || error.is_request())
        && !looks_like_tls(&error_chain(error))
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// tokio-rustls reports handshake failures as `io::Error` of kind
/// `InvalidData` wrapping the rustls error; we do not depend on rustls to
/// name its type, so this and the wording below identify TLS failures.
fn has_invalid_data_io(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = error.source();
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = e.source();
    }
    false
}

fn looks_like_tls(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "unknownissuer",
        "invalid peer",
        "corrupt message",
        "fatal alert",
        "peer is incompatible",
        "peer misbehaved",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}
