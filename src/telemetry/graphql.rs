//! A GraphQL request as telemetry sees it: its span (`graphql.request`, continuing the
//! caller's trace), named after the operation once the document is parsed
//! ([`QueryTelemetry::observe`]), and [`QueryTelemetry::finish`], which counts the answer in
//! the metrics and writes the slow-query line.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Response, Variables};

use super::metrics::{Metrics, RequestRecord};
use super::names::{OP_ANONYMOUS, OP_UNKNOWN, SPAN_REQUEST};
use super::traces;
use crate::config::TelemetryConfig;
use crate::jenkins::QueryBudget;

/// The operation a request runs, once its document is parsed.
#[derive(Debug, Clone, Default)]
struct Operation {
    /// Its name (`None`: anonymous).
    name: Option<String>,
    /// `query`, `mutation` or `subscription`.
    kind: &'static str,
}

/// What telemetry keeps of one GraphQL request while it runs.
pub(crate) struct QueryTelemetry {
    started: Instant,
    span: tracing::Span,
    /// The caller's trace context, passed on as received when the request is not traced.
    forwarded: http::HeaderMap,
    operation: Mutex<Option<Operation>>,
}

impl QueryTelemetry {
    /// A request starting now, in a span that continues the caller's trace (`traceparent`
    /// in `headers`) when the request is traced (else in no span). The variables' values
    /// go on the span only when configured.
    pub(crate) fn start(
        headers: &http::HeaderMap,
        variables: &Variables,
        config: &TelemetryConfig,
    ) -> Arc<Self> {
        let (span, forwarded) = if traces::sampled(headers) {
            let span = Self::new_span(headers, variables, config);
            (span, http::HeaderMap::new())
        } else {
            (tracing::Span::none(), traces::caller_context(headers))
        };
        Arc::new(QueryTelemetry {
            started: Instant::now(),
            span,
            forwarded,
            operation: Mutex::new(None),
        })
    }

    fn new_span(
        headers: &http::HeaderMap,
        variables: &Variables,
        config: &TelemetryConfig,
    ) -> tracing::Span {
        let span = tracing::info_span!(
            SPAN_REQUEST,
            otel.name = "graphql",
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            graphql.operation.name = tracing::field::Empty,
            graphql.operation.type = tracing::field::Empty,
            graphql.variables = tracing::field::Empty,
            majordomo.outcome = tracing::field::Empty,
            majordomo.error.code = tracing::field::Empty,
            majordomo.upstream_requests = tracing::field::Empty,
            majordomo.upstream_wait_ms = tracing::field::Empty,
            majordomo.cache.hits = tracing::field::Empty,
            majordomo.response.bytes = tracing::field::Empty,
        );
        traces::continue_trace(&span, headers);
        if config.record_variables && !span.is_disabled() {
            let values = serde_json::to_string(variables).unwrap_or_default();
            span.record("graphql.variables", values);
        }
        span
    }

    /// The request's span.
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// What upstream requests carry of the caller's trace context when the request is
    /// not traced (empty when it is: they carry their own spans' then).
    pub(crate) fn forwarded(&self) -> &http::HeaderMap {
        &self.forwarded
    }

    /// The request runs the operation `name` (`None`: the only one) of `doc`.
    pub(crate) fn observe(&self, doc: &ExecutableDocument, name: Option<&str>) {
        if let Some(op) = operation_of(doc, name) {
            self.set_operation(op);
        }
    }

    fn set_operation(&self, op: Operation) {
        if !self.span.is_none() {
            let otel_name = match &op.name {
                Some(name) => format!("{} {name}", op.kind),
                None => op.kind.to_string(),
            };
            traces::rename(&self.span, otel_name);
            if let Some(name) = &op.name {
                self.span.record("graphql.operation.name", name.as_str());
            }
            self.span.record("graphql.operation.type", op.kind);
        }
        *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(op);
    }

    /// Count the answer (`bytes` long, serialized) in `metrics`, finish the span, and write
    /// the slow-query line when it took `slow_query_ms` or more.
    pub(crate) fn finish(
        &self,
        metrics: &Metrics,
        config: &TelemetryConfig,
        response: &Response,
        bytes: usize,
        budget: &QueryBudget,
    ) {
        let duration = self.started.elapsed();
        let op = self
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let label: Arc<str> = match &op {
            Some(op) => metrics.graphql.operations.label(op.name.as_deref()),
            None => metrics.graphql.operations.unknown(),
        };
        let codes: Vec<Arc<str>> = response.errors.iter().map(error_code).collect();
        let outcome = match (
            codes.is_empty(),
            response.data == async_graphql::Value::Null,
        ) {
            (true, _) => "ok",
            (false, false) => "partial",
            (false, true) => "error",
        };
        let upstream_wait = budget.upstream_wait();
        let upstream_requests = budget.requests_sent();
        metrics.graphql.record(&RequestRecord {
            operation: label.clone(),
            operation_type: op.as_ref().map_or("unknown", |o| o.kind),
            outcome,
            codes: &codes,
            duration,
            upstream_wait,
            upstream_requests,
            response_bytes: bytes,
        });
        let span = &self.span;
        span.record("majordomo.outcome", outcome);
        if let Some(code) = codes.first() {
            span.record("majordomo.error.code", &**code);
        }
        if outcome == "error" {
            span.record("otel.status_code", "ERROR");
        }
        span.record("majordomo.upstream_requests", upstream_requests);
        span.record("majordomo.upstream_wait_ms", millis(upstream_wait));
        span.record("majordomo.cache.hits", budget.cache_hits());
        span.record("majordomo.response.bytes", bytes as u64);
        let slow = Duration::from_millis(config.slow_query_ms);
        if config.slow_query_ms > 0 && duration >= slow {
            let operation = op
                .as_ref()
                .map_or(OP_UNKNOWN, |o| o.name.as_deref().unwrap_or(OP_ANONYMOUS));
            span.in_scope(|| {
                tracing::warn!(
                    target: "majordomo::slow_query",
                    operation,
                    duration_ms = millis(duration),
                    upstream_wait_ms = millis(upstream_wait),
                    upstream_requests,
                    controllers = %budget.controllers().join(","),
                    outcome,
                    "slow query"
                );
            });
        }
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// An error's `extensions.code`, bounded to the shape of our codes.
fn error_code(e: &async_graphql::ServerError) -> Arc<str> {
    let code = e
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        });
    match code {
        Some(c)
            if !c.is_empty()
                && c.len() <= 48
                && c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
        {
            Arc::from(c)
        }
        Some(_) => Arc::from("OTHER"),
        None => Arc::from("NONE"),
    }
}

/// The operation of `doc` that a request naming `name` runs, if there is one.
fn operation_of(doc: &ExecutableDocument, name: Option<&str>) -> Option<Operation> {
    let kind = |ty: OperationType| match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(Operation {
            name: None,
            kind: kind(op.node.ty),
        }),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| Operation {
            name: Some(name.to_string()),
            kind: kind(op.node.ty),
        }),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.iter().next().map(|(name, op)| Operation {
                name: Some(name.to_string()),
                kind: kind(op.node.ty),
            })
        }
        _ => None,
    }
}
