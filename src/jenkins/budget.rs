//! [`QueryBudget`]: what one query may spend on Jenkins, checked by the client before every
//! request it sends: a deadline, a number of upstream requests, bytes of logs streamed,
//! whether anyone still waits for the answer, and the caller's [`UpstreamRate`] (the
//! upstream requests per second its key may send, shared by all of its queries). The
//! budget also carries the caller's [`ForwardedCredentials`], for connections that send
//! each caller's own. It also keeps what telemetry reports of the query: how long it
//! waited on Jenkins, which controllers it asked, and its span.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::JenkinsError;
use super::forward::ForwardedCredentials;
use crate::telemetry::traces::RequestSpan;

/// Longest a request waits for its turn under an [`UpstreamRate`] when the query has no
/// deadline.
const MAX_RATE_WAIT: Duration = Duration::from_secs(30);

/// Upstream requests per second for one caller (an API key, or one subject of the
/// identity provider), over every connection and every query of that caller.
pub(crate) struct UpstreamRate {
    limiter: Arc<DefaultKeyedRateLimiter<Arc<str>>>,
    key: Arc<str>,
    per_second: u32,
}

impl std::fmt::Debug for UpstreamRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamRate")
            .field("per_second", &self.per_second)
            .finish_non_exhaustive()
    }
}

/// The limiter behind the [`UpstreamRate`]s of many callers at `per_second` each.
pub(crate) fn upstream_limiter(per_second: NonZeroU32) -> Arc<DefaultKeyedRateLimiter<Arc<str>>> {
    Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_second(
        per_second,
    )))
}

impl UpstreamRate {
    /// The rate of caller `key` in `limiter` (whose quota is `per_second`).
    pub(crate) fn new(
        limiter: Arc<DefaultKeyedRateLimiter<Arc<str>>>,
        key: Arc<str>,
        per_second: u32,
    ) -> Self {
        UpstreamRate {
            limiter,
            key,
            per_second,
        }
    }

    /// Wait for this caller's next upstream request to be allowed, but not past
    /// `deadline` (or [`MAX_RATE_WAIT`] without one).
    async fn admit(&self, deadline: Option<Instant>, connection: &str) -> Result<(), JenkinsError> {
        let give_up = deadline.unwrap_or_else(|| Instant::now() + MAX_RATE_WAIT);
        loop {
            let wait = match self.limiter.check_key(&self.key) {
                Ok(()) => return Ok(()),
                Err(not_until) => not_until.wait_time_from(DefaultClock::default().now()),
            };
            if Instant::now() + wait > give_up {
                return Err(JenkinsError::RateLimited {
                    connection: connection.to_string(),
                    per_second: self.per_second,
                });
            }
            // Others may take the slot first; then the loop waits again.
            tokio::time::sleep(wait).await;
        }
    }
}

/// The limits one query runs under and what it has spent so far.
#[derive(Debug)]
pub(crate) struct QueryBudget {
    started: Instant,
    /// How long the query (or one event of a subscription) may take.
    timeout: Option<Duration>,
    /// When the current period began and when it must end, in ms after `started`
    /// (`u64::MAX`: no deadline); [`QueryBudget::renew`] starts a new period.
    period_ms: AtomicU64,
    deadline_ms: AtomicU64,
    max_requests: u64,
    requests: AtomicU64,
    /// Answers read from the cache without waiting.
    cache_hits: AtomicU64,
    max_log_bytes: u64,
    log_bytes: AtomicU64,
    cancelled: AtomicBool,
    wait: Mutex<WaitClock>,
    controllers: Mutex<Vec<String>>,
    span: Option<RequestSpan>,
    trace_context: http::HeaderMap,
    rate: Option<Arc<UpstreamRate>>,
    forwarded: Option<ForwardedCredentials>,
    /// Oldest cached answer (that may still change) this budget's reads accept.
    max_age: Option<Duration>,
}

/// Time with at least one load in flight: concurrent loads overlap, so their durations
/// are not added up; the clock runs from the first start to the last end of each overlap.
#[derive(Debug, Default)]
struct WaitClock {
    in_flight: u32,
    since: Option<Instant>,
    total: Duration,
}

/// A load in flight; dropping it ends it.
pub(crate) struct Waiting<'a> {
    budget: &'a QueryBudget,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut clock = self.budget.clock();
        clock.in_flight = clock.in_flight.saturating_sub(1);
        if clock.in_flight == 0 {
            if let Some(since) = clock.since.take() {
                clock.total += since.elapsed();
            }
        }
    }
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
        let deadline_ms = timeout.map_or(u64::MAX, |t| {
            u64::try_from(t.as_millis()).unwrap_or(u64::MAX - 1)
        });
        QueryBudget {
            started,
            timeout,
            period_ms: AtomicU64::new(0),
            deadline_ms: AtomicU64::new(deadline_ms),
            max_requests,
            requests: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            max_log_bytes,
            log_bytes: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
            wait: Mutex::new(WaitClock::default()),
            controllers: Mutex::new(Vec::new()),
            span: None,
            trace_context: http::HeaderMap::new(),
            rate: None,
            forwarded: None,
            max_age: None,
        }
    }

    /// The same budget, with `span` (a traced query's) as the parent of its loads.
    pub(crate) fn with_span(mut self, span: Option<RequestSpan>) -> Self {
        self.span = span;
        self
    }

    /// The same budget, passing the caller's trace context on to Jenkins as received
    /// when the query is not traced.
    pub(crate) fn with_trace_context(mut self, trace_context: http::HeaderMap) -> Self {
        self.trace_context = trace_context;
        self
    }

    /// A poller's budget: no deadline and no limits (one poller serves every subscriber,
    /// and its cost is bounded by its interval), reading cached answers only when younger
    /// than `max_age`, with the credentials of the subscribers it serves (forwarding
    /// connections only).
    pub(crate) fn for_poller(max_age: Duration, forwarded: Option<ForwardedCredentials>) -> Self {
        let mut budget = QueryBudget::unlimited().with_forwarded(forwarded);
        budget.max_age = Some(max_age);
        budget
    }

    /// Oldest cached answer (that may still change) this budget's reads accept.
    pub(crate) fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// The same budget, pacing its upstream requests by the caller's rate.
    pub(crate) fn with_rate(mut self, rate: Option<Arc<UpstreamRate>>) -> Self {
        self.rate = rate;
        self
    }

    /// The same budget, carrying the caller's own Jenkins credentials.
    pub(crate) fn with_forwarded(mut self, forwarded: Option<ForwardedCredentials>) -> Self {
        self.forwarded = forwarded;
        self
    }

    /// The caller's own Jenkins credentials, if it sent any.
    pub(crate) fn forwarded(&self) -> Option<&ForwardedCredentials> {
        self.forwarded.as_ref()
    }

    /// The caller's trace context an untraced query passes on (see
    /// [`Self::with_trace_context`]).
    pub(crate) fn trace_context(&self) -> &http::HeaderMap {
        &self.trace_context
    }

    /// The query's span, when it is traced.
    pub(crate) fn span(&self) -> Option<&RequestSpan> {
        self.span.as_ref()
    }

    /// Whether the query is traced: its loads and upstream requests get spans only then.
    pub(crate) fn traced(&self) -> bool {
        self.span.is_some()
    }

    /// An answer was read from the cache without waiting.
    pub(crate) fn count_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Answers read from the cache without waiting, so far.
    pub(crate) fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, WaitClock> {
        self.wait.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A load from Jenkins (or a wait for another caller's) starts now.
    pub(crate) fn waiting(&self) -> Waiting<'_> {
        let mut clock = self.clock();
        if clock.in_flight == 0 {
            clock.since = Some(Instant::now());
        }
        clock.in_flight += 1;
        Waiting { budget: self }
    }

    /// How long the query has waited on Jenkins so far.
    pub(crate) fn upstream_wait(&self) -> Duration {
        let clock = self.clock();
        clock.total + clock.since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Upstream requests taken from the budget so far.
    pub(crate) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed).min(self.max_requests)
    }

    /// The controllers the query sent requests to, by name.
    pub(crate) fn controllers(&self) -> Vec<String> {
        let mut names = self
            .controllers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        names.sort();
        names
    }

    /// When the query must be answered, if it has a deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.deadline_ms.load(Ordering::Relaxed) {
            u64::MAX => None,
            ms => Some(self.started + Duration::from_millis(ms)),
        }
    }

    /// Start a new period with the whole budget again: a fresh deadline and nothing spent.
    /// A subscription's loaders renew it before each event, so each event is bounded like
    /// a query, however long the subscription lives.
    pub(crate) fn renew(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.period_ms.store(now, Ordering::Relaxed);
        if let Some(t) = self.timeout {
            let t = u64::try_from(t.as_millis()).unwrap_or(u64::MAX - 1);
            self.deadline_ms
                .store(now.saturating_add(t).min(u64::MAX - 1), Ordering::Relaxed);
        }
        self.requests.store(0, Ordering::Relaxed);
        self.log_bytes.store(0, Ordering::Relaxed);
    }

    /// Time left before the deadline (`None`: no deadline).
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The error of a query that ran out of time.
    pub(crate) fn deadline_error(&self, connection: &str) -> JenkinsError {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        JenkinsError::DeadlineExceeded {
            connection: connection.to_string(),
            after_ms: elapsed.saturating_sub(self.period_ms.load(Ordering::Relaxed)),
        }
    }

    /// Take one upstream request to `connection` from the budget, or say why it may not
    /// be sent: nobody waits for the answer, the deadline passed, the budget is spent, or
    /// the caller's upstream rate would not allow it before the deadline. Under a rate it
    /// waits for its turn.
    pub(crate) async fn spend_request(&self, connection: &str) -> Result<(), JenkinsError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(JenkinsError::Cancelled {
                connection: connection.to_string(),
            });
        }
        if self.remaining().is_some_and(|r| r.is_zero()) {
            return Err(self.deadline_error(connection));
        }
        if let Some(rate) = &self.rate {
            rate.admit(self.deadline(), connection).await?;
        }
        let sent = self.requests.fetch_add(1, Ordering::Relaxed);
        if sent >= self.max_requests {
            return Err(JenkinsError::BudgetExceeded {
                connection: connection.to_string(),
                what: "upstream requests",
                limit: self.max_requests,
            });
        }
        let mut seen = self.controllers.lock().unwrap_or_else(|p| p.into_inner());
        if !seen.iter().any(|c| c == connection) {
            seen.push(connection.to_string());
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

    #[tokio::test]
    async fn requests_stop_at_the_limit_and_after_cancel() {
        let b = QueryBudget::new(None, 2, 10);
        assert!(b.spend_request("c").await.is_ok());
        assert!(b.spend_request("c").await.is_ok());
        let e = b.spend_request("c").await.expect_err("over budget");
        assert_eq!(e.code(), "UPSTREAM_BUDGET_EXCEEDED");
        assert!(b.spend_log_bytes("c", 10).is_ok());
        assert_eq!(
            b.spend_log_bytes("c", 1).map_err(|e| e.code()),
            Err("UPSTREAM_BUDGET_EXCEEDED")
        );
        let c = QueryBudget::new(None, 10, 10);
        c.cancel();
        assert_eq!(
            c.spend_request("c").await.map_err(|e| e.code()),
            Err("CANCELLED")
        );
    }

    #[tokio::test]
    async fn overlapping_waits_count_once() {
        let b = QueryBudget::unlimited();
        let start = Instant::now();
        let first = b.waiting();
        std::thread::sleep(Duration::from_millis(30));
        let second = b.waiting();
        std::thread::sleep(Duration::from_millis(30));
        drop(first);
        std::thread::sleep(Duration::from_millis(30));
        drop(second);
        let span = start.elapsed();
        let waited = b.upstream_wait();
        // Added up, the two loads would make more than the span from the first start to
        // the last end; as a union they make at most that.
        assert!(
            waited >= Duration::from_millis(90) && waited <= span,
            "{waited:?} of {span:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            b.upstream_wait(),
            waited,
            "nothing in flight: the clock stands"
        );
        b.spend_request("b").await.expect("budget");
        b.spend_request("a").await.expect("budget");
        b.spend_request("b").await.expect("budget");
        assert_eq!(b.controllers(), ["a", "b"]);
        assert_eq!(b.requests_sent(), 3);
    }

    #[tokio::test]
    async fn renewing_gives_the_whole_budget_again() {
        let b = QueryBudget::new(Some(Duration::from_millis(30)), 1, 10);
        b.spend_request("c").await.expect("the first");
        assert!(b.spend_request("c").await.is_err(), "spent");
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(b.remaining(), Some(Duration::ZERO));
        b.renew();
        assert!(b.remaining().is_some_and(|r| r > Duration::from_millis(10)));
        b.spend_request("c").await.expect("a new period");
    }

    #[tokio::test]
    async fn a_passed_deadline_stops_requests() {
        let b = QueryBudget::new(Some(Duration::ZERO), 10, 10);
        let e = b.spend_request("c").await.expect_err("late");
        assert_eq!(e.code(), "TIMEOUT");
        assert!(
            !e.is_connection_failure(),
            "the query's deadline is not the controller's fault"
        );
    }

    #[tokio::test]
    async fn a_rate_paces_requests_and_refuses_what_cannot_wait() {
        let limiter = upstream_limiter(NonZeroU32::new(10).expect("10"));
        let rate = Arc::new(UpstreamRate::new(limiter, Arc::from("k"), 10));
        let b =
            QueryBudget::new(Some(Duration::from_secs(5)), 100, 10).with_rate(Some(rate.clone()));
        let started = Instant::now();
        // A burst of 10 is allowed at once; 5 more at 10 per second take about 0.5 s.
        for _ in 0..15 {
            b.spend_request("c").await.expect("paced, not refused");
        }
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(400),
            "15 requests at 10/s took {took:?}"
        );
        let short =
            QueryBudget::new(Some(Duration::from_millis(20)), 100, 10).with_rate(Some(rate));
        let e = short
            .spend_request("c")
            .await
            .expect_err("no turn before the deadline");
        assert_eq!(e.code(), "UPSTREAM_RATE_LIMITED");
    }
}
