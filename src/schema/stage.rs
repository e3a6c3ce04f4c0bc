//! `Stage`: a stage of a pipeline run, as the Pipeline REST API reports it.

use async_graphql::{Context, Object, ResultExt, ID};

use super::convert::{stage_error, stage_status};
use super::ids::GlobalId;
use super::load::loaders;
use super::objects::StageObj;
use super::values::{DateTime, Long, StageError, StageStatus};
use crate::jenkins::log::strip_html;
use crate::planner::DEFAULT_STAGE_LOG_BYTES;

impl StageObj {
    /// The last lines of each of the stage's steps, joined, at most `max` bytes.
    async fn log_text(&self, ctx: &Context<'_>, max: usize) -> async_graphql::Result<String> {
        let Some(id) = self.data().id.as_deref() else {
            return Ok(String::new());
        };
        let l = loaders(ctx);
        let node = l.node(&self.build, id).await.extend()?;
        let steps: Vec<&str> = node
            .stage_flow_nodes
            .iter()
            .flatten()
            .filter(|s| s.links.as_ref().and_then(|l| l.log.as_ref()).is_some())
            .filter_map(|s| s.id.as_deref())
            .collect();
        let logs = futures::future::join_all(
            steps
                .into_iter()
                .map(|step| l.node_log(&self.build, step, self.run.finished)),
        )
        .await;
        let mut text = String::new();
        for log in logs {
            text.push_str(&strip_html(log.extend()?.text.as_deref().unwrap_or("")));
        }
        if text.len() > max {
            let mut cut = text.len() - max;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            text.drain(..cut);
        }
        Ok(text)
    }
}

/// A stage of a pipeline run, as the Pipeline REST API reports it.
#[Object(name = "Stage")]
impl StageObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Stage(
            self.up.name.to_string(),
            self.build.job.clone(),
            self.build.number,
            self.data().id.clone().unwrap_or_default(),
        )
        .encode()
    }

    /// Flow node id of the stage.
    async fn node_id(&self) -> Option<&str> {
        self.data().id.as_deref()
    }

    /// Stage name.
    async fn name(&self) -> &str {
        self.data().name.as_deref().unwrap_or_default()
    }

    /// Status. A stage holding parallel branches shows the worst of theirs; a stage
    /// skipped because an earlier one failed is SKIPPED.
    async fn status(&self) -> StageStatus {
        if self.run.skipped[self.index] {
            StageStatus::Skipped
        } else {
            stage_status(self.run.status(self.index))
        }
    }

    /// When it started.
    async fn start_time(&self) -> Option<DateTime> {
        self.data().start_time_millis.map(DateTime)
    }

    /// Duration, ms; a stage holding parallel branches lasts until its last branch ends.
    async fn duration(&self) -> Option<Long> {
        self.run.duration(self.index).map(Long)
    }

    /// Time spent paused (waiting for input), ms.
    async fn pause_duration(&self) -> Option<Long> {
        self.data().pause_duration_millis.map(Long)
    }

    /// Error of a stage that failed (not of one skipped after an earlier failure).
    async fn error(&self) -> Option<StageError> {
        if self.run.skipped[self.index] {
            return None;
        }
        self.data().error.as_ref().map(stage_error)
    }

    /// The stage holding this one when it is a branch of a `parallel` block.
    async fn parent(&self) -> Option<StageObj> {
        self.run.parent[self.index].map(|i| self.sibling(i))
    }

    /// The branches of the `parallel` block this stage holds (empty for other stages).
    async fn branches(&self) -> Vec<StageObj> {
        self.run
            .branches(self.index)
            .into_iter()
            .map(|i| self.sibling(i))
            .collect()
    }

    /// Names of the stages that ran at the same time as this one (parallel branches).
    /// The Pipeline REST API lists stages flat, so this is read from overlapping times.
    async fn concurrent_with(&self) -> Vec<&str> {
        self.run.concurrent[self.index]
            .iter()
            .map(|&i| self.run.stages()[i].name.as_deref().unwrap_or_default())
            .collect()
    }

    /// The tail of this stage's log: the last lines of each of its steps, joined,
    /// at most `maxBytes` (HTML markup of the Pipeline REST API removed).
    async fn log_tail(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_STAGE_LOG_BYTES",
            desc = "At most this many bytes of text."
        )]
        max_bytes: i32,
    ) -> async_graphql::Result<Option<String>> {
        self.log_text(ctx, max_bytes.max(0) as usize)
            .await
            .map(Some)
    }
}
