//! Sending one request: the concurrency slot, one retry where it is safe, the circuit
//! breaker, and transport errors classified into [`JenkinsError`]s.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::OwnedSemaphorePermit;

use super::{strip_query, JenkinsClient, MAX_URL_BYTES};
use crate::jenkins::error::JenkinsError;

/// Whether a request's whole exchange is bounded by the timeout (JSON), or
/// only each read (streamed logs, which may legitimately take longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deadline {
    Total,
    PerRead,
}

/// A response that still holds its concurrency permit while the body is read.
pub(super) struct Upstream {
    pub(super) response: Response,
    _permit: OwnedSemaphorePermit,
}

impl JenkinsClient {
    /// Sends one request with the concurrency limit, one retry of connection
    /// errors / 502 / 503 after a short backoff, and the circuit breaker.
    /// Non-2xx statuses become errors.
    pub(super) async fn send(
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
