//! Traces: the OpenTelemetry tracer behind `tracing` spans, exported over OTLP/HTTP
//! (protobuf) when `[telemetry] endpoint` is set, and W3C trace context in and out: a
//! caller's `traceparent` becomes the parent of its request's span, and every request to
//! Jenkins carries the `traceparent` of its own span.
//!
//! The exporter's HTTP client is the gateway's own reqwest (no second HTTP stack): the
//! SDK's batch processor runs on a thread of its own and blocks on each export, so the
//! request is handed to the tokio runtime the gateway runs on.

use std::time::Duration;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::TelemetryConfig;

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    /// The OTLP exporter could not be built.
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
}

/// The tracer provider for `config`: exporting to its endpoint when one is set, else
/// recording nothing (spans still get ids, for logs and the `traceparent` sent on).
pub(crate) fn provider(config: &TelemetryConfig) -> Result<SdkTracerProvider, TracesError> {
    let resource = Resource::builder_empty()
        .with_service_name(config.service_name.clone())
        .build();
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(config.sampling_ratio)));
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
        .with_tracer(provider.tracer("majordomo"))
        .with_location(false)
        .with_threads(false)
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

/// Make the caller's trace (its `traceparent`, if any) the parent of `span`, which must
/// not have been entered yet.
pub(crate) fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    // Without the OpenTelemetry layer there is no trace to continue.
    let _ = span.set_parent(parent);
}

/// Rename `span` once it has started (a recorded `otel.name` only renames a span not yet
/// entered): a request's span learns its operation after parsing, inside the span.
pub(crate) fn rename(span: &tracing::Span, name: String) {
    let cx = span.context();
    let otel = cx.span();
    if otel.span_context().is_valid() {
        otel.update_name(name);
    }
}

/// The trace and span ids of `span` (lower-case hex), when it is traced.
pub(crate) fn ids(span: &tracing::Span) -> Option<(String, String)> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}
