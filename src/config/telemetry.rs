//! `[telemetry]`: where traces go (OTLP over HTTP, off unless an endpoint is set), how
//! logs look, when a query counts as slow, and how many operation names metrics keep.

use serde::Deserialize;

use super::ConfigError;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines; colours only when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line, with the trace and span ids of the request it belongs to.
    Json,
}

/// Traces, logs and the metric label bounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Base URL of an OTLP/HTTP collector (e.g. `http://127.0.0.1:4318`); spans are POSTed
    /// to `/v1/traces` under it as protobuf. Unset (the default): no trace is exported.
    pub endpoint: Option<String>,
    /// Fraction of traces recorded when the caller's `traceparent` did not decide
    /// (0.0 to 1.0). A caller's sampled flag is always followed.
    pub sampling_ratio: f64,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// Milliseconds one export to the collector may take.
    pub export_timeout_ms: u64,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Which log lines are written, in `RUST_LOG` syntax (`info`, `majordomo=debug,warn`).
    /// `RUST_LOG` overrides it.
    pub log_filter: String,
    /// A query that takes longer than this, in milliseconds, gets a `slow query` log line
    /// (operation, duration, upstream requests, controllers). 0: never.
    pub slow_query_ms: u64,
    /// Record the values of a request's GraphQL variables on its span. Off by default:
    /// variables may carry anything a caller typed. Logs never carry them.
    pub record_variables: bool,
    /// Distinct operation names that get their own metric label; later names are counted
    /// as `__other`, so a client that invents names cannot grow the metrics without bound.
    pub max_operation_names: usize,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            endpoint: None,
            sampling_ratio: 1.0,
            service_name: "majordomo".into(),
            export_timeout_ms: 10_000,
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            slow_query_ms: 1_000,
            record_variables: false,
            max_operation_names: 100,
        }
    }
}

impl TelemetryConfig {
    /// The ratio is a fraction, the endpoint an http(s) URL without credentials.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: &str| ConfigError::InvalidValue {
            field: format!("telemetry.{field}"),
            reason: reason.into(),
        };
        if !(0.0..=1.0).contains(&self.sampling_ratio) {
            return Err(invalid("sampling_ratio", "must be between 0.0 and 1.0"));
        }
        if self.export_timeout_ms == 0 {
            return Err(invalid("export_timeout_ms", "must be greater than 0"));
        }
        if self.service_name.trim().is_empty() {
            return Err(invalid("service_name", "must not be empty"));
        }
        if let Some(endpoint) = &self.endpoint {
            let url = reqwest::Url::parse(endpoint.trim())
                .map_err(|e| invalid("endpoint", &format!("not a URL: {e}")))?;
            if url.scheme() != "http" && url.scheme() != "https" {
                return Err(invalid("endpoint", "the scheme must be http or https"));
            }
            // A collector's credentials belong in OTEL_EXPORTER_OTLP_HEADERS, never in a
            // URL that could be printed.
            if !url.username().is_empty() || url.password().is_some() {
                return Err(invalid("endpoint", "the URL must not contain credentials"));
            }
        }
        Ok(())
    }

    /// The URL spans are POSTed to: the endpoint with `/v1/traces` appended, unless it
    /// already names that path.
    pub fn traces_url(&self) -> Option<String> {
        let endpoint = self.endpoint.as_deref()?.trim().trim_end_matches('/');
        Some(if endpoint.ends_with("/v1/traces") {
            endpoint.to_string()
        } else {
            format!("{endpoint}/v1/traces")
        })
    }
}
