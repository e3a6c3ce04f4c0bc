//! A small circuit breaker per controller: after N consecutive connection
//! failures or timeouts, requests fail fast for a cooldown instead of each
//! waiting out its own timeout; then one probe request is let through
//! (half-open) and its outcome closes or reopens the circuit.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's state, for health reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CircuitState {
    /// Requests flow normally.
    Closed,
    /// Requests fail fast until the cooldown ends.
    Open,
    /// The cooldown ended; one probe request decides.
    HalfOpen,
}

impl CircuitState {
    /// The state as a metric label and in `/readyz`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug, Default)]
struct State {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    probe_started: Option<Instant>,
    /// Code of the latest failure (`TIMEOUT`, `UNREACHABLE`, …): why the circuit is open.
    cause: &'static str,
}

/// Why requests are failing fast, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Open {
    /// Code of the failure that opened (or kept open) the circuit.
    pub(crate) cause: &'static str,
    /// Until the next attempt is let through.
    pub(crate) retry_in: Duration,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    /// After this long without an outcome, a probe is presumed lost (its
    /// caller was cancelled) and another one may start.
    probe_timeout: Duration,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// A closed breaker that opens after `threshold` consecutive failures.
    pub(crate) fn new(threshold: u32, cooldown: Duration, probe_timeout: Duration) -> Self {
        CircuitBreaker {
            threshold: threshold.max(1),
            cooldown,
            probe_timeout,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets a request through, or says why and how long the circuit stays open.
    pub(crate) fn admit(&self) -> Result<(), Open> {
        let now = Instant::now();
        let mut state = self.lock();
        let cause = state.cause;
        match state.open_until {
            None => Ok(()),
            Some(until) if now < until => Err(Open {
                cause,
                retry_in: until - now,
            }),
            Some(_) => match state.probe_started {
                Some(started) if now.duration_since(started) < self.probe_timeout => Err(Open {
                    cause,
                    retry_in: self.probe_timeout - now.duration_since(started),
                }),
                _ => {
                    state.probe_started = Some(now);
                    Ok(())
                }
            },
        }
    }

    /// The controller answered (any HTTP status): close the circuit.
    pub(crate) fn record_success(&self) {
        let mut state = self.lock();
        *state = State::default();
    }

    /// A failure of the controller (its code: `TIMEOUT`, `UNREACHABLE`, …). Only failures
    /// of the controller or the path to it belong here, never a request the client refused.
    pub(crate) fn record_failure(&self, cause: &'static str) {
        let now = Instant::now();
        let mut state = self.lock();
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        state.cause = cause;
        let probe_failed = state.open_until.is_some_and(|until| now >= until);
        if probe_failed || state.consecutive_failures >= self.threshold {
            if state.open_until.is_none_or(|until| now >= until) {
                tracing::warn!(
                    failures = state.consecutive_failures,
                    cause,
                    cooldown_ms = u64::try_from(self.cooldown.as_millis()).unwrap_or(u64::MAX),
                    "circuit opened: failing fast until the cooldown ends"
                );
            }
            state.open_until = Some(now + self.cooldown);
            state.probe_started = None;
        }
    }

    /// The current state.
    pub(crate) fn state(&self) -> CircuitState {
        let state = self.lock();
        match state.open_until {
            None => CircuitState::Closed,
            Some(until) if Instant::now() < until => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_half_opens_and_closes() {
        let breaker = CircuitBreaker::new(2, Duration::from_millis(50), Duration::from_secs(5));
        assert!(breaker.admit().is_ok());
        breaker.record_failure("TIMEOUT");
        assert_eq!(breaker.state(), CircuitState::Closed);
        breaker.record_failure("TIMEOUT");
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.admit().map_err(|o| o.cause), Err("TIMEOUT"));

        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        assert!(breaker.admit().is_ok(), "one probe");
        assert!(breaker.admit().is_err(), "only one probe at a time");
        breaker.record_failure("TIMEOUT");
        assert_eq!(breaker.state(), CircuitState::Open, "failed probe reopens");

        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.admit().is_ok());
        breaker.record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert!(breaker.admit().is_ok());
    }
}
