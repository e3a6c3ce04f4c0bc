//! Logging set-up and the Prometheus text exposition of the gateway's counters.

use std::fmt::Write;

use crate::gateway::GatewayState;

/// Initialise `tracing` from `RUST_LOG` (default `info`). Colours only on a terminal: a
/// container's or a service manager's log collector would store the escape codes.
pub fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The gateway's counters in Prometheus' text format.
pub fn render_metrics(gateway: &GatewayState) -> String {
    let mut out = String::new();
    let s = gateway.cache().stats();
    let counters = [
        (
            "majordomo_cache_hits_total",
            "Upstream cache lookups answered from a stored entry.",
            s.hits,
        ),
        (
            "majordomo_cache_misses_total",
            "Upstream cache lookups that loaded from Jenkins.",
            s.misses,
        ),
        (
            "majordomo_cache_coalesced_total",
            "Lookups that waited for another caller's identical in-flight load.",
            s.coalesced,
        ),
        (
            "majordomo_cache_evictions_total",
            "Entries evicted for space or expiry.",
            s.evictions,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    if let Some(r) = gateway.cache().shared_stats() {
        let shared = [
            (
                "majordomo_redis_hits_total",
                "Lookups answered by Redis.",
                "counter",
                r.hits,
            ),
            (
                "majordomo_redis_misses_total",
                "Lookups Redis had no value for.",
                "counter",
                r.misses,
            ),
            (
                "majordomo_redis_writes_total",
                "Values written to Redis.",
                "counter",
                r.writes,
            ),
            (
                "majordomo_redis_waits_total",
                "Lookups that waited for another replica's identical load.",
                "counter",
                r.waits,
            ),
            (
                "majordomo_redis_waits_served_total",
                "Waits that ended with the other replica's value.",
                "counter",
                r.waits_served,
            ),
            (
                "majordomo_redis_errors_total",
                "Redis commands that failed or timed out.",
                "counter",
                r.errors,
            ),
            (
                "majordomo_redis_skipped_total",
                "Lookups that skipped Redis while it was down.",
                "counter",
                r.skipped,
            ),
            (
                "majordomo_redis_down",
                "1 while Redis is considered down.",
                "gauge",
                r.down,
            ),
        ];
        for (name, help, kind, value) in shared {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
    }
    let _ = writeln!(out, "# HELP majordomo_upstream_requests_total Requests sent to Jenkins.\n# TYPE majordomo_upstream_requests_total counter");
    for u in gateway.upstreams() {
        let name = u.name.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(
            out,
            "majordomo_upstream_requests_total{{connection=\"{name}\"}} {}",
            u.client.upstream_requests()
        );
    }
    let _ = writeln!(out, "# HELP majordomo_upstream_concurrency_limit Requests the adaptive limit lets in flight to a controller now.\n# TYPE majordomo_upstream_concurrency_limit gauge");
    for u in gateway.upstreams() {
        let name = u.name.replace('\\', "\\\\").replace('"', "\\\"");
        let (limit, _) = u.client.concurrency();
        let _ = writeln!(
            out,
            "majordomo_upstream_concurrency_limit{{connection=\"{name}\"}} {limit}"
        );
    }
    let _ = writeln!(out, "# HELP majordomo_upstream_in_flight Requests in flight to a controller now.\n# TYPE majordomo_upstream_in_flight gauge");
    for u in gateway.upstreams() {
        let name = u.name.replace('\\', "\\\\").replace('"', "\\\"");
        let (_, in_flight) = u.client.concurrency();
        let _ = writeln!(
            out,
            "majordomo_upstream_in_flight{{connection=\"{name}\"}} {in_flight}"
        );
    }
    let _ = writeln!(out, "# HELP majordomo_auth_refused_total Requests refused by access control, by reason (missing, invalid, unavailable, rate_limited, not_admin).\n# TYPE majordomo_auth_refused_total counter");
    for (reason, count) in gateway.access().counters().snapshot() {
        let _ = writeln!(
            out,
            "majordomo_auth_refused_total{{reason=\"{reason}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP majordomo_uptime_seconds Seconds since the gateway started.\n# TYPE majordomo_uptime_seconds gauge\nmajordomo_uptime_seconds {}",
        gateway.started().elapsed().as_secs()
    );
    out
}
