//! Sending one request: the adaptive concurrency slot, one retry where it is safe, the
//! circuit breaker, and transport errors classified into [`JenkinsError`]s. Each exchange
//! is one `jenkins.http` span (its `traceparent` sent along) and is counted in the upstream
//! metrics by connection, endpoint kind and status class; the bytes of its body are
//! counted as they are read. Its outcome is the connection's status in the fleet metrics.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::{Method, Response, StatusCode};

use super::{Endpoint, Inner, JenkinsClient, MAX_URL_BYTES};
use crate::jenkins::budget::QueryBudget;
use crate::jenkins::error::JenkinsError;
use crate::jenkins::limit::{Outcome, Slot};
use crate::telemetry::names::SPAN_HTTP;
use crate::telemetry::traces;

/// A request this long that gets a 400 was most likely refused for its length.
const LONG_REQUEST: usize = 4 * 1024;

/// A response that still holds its concurrency permit while the body is read.
pub(super) struct Upstream {
    pub(super) response: Response,
    /// Whether the query's deadline, not the connection's timeout, bounds this exchange.
    by_deadline: bool,
    endpoint: Endpoint,
    /// Body bytes read so far.
    received: u64,
    /// The exchange's span: it ends when the body has been read (or dropped).
    span: tracing::Span,
    inner: Arc<Inner>,
    _permit: Slot,
}

impl Upstream {
    /// The next chunk of the body.
    pub(super) async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, reqwest::Error> {
        let chunk = self.response.chunk().await?;
        if let Some(c) = &chunk {
            self.received += c.len() as u64;
        }
        Ok(chunk)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner
            .metrics
            .upstream
            .received(&inner.name, self.endpoint.as_str(), self.received);
        self.span.record("majordomo.response.bytes", self.received);
    }
}

/// The status class of an answer, as a metric label.
fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// What an answer says of the connection: it answered, unless it refused the credentials,
/// refused them Overall/Read (a 403 on the root), or is unavailable.
fn status_of_answer(status: StatusCode, rel: &str) -> &'static str {
    match status.as_u16() {
        401 => "UNAUTHORIZED",
        403 if rel.starts_with("api/json") || rel.starts_with("whoAmI/") => "FORBIDDEN",
        503 => "UNAVAILABLE",
        _ => "ONLINE",
    }
}

/// One attempt of an exchange, as its failure is reported.
struct Exchange<'a> {
    method: &'a Method,
    endpoint: Endpoint,
    attempt: u32,
    elapsed: Duration,
    span: &'a tracing::Span,
}

impl JenkinsClient {
    /// Sends one request: the circuit breaker, a concurrency slot, then the exchange,
    /// retried once after a short backoff for connection errors and 502/503. The whole
    /// exchange, body included, is bounded by the connection's `timeout_ms` and by the
    /// query's deadline; every attempt is taken from the query's budget. Non-2xx
    /// statuses become errors. The caller reads the body and then calls
    /// [`Self::body_read`] or [`Self::body_failed`], so a body that trickles counts
    /// against the breaker like a controller that hangs.
    pub(super) async fn send(
        &self,
        method: Method,
        rel: &str,
        endpoint: Endpoint,
        budget: &QueryBudget,
    ) -> Result<Upstream, JenkinsError> {
        let inner = &self.inner;
        if let Err(open) = inner.breaker.admit() {
            return Err(JenkinsError::CircuitOpen {
                connection: inner.name.to_string(),
                cause: open.cause,
                retry_in_ms: u64::try_from(open.retry_in.as_millis()).unwrap_or(u64::MAX),
            });
        }
        let url = self.url_for(rel)?;
        // The first attempt is taken from the budget before a slot: waiting for the
        // caller's upstream rate must not hold one of the controller's slots.
        budget.spend_request(&inner.name).await?;
        let permit = self.slot(budget).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                budget.spend_request(&inner.name).await?;
            }
            let (timeout, by_deadline) = self.attempt_timeout(budget);
            let span = match budget.span() {
                Some(request) => {
                    let span = self.exchange_span(&method, url.path(), endpoint, attempt);
                    if tracing::Span::current().is_none() {
                        // Sent outside a fetch: the exchange hangs under the request.
                        request.adopt(&span);
                    }
                    span
                }
                None => tracing::Span::none(),
            };
            let request = self.request(&method, &url, timeout, budget, &span);
            inner.upstream_requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = request.send().await;
            let elapsed = started.elapsed();
            let error = match outcome {
                Ok(response) => {
                    let status = self.answered(&response, elapsed, &method, rel, endpoint, &span);
                    if status.is_success() {
                        return Ok(Upstream {
                            response,
                            by_deadline,
                            endpoint,
                            received: 0,
                            span,
                            inner: Arc::clone(inner),
                            _permit: permit,
                        });
                    }
                    span.record("error.type", status.as_str());
                    // The controller answered: whatever the status, it is up.
                    inner.breaker.record_success();
                    if attempt == 1 && is_retryable_status(status) {
                        inner.metrics.upstream.retry(&inner.name);
                        tokio::time::sleep(inner.tuning.retry_backoff).await;
                        continue;
                    }
                    return Err(self.refused(status, response.headers(), &url));
                }
                Err(error) => error,
            };
            let exchange = Exchange {
                method: &method,
                endpoint,
                attempt,
                elapsed,
                span: &span,
            };
            let (classified, retryable) = self.failed(error, &exchange, by_deadline, budget);
            if attempt == 1 && retryable {
                inner.metrics.upstream.retry(&inner.name);
                tokio::time::sleep(inner.tuning.retry_backoff).await;
                continue;
            }
            return Err(classified);
        }
    }

    /// An attempt's timeout: the connection's, or what is left of the query's deadline
    /// when that is shorter (and then `true`: a timeout is the deadline's).
    fn attempt_timeout(&self, budget: &QueryBudget) -> (Duration, bool) {
        match budget.remaining() {
            Some(left) if left < self.inner.timeout => (left, true),
            _ => (self.inner.timeout, false),
        }
    }

    /// One attempt's request: `timeout` for the whole exchange, the connection's (or the
    /// caller's forwarded) credentials, and the trace context: the exchange span's when
    /// traced, else the caller's as received.
    fn request(
        &self,
        method: &Method,
        url: &reqwest::Url,
        timeout: Duration,
        budget: &QueryBudget,
        span: &tracing::Span,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .timeout(timeout);
        if let Some(auth) = self.authorization(budget) {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        match budget.traced() {
            true => traces::inject(span, request),
            false if budget.trace_context().is_empty() => request,
            false => request.headers(budget.trace_context().clone()),
        }
    }

    /// What an answer of the controller (any status) tells: the adaptive limit, the last
    /// latency, the version, metrics, the connection's status and the span's.
    fn answered(
        &self,
        response: &reqwest::Response,
        elapsed: Duration,
        method: &Method,
        rel: &str,
        endpoint: Endpoint,
        span: &tracing::Span,
    ) -> StatusCode {
        let inner = &self.inner;
        let status = response.status();
        inner.limit.record(limit_outcome(status, elapsed));
        inner.last_latency_us.store(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX - 1),
            Ordering::Relaxed,
        );
        self.remember_version(response.headers());
        self.observe(endpoint, status_class(status), elapsed);
        inner
            .metrics
            .fleet
            .connection_status(&inner.name, status_of_answer(status, rel));
        span.record("http.response.status_code", status.as_u16());
        span.in_scope(|| {
            tracing::debug!(
                connection = %inner.name, %method, endpoint = endpoint.as_str(),
                status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64,
                "jenkins request"
            )
        });
        status
    }

    /// The error a non-success `status` becomes (Tomcat answers a request head over its
    /// limit with a plain 400, so a 400 to a long URL says the request was too large).
    fn refused(
        &self,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        url: &reqwest::Url,
    ) -> JenkinsError {
        let name = &self.inner.name;
        if status == StatusCode::BAD_REQUEST && url.as_str().len() > LONG_REQUEST {
            return JenkinsError::RequestTooLarge {
                connection: name.to_string(),
                status: Some(400),
            };
        }
        JenkinsError::from_status(status.as_u16(), headers, name)
    }

    /// The error an exchange that got no answer becomes, and whether another attempt may
    /// help. A request reqwest refused to build is the client's fault, not the controller's.
    fn failed(
        &self,
        error: reqwest::Error,
        exchange: &Exchange<'_>,
        by_deadline: bool,
        budget: &QueryBudget,
    ) -> (JenkinsError, bool) {
        let (classified, retryable) = if error.is_builder() {
            let e = self.bad_request(format!(
                "the request could not be built: {}",
                error.without_url()
            ));
            (e, false)
        } else {
            let class = if error.is_timeout() {
                self.inner.limit.record(Outcome::Overloaded);
                "timeout"
            } else {
                "error"
            };
            self.observe(exchange.endpoint, class, exchange.elapsed);
            let retryable = is_retryable_error(&error);
            let classified = self.failure(error, by_deadline, budget);
            exchange.span.record("error.type", classified.code());
            (classified, retryable)
        };
        exchange.span.in_scope(|| {
            tracing::debug!(
                connection = %self.inner.name, method = %exchange.method,
                endpoint = exchange.endpoint.as_str(), code = classified.code(),
                attempt = exchange.attempt, "jenkins request failed"
            )
        });
        (classified, retryable)
    }

    /// The span of one exchange: named by its method, with the URL's path and not its
    /// query (a `tree=` or a log offset: never a secret, but long and no use to group by).
    fn exchange_span(
        &self,
        method: &Method,
        path: &str,
        endpoint: Endpoint,
        attempt: u32,
    ) -> tracing::Span {
        tracing::info_span!(
            SPAN_HTTP,
            otel.name = method.as_str(),
            otel.kind = "client",
            http.request.method = method.as_str(),
            url.path = path,
            majordomo.connection = %self.inner.name,
            majordomo.endpoint = endpoint.as_str(),
            http.request.resend_count = attempt - 1,
            http.response.status_code = tracing::field::Empty,
            majordomo.response.bytes = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    }

    /// Count one exchange in the upstream metrics.
    fn observe(&self, endpoint: Endpoint, status_class: &'static str, elapsed: Duration) {
        self.inner.metrics.upstream.exchange(
            &self.inner.name,
            endpoint.as_str(),
            status_class,
            elapsed,
        );
    }

    /// The URL of `rel` under the connection's base, refused when it would leave it or
    /// be longer than any controller accepts.
    fn url_for(&self, rel: &str) -> Result<reqwest::Url, JenkinsError> {
        let base = &self.inner.base;
        let url = base
            .join(rel)
            .map_err(|e| self.bad_request(format!("cannot build a URL from the request: {e}")))?;
        // The credentials go only to this controller, under its context path.
        if !url.as_str().starts_with(base.as_str()) {
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
        // The planner splits trees to fit; what still does not fit is not sent.
        let target = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
        if target > self.inner.target_room {
            return Err(JenkinsError::RequestTooLarge {
                connection: self.inner.name.to_string(),
                status: None,
            });
        }
        Ok(url)
    }

    /// A concurrency slot. Waiting for it counts against the timeout and the query's
    /// deadline, so a saturated controller cannot hold a caller longer than either.
    async fn slot(&self, budget: &QueryBudget) -> Result<Slot, JenkinsError> {
        let inner = &self.inner;
        let (wait, by_deadline) = match budget.remaining() {
            Some(left) if left < inner.timeout => (left, true),
            _ => (inner.timeout, false),
        };
        match tokio::time::timeout(wait, inner.limit.acquire()).await {
            Ok(slot) => Ok(slot),
            Err(_) if by_deadline => Err(budget.deadline_error(&inner.name)),
            Err(_) => Err(JenkinsError::Timeout {
                connection: inner.name.to_string(),
                detail: "no free request slot for this controller within the timeout".into(),
            }),
        }
    }

    /// A transport error of an exchange: the query's deadline when that is what cut it,
    /// else a failure of the controller, which the breaker counts.
    fn failure(
        &self,
        error: reqwest::Error,
        by_deadline: bool,
        budget: &QueryBudget,
    ) -> JenkinsError {
        if error.is_timeout() && by_deadline {
            return budget.deadline_error(&self.inner.name);
        }
        let classified = self.classify(error);
        if classified.is_connection_failure() {
            self.inner.breaker.record_failure(classified.code());
        }
        // Only the controller's own failures say what its status is (never the query's
        // deadline, handled above).
        if let code @ ("TIMEOUT" | "UNREACHABLE" | "TLS_ERROR") = classified.code() {
            self.inner
                .metrics
                .fleet
                .connection_status(&self.inner.name, code);
        }
        classified
    }

    /// The body of `upstream` arrived whole: the controller is healthy.
    pub(super) fn body_read(&self, _upstream: Upstream) {
        self.inner.breaker.record_success();
    }

    /// Reading the body of `upstream` failed (it trickled past the timeout, or the
    /// connection broke).
    pub(super) fn body_failed(
        &self,
        upstream: &Upstream,
        error: reqwest::Error,
        budget: &QueryBudget,
    ) -> JenkinsError {
        self.failure(error, upstream.by_deadline, budget)
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
                if self.inner.cache.is_shared() {
                    let (cache, name) =
                        (Arc::clone(&self.inner.cache), Arc::clone(&self.inner.name));
                    let version = version.to_string();
                    tokio::spawn(async move {
                        if let Some(shared) = cache.shared() {
                            shared.set_version(&name, &version).await;
                        }
                    });
                }
            }
        }
    }

    /// Maps a transport error to TIMEOUT, TLS_ERROR or UNREACHABLE. The URL
    /// is removed from the message; it never held credentials anyway.
    pub(super) fn classify(&self, error: reqwest::Error) -> JenkinsError {
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
            // A plain-HTTP server answers a TLS hello with text, which TLS reads as a
            // record of no known content type.
            if self.inner.base.scheme() == "https" && speaks_plain_http(&chain) {
                return JenkinsError::NotTls { connection };
            }
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
}

/// What an answer tells the concurrency limit: 503 and 429 say "too much", anything else
/// how long the controller took.
fn limit_outcome(status: StatusCode, elapsed: std::time::Duration) -> Outcome {
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        Outcome::Overloaded
    } else {
        Outcome::Answered(elapsed)
    }
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

fn speaks_plain_http(chain: &str) -> bool {
    chain.contains("InvalidContentType")
        || chain.to_ascii_lowercase().contains("wrong version number")
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
