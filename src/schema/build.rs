//! `Build`: a run of a job, with its causes, changes, tests, log and stages.

use async_graphql::{Context, ErrorExtensions, Object, ResultExt, ID};

use super::convert::{
    artifact, build_result, build_status, cause, change, failed_test, log_grep, log_tail,
    parameter, pending_input, test_summary, user_ref,
};
use super::ids::GlobalId;
use super::incident::failure::{failure_of, DEFAULT_EXCERPT_BYTES};
use super::load::{load_job, loaders, now_ms, stages_of};
use super::objects::{BuildObj, ConnectionObj, FailureObj, JobObj, StageObj};
use super::values::{
    Artifact, BuildResultEnum, BuildStatus, Cause, Change, DateTime, FailedTest, Log, Long,
    Parameter, PendingInput, TestSummary, UserRef,
};
use crate::error::GatewayError;
use crate::jenkins::client::{MAX_GREP_CONTEXT, MAX_GREP_MATCHES};
use crate::jenkins::log::LogSearch;
use crate::jenkins::JenkinsError;
use crate::planner::{DEFAULT_FAILED_TESTS, DEFAULT_TAIL_BYTES};

impl BuildObj {
    fn result_enum(&self) -> Option<BuildResultEnum> {
        self.data.result.as_deref().and_then(build_result)
    }
}

/// A build (run) of a job.
#[Object(name = "Build")]
impl BuildObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Build(self.up.name.to_string(), self.job.clone(), self.num()).encode()
    }

    /// Build number.
    async fn number(&self) -> i32 {
        self.num() as i32
    }

    /// Display name (`#N` unless customised).
    async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.num()))
    }

    /// Result; null while building.
    async fn result(&self) -> Option<BuildResultEnum> {
        self.result_enum()
    }

    /// Whether it is still running.
    async fn building(&self) -> bool {
        !self.finished()
    }

    /// BUILDING, or the result.
    async fn status(&self) -> BuildStatus {
        build_status(self.finished(), self.result_enum())
    }

    /// When it started.
    async fn timestamp(&self) -> Option<DateTime> {
        self.data.timestamp.map(DateTime)
    }

    /// Duration in ms; for a running build, the time it has run so far.
    async fn duration(&self) -> Option<Long> {
        if self.finished() {
            self.data.duration.map(Long)
        } else {
            self.data.timestamp.map(|t| Long((now_ms() - t).max(0)))
        }
    }

    /// Jenkins' estimate of the duration, ms (null when unknown).
    async fn estimated_duration(&self) -> Option<Long> {
        self.data.estimated_duration.filter(|d| *d >= 0).map(Long)
    }

    /// Absolute URL in Jenkins.
    async fn url(&self) -> Option<&str> {
        self.data.url.as_deref()
    }

    /// Build description.
    async fn description(&self) -> Option<&str> {
        self.data.description.as_deref()
    }

    /// Queue item id the build came from.
    async fn queue_id(&self) -> Option<Long> {
        self.data.queue_id.map(Long)
    }

    /// Why it started.
    async fn causes(&self) -> Vec<Cause> {
        self.data.causes().map(cause).collect()
    }

    /// Parameter values; password values are always masked.
    async fn parameters(&self) -> Vec<Parameter> {
        self.data.parameters().map(parameter).collect()
    }

    /// SCM changes (commits) in this build.
    async fn changes(&self) -> Vec<Change> {
        self.data
            .all_change_sets()
            .flat_map(|s| s.items.iter().flatten())
            .map(change)
            .collect()
    }

    /// Users whose changes may have broken the build.
    async fn culprits(&self) -> Vec<UserRef> {
        self.data.culprits.iter().flatten().map(user_ref).collect()
    }

    /// Archived artifacts.
    async fn artifacts(&self) -> Vec<Artifact> {
        let base = self.data.url.as_deref().unwrap_or_default();
        self.data
            .artifacts
            .iter()
            .flatten()
            .map(|a| artifact(base, a))
            .collect()
    }

    /// Git revision built, if the job uses git.
    async fn revision(&self) -> Option<String> {
        self.data
            .git_build_data()
            .find_map(|a| a.last_built_revision.as_ref()?.sha1.clone())
    }

    /// Test counts; null when the build recorded no tests.
    async fn test_summary(&self) -> Option<TestSummary> {
        self.data.test_result_action().map(test_summary)
    }

    /// Failing test cases (from the junit report); empty when there is no report.
    async fn failed_tests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_FAILED_TESTS",
            desc = "At most this many failing cases."
        )]
        first: i32,
    ) -> async_graphql::Result<Option<Vec<FailedTest>>> {
        let report = match loaders(ctx).tests(&self.at(), self.finished()).await {
            Ok(r) => r,
            Err(JenkinsError::NotFound { .. }) => return Ok(Some(vec![])),
            Err(e) => return Err(e.extend()),
        };
        Ok(Some(
            report
                .suites
                .iter()
                .flatten()
                .flat_map(|s| s.cases.iter().flatten())
                .filter_map(failed_test)
                .take(first.max(0) as usize)
                .collect(),
        ))
    }

    // Each argument is part of the public API; grouping them would change the schema.
    #[allow(clippy::too_many_arguments)]
    /// The build log: by default its tail (never the whole log). `tailLines` keeps the
    /// last N lines of at most `maxBytes` bytes; `grep` searches the whole log instead
    /// (streamed, bounded memory) and returns matching lines with `context` lines around.
    async fn log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only the last N lines of the tail.")] tail_lines: Option<i32>,
        #[graphql(
            default_with = "DEFAULT_TAIL_BYTES",
            desc = "Read at most this many bytes from the end of the log."
        )]
        max_bytes: i32,
        #[graphql(desc = "Search the whole log for lines containing this text (case-sensitive).")]
        grep: Option<String>,
        #[graphql(default = 2, desc = "Lines of context around each match (at most 50).")] context: i32,
        #[graphql(default = 100, desc = "Return at most this many matches.")] max_matches: i32,
        #[graphql(
            default = false,
            desc = "Return the last matches instead of the first (the whole log is still read once, in bounded memory)."
        )]
        from_end: bool,
    ) -> async_graphql::Result<Option<Log>> {
        if let Some(pattern) = grep {
            let context = context.clamp(0, MAX_GREP_CONTEXT as i32) as usize;
            let max = max_matches.clamp(1, MAX_GREP_MATCHES as i32) as usize;
            let search = LogSearch {
                pattern,
                context,
                max_matches: max,
                from_end,
            };
            let g = loaders(ctx).log_grep(&self.at(), search).await.extend()?;
            return Ok(Some(log_grep(&g)));
        }
        if max_bytes <= 0 {
            return Err(GatewayError::BadArgument("maxBytes must be positive".into()).extend());
        }
        // A build that never wrote a log has none: absent, not an error.
        let t = match loaders(ctx).log_tail(&self.at(), max_bytes as usize).await {
            Ok(t) => t,
            Err(JenkinsError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.extend()),
        };
        let tail_lines = tail_lines.filter(|n| *n >= 0).map(|n| n as usize);
        Ok(Some(log_tail(&t, tail_lines)))
    }

    /// Pipeline stages (Pipeline REST API). Null, without an error, for other job types
    /// (a freestyle build has no stages); an error (PIPELINE_API_MISSING) only when the
    /// controller lacks the plugin.
    async fn stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<StageObj>>> {
        if self.data.class.is_some() && !self.data.is_pipeline() {
            return Ok(None);
        }
        let at = self.at();
        match loaders(ctx).run(&at).await {
            Ok(run) => Ok(Some(stages_of(&self.up, &at, &run))),
            Err(JenkinsError::NotAPipeline { .. }) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }

    /// Whether the build is paused at an `input` step, waiting for someone to answer.
    /// Costs the run's `wfapi/describe` (shared with `stages`) for a running pipeline;
    /// nothing for other builds.
    async fn waiting_for_input(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<bool>> {
        if self.finished() || (self.data.class.is_some() && !self.data.is_pipeline()) {
            return Ok(Some(false));
        }
        match loaders(ctx).run(&self.at()).await {
            Ok(run) => Ok(Some(run.status.as_deref() == Some("PAUSED_PENDING_INPUT"))),
            Err(JenkinsError::NotAPipeline { .. }) => Ok(Some(false)),
            Err(e) => Err(e.extend()),
        }
    }

    /// The questions the build waits on at `input` steps (`wfapi/pendingInputActions`,
    /// one request for a running pipeline; empty for other builds).
    async fn pending_inputs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<PendingInput>>> {
        if self.finished() || (self.data.class.is_some() && !self.data.is_pipeline()) {
            return Ok(Some(Vec::new()));
        }
        match loaders(ctx).pending_inputs(&self.at()).await {
            Ok(inputs) => Ok(Some(
                inputs
                    .iter()
                    .map(|p| pending_input(&self.up.url, p))
                    .collect(),
            )),
            Err(JenkinsError::NotAPipeline { .. }) => Ok(Some(Vec::new())),
            Err(e) => Err(e.extend()),
        }
    }

    /// Why the build failed, in one field: the stage and step that failed, the error
    /// Jenkins recorded, and the log lines around the last error lines (at most
    /// `maxBytes`). Null for a build that succeeded or is running. For a pipeline it costs
    /// the run's `wfapi/describe` (shared with `stages`), the failing stage's node and the
    /// failing step's log (its last 10 KiB); otherwise the console log's tail. Finished
    /// builds' answers are cached for good.
    async fn failure(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_EXCERPT_BYTES",
            desc = "Bytes of log excerpt at most (up to 65536)."
        )]
        max_bytes: i32,
    ) -> async_graphql::Result<Option<FailureObj>> {
        failure_of(ctx, self, max_bytes).await
    }

    /// The job this build belongs to.
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObj>> {
        load_job(ctx, &self.up, &self.job).await
    }

    /// The controller it ran on.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}
