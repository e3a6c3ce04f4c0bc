//! [`AdaptiveLimit`]: how many requests one controller gets at once, adapted to its
//! latency between a floor and the configured ceiling (`min_concurrency`,
//! `max_concurrency`).
//!
//! A gradient limit after Netflix concurrency-limits' `Gradient2`, with a Vegas-like
//! baseline: the controller's unloaded latency is the fastest answer of the last 5 to 10
//! seconds; its recent latency is a short moving average of the times to response headers.
//! Their ratio gives a gradient (1 while recent latency is no more than 1.5 times the
//! baseline, down to 0.5 when it is three times it), and the limit moves, smoothed, towards
//! `limit × gradient + 4`. So the limit grows by a fraction of a slot per answer while
//! latency holds, and falls when latency rises under load (to 16 when it doubles and stays
//! doubled); a slower baseline is accepted once the window has passed. A 503, a 429 or a
//! timeout cuts the limit by a quarter at once. While fewer than half the slots are in use
//! the limit does not grow: an idle controller says nothing about how much load it takes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Recent latency may rise this much over the baseline before the limit falls.
const TOLERANCE: f64 = 1.5;
/// Weight of each answer in the recent latency's moving average.
const RECENT_WEIGHT: f64 = 0.1;
/// The baseline is the fastest answer of the current and the previous window this long.
const BASELINE_WINDOW: Duration = Duration::from_secs(5);
/// Weight of each new limit against the current one.
const SMOOTHING: f64 = 0.2;
/// Slots added on top of `limit × gradient`: what lets the limit probe upwards.
const QUEUE: f64 = 4.0;
/// What a 503, a 429 or a timeout leaves of the limit.
const BACKOFF: f64 = 0.75;
/// The limit a controller starts with (within floor and ceiling).
const INITIAL: usize = 8;

/// How an exchange ended, for the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The controller answered (any status but the overload ones) in this time.
    Answered(Duration),
    /// 503, 429 or a timeout: the controller is overloaded or stuck.
    Overloaded,
}

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    /// Recent latency in milliseconds (moving average); `None` before the first answer.
    recent_ms: Option<f64>,
    /// The fastest answers, in milliseconds, of the current and the previous window.
    fastest_ms: (f64, f64),
    window_started: Instant,
}

/// The adaptive concurrency limit of one controller. Share it in an `Arc`.
#[derive(Debug)]
pub(crate) struct AdaptiveLimit {
    floor: usize,
    ceiling: usize,
    state: Mutex<State>,
    freed: Notify,
}

/// One slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Slot {
    limit: Arc<AdaptiveLimit>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut state = self.limit.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.limit.freed.notify_one();
    }
}

impl AdaptiveLimit {
    /// A limit between `floor` and `ceiling` (both at least 1).
    pub(crate) fn new(floor: usize, ceiling: usize) -> Arc<Self> {
        let ceiling = ceiling.max(1);
        let floor = floor.clamp(1, ceiling);
        Arc::new(AdaptiveLimit {
            floor,
            ceiling,
            state: Mutex::new(State {
                limit: INITIAL.clamp(floor, ceiling) as f64,
                in_flight: 0,
                recent_ms: None,
                fastest_ms: (f64::INFINITY, f64::INFINITY),
                window_started: Instant::now(),
            }),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot (the caller bounds the wait).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < current(&state) {
                    state.in_flight += 1;
                    return Slot {
                        limit: Arc::clone(self),
                    };
                }
            }
            freed.await;
        }
    }

    /// Adapts the limit to how an exchange ended.
    pub(crate) fn record(&self, outcome: Outcome) {
        let grew = {
            let mut state = self.lock();
            let before = current(&state);
            match outcome {
                Outcome::Overloaded => {
                    state.limit = (state.limit * BACKOFF).max(self.floor as f64);
                }
                Outcome::Answered(latency) => self.answered(&mut state, latency),
            }
            current(&state) > before
        };
        if grew {
            // A waiter per new slot; the others wake as slots are freed.
            self.freed.notify_waiters();
        }
    }

    fn answered(&self, state: &mut State, latency: Duration) {
        let sample = (latency.as_secs_f64() * 1_000.0).max(0.001);
        let recent = match state.recent_ms {
            None => sample,
            Some(recent) => recent + (sample - recent) * RECENT_WEIGHT,
        };
        state.recent_ms = Some(recent);
        if state.window_started.elapsed() >= BASELINE_WINDOW {
            state.fastest_ms = (sample, state.fastest_ms.0);
            state.window_started = Instant::now();
        } else {
            state.fastest_ms.0 = state.fastest_ms.0.min(sample);
        }
        let baseline = state.fastest_ms.0.min(state.fastest_ms.1);
        let gradient = (TOLERANCE * baseline / recent).clamp(0.5, 1.0);
        // Only a loaded controller tells how much more it takes.
        if (state.in_flight as f64) * 2.0 < state.limit && gradient >= 1.0 {
            return;
        }
        let target = state.limit * gradient + QUEUE;
        let next = state.limit * (1.0 - SMOOTHING) + target * SMOOTHING;
        state.limit = next.clamp(self.floor as f64, self.ceiling as f64);
    }

    /// The limit now (whole slots).
    pub(crate) fn limit(&self) -> usize {
        current(&self.lock())
    }

    /// Requests in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.lock().in_flight
    }
}

fn current(state: &State) -> usize {
    // Never below one slot, whatever the arithmetic did.
    (state.limit.floor() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(ms: u64) -> Outcome {
        Outcome::Answered(Duration::from_millis(ms))
    }

    /// Holds `n` slots while recording `answers` latencies of `ms`.
    async fn loaded(limit: &Arc<AdaptiveLimit>, answers: usize, ms: u64) {
        for _ in 0..answers {
            let n = limit.limit();
            let mut slots = Vec::new();
            for _ in 0..n {
                slots.push(limit.acquire().await);
            }
            limit.record(answered(ms));
            drop(slots);
        }
    }

    #[tokio::test]
    async fn grows_to_the_ceiling_while_latency_holds() {
        let limit = AdaptiveLimit::new(2, 40);
        assert_eq!(limit.limit(), 8);
        loaded(&limit, 200, 20).await;
        assert_eq!(limit.limit(), 40);
    }

    #[tokio::test]
    async fn an_idle_controller_does_not_raise_it() {
        let limit = AdaptiveLimit::new(2, 40);
        for _ in 0..200 {
            let _slot = limit.acquire().await;
            limit.record(answered(20));
        }
        assert_eq!(limit.limit(), 8);
    }

    #[tokio::test]
    async fn doubled_latency_lowers_it_and_overload_cuts_it() {
        let limit = AdaptiveLimit::new(2, 64);
        loaded(&limit, 300, 20).await;
        let high = limit.limit();
        assert_eq!(high, 64);
        loaded(&limit, 40, 40).await;
        let after = limit.limit();
        // Gradient 1.5 × 20 / 40 = 0.75 once the recent average is at 40: the limit heads
        // for 16, where 0.75 × limit + 4 = limit.
        assert!(after < high * 3 / 4, "{high} -> {after}");
        limit.record(Outcome::Overloaded);
        let cut = limit.limit();
        assert!(
            (after * 3 / 4..=after * 3 / 4 + 1).contains(&cut),
            "{after} -> {cut}"
        );
        for _ in 0..50 {
            limit.record(Outcome::Overloaded);
        }
        assert_eq!(limit.limit(), 2, "never under the floor");
    }

    #[tokio::test]
    async fn waiters_get_slots_as_they_are_freed() {
        let limit = AdaptiveLimit::new(1, 1);
        let first = limit.acquire().await;
        let waiting = tokio::spawn({
            let limit = Arc::clone(&limit);
            async move {
                let _slot = limit.acquire().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        assert_eq!(limit.in_flight(), 1);
        drop(first);
        waiting.await.unwrap();
        assert_eq!(limit.in_flight(), 0);
    }
}
