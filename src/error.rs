//! [`GatewayError`]: the gateway's own failures (bad arguments, unknown names, limits),
//! each with a stable code, and the one place where errors become GraphQL errors:
//! [`ErrorExtensions`] for [`GatewayError`] and [`JenkinsError`] sets `extensions.code`,
//! `connection`, `status` and `hint`.

use async_graphql::{ErrorExtensionValues, ErrorExtensions};

use crate::jenkins::JenkinsError;

/// Longest piece of client input an error message repeats.
const ECHO_MAX: usize = 64;

/// A client's input, cut to [`ECHO_MAX`] characters for an error message.
pub(crate) fn echo(input: &str) -> String {
    if input.chars().count() <= ECHO_MAX {
        format!("{input:?}")
    } else {
        let cut: String = input.chars().take(ECHO_MAX).collect();
        format!("{cut:?}… ({} bytes)", input.len())
    }
}

/// A failure of the gateway itself, not of a controller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// An argument is out of range or malformed.
    #[error("{0}")]
    BadArgument(String),
    /// No connection has this name (or the caller may not see it).
    #[error("no connection is named {}", echo(.0))]
    UnknownConnection(String),
    /// A global ID that Majordomo did not make.
    #[error("{} is not a Majordomo ID", echo(.0))]
    BadId(String),
    /// A cursor that Majordomo did not make.
    #[error("the cursor {} is not one Majordomo made", echo(.0))]
    BadCursor(String),
    /// The HTTP request is not a GraphQL request (bad JSON, no query, wrong method).
    #[error("{0}")]
    InvalidRequest(String),
    /// Several operations in one HTTP request.
    #[error("batched requests are not supported: send one operation per request")]
    BatchNotSupported,
    /// The request body is over the limit.
    #[error("the request body is larger than {limit} bytes")]
    RequestTooLarge {
        /// `limits.max_request_bytes`.
        limit: usize,
    },
    /// The document is not valid GraphQL syntax.
    #[error("{0}")]
    ParseFailed(String),
    /// The document does not fit the schema.
    #[error("{0}")]
    ValidationFailed(String),
    /// A document limit was exceeded before anything was parsed or executed.
    #[error("{what} is {actual}, over the limit of {limit}")]
    DocumentLimit {
        /// The limit's stable code, e.g. `NESTING_TOO_DEEP`.
        code: &'static str,
        /// What was measured, in words.
        what: &'static str,
        /// What the document has (at least).
        actual: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The query is estimated to cost Jenkins more than the budget allows.
    #[error("the query is estimated to send {estimate} requests to Jenkins, over the budget of {budget}")]
    QueryTooExpensive {
        /// Estimated upstream requests over every controller.
        estimate: u64,
        /// `limits.max_estimated_requests`.
        budget: u64,
    },
    /// The request body stopped arriving: no bytes for `server.idle_timeout_ms`.
    #[error("the request body stalled: no bytes for {idle_ms} ms")]
    RequestTimeout {
        /// `server.idle_timeout_ms`.
        idle_ms: u64,
    },
    /// The gateway is at its connection or query limit.
    #[error("the gateway is at capacity ({0}); retry shortly")]
    Overloaded(&'static str),
    /// No valid API key or token was presented.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The identity provider's signing keys could not be fetched.
    #[error("the token cannot be checked now: the identity provider's keys are unavailable")]
    AuthUnavailable,
    /// The key may not read this endpoint.
    #[error("this key may not read this endpoint")]
    Forbidden,
    /// The caller's requests per second are used up.
    #[error("too many requests for this key; retry in {retry_after_s} s")]
    RateLimited {
        /// Seconds until a request is allowed again (at least 1).
        retry_after_s: u64,
    },
    /// A POST whose body is not JSON (e.g. `text/plain` or a form, which a browser sends
    /// cross-site without asking).
    #[error("a POST must have Content-Type application/json, not {}", echo(.0))]
    UnsupportedMediaType(String),
    /// A GET that a browser could have sent cross-site without a preflight.
    #[error("a GET query needs a header a browser sends only after a preflight")]
    PreflightRequired,
    /// A GET that is not a query.
    #[error("only queries may be sent with GET; POST anything else")]
    MethodNotAllowed,
    /// In enforce mode, a document that is not in the trusted list.
    #[error("this document is not trusted (SHA-256 {sha256})")]
    DocumentNotTrusted {
        /// The SHA-256 of the document, in hex.
        sha256: String,
    },
    /// `__schema` or `__type` asked of a gateway with introspection off.
    #[error("introspection is switched off on this gateway")]
    IntrospectionDisabled,
    /// A hash that stands for no trusted document.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// A WebSocket opened by a page of another origin (WebSockets escape CORS).
    #[error("a WebSocket from the origin {} is not allowed", echo(.0))]
    OriginNotAllowed(String),
}

impl GatewayError {
    /// A stable SCREAMING_SNAKE code.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::BadArgument(_) => "BAD_ARGUMENT",
            GatewayError::UnknownConnection(_) => "UNKNOWN_CONNECTION",
            GatewayError::BadId(_) => "BAD_ID",
            GatewayError::BadCursor(_) => "BAD_CURSOR",
            GatewayError::InvalidRequest(_) => "INVALID_REQUEST",
            GatewayError::BatchNotSupported => "BATCH_NOT_SUPPORTED",
            GatewayError::RequestTooLarge { .. } => "REQUEST_TOO_LARGE",
            GatewayError::RequestTimeout { .. } => "REQUEST_TIMEOUT",
            GatewayError::ParseFailed(_) => "GRAPHQL_PARSE_FAILED",
            GatewayError::ValidationFailed(_) => "GRAPHQL_VALIDATION_FAILED",
            GatewayError::DocumentLimit { code, .. } => code,
            GatewayError::QueryTooExpensive { .. } => "QUERY_TOO_EXPENSIVE",
            GatewayError::Overloaded(_) => "OVERLOADED",
            GatewayError::Unauthenticated(_) => "UNAUTHENTICATED",
            GatewayError::AuthUnavailable => "AUTH_UNAVAILABLE",
            GatewayError::Forbidden => "FORBIDDEN",
            GatewayError::RateLimited { .. } => "RATE_LIMITED",
            GatewayError::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            GatewayError::PreflightRequired => "PREFLIGHT_REQUIRED",
            GatewayError::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            GatewayError::DocumentNotTrusted { .. } => "DOCUMENT_NOT_TRUSTED",
            GatewayError::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            GatewayError::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            GatewayError::OriginNotAllowed(_) => "ORIGIN_NOT_ALLOWED",
        }
    }

    /// The HTTP status of a request that fails with this error before execution.
    pub fn http_status(&self) -> u16 {
        match self {
            GatewayError::RequestTooLarge { .. } => 413,
            GatewayError::RequestTimeout { .. } => 408,
            GatewayError::Overloaded(_) | GatewayError::AuthUnavailable => 503,
            GatewayError::Unauthenticated(_) => 401,
            GatewayError::Forbidden | GatewayError::OriginNotAllowed(_) => 403,
            GatewayError::RateLimited { .. } => 429,
            GatewayError::UnsupportedMediaType(_) => 415,
            GatewayError::MethodNotAllowed => 405,
            _ => 400,
        }
    }

    /// What to check.
    pub fn hint(&self) -> &'static str {
        match self {
            GatewayError::BadArgument(_) => "check the field's arguments against the schema",
            GatewayError::UnknownConnection(_) => "list the names with `connections { name }`",
            GatewayError::BadId(_) => "pass an `id` exactly as Majordomo returned it",
            GatewayError::BadCursor(_) => "pass `pageInfo.endCursor` exactly as returned",
            GatewayError::InvalidRequest(_) => {
                "POST a JSON object with `query` (and optional `variables`, `operationName`)"
            }
            GatewayError::BatchNotSupported => "send each operation in its own request",
            GatewayError::RequestTooLarge { .. } => {
                "send a smaller document or variables; the limit is `limits.max_request_bytes`"
            }
            GatewayError::RequestTimeout { .. } => {
                "send the whole body without pausing; the limit is `server.idle_timeout_ms`"
            }
            GatewayError::ParseFailed(_) => "the document is not valid GraphQL syntax",
            GatewayError::ValidationFailed(_) => "compare the document with the schema",
            GatewayError::DocumentLimit { .. } => {
                "split the query, or raise the limit in the `[limits]` section of the config"
            }
            GatewayError::QueryTooExpensive { .. } => {
                "ask for fewer items (`first`), fewer per-build fields (stages, logs), or raise limits.max_estimated_requests"
            }
            GatewayError::Overloaded(_) => "retry after a short wait",
            GatewayError::Unauthenticated(_) => {
                "send `Authorization: Bearer <API key or token>`; ask the gateway's operator for a key"
            }
            GatewayError::AuthUnavailable => "retry shortly; the operator should check auth.jwt.jwks_url",
            GatewayError::Forbidden => "use a key with `admin = true`",
            GatewayError::RateLimited { .. } => {
                "wait for `Retry-After`; the key's limit is auth.keys.requests_per_second"
            }
            GatewayError::UnsupportedMediaType(_) => {
                "send the body as JSON with `Content-Type: application/json`"
            }
            GatewayError::PreflightRequired => {
                "send `Content-Type: application/json` or `Apollo-Require-Preflight: true` with the GET, or POST"
            }
            GatewayError::MethodNotAllowed => "POST the operation",
            GatewayError::DocumentNotTrusted { .. } => {
                "only the documents in trusted_documents may run; add this one to the list"
            }
            GatewayError::PersistedQueryNotFound => {
                "send the whole document, or a hash from the trusted documents"
            }
            GatewayError::IntrospectionDisabled => {
                "read the schema from schema.graphql (`majordomo schema`) instead"
            }
            GatewayError::OriginNotAllowed(_) => {
                "open it from the gateway's own pages, or list the page's origin in cors.allow_origins"
            }
        }
    }
}

impl ErrorExtensions for GatewayError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let hint = self.hint();
        let figures = match self {
            GatewayError::DocumentLimit { limit, actual, .. } => {
                Some([("limit", *limit), ("actual", *actual)])
            }
            GatewayError::QueryTooExpensive { estimate, budget } => {
                Some([("estimate", *estimate), ("budget", *budget)])
            }
            _ => None,
        };
        async_graphql::Error::new(self.to_string()).extend_with(move |_, ext| {
            ext.set("code", code);
            ext.set("hint", hint);
            for (name, value) in figures.into_iter().flatten() {
                ext.set(name, value);
            }
        })
    }
}

/// `code`, `connection`, `status` and `hint` of an upstream error.
pub(crate) fn jenkins_extensions(e: &JenkinsError, ext: &mut ErrorExtensionValues) {
    ext.set("code", e.code());
    if !e.connection().is_empty() {
        ext.set("connection", e.connection());
    }
    if let Some(s) = e.status() {
        ext.set("status", s);
    }
    ext.set("hint", e.hint());
}

impl ErrorExtensions for JenkinsError {
    fn extend(&self) -> async_graphql::Error {
        let e = self.clone();
        async_graphql::Error::new(self.to_string())
            .extend_with(move |_, ext| jenkins_extensions(&e, ext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_in_messages() {
        let huge = "x".repeat(1_000_000);
        let message = GatewayError::BadId(huge).to_string();
        assert!(message.len() < 200, "{} bytes", message.len());
        assert!(message.contains("1000000 bytes"));
    }

    #[test]
    fn extensions_carry_code_and_hint() {
        let e = GatewayError::UnknownConnection("nope".into()).extend();
        let ext = e.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("UNKNOWN_CONNECTION"))
        );
        assert!(ext.get("hint").is_some());
    }
}
