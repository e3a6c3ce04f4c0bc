//! [`JenkinsError`]: what can go wrong talking to one controller, with a
//! stable code, the HTTP status where there is one, and a hint for humans.
//!
//! Messages carry the connection name and short details only: never a token,
//! an `Authorization` header or a response body.

use reqwest::header::HeaderMap;

/// An error from the Jenkins client layer. Cheap to clone, so that one
/// failed upstream call can be handed to every coalesced caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JenkinsError {
    /// HTTP 401: the credentials were rejected.
    #[error("{connection}: Jenkins rejected the credentials (HTTP 401)")]
    Unauthorized {
        /// The connection name.
        connection: String,
    },
    /// HTTP 403: authenticated (or anonymous) but not allowed.
    #[error("{connection}: access denied (HTTP 403){}", permission_suffix(required_permission.as_deref(), authenticated_as.as_deref()))]
    Forbidden {
        /// The connection name.
        connection: String,
        /// `X-Required-Permission`, e.g. `hudson.model.Hudson.Read`.
        required_permission: Option<String>,
        /// `X-You-Are-Authenticated-As`.
        authenticated_as: Option<String>,
    },
    /// HTTP 404: the item, build or node does not exist or is not visible.
    #[error("{connection}: not found (HTTP 404)")]
    NotFound {
        /// The connection name.
        connection: String,
    },
    /// HTTP 502 or 503: Jenkins (or its proxy) is not serving right now.
    #[error("{connection}: Jenkins is unavailable (HTTP {status})")]
    Unavailable {
        /// The connection name.
        connection: String,
        /// 502 or 503.
        status: u16,
    },
    /// Any other 5xx.
    #[error("{connection}: Jenkins failed to answer (HTTP {status})")]
    UpstreamError {
        /// The connection name.
        connection: String,
        /// The status code.
        status: u16,
    },
    /// No answer within the connection's timeout.
    #[error("{connection}: timed out: {detail}")]
    Timeout {
        /// The connection name.
        connection: String,
        /// What timed out.
        detail: String,
    },
    /// Connection refused, DNS failure, reset, or the circuit breaker is open.
    #[error("{connection}: unreachable: {detail}")]
    Unreachable {
        /// The connection name.
        connection: String,
        /// What failed.
        detail: String,
    },
    /// The circuit breaker is open: the controller failed repeatedly, so requests fail
    /// fast until the cooldown ends.
    #[error("{connection}: failing fast after repeated failures ({cause}); next attempt in {retry_in_ms} ms")]
    CircuitOpen {
        /// The connection name.
        connection: String,
        /// Code of the failure that opened the circuit (`TIMEOUT`, `UNREACHABLE`, …).
        cause: &'static str,
        /// Milliseconds until a request is let through again.
        retry_in_ms: u64,
    },
    /// The query's own deadline passed before this answer arrived.
    #[error("{connection}: the query's deadline passed after {after_ms} ms")]
    DeadlineExceeded {
        /// The connection name.
        connection: String,
        /// How long the query had run.
        after_ms: u64,
    },
    /// The query spent its upstream budget (requests or log bytes).
    #[error("{connection}: the query reached its limit of {limit} {what}")]
    BudgetExceeded {
        /// The connection name.
        connection: String,
        /// What ran out: `upstream requests` or `bytes of logs`.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// The caller's upstream requests per second would not allow this request before the
    /// query's deadline.
    #[error("{connection}: the caller's limit of {per_second} upstream requests per second leaves no turn before the deadline")]
    RateLimited {
        /// The connection name.
        connection: String,
        /// The caller's `upstream_requests_per_second`.
        per_second: u32,
    },
    /// Nobody waits for the answer any more (the client went away).
    #[error("{connection}: the query was cancelled")]
    Cancelled {
        /// The connection name.
        connection: String,
    },
    /// The request was too long for the controller (or a proxy in front of it): it
    /// answered 414, 431, or 400 to a long request, or it would have.
    #[error("{connection}: the request is too long for the controller{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    RequestTooLarge {
        /// The connection name.
        connection: String,
        /// The status Jenkins answered; `None` when the client did not send it.
        status: Option<u16>,
    },
    /// An `https://` URL points at a port that speaks plain HTTP.
    #[error("{connection}: the port does not speak TLS")]
    NotTls {
        /// The connection name.
        connection: String,
    },
    /// The controller's root answered 404: the URL or its context path is wrong.
    #[error("{connection}: the controller's root answered 404 (HTTP 404)")]
    RootNotFound {
        /// The connection name.
        connection: String,
    },
    /// The TLS handshake failed (untrusted or invalid certificate).
    #[error("{connection}: TLS error: {detail}")]
    TlsError {
        /// The connection name.
        connection: String,
        /// What failed.
        detail: String,
    },
    /// A 2xx body that is not the JSON we expect (with the parser's message).
    #[error("{connection}: invalid response from {path}: {detail}")]
    InvalidResponse {
        /// The connection name.
        connection: String,
        /// The request path (relative to the connection URL).
        path: String,
        /// The serde error or what else was wrong; never the body.
        detail: String,
    },
    /// The Pipeline REST API (`wfapi`) answered 404 for a pipeline run.
    #[error("{connection}: the Pipeline REST API is missing for {job}")]
    PipelineApiMissing {
        /// The connection name.
        connection: String,
        /// The job's full name.
        job: String,
    },
    /// Stages were asked of a job that is not a pipeline.
    #[error("{connection}: {job} is not a Pipeline job")]
    NotAPipeline {
        /// The connection name.
        connection: String,
        /// The job's full name.
        job: String,
    },
    /// Other 4xx statuses, or a request the client refuses to send.
    #[error("{connection}: bad request{}: {detail}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    BadRequest {
        /// The connection name.
        connection: String,
        /// The status code, when Jenkins answered.
        status: Option<u16>,
        /// What was wrong.
        detail: String,
    },
}

fn permission_suffix(required: Option<&str>, user: Option<&str>) -> String {
    match (required, user) {
        (Some(p), Some(u)) => format!(": {u} lacks {p}"),
        (Some(p), None) => format!(": requires {p}"),
        (None, Some(u)) => format!(" for {u}"),
        (None, None) => String::new(),
    }
}

/// A 404 is an answer: the job, build or log asked for does not exist, and will not for a
/// while (the cache keeps it like a listing).
impl crate::cache::LoadError for JenkinsError {
    fn is_absent(&self) -> bool {
        matches!(self, JenkinsError::NotFound { .. })
    }
}

impl JenkinsError {
    /// Maps a non-2xx HTTP status (and its headers) to an error.
    pub fn from_status(status: u16, headers: &HeaderMap, connection: &str) -> JenkinsError {
        let connection = connection.to_string();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        match status {
            401 => JenkinsError::Unauthorized { connection },
            403 => JenkinsError::Forbidden {
                connection,
                required_permission: header("x-required-permission"),
                authenticated_as: header("x-you-are-authenticated-as"),
            },
            404 => JenkinsError::NotFound { connection },
            414 | 431 => JenkinsError::RequestTooLarge {
                connection,
                status: Some(status),
            },
            502 | 503 => JenkinsError::Unavailable { connection, status },
            500..=599 => JenkinsError::UpstreamError { connection, status },
            _ => JenkinsError::BadRequest {
                connection,
                status: Some(status),
                detail: match status {
                    405 => "method not allowed".into(),
                    409 => "conflict (e.g. the job is not buildable)".into(),
                    _ => "Jenkins rejected the request".into(),
                },
            },
        }
    }

    /// A stable SCREAMING_SNAKE code.
    pub fn code(&self) -> &'static str {
        match self {
            JenkinsError::Unauthorized { .. } => "UNAUTHORIZED",
            JenkinsError::Forbidden { .. } => "FORBIDDEN",
            JenkinsError::NotFound { .. } => "NOT_FOUND",
            JenkinsError::Unavailable { .. } => "UNAVAILABLE",
            JenkinsError::UpstreamError { .. } => "UPSTREAM_ERROR",
            JenkinsError::Timeout { .. } => "TIMEOUT",
            JenkinsError::Unreachable { .. } => "UNREACHABLE",
            JenkinsError::TlsError { .. } => "TLS_ERROR",
            JenkinsError::CircuitOpen { .. } => "CIRCUIT_OPEN",
            JenkinsError::NotTls { .. } => "TLS_ERROR",
            JenkinsError::RootNotFound { .. } => "NOT_FOUND",
            JenkinsError::RequestTooLarge { .. } => "REQUEST_TOO_LARGE",
            JenkinsError::DeadlineExceeded { .. } => "TIMEOUT",
            JenkinsError::BudgetExceeded { .. } => "UPSTREAM_BUDGET_EXCEEDED",
            JenkinsError::Cancelled { .. } => "CANCELLED",
            JenkinsError::RateLimited { .. } => "UPSTREAM_RATE_LIMITED",
            JenkinsError::InvalidResponse { .. } => "INVALID_RESPONSE",
            JenkinsError::PipelineApiMissing { .. } => "PIPELINE_API_MISSING",
            JenkinsError::NotAPipeline { .. } => "NOT_A_PIPELINE",
            JenkinsError::BadRequest { .. } => "BAD_REQUEST",
        }
    }

    /// The HTTP status Jenkins answered with, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            JenkinsError::Unauthorized { .. } => Some(401),
            JenkinsError::Forbidden { .. } => Some(403),
            JenkinsError::NotFound { .. }
            | JenkinsError::RootNotFound { .. }
            | JenkinsError::PipelineApiMissing { .. } => Some(404),
            JenkinsError::Unavailable { status, .. }
            | JenkinsError::UpstreamError { status, .. } => Some(*status),
            JenkinsError::BadRequest { status, .. }
            | JenkinsError::RequestTooLarge { status, .. } => *status,
            JenkinsError::Timeout { .. }
            | JenkinsError::Unreachable { .. }
            | JenkinsError::TlsError { .. }
            | JenkinsError::CircuitOpen { .. }
            | JenkinsError::NotTls { .. }
            | JenkinsError::DeadlineExceeded { .. }
            | JenkinsError::BudgetExceeded { .. }
            | JenkinsError::Cancelled { .. }
            | JenkinsError::RateLimited { .. }
            | JenkinsError::InvalidResponse { .. }
            | JenkinsError::NotAPipeline { .. } => None,
        }
    }

    /// A short hint saying what to check.
    pub fn hint(&self) -> &'static str {
        match self {
            JenkinsError::Unauthorized { .. } => {
                "check the username and API token; the token may have been revoked"
            }
            JenkinsError::Forbidden { .. } => {
                "the user lacks Overall/Read or Job/Read permission"
            }
            JenkinsError::NotFound { .. } => {
                "check the name; items the user cannot discover also answer 404"
            }
            JenkinsError::Unavailable { .. } => "Jenkins may be starting up or restarting",
            JenkinsError::UpstreamError { .. } => {
                "Jenkins failed internally; its log has the details (a malformed tree= also answers 500)"
            }
            JenkinsError::Timeout { .. } => {
                "check the URL, firewall and the connection's timeout_ms"
            }
            JenkinsError::Unreachable { .. } => {
                "check the URL and that the controller is running"
            }
            JenkinsError::TlsError { .. } => {
                "check ca_file, or tls_verify for self-signed certificates"
            }
            JenkinsError::CircuitOpen { .. } => {
                "the controller failed repeatedly (see the cause); Majordomo retries it after the cooldown"
            }
            JenkinsError::NotTls { .. } => "this port does not speak TLS: use http:// in the URL",
            JenkinsError::RootNotFound { .. } => {
                "the URL or its context path is wrong (e.g. …/jenkins on a controller served at /, or the reverse)"
            }
            JenkinsError::RequestTooLarge { .. } => {
                "lower the connection's max_request_bytes so Majordomo splits requests sooner, or raise the limit on the controller's side (Jetty --requestHeaderSize, Tomcat maxHttpHeaderSize, nginx large_client_header_buffers)"
            }
            JenkinsError::DeadlineExceeded { .. } => {
                "the query ran past limits.query_timeout_ms; what arrived in time is in the answer"
            }
            JenkinsError::BudgetExceeded { .. } => {
                "the query asked Jenkins for more than its budget (limits.max_upstream_requests, limits.max_log_bytes); narrow it"
            }
            JenkinsError::Cancelled { .. } => "the client went away before the answer was ready",
            JenkinsError::RateLimited { .. } => {
                "the API key's upstream_requests_per_second is used up; ask for less, rely on the cache, or retry shortly"
            }
            JenkinsError::InvalidResponse { .. } => {
                "the URL may not point at Jenkins (a proxy or login page answered)"
            }
            JenkinsError::PipelineApiMissing { .. } => {
                "install the Pipeline: Stage View (pipeline-rest-api) plugin"
            }
            JenkinsError::NotAPipeline { .. } => "stages exist only for Pipeline jobs",
            // No status: the client refused to send it (e.g. a `..` segment in a name).
            JenkinsError::BadRequest { status: None, .. } => {
                "the request was refused before reaching Jenkins; check the names and arguments"
            }
            JenkinsError::BadRequest { .. } => "Jenkins rejected the request as sent",
        }
    }

    /// The connection this error belongs to.
    pub fn connection(&self) -> &str {
        match self {
            JenkinsError::Unauthorized { connection }
            | JenkinsError::Forbidden { connection, .. }
            | JenkinsError::NotFound { connection }
            | JenkinsError::Unavailable { connection, .. }
            | JenkinsError::UpstreamError { connection, .. }
            | JenkinsError::Timeout { connection, .. }
            | JenkinsError::Unreachable { connection, .. }
            | JenkinsError::TlsError { connection, .. }
            | JenkinsError::CircuitOpen { connection, .. }
            | JenkinsError::NotTls { connection }
            | JenkinsError::RootNotFound { connection }
            | JenkinsError::RequestTooLarge { connection, .. }
            | JenkinsError::DeadlineExceeded { connection, .. }
            | JenkinsError::BudgetExceeded { connection, .. }
            | JenkinsError::Cancelled { connection }
            | JenkinsError::RateLimited { connection, .. }
            | JenkinsError::InvalidResponse { connection, .. }
            | JenkinsError::PipelineApiMissing { connection, .. }
            | JenkinsError::NotAPipeline { connection, .. }
            | JenkinsError::BadRequest { connection, .. } => connection,
        }
    }

    /// Whether this error says the controller could not be reached at all
    /// (what the circuit breaker counts). Requests the client refused to send
    /// (`BadRequest` without a status) never count.
    pub fn is_connection_failure(&self) -> bool {
        matches!(
            self,
            JenkinsError::Timeout { .. } | JenkinsError::Unreachable { .. }
        )
    }

    /// For an open circuit, the code of the failure that opened it; else this error's code.
    pub fn cause_code(&self) -> &'static str {
        match self {
            JenkinsError::CircuitOpen { cause, .. } => cause,
            other => other.code(),
        }
    }
}
