//! `QueueItem` and `Agent`: what waits to run, and where things run.

use async_graphql::{Context, Object, ID};

use super::convert::{cause, full_name_from_url, queue_params, queue_state};
use super::ids::GlobalId;
use super::load::{load_job, now_ms};
use super::objects::{AgentObj, ConnectionObj, JobObj, QueueItemObj};
use super::values::{Cause, DateTime, Long, Parameter, QueueState};

impl QueueItemObj {
    fn job_full_name(&self) -> Option<String> {
        if let Some(j) = &self.job {
            return Some(j.clone());
        }
        let task = self.data.task.as_ref()?;
        task.full_name
            .clone()
            .or_else(|| task.url.as_deref().and_then(full_name_from_url))
    }
}

/// An item waiting in a build queue.
#[Object(name = "QueueItem")]
impl QueueItemObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::QueueItem(self.up.name.to_string(), self.data.id.unwrap_or(0)).encode()
    }

    /// Jenkins' queue item id.
    async fn queue_id(&self) -> Option<Long> {
        self.data.id.map(Long)
    }

    /// Where it waits.
    async fn state(&self) -> QueueState {
        queue_state(&self.data)
    }

    /// Full name of the job waiting.
    async fn job_name(&self) -> Option<String> {
        self.job_full_name()
    }

    /// The job waiting.
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObj>> {
        match self.job_full_name() {
            Some(j) => load_job(ctx, &self.up, &j).await,
            None => Ok(None),
        }
    }

    /// Why it waits, in Jenkins' words.
    async fn why(&self) -> Option<&str> {
        self.data.why.as_deref()
    }

    /// Blocked (e.g. by a running build of the same job).
    async fn blocked(&self) -> bool {
        self.data.blocked.unwrap_or(false)
    }

    /// Ready to run, waiting for an executor.
    async fn buildable(&self) -> bool {
        self.data.buildable.unwrap_or(false)
    }

    /// Stuck: buildable but nothing can run it (e.g. no agent has its label).
    async fn stuck(&self) -> bool {
        self.is_stuck()
    }

    /// When it entered the queue.
    async fn in_queue_since(&self) -> Option<DateTime> {
        self.data.in_queue_since.map(DateTime)
    }

    /// How long it has waited, ms.
    async fn waiting_ms(&self) -> Option<Long> {
        self.data
            .in_queue_since
            .map(|t| Long((now_ms() - t).max(0)))
    }

    /// Parameters it was queued with (passwords masked, as Jenkins masks them).
    async fn params(&self) -> Vec<Parameter> {
        queue_params(self.data.params.as_deref())
    }

    /// Why it was queued.
    async fn causes(&self) -> Vec<Cause> {
        self.data.causes().map(cause).collect()
    }

    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}

/// A node that runs builds: the built-in node or an agent.
#[Object(name = "Agent")]
impl AgentObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Agent(
            self.up.name.to_string(),
            self.data.display_name.clone().unwrap_or_default(),
        )
        .encode()
    }

    /// Node name (`Built-In Node` for the controller itself).
    async fn name(&self) -> Option<&str> {
        self.data.display_name.as_deref()
    }

    /// Offline (disconnected or marked offline).
    async fn offline(&self) -> bool {
        self.is_offline()
    }

    /// Marked offline by a user.
    async fn temporarily_offline(&self) -> bool {
        self.data.temporarily_offline.unwrap_or(false)
    }

    /// Why it is offline; null when online.
    async fn offline_reason(&self) -> Option<String> {
        self.data
            .offline_cause_reason
            .clone()
            .filter(|r| !r.is_empty() && self.is_offline())
    }

    /// No executor is busy.
    async fn idle(&self) -> Option<bool> {
        self.data.idle
    }

    /// Executors.
    async fn executors(&self) -> i32 {
        self.data.num_executors.unwrap_or(0) as i32
    }

    /// Busy executors.
    async fn busy_executors(&self) -> i32 {
        self.data
            .executors
            .iter()
            .flatten()
            .filter(|e| e.idle == Some(false))
            .count() as i32
    }

    /// Labels (the node's own name included).
    async fn labels(&self) -> Vec<String> {
        self.data
            .assigned_labels
            .iter()
            .flatten()
            .filter_map(|l| l.name.clone())
            .collect()
    }

    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}
