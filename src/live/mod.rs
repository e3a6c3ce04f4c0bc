//! Live: the pollers behind subscriptions and the fleet page.
//!
//! However many clients subscribe, each controller is polled by one poller per kind of
//! watch, shared through a [`registry::Registry`] and stopped when its last subscriber
//! leaves: [`jobs`] (one nested listing per interval for build state and the controller's
//! status, and `wfapi/describe` only for running builds whose stages someone watches),
//! [`queue`] (the queue, and what each item that left became), and [`log`] (one per build
//! someone tails: `progressiveText` from the last offset). Pollers read through the same
//! loaders, planner, cache and client as queries, with a budget of their own that has no
//! deadline and only accepts cached answers younger than a quarter of their interval.
//!
//! Events are computed by comparing successive states ([`diff`]), so a missed poll never
//! loses a finished build. Each poller sends into a bounded broadcast channel: a
//! subscriber that falls further behind than `live.subscriber_buffer` events is told it
//! lagged and resynchronised from the poller's latest state, and never slows the others.
//! A connection forwarding its callers' credentials gets pollers per credential, so no
//! caller sees what Jenkins would not show it.

pub(crate) mod cadence;
pub(crate) mod diff;
pub(crate) mod events;
pub(crate) mod filter;
pub(crate) mod jobs;
pub(crate) mod log;
pub(crate) mod queue;
pub(crate) mod registry;

use std::sync::Arc;

use crate::cache::credential_scope;
use crate::error::GatewayError;
use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::ForwardedCredentials;
use jobs::{JobsFeed, JobsPoller};
use log::{LogFeed, LogPoller, LogStart, LogSubscription};
use queue::{QueueFeed, QueuePoller};
use registry::{Registry, Watch};

/// Which poller: a connection, and on a forwarding connection whose credentials it uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FeedKey {
    conn: Arc<str>,
    scope: Option<u64>,
}

/// Which log poller: its connection's key and the build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LogKey {
    feed: FeedKey,
    job: String,
    number: u32,
}

/// A subscriber's hold on a controller's build poller.
pub(crate) type JobsWatch = Watch<FeedKey, JobsFeed>;
/// A subscriber's hold on a controller's queue poller.
pub(crate) type QueueWatch = Watch<FeedKey, QueueFeed>;
/// A subscriber's read of a tailed log.
pub(crate) type LogTail = LogSubscription<Watch<LogKey, LogFeed>>;

/// Every poller of a gateway, by kind.
pub(crate) struct Live {
    gateway: GatewayState,
    jobs: Arc<Registry<FeedKey, JobsFeed>>,
    queues: Arc<Registry<FeedKey, QueueFeed>>,
    logs: Arc<Registry<LogKey, LogFeed>>,
}

impl Live {
    /// No pollers yet: the first subscriber of each starts it.
    pub(crate) fn new(gateway: GatewayState) -> Self {
        Live {
            gateway,
            jobs: Registry::new(),
            queues: Registry::new(),
            logs: Registry::new(),
        }
    }

    fn key(up: &Upstream, forwarded: Option<&ForwardedCredentials>) -> FeedKey {
        let scope = up.client.forwards().then(|| {
            forwarded.map_or_else(|| credential_scope(None, None), ForwardedCredentials::scope)
        });
        FeedKey {
            conn: Arc::clone(&up.name),
            scope,
        }
    }

    fn forwarded(
        up: &Upstream,
        forwarded: Option<&ForwardedCredentials>,
    ) -> Option<ForwardedCredentials> {
        up.client.forwards().then(|| forwarded.cloned()).flatten()
    }

    /// Watch a controller's builds and status.
    pub(crate) fn jobs(
        &self,
        up: &Arc<Upstream>,
        forwarded: Option<&ForwardedCredentials>,
    ) -> JobsWatch {
        let creds = Self::forwarded(up, forwarded);
        self.jobs.watch(Self::key(up, forwarded), || {
            JobsPoller::start(&self.gateway, Arc::clone(up), creds)
        })
    }

    /// Watch a controller's queue.
    pub(crate) fn queue(
        &self,
        up: &Arc<Upstream>,
        forwarded: Option<&ForwardedCredentials>,
    ) -> QueueWatch {
        let creds = Self::forwarded(up, forwarded);
        self.queues.watch(Self::key(up, forwarded), || {
            QueuePoller::start(&self.gateway, Arc::clone(up), creds)
        })
    }

    /// Tail a build's log from `start`; `OVERLOADED` when the controller already has
    /// `live.max_log_tails` logs tailed (a log already tailed can always be joined).
    pub(crate) fn log(
        &self,
        up: &Arc<Upstream>,
        (job, number): (&str, u32),
        forwarded: Option<&ForwardedCredentials>,
        start: LogStart,
    ) -> Result<LogTail, GatewayError> {
        let creds = Self::forwarded(up, forwarded);
        let key = LogKey {
            feed: Self::key(up, forwarded),
            job: job.to_string(),
            number,
        };
        let limit = self.gateway.config().live.max_log_tails;
        let same_controller = |k: &LogKey| k.feed.conn == up.name;
        let watch = self
            .logs
            .watch_within(key, same_controller, limit, || {
                LogPoller::start(
                    &self.gateway,
                    Arc::clone(up),
                    job.to_string(),
                    number,
                    creds.clone(),
                )
            })
            .ok_or(GatewayError::Overloaded("logs tailed on this connection"))?;
        Ok(LogSubscription::new(
            watch,
            Arc::clone(up),
            (job.to_string(), number),
            creds,
            start,
        ))
    }
}
