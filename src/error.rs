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
        }
    }

    /// The HTTP status of a request that fails with this error before execution.
    pub fn http_status(&self) -> u16 {
        match self {
            GatewayError::RequestTooLarge { .. } => 413,
            GatewayError::RequestTimeout { .. } => 408,
            GatewayError::Overloaded(_) => 503,
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
