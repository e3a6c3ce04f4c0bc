//! Traces: OpenTelemetry spans exported over OTLP/HTTP (protobuf) when `[telemetry]
//! endpoint` is set, and W3C trace context in and out: a caller's `traceparent` becomes the
//! parent of its request's span, and every request to Jenkins carries the `traceparent` of
//! its own span.
//!
//! Whether a request is traced is decided once, when it arrives ([`sampled`]): the
//! caller's `traceparent` flag when it sent one, else a draw at `sampling_ratio`. A request
//! that is not traced creates no span at all, so an untraced request (every one, with
//! tracing off) costs nothing here; the SDK records every span it is given.
//!
//! A request's own span ([`RequestSpan`]) is made with the SDK directly, its attributes
//! set in two calls: as a `tracing` span it cost a registry entry, two lookups at every
//! poll of the request and one per attribute, most of what tracing added to a warm query.
//! The spans under it (a loader batch waiting on Jenkins, a fetch, an HTTP exchange) are
//! `tracing` spans the OpenTelemetry layer exports, parented to the request's span.
//!
//! The exporter's HTTP client is the gateway's own reqwest (no second HTTP stack): the
//! SDK's batch processor runs on a thread of its own and blocks on each export, so the
//! request is handed to the tokio runtime the gateway runs on.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanId, SpanKind, Status, TraceContextExt, TraceId, Tracer as _, TracerProvider as _,
};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::names::SPAN_LOAD;
use crate::config::TelemetryConfig;

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    /// The OTLP exporter could not be built.
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
}

/// The tracer of the requests' spans and the share of requests traced, once
/// [`init`](super::init) has installed the OpenTelemetry layer; unset, nothing is traced.
static TRACING: OnceLock<(SdkTracer, f64)> = OnceLock::new();

/// Trace this share of the requests whose caller did not decide, from now on, with spans
/// of `provider`.
pub(crate) fn start_sampling(provider: &SdkTracerProvider, ratio: f64) {
    let _ = TRACING.set((provider.tracer(TRACER), ratio.clamp(0.0, 1.0)));
}

/// The name of the gateway's tracer (its instrumentation scope).
const TRACER: &str = "majordomo";

/// Whether a request is traced, and what of its caller's trace it carries on.
pub(crate) enum Decision {
    /// Traced: its span continues this context (the caller's, or an empty one).
    Traced(opentelemetry::Context),
    /// Not traced: its upstream requests pass on these headers, the caller's
    /// `traceparent` (and `tracestate`) as received when valid, else none.
    Untraced(http::HeaderMap),
}

/// Decide whether a request with these headers is traced: never without the OpenTelemetry
/// layer; else as its caller's `traceparent` says (its `sampled` flag), or, without one,
/// for a share `sampling_ratio` of the requests. The caller's context is read once.
pub(crate) fn sampled(headers: &http::HeaderMap) -> Decision {
    let parent = caller(headers);
    match TRACING.get() {
        Some((_, ratio)) if decide(&parent, *ratio, draw) => Decision::Traced(parent),
        _ => Decision::Untraced(passed_on(headers, &parent)),
    }
}

/// The decision of [`sampled`] at `ratio` for the caller's context `parent`: a valid
/// `traceparent` decides by its flag (an invalid one is ignored, as W3C Trace Context
/// says); else `draw()` below `ratio`.
fn decide(parent: &opentelemetry::Context, ratio: f64, draw: impl FnOnce() -> f64) -> bool {
    let span = parent.span();
    let caller = span.span_context();
    if caller.is_valid() {
        return caller.is_sampled();
    }
    ratio >= 1.0 || (ratio > 0.0 && draw() < ratio)
}

/// The caller's `traceparent` (and `tracestate`) as received, when the `traceparent` is
/// valid (`parent` is what it says): what an untraced request passes on to Jenkins, so the
/// caller's trace (and its decision not to sample) reaches the controllers all the same.
fn passed_on(headers: &http::HeaderMap, parent: &opentelemetry::Context) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    let Some(traceparent) = headers.get("traceparent") else {
        return out;
    };
    if !parent.span().span_context().is_valid() {
        return out;
    }
    out.insert("traceparent", traceparent.clone());
    if let Some(state) = headers.get("tracestate") {
        out.insert("tracestate", state.clone());
    }
    out
}

/// A uniform draw in [0, 1): a counter hashed with a per-process random key.
fn draw() -> f64 {
    static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = KEY.get_or_init(Default::default).build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The tracer provider for `config`: exporting to its endpoint when one is set, else
/// recording nothing (spans still get ids, for logs and the `traceparent` sent on).
pub(crate) fn provider(config: &TelemetryConfig) -> Result<SdkTracerProvider, TracesError> {
    let resource = Resource::builder_empty()
        .with_service_name(config.service_name.clone())
        .build();
    // The request decided already ([`sampled`]): record every span it creates.
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let builder = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_sampler(sampler);
    let Some(url) = config.traces_url() else {
        return Ok(builder.build());
    };
    let timeout = Duration::from_millis(config.export_timeout_ms);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .with_timeout(timeout)
        .with_http_client(RuntimeClient::new(timeout)?)
        .build()
        .map_err(|e| TracesError::Exporter(e.to_string()))?;
    Ok(builder.with_batch_exporter(exporter).build())
}

/// The `tracing` layer that turns spans into OpenTelemetry spans of `provider`.
pub(crate) fn layer<S>(
    provider: &SdkTracerProvider,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(TRACER))
        .with_location(false)
        .with_threads(false)
        // No `busy_ns`/`idle_ns`: two clock reads on every poll of every span for figures
        // the span's own start and end already give.
        .with_tracked_inactivity(false)
        // Nothing reads OpenTelemetry's current context (requests to Jenkins carry their
        // span's own), so entering a span need not make its context current.
        .with_context_activation(false)
        .with_level(false)
        .with_target(false)
}

/// The exporter's HTTP client: reqwest on the gateway's runtime.
#[derive(Debug)]
struct RuntimeClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl RuntimeClient {
    fn new(timeout: Duration) -> Result<Self, TracesError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| TracesError::Exporter("no tokio runtime to export from".into()))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| TracesError::Exporter(e.without_url().to_string()))?;
        Ok(RuntimeClient { http, runtime })
    }
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for RuntimeClient {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let http = self.http.clone();
        let exchange = self.runtime.spawn(async move {
            let response = http.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });
        let (status, headers, body) = exchange.await??;
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// `request` with the `traceparent` (and `tracestate`) of `span`, when it is traced.
pub(crate) fn inject(
    span: &tracing::Span,
    request: reqwest::RequestBuilder,
) -> reqwest::RequestBuilder {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return request;
    }
    let mut headers = http::HeaderMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
    request.headers(headers)
}

/// The caller's trace context in `headers` (its `traceparent`, if any).
fn caller(headers: &http::HeaderMap) -> opentelemetry::Context {
    if !headers.contains_key("traceparent") {
        return opentelemetry::Context::new();
    }
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// The trace and span ids of `span` (lower-case hex), when it is traced.
pub(crate) fn ids(span: &tracing::Span) -> Option<(String, String)> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

/// The ids of the traced request the code runs in (see [`RequestSpan::scope`]), for a log
/// line written outside any span of its own.
pub(crate) fn request_ids() -> Option<(String, String)> {
    REQUEST
        .try_with(|(trace, span)| (trace.to_string(), span.to_string()))
        .ok()
}

/// A traced request's span: an OpenTelemetry `server` span, ended by [`Self::end`] (or
/// when the last clone is dropped, for a request that never finished). Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct RequestSpan {
    cx: opentelemetry::Context,
}

impl RequestSpan {
    /// A span named `name` starting now, with `attributes`, the child of the caller's
    /// trace `parent` (from [`sampled`]) when it sent one; `None` unless
    /// [`init`](super::init) set up tracing.
    pub(crate) fn start(
        parent: opentelemetry::Context,
        name: &'static str,
        attributes: Vec<KeyValue>,
    ) -> Option<Self> {
        let (tracer, _) = TRACING.get()?;
        let span = tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        Some(RequestSpan {
            cx: parent.with_span(span),
        })
    }

    /// Name the span `name` (a request learns its operation once its document parses).
    pub(crate) fn rename(&self, name: String) {
        self.cx.span().update_name(name);
    }

    /// Set `attributes` on the span.
    pub(crate) fn set(&self, attributes: Vec<KeyValue>) {
        self.cx.span().set_attributes(attributes);
    }

    /// Mark the request failed.
    pub(crate) fn fail(&self) {
        self.cx.span().set_status(Status::error(""));
    }

    /// End the span now (it is exported with what was set so far).
    pub(crate) fn end(&self) {
        self.cx.span().end();
    }

    /// The trace and span ids of the request.
    fn id_pair(&self) -> (TraceId, SpanId) {
        let span = self.cx.span();
        let sc = span.span_context();
        (sc.trace_id(), sc.span_id())
    }

    /// Make this request the parent of `span`, a span that has not started yet.
    pub(crate) fn adopt(&self, span: &tracing::Span) {
        // Without the OpenTelemetry layer `span` is disabled, with no parent to set.
        let _ = span.set_parent(self.cx.clone());
    }

    /// Run `f` as part of this request: log lines written outside a span of their own
    /// carry its trace and span ids.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        REQUEST.sync_scope(self.id_pair(), f)
    }

    /// `future`, run as part of this request (see [`Self::in_scope`]).
    pub(crate) async fn scope<F: std::future::Future>(&self, future: F) -> F::Output {
        REQUEST.scope(self.id_pair(), future).await
    }
}

tokio::task_local! {
    /// The loader batch the code runs in, when its query is traced.
    static LOAD: LoadSpan;
    /// The ids of the traced request the code runs in.
    static REQUEST: (TraceId, SpanId);
}

/// A loader batch's span, started only when the batch first waits on Jenkins: a batch
/// answered from the cache makes no span (its hits are counted on the request's span), so
/// a warm query costs one span, not one per batch and per answer. Its start is the first
/// miss, a few microseconds of cache lookups after the batch began.
struct LoadSpan {
    parent: RequestSpan,
    kind: &'static str,
    connection: String,
    keys: usize,
    span: OnceLock<tracing::Span>,
}

/// Run `load`, a batch of `keys` keys of `kind` for controller `connection`, under the
/// request span `parent`; it gets a span of its own only if it waits on Jenkins
/// ([`load_span`]). Untraced (no `parent`), it runs as it is.
pub(crate) async fn in_load<F: std::future::Future>(
    parent: Option<&RequestSpan>,
    kind: &'static str,
    connection: &str,
    keys: usize,
    load: F,
) -> F::Output {
    let Some(parent) = parent else {
        return load.await;
    };
    let batch = LoadSpan {
        parent: parent.clone(),
        kind,
        connection: connection.to_string(),
        keys,
        span: OnceLock::new(),
    };
    LOAD.scope(batch, load).await
}

/// The span of the traced batch this code runs in, started now if this is its first wait
/// on Jenkins; `None` outside one.
pub(crate) fn load_span() -> Option<tracing::Span> {
    LOAD.try_with(|batch| {
        batch
            .span
            .get_or_init(|| {
                let span = tracing::info_span!(
                    parent: None,
                    SPAN_LOAD,
                    otel.name = batch.kind,
                    majordomo.connection = %batch.connection,
                    majordomo.load.keys = batch.keys,
                );
                batch.parent.adopt(&span);
                span
            })
            .clone()
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(traceparent: Option<&'static str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(v) = traceparent {
            h.insert("traceparent", http::HeaderValue::from_static(v));
        }
        h
    }

    const SAMPLED: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const NOT_SAMPLED: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

    #[test]
    fn a_valid_caller_decides_whatever_the_ratio() {
        let never = || panic!("no draw when the caller decided");
        assert!(decide(&caller(&headers(Some(SAMPLED))), 0.0, never));
        assert!(!decide(&caller(&headers(Some(NOT_SAMPLED))), 1.0, never));
    }

    #[test]
    fn without_a_valid_caller_the_ratio_decides() {
        // An all-zero trace id and a malformed header are ignored.
        let zero = "00-00000000000000000000000000000000-b7ad6b7169203331-01";
        for h in [None, Some(zero), Some("garbage-01")] {
            let parent = caller(&headers(h));
            assert!(decide(&parent, 1.0, || 0.99));
            assert!(!decide(&parent, 0.0, || 0.0));
            assert!(decide(&parent, 0.25, || 0.24));
            assert!(!decide(&parent, 0.25, || 0.25));
        }
    }

    #[test]
    fn draws_are_uniform_enough_for_a_ratio() {
        let n = 20_000;
        let below = (0..n).filter(|_| draw() < 0.1).count();
        // 10% of 20,000 is 2,000, with a standard deviation of ~42: 2,000 ± 300 is 7σ.
        assert!((1_700..=2_300).contains(&below), "{below} of {n} below 0.1");
        assert!((0..1_000).map(|_| draw()).all(|d| (0.0..1.0).contains(&d)));
    }
}
