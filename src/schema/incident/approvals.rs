//! `pendingApprovals`: every build waiting at an `input` step across the fleet. Per
//! controller: what its flyweight executors run (one request: every running pipeline),
//! then each running pipeline's `wfapi/describe` (is it paused at an input, since when?)
//! and, for those that are, their `wfapi/pendingInputActions` (the question).

use std::sync::Arc;

use async_graphql::{Context, Object};
use futures::future::join_all;

use super::super::convert::{full_name_from_url, pending_input};
use super::super::load::{load_build, loaders, now_ms, report, stages_of};
use super::super::objects::{ApprovalObj, BuildObj, ConnectionObj, StageObj};
use super::super::values::{DateTime, Long, PendingInput};
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::BuildRef;

/// The job and number of a build URL (`…/job/a/job/b/12/`).
fn build_of(conn: &Arc<str>, b: &wire::Build) -> Option<BuildRef> {
    let url = b.url.as_deref()?.trim_end_matches('/');
    let (job_url, number) = url.rsplit_once('/')?;
    Some(BuildRef {
        conn: conn.clone(),
        job: full_name_from_url(&format!("{job_url}/"))?,
        number: b.number.or_else(|| number.parse().ok())?,
    })
}

/// The approvals one run waits for, if it is paused at an input.
async fn waiting(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    at: BuildRef,
) -> Result<Vec<ApprovalObj>, JenkinsError> {
    let l = loaders(ctx);
    let run = l.run(&at).await?;
    if run.status.as_deref() != Some("PAUSED_PENDING_INPUT") {
        return Ok(Vec::new());
    }
    let inputs = l.pending_inputs(&at).await?;
    let stage = stages_of(up, &at, &run)
        .into_iter()
        .rev()
        .find(|s| s.data().status.as_deref() == Some("PAUSED_PENDING_INPUT"));
    // The run's end is "now" as Jenkins answered; the stage has been paused for so long.
    let since = stage
        .as_ref()
        .and_then(|s| Some(run.end_time_millis? - s.data().pause_duration_millis.unwrap_or(0)));
    Ok(inputs
        .iter()
        .map(|p| ApprovalObj {
            at: at.clone(),
            up: up.clone(),
            input: pending_input(&up.url, p),
            stage: stage.clone(),
            since,
        })
        .collect())
}

/// Every approval waited for on `up`. A run that cannot be read adds an error and is
/// left out; the others still answer.
pub(crate) async fn approvals_on(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> Result<Vec<ApprovalObj>, JenkinsError> {
    let running = loaders(ctx).running(&up.name).await?;
    let mut runs: Vec<BuildRef> = running
        .computer
        .iter()
        .flatten()
        .flat_map(|c| c.one_off_executors.iter().flatten())
        .filter_map(|e| build_of(&up.name, e.current_executable.as_ref()?))
        .collect();
    runs.sort_by(|a, b| a.job.cmp(&b.job).then(a.number.cmp(&b.number)));
    runs.dedup();
    let all = join_all(runs.into_iter().map(|at| waiting(ctx, up, at))).await;
    // Without the Pipeline REST API no run can tell: one error for the controller.
    if let Some(Err(e @ JenkinsError::PipelineApiMissing { .. })) = all
        .iter()
        .find(|r| matches!(r, Err(JenkinsError::PipelineApiMissing { .. })))
    {
        return Err(e.clone());
    }
    Ok(all
        .into_iter()
        .filter_map(|r| match r {
            Ok(a) => Some(a),
            // A run that ended in the meantime, or a job outside the API: not waiting.
            Err(JenkinsError::NotFound { .. } | JenkinsError::NotAPipeline { .. }) => None,
            Err(e) => {
                report(ctx, &e);
                None
            }
        })
        .flatten()
        .collect())
}

/// A build paused at an `input` step, waiting for someone to answer. Who may answer is not
/// in Jenkins' API (`api/json` and `wfapi` leave out the step's `submitter`); the input
/// page (`input.url`) shows it.
#[Object(name = "PendingApproval")]
impl ApprovalObj {
    /// The controller.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// Full name of the job.
    async fn job_name(&self) -> &str {
        &self.at.job
    }

    /// Number of the waiting build.
    async fn build_number(&self) -> i32 {
        self.at.number as i32
    }

    /// The waiting build (one request for the fields selected: it is running, so it is
    /// read fresh).
    async fn build(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BuildObj>> {
        load_build(ctx, &self.up, &self.at.job, self.at.number).await
    }

    /// The stage paused at the input.
    async fn stage(&self) -> Option<&StageObj> {
        self.stage.as_ref()
    }

    /// The question, the proceed button, what the approver fills in, and the page where
    /// it is answered (which shows who may answer).
    async fn input(&self) -> &PendingInput {
        &self.input
    }

    /// The question asked, e.g. `Deploy to production?`.
    async fn prompt(&self) -> Option<&str> {
        self.input.message.as_deref()
    }

    /// When the wait began (the paused stage's pause, counted back from Jenkins' answer).
    async fn waiting_since(&self) -> Option<DateTime> {
        self.since.map(DateTime)
    }

    /// How long it has waited, ms.
    async fn waiting_ms(&self) -> Option<Long> {
        self.since.map(|s| Long((now_ms() - s).max(0)))
    }
}
