//! The tools' arguments: what a model sends to each tool, read into these structs (their
//! JSON schemas are the tools' input schemas).

use rmcp::schemars::JsonSchema;
use serde::Deserialize;

use super::resolve::Which;

/// No arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct NoArgs {}

/// A job's status, from its ball colour.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(crate = "rmcp::schemars")]
#[allow(missing_docs)]
pub(crate) enum JobStatus {
    Success,
    Unstable,
    Failure,
    Aborted,
    NotBuilt,
    Disabled,
    Unknown,
}

/// A build's result.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(crate = "rmcp::schemars")]
#[allow(missing_docs)]
pub(crate) enum BuildResult {
    Success,
    Unstable,
    Failure,
    NotBuilt,
    Aborted,
}

/// Arguments of `list_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct ListJobsArgs {
    /// Glob on the job's name or full name (`*` any run of characters, `?` one), e.g.
    /// `*api*` or `platform/*`.
    pub(crate) name: Option<String>,
    /// Only jobs inside this folder or multibranch project (full name), at any depth.
    pub(crate) folder: Option<String>,
    /// Only this connection (controller).
    pub(crate) connection: Option<String>,
    /// Only jobs whose status is one of these.
    pub(crate) status: Option<Vec<JobStatus>>,
    /// Only jobs whose last completed build's result is one of these.
    pub(crate) last_result: Option<Vec<BuildResult>>,
    /// Only jobs building now (true) or idle (false).
    pub(crate) building: Option<bool>,
    /// Page size (default 50, at most 200).
    pub(crate) first: Option<u32>,
    /// `nextPage` of the previous answer.
    pub(crate) after: Option<String>,
}

/// Arguments of `failing_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct FailingJobsArgs {
    /// Only this connection.
    pub(crate) connection: Option<String>,
    /// Only jobs inside this folder (full name).
    pub(crate) folder: Option<String>,
    /// Page size (default 20, at most 100).
    pub(crate) first: Option<u32>,
    /// `nextPage` of the previous answer.
    pub(crate) after: Option<String>,
}

/// Arguments of `job_details`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct JobArgs {
    /// The job: its name (`api-server`), full name (`platform/api-server`) or a glob. It
    /// is looked for on every connection unless `connection` is given.
    pub(crate) job: String,
    /// The connection the job is on, when known.
    pub(crate) connection: Option<String>,
    /// Builds the trend covers (default 20, at most 100).
    pub(crate) trend_builds: Option<u32>,
    /// Recent builds listed (default 5, at most 50).
    pub(crate) recent_builds: Option<u32>,
}

/// Arguments of the tools about one build.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct BuildArgs {
    /// The job: its name, full name or a glob (see job_details).
    pub(crate) job: String,
    /// The connection the job is on, when known.
    pub(crate) connection: Option<String>,
    /// The build number. Without it, `which` picks the build.
    pub(crate) number: Option<u32>,
    /// Which build when no number is given (default `last`).
    pub(crate) which: Option<Which>,
}

/// Arguments of `build_log`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct LogArgs {
    /// The job: its name, full name or a glob (see job_details).
    pub(crate) job: String,
    /// The connection the job is on, when known.
    pub(crate) connection: Option<String>,
    /// The build number. Without it, `which` picks the build.
    pub(crate) number: Option<u32>,
    /// Which build when no number is given (default `last`).
    pub(crate) which: Option<Which>,
    /// Tail mode: the last N lines (default 100), cut to the byte budget.
    pub(crate) tail_lines: Option<u32>,
    /// Search mode: lines containing this text (case-sensitive), over the whole log.
    pub(crate) grep: Option<String>,
    /// Search mode: lines of context around each match (default 2, at most 50).
    pub(crate) context: Option<u32>,
    /// Search mode: most matches returned (default 20, at most 100).
    pub(crate) max_matches: Option<u32>,
    /// Search mode: the first matches in log order instead of the last ones, newest first
    /// (the default, since a failure is usually near the end).
    pub(crate) first_matches: Option<bool>,
    /// Fewer bytes than the server's budget for this answer.
    pub(crate) max_bytes: Option<u32>,
}

/// Arguments of `build_queue`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct QueueArgs {
    /// Only this connection.
    pub(crate) connection: Option<String>,
    /// Only items that are stuck (buildable, but nothing can run them).
    pub(crate) stuck_only: Option<bool>,
    /// Only items of jobs whose full name matches this glob.
    pub(crate) job: Option<String>,
}

/// Arguments of `pending_approvals`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct ApprovalsArgs {
    /// Only this connection.
    pub(crate) connection: Option<String>,
    /// Only pipelines inside this folder (full name).
    pub(crate) folder: Option<String>,
}

/// Arguments of `pipeline_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct PipelineArgs {
    /// The job: its name, full name or a glob (see job_details).
    pub(crate) job: String,
    /// The connection the job is on, when known.
    pub(crate) connection: Option<String>,
    /// The build number. Without it, `which` picks the run.
    pub(crate) number: Option<u32>,
    /// Which run when no number is given (default `last`).
    pub(crate) which: Option<Which>,
    /// Bytes of the failing stage's log tail (default 2000, at most 8192).
    pub(crate) log_bytes: Option<u32>,
}
