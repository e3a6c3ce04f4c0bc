//! The `[live]` section: how the pollers behind subscriptions and the fleet page poll, back
//! off and buffer.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// The shortest poll interval accepted, ms.
pub(super) const MIN_INTERVAL_MS: u64 = 250;

/// How subscriptions are fed. One poller per controller and kind of watch serves every
/// subscriber, so these costs do not grow with subscribers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Milliseconds between two polls of a controller's build and queue state (one nested
    /// `tree=` listing, one queue listing, and `wfapi/describe` of the running builds whose
    /// stages someone watches). Also how soon a controller going down or coming back is seen.
    pub poll_interval_ms: u64,
    /// Milliseconds between two reads of a log someone tails (`progressiveText` from the
    /// last offset).
    pub log_interval_ms: u64,
    /// While a controller fails, the interval doubles after each failed poll, up to this
    /// many milliseconds (the client's circuit breaker also fails fast meanwhile).
    pub max_backoff_ms: u64,
    /// Events a subscriber may fall behind before it is told `LAGGED` and resynchronised;
    /// a slow subscriber never slows the others.
    pub subscriber_buffer: usize,
    /// Milliseconds between keep-alive messages on an idle subscription (an SSE comment, a
    /// WebSocket ping), so that proxies keep the connection open.
    pub keepalive_ms: u64,
    /// Logs of one controller that may be tailed at once (one `progressiveText` poller
    /// each, however many subscribers share it); beyond, `buildLog` answers `OVERLOADED`.
    pub max_log_tails: usize,
    /// Running builds of one controller whose stages are read per poll at most (one
    /// `wfapi/describe` each); beyond, the newest ones are read and the others wait.
    pub max_stage_reads: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            poll_interval_ms: 2_000,
            log_interval_ms: 1_000,
            max_backoff_ms: 30_000,
            subscriber_buffer: 256,
            keepalive_ms: 15_000,
            max_log_tails: 32,
            max_stage_reads: 32,
        }
    }
}

impl LiveConfig {
    /// [`Self::poll_interval_ms`] as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// [`Self::log_interval_ms`] as a duration.
    pub fn log_interval(&self) -> Duration {
        Duration::from_millis(self.log_interval_ms)
    }

    /// [`Self::max_backoff_ms`] as a duration.
    pub fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms)
    }

    /// [`Self::keepalive_ms`] as a duration.
    pub fn keepalive(&self) -> Duration {
        Duration::from_millis(self.keepalive_ms)
    }

    /// Intervals are at least [`MIN_INTERVAL_MS`] (a poller must never become a load
    /// test of its controller), counts are positive, the backoff is at least the interval.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("poll_interval_ms", self.poll_interval_ms),
            ("log_interval_ms", self.log_interval_ms),
        ] {
            if value < MIN_INTERVAL_MS {
                return Err(ConfigError::InvalidValue {
                    field: format!("live.{field}"),
                    reason: format!("must be at least {MIN_INTERVAL_MS} ms"),
                });
            }
        }
        for (field, value) in [
            ("subscriber_buffer", self.subscriber_buffer as u64),
            ("keepalive_ms", self.keepalive_ms),
            ("max_log_tails", self.max_log_tails as u64),
            ("max_stage_reads", self.max_stage_reads as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::InvalidValue {
                    field: format!("live.{field}"),
                    reason: "must be greater than 0".into(),
                });
            }
        }
        if self.max_backoff_ms < self.poll_interval_ms {
            return Err(ConfigError::InvalidValue {
                field: "live.max_backoff_ms".into(),
                reason: "must be at least poll_interval_ms".into(),
            });
        }
        Ok(())
    }
}
