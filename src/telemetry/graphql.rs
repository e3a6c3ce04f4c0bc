//! A GraphQL request as telemetry sees it: its span (continuing the caller's trace, when
//! the request is traced), named after the operation once the document is parsed
//! ([`QueryTelemetry::observe`]), and [`QueryTelemetry::finish`], which counts the answer in
//! the metrics, ends the span and writes the slow-query line.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Response, Variables};
use opentelemetry::KeyValue;

use super::metrics::{Metrics, RequestRecord};
use super::names::{OP_ANONYMOUS, OP_UNKNOWN};
use super::traces::{self, Decision, RequestSpan};
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
    /// The request's span, when it is traced.
    span: Option<RequestSpan>,
    /// The caller's trace context, passed on as received when the request is not traced.
    forwarded: http::HeaderMap,
    operation: Mutex<Option<Operation>>,
}

impl QueryTelemetry {
    /// A request starting now, with a span that continues the caller's trace
    /// (`traceparent` in `headers`) when the request is traced (else none). The variables'
    /// values go on the span only when configured.
    pub(crate) fn start(
        headers: &http::HeaderMap,
        variables: &Variables,
        config: &TelemetryConfig,
    ) -> Arc<Self> {
        let (span, forwarded) = match traces::sampled(headers) {
            Decision::Traced(parent) => {
                let mut attributes = Vec::new();
                if config.record_variables {
                    let values = serde_json::to_string(variables).unwrap_or_default();
                    attributes.push(KeyValue::new("graphql.variables", values));
                }
                let span = RequestSpan::start(parent, "graphql", attributes);
                (span, http::HeaderMap::new())
            }
            Decision::Untraced(passed_on) => (None, passed_on),
        };
        Arc::new(QueryTelemetry {
            started: Instant::now(),
            span,
            forwarded,
            operation: Mutex::new(None),
        })
    }

    /// The request's span, when it is traced.
    pub(crate) fn span(&self) -> Option<&RequestSpan> {
        self.span.as_ref()
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
        if let Some(span) = &self.span {
            let otel_name = match &op.name {
                Some(name) => format!("{} {name}", op.kind),
                None => op.kind.to_string(),
            };
            span.rename(otel_name);
            let mut attributes = vec![KeyValue::new("graphql.operation.type", op.kind)];
            if let Some(name) = &op.name {
                attributes.push(KeyValue::new("graphql.operation.name", name.clone()));
            }
            span.set(attributes);
        }
        *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(op);
    }

    /// Count the answer (`bytes` long, serialized) in `metrics`, end the span, and write
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
        if let Some(span) = &self.span {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            let mut attributes = vec![
                KeyValue::new("majordomo.outcome", outcome),
                KeyValue::new("majordomo.upstream_requests", count(upstream_requests)),
                KeyValue::new("majordomo.upstream_wait_ms", millis(upstream_wait)),
                KeyValue::new("majordomo.cache.hits", count(budget.cache_hits())),
                KeyValue::new("majordomo.response.bytes", count(bytes as u64)),
            ];
            if let Some(code) = codes.first() {
                attributes.push(KeyValue::new("majordomo.error.code", code.to_string()));
            }
            span.set(attributes);
            if outcome == "error" {
                span.fail();
            }
            span.end();
        }
        let slow = Duration::from_millis(config.slow_query_ms);
        if config.slow_query_ms > 0 && duration >= slow {
            let operation = op
                .as_ref()
                .map_or(OP_UNKNOWN, |o| o.name.as_deref().unwrap_or(OP_ANONYMOUS));
            let line = || {
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
            };
            match &self.span {
                Some(span) => span.in_scope(line),
                None => line(),
            }
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
