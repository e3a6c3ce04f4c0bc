//! The events subscriptions yield: what changed, on which controller, when, carrying the
//! `Build`, `QueueItem`, `Stage` or `Connection` it is about so a client selects what it
//! needs. A `build` whose selection the poller already read costs nothing; any other
//! selection loads the build like a query would (through the cache).

use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject};

use super::convert::{full_name_from_url, problem, status_of};
use super::layout::RunLayout;
use super::load::{load_build, load_job};
use super::objects::{BuildObj, ConnectionObj, JobObj, QueueItemObj, StageObj};
use super::values::{ConnectionStatus, DateTime, Long, UpstreamProblem};
use crate::gateway::Upstream;
use crate::jenkins::wire;
use crate::live::events::ConnState;
use crate::loaders::BuildRef;
use crate::planner::live::covered_by_live;

/// What happened to a build.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum BuildEventKind {
    /// The job has an item in the queue (`queueItem`); the build has no number yet.
    Queued,
    /// The build started.
    Started,
    /// The build entered a stage (`stage`).
    Stage,
    /// The build finished (`build.result`, `build.duration`).
    Finished,
    /// The build is running now: sent when a subscription starts with `snapshot: true`,
    /// and after `LAGGED`, to resynchronise.
    Running,
    /// The subscriber fell behind and `missed` events were dropped; `RUNNING` events
    /// follow with what runs now.
    Lagged,
}

/// A change of one build (or, for `LAGGED`, of the subscription).
#[derive(Clone)]
pub(crate) struct BuildEventObj {
    pub(crate) kind: BuildEventKind,
    pub(crate) up: Arc<Upstream>,
    pub(crate) job: Option<String>,
    pub(crate) number: Option<u32>,
    pub(crate) build: Option<Arc<wire::Build>>,
    pub(crate) queue_item: Option<Arc<wire::QueueItem>>,
    pub(crate) stage: Option<(Arc<wire::RunExt>, usize)>,
    pub(crate) at_ms: i64,
    pub(crate) missed: Option<u64>,
}

/// A change of one build, or the subscription's own `LAGGED`.
#[Object(name = "BuildEvent")]
impl BuildEventObj {
    /// What happened.
    async fn kind(&self) -> BuildEventKind {
        self.kind
    }

    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// Full name of the job (null for `LAGGED`).
    async fn job_name(&self) -> Option<&str> {
        self.job.as_deref()
    }

    /// The job (loaded with its own selection).
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObj>> {
        match &self.job {
            Some(job) => load_job(ctx, &self.up, job).await,
            None => Ok(None),
        }
    }

    /// The build number (null for `QUEUED` and `LAGGED`).
    async fn number(&self) -> Option<i32> {
        self.number.map(|n| n as i32)
    }

    /// The build as it stood when the event was seen. Fields the poller reads (number,
    /// result, status, building, timestamps, durations, url, queueId, displayName) cost
    /// nothing; others load the build.
    async fn build(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BuildObj>> {
        let (Some(job), Some(number)) = (&self.job, self.number) else {
            return Ok(None);
        };
        match &self.build {
            Some(data) if covered_by_live(&ctx.field()) => Ok(Some(BuildObj {
                up: self.up.clone(),
                job: job.clone(),
                data: Arc::clone(data),
            })),
            _ => load_build(ctx, &self.up, job, number).await,
        }
    }

    /// The queue item (`QUEUED`), as the job's listing shows it.
    async fn queue_item(&self) -> Option<QueueItemObj> {
        self.queue_item.as_ref().map(|data| QueueItemObj {
            up: self.up.clone(),
            data: Arc::clone(data),
            job: self.job.clone(),
        })
    }

    /// The stage entered (`STAGE`), or the stage a `RUNNING` build is in when known.
    async fn stage(&self) -> Option<StageObj> {
        let (run, index) = self.stage.as_ref()?;
        let (job, number) = (self.job.clone()?, self.number?);
        Some(StageObj {
            up: self.up.clone(),
            build: BuildRef {
                conn: self.up.name.clone(),
                job,
                number,
            },
            run: Arc::new(RunLayout::of(Arc::clone(run))),
            index: *index,
        })
    }

    /// When the gateway saw it.
    async fn at(&self) -> DateTime {
        DateTime(self.at_ms)
    }

    /// `LAGGED`: how many events the subscriber missed.
    async fn missed(&self) -> Option<Long> {
        self.missed.map(|n| Long(n as i64))
    }
}

/// What happened in a queue.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueueEventKind {
    /// An item entered the queue.
    Entered,
    /// An item became stuck: buildable, but nothing can run it.
    Stuck,
    /// An item left the queue: `build` is what it became (null when `cancelled`).
    Left,
    /// An item is in the queue now: sent when a subscription starts with
    /// `snapshot: true`, and after `LAGGED`, to resynchronise.
    Waiting,
    /// The subscriber fell behind and `missed` events were dropped; `WAITING` events
    /// follow with the queue as it is now.
    Lagged,
}

/// A change of a controller's queue.
#[derive(Clone)]
pub(crate) struct QueueEventObj {
    pub(crate) kind: QueueEventKind,
    pub(crate) up: Arc<Upstream>,
    pub(crate) item: Option<Arc<wire::QueueItem>>,
    pub(crate) left: Option<Arc<wire::QueueItem>>,
    pub(crate) at_ms: i64,
    pub(crate) missed: Option<u64>,
}

impl QueueEventObj {
    fn job_name(&self) -> Option<String> {
        let task = self.item.as_ref()?.task.as_ref()?;
        task.full_name
            .clone()
            .or_else(|| task.url.as_deref().and_then(full_name_from_url))
    }
}

/// A change of a controller's queue, or the subscription's own `LAGGED`.
#[Object(name = "QueueEvent")]
impl QueueEventObj {
    /// What happened.
    async fn kind(&self) -> QueueEventKind {
        self.kind
    }

    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// The item (as last seen in the queue).
    async fn item(&self) -> Option<QueueItemObj> {
        self.item.as_ref().map(|data| QueueItemObj {
            up: self.up.clone(),
            data: Arc::clone(data),
            job: None,
        })
    }

    /// `LEFT`: whether it was cancelled.
    async fn cancelled(&self) -> Option<bool> {
        self.left.as_ref().and_then(|l| l.cancelled)
    }

    /// `LEFT`: the build it became.
    async fn build(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BuildObj>> {
        let number = self
            .left
            .as_ref()
            .and_then(|l| l.executable.as_ref())
            .and_then(|b| b.number);
        match (self.job_name(), number) {
            (Some(job), Some(number)) => load_build(ctx, &self.up, &job, number).await,
            _ => Ok(None),
        }
    }

    /// When the gateway saw it.
    async fn at(&self) -> DateTime {
        DateTime(self.at_ms)
    }

    /// `LAGGED`: how many events the subscriber missed.
    async fn missed(&self) -> Option<Long> {
        self.missed.map(|n| Long(n as i64))
    }
}

/// What happened to a controller.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConnectionEventKind {
    /// Its status now: sent for every connection when a subscription starts, and after
    /// `LAGGED`.
    Current,
    /// It stopped answering, or fails in another way than before (`error` says how).
    Down,
    /// It answers again.
    Up,
    /// The subscriber fell behind and `missed` events were dropped; `CURRENT` follows.
    Lagged,
}

/// A change of a controller's status.
#[derive(Clone)]
pub(crate) struct ConnectionEventObj {
    pub(crate) kind: ConnectionEventKind,
    pub(crate) up: Arc<Upstream>,
    pub(crate) now: Option<ConnState>,
    pub(crate) before: Option<ConnState>,
    pub(crate) at_ms: i64,
    pub(crate) missed: Option<u64>,
}

fn status(state: &ConnState) -> ConnectionStatus {
    match state {
        ConnState::Online { .. } => ConnectionStatus::Online,
        ConnState::Down(e) => status_of(e),
    }
}

/// A change of a controller's status, or the subscription's own `LAGGED`.
#[Object(name = "ConnectionEvent")]
impl ConnectionEventObj {
    /// What happened.
    async fn kind(&self) -> ConnectionEventKind {
        self.kind
    }

    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// Its status now (null for `LAGGED`).
    async fn status(&self) -> Option<ConnectionStatus> {
        self.now.as_ref().map(status)
    }

    /// Its status before (`DOWN`, `UP`).
    async fn previous_status(&self) -> Option<ConnectionStatus> {
        self.before.as_ref().map(status)
    }

    /// Jenkins version, when it answers.
    async fn version(&self) -> Option<&str> {
        match &self.now {
            Some(ConnState::Online { version, .. }) => version.as_deref(),
            _ => None,
        }
    }

    /// Round trip of the poll that saw it answer, ms.
    async fn latency_ms(&self) -> Option<f64> {
        match &self.now {
            Some(ConnState::Online { latency_ms, .. }) => *latency_ms,
            _ => None,
        }
    }

    /// Why it does not answer: the code and a hint of what to check.
    async fn error(&self) -> Option<UpstreamProblem> {
        match &self.now {
            Some(ConnState::Down(e)) => Some(problem(e)),
            _ => None,
        }
    }

    /// When the gateway saw it.
    async fn at(&self) -> DateTime {
        DateTime(self.at_ms)
    }

    /// `LAGGED`: how many events the subscriber missed.
    async fn missed(&self) -> Option<Long> {
        self.missed.map(|n| Long(n as i64))
    }
}

/// Text a tailed log gained.
#[derive(SimpleObject, Clone)]
#[graphql(name = "LogChunk")]
pub(crate) struct LogChunk {
    /// Offset of `text` in the visible log (annotations stripped, LF line endings), in
    /// bytes: a client appends chunks in order and can check that none is missing.
    pub(crate) offset: Long,
    /// The text (whole lines once the build writes them; the last line of a running
    /// build's log may be continued by the next chunk).
    pub(crate) text: String,
    /// Whether the log is complete (the build finished): no chunk follows.
    pub(crate) complete: bool,
    /// Whether the subscriber fell behind before this chunk: its text was read again, so
    /// nothing is missing, but it came late.
    pub(crate) lagged: bool,
}
