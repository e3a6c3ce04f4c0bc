//! Logs: text (colours only on a terminal) or one JSON object per line with the trace and
//! span ids of the request a line belongs to. A line carries its event's own fields and
//! the name of its span, never the span's fields: spans may hold a request's paths (and,
//! when configured, its variables) for the trace, and none of that belongs in a log. What
//! an event carries is decided where it is written: codes, connection names, endpoint
//! kinds, durations and counts; never a header, a token or a GraphQL variable.

use std::fmt;
use std::io::IsTerminal;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::names::SPAN_REQUEST;
use super::traces;
use crate::config::LogFormat;

/// The filter of the lines written, from `directives` (`RUST_LOG` syntax); `info` when they
/// do not parse, with a line saying so once logging is up.
pub(crate) fn filter(directives: &str) -> (tracing_subscriber::EnvFilter, Option<String>) {
    match tracing_subscriber::EnvFilter::builder().parse(directives) {
        Ok(filter) => (filter, None),
        Err(e) => (
            tracing_subscriber::EnvFilter::new("info"),
            Some(format!("log filter {directives:?} ignored: {e}")),
        ),
    }
}

/// The layer that writes lines to stderr in `format`.
pub(crate) fn layer<S>(format: LogFormat) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let base = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => Box::new(
            base.with_ansi(std::io::stderr().is_terminal())
                .event_format(TextLines),
        ),
        LogFormat::Json => Box::new(base.with_ansi(false).event_format(JsonLines)),
    }
}

/// `timestamp LEVEL target: message field=value … (span)`; the level coloured on a terminal.
pub(crate) struct TextLines;

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let level = meta.level();
        let colour = match *level {
            tracing::Level::ERROR => "31",
            tracing::Level::WARN => "33",
            tracing::Level::INFO => "32",
            tracing::Level::DEBUG => "34",
            tracing::Level::TRACE => "35",
        };
        write!(writer, "{} ", timestamp())?;
        if writer.has_ansi_escapes() {
            write!(writer, "\x1b[{colour}m{level:>5}\x1b[0m ")?;
        } else {
            write!(writer, "{level:>5} ")?;
        }
        write!(writer, "{}:", meta.target())?;
        let mut fields = JsonFields(Map::new());
        event.record(&mut fields);
        if let Some(Value::String(message)) = fields.0.remove("message") {
            write!(writer, " {message}")?;
        }
        for (key, value) in &fields.0 {
            write!(writer, " {key}={value}")?;
        }
        if let Some(meta) = tracing::Span::current().metadata() {
            write!(writer, " ({})", meta.name())?;
        }
        writeln!(writer)
    }
}

/// One JSON object per event: `timestamp`, `level`, `target`, `message`, the event's
/// fields, the name of the span it happened in and that span's `trace_id` and `span_id`.
pub(crate) struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(timestamp()));
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_string()));
        let mut fields = JsonFields(Map::new());
        event.record(&mut fields);
        if let Some(message) = fields.0.remove("message") {
            line.insert("message".into(), message);
        }
        let span = tracing::Span::current();
        // The event's span is the current one: its OpenTelemetry ids, if it is traced;
        // outside one, the traced request's it is written for, if any.
        let ids = match span.metadata() {
            Some(meta) => {
                line.insert("span".into(), Value::String(meta.name().to_string()));
                traces::ids(&span)
            }
            None => traces::request_ids().inspect(|_| {
                line.insert("span".into(), Value::String(SPAN_REQUEST.to_string()));
            }),
        };
        if let Some((trace_id, span_id)) = ids {
            line.insert("trace_id".into(), Value::String(trace_id));
            line.insert("span_id".into(), Value::String(span_id));
        }
        line.extend(fields.0);
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// RFC 3339 UTC with milliseconds, from the system clock.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct JsonFields(Map<String, Value>);

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // 2000-03-01 is day 11017; 2024-02-29 is day 19782 (counted with `date -d`).
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
