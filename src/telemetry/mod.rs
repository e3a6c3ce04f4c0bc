//! What operators see of the gateway: metrics, traces and logs.
//!
//! - [`names`]: every metric, span and attribute name, in one place.
//! - [`metrics`]: the Prometheus registry (`prometheus-client`) and its families.
//! - [`fleet`]: the fleet gauges, from answers the gateway already has.
//! - [`graphql`]: a GraphQL request's span, its metrics and the slow-query line.
//! - [`traces`]: the OpenTelemetry tracer, OTLP export, W3C trace context in and out.
//! - [`logs`]: text or JSON lines, with trace ids.
//!
//! [`init`] sets up logs and traces for the process once the configuration is known;
//! [`while_loading`] gives the lines written before that (config warnings) a plain logger.

pub(crate) mod fleet;
pub(crate) mod graphql;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod names;
pub(crate) mod traces;

use std::time::Duration;

use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::Layer as _;

use crate::config::{LogFormat, TelemetryConfig};

pub use traces::TracesError;

/// Keeps traces exporting; [`TelemetryGuard::shutdown`] sends what is still buffered.
#[must_use = "dropping the guard does not flush the spans still buffered"]
pub struct TelemetryGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Export every span ended so far. Blocks: call it off the async runtime's threads
    /// (e.g. in `spawn_blocking`), as the export itself runs on that runtime.
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            if let Err(e) = p.force_flush() {
                tracing::warn!(error = %e, "could not export every span");
            }
        }
    }

    /// Export what is left and stop exporting. Blocks, like [`Self::flush`].
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            if let Err(e) = p.shutdown_with_timeout(Duration::from_secs(5)) {
                tracing::warn!(error = %e, "could not export every span at shutdown");
            }
        }
    }
}

/// Set up the process's logs (format and filter of `config`) and, when `config` exports
/// traces or writes JSON lines (which carry trace ids), the OpenTelemetry layer. Call once,
/// inside the tokio runtime; later calls leave the first set-up in place.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TracesError> {
    let (filter, bad_filter) = logs::filter(&config.log_filter);
    let traced = config.endpoint.is_some() || config.log_format == LogFormat::Json;
    let provider = traced.then(|| traces::provider(config)).transpose()?;
    // Only the gateway's own spans become OpenTelemetry spans, whatever the log filter.
    let otel = provider.as_ref().map(|p| {
        traces::layer(p).with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("majordomo", tracing::Level::INFO),
        )
    });
    // Lines carry no span's fields (see [`logs`]), so spans never reach the line writer:
    // it would format every span's fields for nothing.
    let events = tracing_subscriber::filter::filter_fn(|meta| meta.is_event());
    let subscriber = tracing_subscriber::registry()
        .with(logs::layer(config.log_format).with_filter(filter.and(events)))
        .with(otel);
    let installed = tracing::subscriber::set_global_default(subscriber).is_ok();
    if let Some(provider) = provider.as_ref().filter(|_| installed) {
        // JSON lines carry trace ids, so without export every request is traced.
        let ratio = match config.endpoint {
            Some(_) => config.sampling_ratio,
            None => 1.0,
        };
        traces::start_sampling(provider, ratio);
    }
    if let Some(message) = bad_filter {
        tracing::warn!("{message}");
    }
    if installed {
        if let Some(url) = config.traces_url() {
            tracing::info!(
                endpoint = %url,
                sampling_ratio = config.sampling_ratio,
                "exporting traces over OTLP/HTTP"
            );
        }
    }
    Ok(TelemetryGuard {
        provider: provider.filter(|_| installed),
    })
}

/// Run `f` (loading the configuration) with plain text lines at `info` on stderr, so what
/// it warns about is seen before [`init`] knows the format.
pub fn while_loading<T>(f: impl FnOnce() -> T) -> T {
    let subscriber = tracing_subscriber::registry().with(
        logs::layer(LogFormat::Text).with_filter(tracing_subscriber::filter::LevelFilter::INFO),
    );
    tracing::subscriber::with_default(subscriber, f)
}
