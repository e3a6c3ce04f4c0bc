//! Request rates per caller: GraphQL requests per second, answered `429` with
//! `Retry-After` beyond them, and the [`UpstreamRate`] that paces a caller's upstream
//! requests (checked by the query's budget before every request to Jenkins).
//!
//! One [`Rates`] serves one API key, or every subject of the identity provider, each
//! subject with its own buckets (GCRA, so a burst as large as the rate is allowed).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::jenkins::{upstream_limiter, UpstreamRate};

/// Subjects remembered before those whose buckets are full again are forgotten.
const TIDY_ABOVE: usize = 10_000;

/// The rates of one key, or of each subject of the identity provider.
pub(crate) struct Rates {
    requests: Option<Arc<DefaultKeyedRateLimiter<Arc<str>>>>,
    upstream: Option<(Arc<DefaultKeyedRateLimiter<Arc<str>>>, u32)>,
}

impl Rates {
    /// `requests` GraphQL requests and `upstream` upstream requests per second (`None`:
    /// no limit).
    pub(crate) fn new(requests: Option<u32>, upstream: Option<u32>) -> Self {
        let requests = requests
            .and_then(NonZeroU32::new)
            .map(|n| Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_second(n))));
        let upstream = upstream
            .and_then(NonZeroU32::new)
            .map(|n| (upstream_limiter(n), n.get()));
        Rates { requests, upstream }
    }

    /// Admit one request of `who`, or say how long it must wait.
    pub(crate) fn admit(&self, who: &Arc<str>) -> Result<(), Duration> {
        let Some(limiter) = &self.requests else {
            return Ok(());
        };
        if limiter.len() > TIDY_ABOVE {
            limiter.retain_recent();
        }
        limiter
            .check_key(who)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// The upstream rate of `who`, if limited.
    pub(crate) fn upstream(&self, who: &Arc<str>) -> Option<Arc<UpstreamRate>> {
        let (limiter, per_second) = self.upstream.as_ref()?;
        if limiter.len() > TIDY_ABOVE {
            limiter.retain_recent();
        }
        Some(Arc::new(UpstreamRate::new(
            Arc::clone(limiter),
            Arc::clone(who),
            *per_second,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_as_large_as_the_rate_passes_then_waits() {
        let rates = Rates::new(Some(3), None);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        for _ in 0..3 {
            assert_eq!(rates.admit(&a), Ok(()));
        }
        let wait = rates.admit(&a).expect_err("the fourth waits");
        // At 3 per second the next slot is a third of a second away (less the time spent).
        assert!(
            wait <= Duration::from_millis(334) && wait > Duration::from_millis(200),
            "{wait:?}"
        );
        assert_eq!(
            rates.admit(&b),
            Ok(()),
            "another subject has its own bucket"
        );
        assert!(Rates::new(None, None).admit(&a).is_ok());
        assert!(Rates::new(None, None).upstream(&a).is_none());
    }
}
