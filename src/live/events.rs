//! What pollers tell their subscribers: changes computed by comparing two successive
//! states of a controller, in the order they happened. They hold Jenkins' wire data; the
//! schema turns them into GraphQL events.

use std::sync::Arc;

use crate::jenkins::{wire, JenkinsError};

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What happened to a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildChangeKind {
    /// The job has an item in the queue (no build number yet).
    Queued,
    /// The build started.
    Started,
    /// The build entered a stage.
    Stage,
    /// The build finished.
    Finished,
}

/// One change of one build.
#[derive(Debug, Clone)]
pub(crate) struct BuildChange {
    /// What happened.
    pub(crate) kind: BuildChangeKind,
    /// The job's full name.
    pub(crate) job: String,
    /// The build number (none for `Queued`).
    pub(crate) number: Option<u32>,
    /// The build as the poller last read it.
    pub(crate) build: Option<Arc<wire::Build>>,
    /// The queue item (`Queued`).
    pub(crate) queue_item: Option<Arc<wire::QueueItem>>,
    /// The run's stages and the index of the stage entered (`Stage`).
    pub(crate) stage: Option<(Arc<wire::RunExt>, usize)>,
}

/// Whether a controller answers.
#[derive(Debug, Clone)]
pub(crate) enum ConnState {
    /// It answered the last poll.
    Online {
        /// `X-Jenkins`.
        version: Option<String>,
        /// Round trip of the last request, ms.
        latency_ms: Option<f64>,
    },
    /// The last poll failed with this.
    Down(JenkinsError),
}

impl ConnState {
    /// `ONLINE`, or the code of what failed (an open circuit reports the failure behind it).
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ConnState::Online { .. } => "ONLINE",
            ConnState::Down(e) => e.cause_code(),
        }
    }
}

/// What a controller's build poller sends.
#[derive(Debug, Clone)]
pub(crate) enum JobsEvent {
    /// A build changed.
    Build(BuildChange),
    /// The controller went down, came back, or fails differently.
    Status {
        /// Now.
        now: ConnState,
        /// Before.
        before: ConnState,
    },
}

/// An event and the poll that found it (events of a poll the snapshot already reflects are
/// skipped by a subscriber that starts from the snapshot).
#[derive(Debug, Clone)]
pub(crate) struct Polled<T> {
    /// The poll's sequence number.
    pub(crate) cycle: u64,
    /// When the poller saw it, ms since the epoch.
    pub(crate) at_ms: i64,
    /// The event.
    pub(crate) event: T,
}

/// What happened to a queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueChangeKind {
    /// It entered the queue.
    Entered,
    /// It became stuck (buildable, but nothing can run it).
    Stuck,
    /// It left the queue: it became a build, or was cancelled.
    Left,
}

/// One change of the queue.
#[derive(Debug, Clone)]
pub(crate) struct QueueChange {
    /// What happened.
    pub(crate) kind: QueueChangeKind,
    /// The item as last seen in the queue.
    pub(crate) item: Arc<wire::QueueItem>,
    /// For `Left`: the item as Jenkins shows it after it left (`executable`, `cancelled`).
    pub(crate) left: Option<Arc<wire::QueueItem>>,
}

/// A piece of a log someone tails.
#[derive(Debug, Clone)]
pub(crate) struct LogPiece {
    /// Offset of `text` in the visible log (annotations stripped, LF line endings), bytes.
    pub(crate) offset: u64,
    /// The text.
    pub(crate) text: Arc<str>,
    /// Whether the log is complete (the build finished) after this piece.
    pub(crate) complete: bool,
}
