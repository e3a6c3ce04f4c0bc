//! [`QueryBudget`]: what one query may spend on Jenkins, checked by the client before every
//! request it sends: a deadline, a number of upstream requests, bytes of logs streamed,
//! and whether anyone still waits for the answer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::JenkinsError;

/// The limits one query runs under and what it has spent so far.
#[derive(Debug)]
pub(crate) struct QueryBudget {
    started: Instant,
    deadline: Option<Instant>,
    max_requests: u64,
    requests: AtomicU64,
    max_log_bytes: u64,
    log_bytes: AtomicU64,
    cancelled: AtomicBool,
}

impl QueryBudget {
    /// No limits (the command line's checks, tests of the client).
    pub(crate) fn unlimited() -> Self {
        QueryBudget::new(None, u64::MAX, u64::MAX)
    }

    /// A budget starting now: `timeout` for the whole query (`None`: none), at most
    /// `max_requests` upstream requests and `max_log_bytes` of logs.
    pub(crate) fn new(timeout: Option<Duration>, max_requests: u64, max_log_bytes: u64) -> Self {
        let started = Instant::now();
        QueryBudget {
            started,
            deadline: timeout.map(|t| started + t),
            max_requests,
            requests: AtomicU64::new(0),
            max_log_bytes,
            log_bytes: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        }
    }

    /// When the query must be answered, if it has a deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline (`None`: no deadline).
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The error of a query that ran out of time.
    pub(crate) fn deadline_error(&self, connection: &str) -> JenkinsError {
        JenkinsError::DeadlineExceeded {
            connection: connection.to_string(),
            after_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Take one upstream request to `connection` from the budget, or say why it may not
    /// be sent: nobody waits for the answer, the deadline passed, or the budget is spent.
    pub(crate) fn spend_request(&self, connection: &str) -> Result<(), JenkinsError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(JenkinsError::Cancelled {
                connection: connection.to_string(),
            });
        }
        if self.remaining().is_some_and(|r| r.is_zero()) {
            return Err(self.deadline_error(connection));
        }
        let sent = self.requests.fetch_add(1, Ordering::Relaxed);
        if sent >= self.max_requests {
            return Err(JenkinsError::BudgetExceeded {
                connection: connection.to_string(),
                what: "upstream requests",
                limit: self.max_requests,
            });
        }
        Ok(())
    }

    /// Take `bytes` of streamed log from the budget.
    pub(crate) fn spend_log_bytes(
        &self,
        connection: &str,
        bytes: usize,
    ) -> Result<(), JenkinsError> {
        let before = self.log_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if before.saturating_add(bytes as u64) > self.max_log_bytes {
            return Err(JenkinsError::BudgetExceeded {
                connection: connection.to_string(),
                what: "bytes of logs",
                limit: self.max_log_bytes,
            });
        }
        Ok(())
    }

    /// Nobody waits for the answer any more: send nothing more.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_stop_at_the_limit_and_after_cancel() {
        let b = QueryBudget::new(None, 2, 10);
        assert!(b.spend_request("c").is_ok());
        assert!(b.spend_request("c").is_ok());
        let e = b.spend_request("c").expect_err("over budget");
        assert_eq!(e.code(), "UPSTREAM_BUDGET_EXCEEDED");
        assert!(b.spend_log_bytes("c", 10).is_ok());
        assert_eq!(
            b.spend_log_bytes("c", 1).map_err(|e| e.code()),
            Err("UPSTREAM_BUDGET_EXCEEDED")
        );
        let c = QueryBudget::new(None, 10, 10);
        c.cancel();
        assert_eq!(c.spend_request("c").map_err(|e| e.code()), Err("CANCELLED"));
    }

    #[test]
    fn a_passed_deadline_stops_requests() {
        let b = QueryBudget::new(Some(Duration::ZERO), 10, 10);
        let e = b.spend_request("c").expect_err("late");
        assert_eq!(e.code(), "TIMEOUT");
        assert!(
            !e.is_connection_failure(),
            "the query's deadline is not the controller's fault"
        );
    }
}
