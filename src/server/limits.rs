//! The connection limits in force: the `[server]` section, with `max_connections` capped by
//! the descriptor budget (RLIMIT_NOFILE less what the upstream connections may need).

use std::time::Duration;

use crate::config::Config;

/// Descriptors each `max_concurrency` slot of a connection may hold: the HTTP/1.1
/// connection of a request in flight (the client's pool never holds more connections than
/// it ever had requests in flight, since idle ones are reused), plus one opening or
/// closing beside it when a pooled connection is replaced or a request retried.
const PER_UPSTREAM_SLOT: u64 = 2;

/// Descriptors kept for everything else: stdio, the listener, the runtime's epoll and
/// wakers, signal pipes, DNS lookups (a socket and `/etc/hosts` each), config, token and
/// CA files read at start, and headroom for what later features open.
const FIXED_RESERVE: u64 = 64;

/// Connections beyond `max_connections` being answered 503 at once; each holds a descriptor
/// for up to [`REJECT_TIMEOUT`]. Beyond these, a connection is closed without an answer.
pub(crate) const REJECT_SLOTS: usize = 32;

/// How long a connection beyond the limit may take to send its request and read the 503.
pub(crate) const REJECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The fewest client connections the budget leaves, however tight the descriptor limit.
const MIN_CONNECTIONS: usize = 1;

/// What bounds each client connection, and how many there may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// A request's headers must arrive within this long once the server waits for them.
    pub(crate) header_read_timeout: Duration,
    /// No request in flight and no bytes moving for this long closes a connection.
    pub(crate) idle_timeout: Duration,
    /// Most client connections served at once (after the descriptor budget).
    pub(crate) max_connections: usize,
    /// How long requests in flight may run on after a shutdown signal.
    pub(crate) shutdown_grace: Duration,
}

impl ConnectionLimits {
    /// The limits of `config`, with `max_connections` capped by the process's descriptor
    /// limit (raised to its hard limit first when allowed).
    pub(crate) fn from_config(config: &Config) -> Self {
        let server = &config.server;
        let nofile = raise_nofile_limit();
        let reserved = upstream_reserve(config);
        let max_connections = capped_connections(server.max_connections, nofile, reserved);
        if max_connections < server.max_connections {
            tracing::warn!(
                configured = server.max_connections,
                max_connections,
                nofile = nofile.unwrap_or_default(),
                reserved,
                "server.max_connections lowered to fit the descriptor limit (RLIMIT_NOFILE); \
                 raise the limit (ulimit -n, LimitNOFILE=, docker --ulimit nofile=) to serve more"
            );
        }
        ConnectionLimits {
            header_read_timeout: server.header_read_timeout(),
            idle_timeout: server.idle_timeout(),
            max_connections,
            shutdown_grace: server.shutdown_grace(),
        }
    }
}

/// Descriptors kept out of the client connections' budget: two per upstream slot of every
/// connection, the fixed reserve and the rejection slots.
pub(crate) fn upstream_reserve(config: &Config) -> u64 {
    let slots: u64 = config
        .connections
        .iter()
        .map(|c| c.max_concurrency as u64)
        .sum();
    slots
        .saturating_mul(PER_UPSTREAM_SLOT)
        .saturating_add(FIXED_RESERVE)
        .saturating_add(REJECT_SLOTS as u64)
}

/// `configured`, lowered so that `reserved` descriptors stay free under `nofile` (unknown:
/// not lowered), but never below [`MIN_CONNECTIONS`].
pub(crate) fn capped_connections(configured: usize, nofile: Option<u64>, reserved: u64) -> usize {
    let Some(nofile) = nofile else {
        return configured;
    };
    let budget = usize::try_from(nofile.saturating_sub(reserved)).unwrap_or(usize::MAX);
    configured.min(budget).max(MIN_CONNECTIONS)
}

/// Raise the soft RLIMIT_NOFILE to the hard one (where allowed) and return the soft limit
/// in force, or `None` when it cannot be read or is unlimited.
fn raise_nofile_limit() -> Option<u64> {
    // An unlimited hard limit cannot be the soft one on Linux (it must stay under
    // fs.nr_open, by default 2^20), so aim for that instead.
    const TARGET_WHEN_UNLIMITED: u64 = 1 << 20;
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
    let target = if hard == rlimit::INFINITY {
        TARGET_WHEN_UNLIMITED
    } else {
        hard
    };
    let soft = match rlimit::increase_nofile_limit(target) {
        Ok(raised) => raised.max(soft),
        Err(e) => {
            tracing::debug!(error = %e, soft, hard, "could not raise RLIMIT_NOFILE");
            soft
        }
    };
    (soft != rlimit::INFINITY).then_some(soft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConnectionConfig;

    #[test]
    fn reserve_counts_two_descriptors_per_upstream_slot() {
        let config = Config::with_connections(vec![
            ConnectionConfig::new("a", "http://a.example").with_max_concurrency(8),
            ConnectionConfig::new("b", "http://b.example").with_max_concurrency(4),
        ]);
        // (8 + 4) slots x 2, the fixed 64 and the 32 rejection slots.
        assert_eq!(upstream_reserve(&config), 24 + 64 + 32);
    }

    #[test]
    fn max_connections_fits_under_the_descriptor_limit() {
        assert_eq!(capped_connections(1024, Some(1024), 120), 904);
        assert_eq!(capped_connections(1024, Some(1_048_576), 120), 1024);
        assert_eq!(capped_connections(1024, None, 120), 1024);
        assert_eq!(capped_connections(1024, Some(100), 120), 1);
    }

    #[test]
    fn the_soft_limit_ends_at_least_where_it_was() {
        let (before, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
        let after = raise_nofile_limit().unwrap_or(u64::MAX);
        assert!(after >= before, "{after} < {before}");
    }
}
