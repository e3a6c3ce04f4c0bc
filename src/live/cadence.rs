//! When a poller polls next: every interval, measured from the start of each poll (so a
//! slow answer does not stretch the period); doubled after each failed poll up to the
//! maximum backoff, and back to the interval after a success.

use std::time::Duration;

use tokio::time::Instant;

/// The timing of one poller.
#[derive(Debug)]
pub(crate) struct Cadence {
    interval: Duration,
    max_backoff: Duration,
    wait: Duration,
    started: Instant,
}

impl Cadence {
    /// A poller polling every `interval`, backing off up to `max_backoff`.
    pub(crate) fn new(interval: Duration, max_backoff: Duration) -> Self {
        Cadence {
            interval,
            max_backoff: max_backoff.max(interval),
            wait: interval,
            started: Instant::now(),
        }
    }

    /// A poll begins now.
    pub(crate) fn begin(&mut self) {
        self.started = Instant::now();
    }

    /// The poll that began last ended (`ok`: it reached the controller): how long to wait
    /// from its start.
    pub(crate) fn end(&mut self, ok: bool) -> Duration {
        self.wait = if ok {
            self.interval
        } else {
            self.wait.saturating_mul(2).min(self.max_backoff)
        };
        self.wait
    }

    /// Sleep until the next poll is due.
    pub(crate) async fn sleep(&self) {
        tokio::time::sleep_until(self.started + self.wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_while_failing_and_recovers_at_once() {
        let mut c = Cadence::new(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(c.end(false), Duration::from_secs(2));
        assert_eq!(c.end(false), Duration::from_secs(4));
        assert_eq!(c.end(false), Duration::from_secs(5));
        assert_eq!(c.end(true), Duration::from_secs(1));
    }
}
