//! The GraphQL value types: enums and plain objects made from Jenkins data by
//! [`super::convert`]. They hold no connection and fetch nothing.

use async_graphql::{
    Enum, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};

/// A point in time: RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T21:36:11.184Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DateTime(pub(crate) i64);

/// A point in time: RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T21:36:11.184Z`.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.timestamp_millis()))
                .map_err(|e| InputValueError::custom(format!("not an RFC 3339 time: {e}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => Value::Null,
        }
    }
}

/// A 64-bit integer (a duration in milliseconds, a size in bytes, a Jenkins id): a JSON
/// number, exact up to 2^53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Long(pub(crate) i64);

/// A 64-bit integer (a duration in milliseconds, a size in bytes, a Jenkins id): a JSON
/// number, exact up to 2^53.
#[Scalar(name = "Long")]
impl ScalarType for Long {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n
                .as_i64()
                .map(Long)
                .ok_or_else(|| InputValueError::custom("not an integer")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// Whether a connection answers, and if not, why.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConnectionStatus {
    /// Reachable, and the credentials may read it.
    Online,
    /// HTTP 401: wrong username or token.
    Unauthorized,
    /// HTTP 403: the user lacks Overall/Read.
    Forbidden,
    /// Connection refused, DNS failure or reset.
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// HTTP 502/503: starting up, restarting or behind a failing proxy.
    Unavailable,
    /// TLS handshake failed (or an `https://` URL points at a plain-HTTP port).
    TlsError,
    /// The controller's root answered 404: the URL or its context path is wrong.
    NotFound,
    /// Any other failure (invalid response, unexpected status).
    Error,
}

/// What went wrong talking to a controller.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct UpstreamProblem {
    /// Stable error code, e.g. `UNAUTHORIZED`, `TIMEOUT`.
    pub(crate) code: String,
    /// Human-readable message (never contains credentials).
    pub(crate) message: String,
    /// What to check.
    pub(crate) hint: String,
    /// HTTP status, when Jenkins answered.
    pub(crate) http_status: Option<i32>,
}

/// Kinds of folder.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FolderKind {
    /// A plain folder.
    Folder,
    /// A multibranch project; its jobs are branches and pull requests.
    Multibranch,
    /// An organization folder; its children are multibranch projects.
    Organization,
}

/// Kinds of job.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobKind {
    /// Freestyle project.
    Freestyle,
    /// Pipeline job (including multibranch branches).
    Pipeline,
    /// Matrix (multi-configuration) project.
    Matrix,
    /// Any other job type.
    Other,
}

/// A job's status, from its ball color.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    /// Last build succeeded (blue).
    Success,
    /// Last build unstable (yellow).
    Unstable,
    /// Last build failed (red).
    Failure,
    /// Last build aborted.
    Aborted,
    /// Never built.
    NotBuilt,
    /// Disabled.
    Disabled,
    /// Unknown color.
    Unknown,
}

/// Health report of a job or folder.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Health {
    /// Score 0–100 (the lowest of the reports).
    pub(crate) score: i32,
    /// E.g. `Build stability: 1 out of the last 4 builds failed.`
    pub(crate) description: String,
}

/// A parameter a job accepts.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ParameterDefinition {
    /// Parameter name.
    pub(crate) name: String,
    /// Kind of parameter.
    pub(crate) kind: ParameterKind,
    /// Description.
    pub(crate) description: Option<String>,
    /// Default value as text (`****` for passwords).
    pub(crate) default_value: Option<String>,
    /// Choices of a choice parameter.
    pub(crate) choices: Vec<String>,
}

/// Kinds of parameter.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParameterKind {
    /// Free text on one line.
    String,
    /// Multi-line text.
    Text,
    /// true / false.
    Boolean,
    /// One of fixed choices.
    Choice,
    /// A secret: its value is never shown.
    Password,
    /// Anything else (credentials, files, run parameters…).
    Other,
}

/// Result of a finished build.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "BuildResult")]
pub(crate) enum BuildResultEnum {
    /// Succeeded.
    Success,
    /// Succeeded with test failures or marked unstable.
    Unstable,
    /// Failed.
    Failure,
    /// Not built (e.g. a skipped matrix configuration).
    NotBuilt,
    /// Aborted by a user or a timeout.
    Aborted,
}

/// Where a build stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum BuildStatus {
    /// Still running.
    Building,
    /// Succeeded.
    Success,
    /// Unstable.
    Unstable,
    /// Failed.
    Failure,
    /// Not built.
    NotBuilt,
    /// Aborted.
    Aborted,
}

/// What started a build.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CauseKind {
    /// A user.
    User,
    /// Another build finished.
    Upstream,
    /// An SCM change (polling or a push hook).
    Scm,
    /// A timer (cron).
    Timer,
    /// A remote call.
    Remote,
    /// Multibranch indexing.
    BranchIndexing,
    /// Anything else.
    Other,
}

/// Why a build started.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Cause {
    /// Kind of cause.
    pub(crate) kind: CauseKind,
    /// Jenkins' text, e.g. `Started by user alice`.
    pub(crate) description: Option<String>,
    /// User id (user causes).
    pub(crate) user_id: Option<String>,
    /// User name (user causes).
    pub(crate) user_name: Option<String>,
    /// Upstream job full name (upstream causes).
    pub(crate) upstream_job: Option<String>,
    /// Upstream build number (upstream causes).
    pub(crate) upstream_build: Option<i32>,
}

/// A parameter value of a build.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Parameter {
    /// Name.
    pub(crate) name: String,
    /// Kind of value.
    pub(crate) kind: ParameterKind,
    /// Value as text; always `****` for passwords.
    pub(crate) value: Option<String>,
}

/// A file touched by a commit.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ChangedPath {
    /// `add`, `edit` or `delete`.
    pub(crate) edit_type: Option<String>,
    /// Path in the repository.
    pub(crate) file: String,
}

/// A commit in a build.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Change {
    /// Commit id (SHA-1 for git).
    pub(crate) commit_id: Option<String>,
    /// First line of the message.
    pub(crate) message: Option<String>,
    /// Whole message.
    pub(crate) full_message: Option<String>,
    /// Author's name.
    pub(crate) author: Option<String>,
    /// Author's e-mail.
    pub(crate) author_email: Option<String>,
    /// Commit time.
    pub(crate) timestamp: Option<DateTime>,
    /// Files touched.
    pub(crate) paths: Vec<ChangedPath>,
}

/// A Jenkins user (culprit).
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct UserRef {
    /// Full name.
    pub(crate) full_name: Option<String>,
    /// User page.
    pub(crate) url: Option<String>,
}

/// An archived artifact.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Artifact {
    /// File name.
    pub(crate) file_name: Option<String>,
    /// Path inside the archive.
    pub(crate) relative_path: Option<String>,
    /// Download URL.
    pub(crate) url: Option<String>,
}

/// Test counts of a build.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct TestSummary {
    /// All tests.
    pub(crate) total: i32,
    /// Failed tests.
    pub(crate) failed: i32,
    /// Skipped tests.
    pub(crate) skipped: i32,
    /// Passed tests.
    pub(crate) passed: i32,
}

/// A failing test case.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct FailedTest {
    /// Class (or suite) name.
    pub(crate) class_name: Option<String>,
    /// Test name.
    pub(crate) name: Option<String>,
    /// `FAILED` or `REGRESSION`.
    pub(crate) status: Option<String>,
    /// Error message.
    pub(crate) error: Option<String>,
    /// Duration in seconds.
    pub(crate) duration_seconds: Option<f64>,
    /// For how many builds it has failed.
    pub(crate) age: Option<i32>,
}

/// A line of a log.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct LogMatch {
    /// 1-based line number in the log.
    pub(crate) line_number: i32,
    /// The matching line.
    pub(crate) line: String,
    /// Lines before it.
    pub(crate) before: Vec<String>,
    /// Lines after it.
    pub(crate) after: Vec<String>,
}

/// Part of a build log: the tail, or the matches of a search.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Log {
    /// The tail of the log (annotations stripped, LF line endings); empty when searching.
    pub(crate) text: String,
    /// Size of the whole raw log, bytes.
    pub(crate) total_bytes: Long,
    /// Whether `text` is only the end of the log.
    pub(crate) truncated: bool,
    /// Whether the build is still writing to it.
    pub(crate) more_data: bool,
    /// Matching lines with context (only with `grep`).
    pub(crate) matches: Vec<LogMatch>,
    /// Whether the search stopped at its match limit.
    pub(crate) match_limit_reached: bool,
}

/// Status of a stage, as the Pipeline REST API reports it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum StageStatus {
    /// Succeeded.
    Success,
    /// Failed.
    Failed,
    /// Unstable.
    Unstable,
    /// Aborted.
    Aborted,
    /// Running.
    InProgress,
    /// Waiting for input.
    PausedPendingInput,
    /// Skipped because an earlier stage failed (Jenkins reports it FAILED with the
    /// earlier stage's error).
    Skipped,
    /// Not reached.
    NotExecuted,
}

/// A question a pipeline waits on at an `input` step.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct PendingInput {
    /// The input's id.
    pub(crate) id: String,
    /// The question, e.g. `Deploy to production?`.
    pub(crate) message: Option<String>,
    /// The proceed button's text.
    pub(crate) proceed_text: Option<String>,
    /// What the approver is asked to fill in.
    pub(crate) parameters: Vec<InputParameter>,
    /// The page where it is answered.
    pub(crate) url: Option<String>,
}

/// A parameter of a pending input.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct InputParameter {
    /// Name.
    pub(crate) name: String,
    /// Kind of value.
    pub(crate) kind: ParameterKind,
    /// Description.
    pub(crate) description: Option<String>,
}

/// Error of a failed stage.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct StageError {
    /// Message, e.g. `script returned exit code 3`.
    pub(crate) message: Option<String>,
    /// Exception type.
    pub(crate) kind: Option<String>,
}

/// Pagination info of a page.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct PageInfo {
    /// Whether there are more items after this page.
    pub(crate) has_next_page: bool,
    /// Cursor to pass as `after` (or `before` for builds) to get the next page.
    pub(crate) end_cursor: Option<String>,
}

/// Statistics over recent builds.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Trend {
    /// Builds looked at (completed ones).
    pub(crate) builds: i32,
    /// Successful builds.
    pub(crate) successes: i32,
    /// Failed builds.
    pub(crate) failures: i32,
    /// Unstable builds.
    pub(crate) unstable: i32,
    /// Aborted builds.
    pub(crate) aborted: i32,
    /// successes / builds (0–1); null without builds.
    pub(crate) success_rate: Option<f64>,
    /// Mean duration of completed builds, ms (rounded).
    pub(crate) mean_duration: Option<Long>,
    /// 95th percentile duration (nearest rank), ms.
    pub(crate) p95_duration: Option<Long>,
    /// Fraction of consecutive builds whose outcome flipped between pass and fail (0–1).
    pub(crate) flakiness: Option<f64>,
}

/// Where an item waits in the queue.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueueState {
    /// In the quiet period.
    Waiting,
    /// Blocked (e.g. by a running build of the same job).
    Blocked,
    /// Ready, waiting for an executor.
    Buildable,
    /// Has left the queue (started or cancelled).
    Left,
}

/// Counts over the fleet.
#[derive(SimpleObject, Default)]
pub(crate) struct FleetTotals {
    /// Connections the caller may see (every configured one without an API key scope).
    pub(crate) connections: i32,
    /// Connections that answer.
    pub(crate) online: i32,
    /// Jobs on the connections that answered.
    pub(crate) jobs: i32,
    /// Jobs whose last completed build failed.
    pub(crate) failing_jobs: i32,
    /// Queued items.
    pub(crate) queued: i32,
    /// Stuck queue items.
    pub(crate) stuck: i32,
    /// Offline agents.
    pub(crate) offline_agents: i32,
}

/// A parameter whose value changed between two builds (passwords stay masked).
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ParameterChange {
    /// Parameter name.
    pub(crate) name: String,
    /// Its value in the earlier build; null when that build did not have it.
    pub(crate) before: Option<String>,
    /// Its value in the later build; null when that build does not have it.
    pub(crate) after: Option<String>,
}

/// One stage over a job's recent runs.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct StageTrend {
    /// Stage name.
    pub(crate) name: String,
    /// Runs in which it ran (skipped and not-reached ones left out).
    pub(crate) runs: i32,
    /// Runs in which it failed on its own.
    pub(crate) failures: i32,
    /// failures / runs (0–1).
    pub(crate) failure_rate: Option<f64>,
    /// Mean duration of its successful executions, ms.
    pub(crate) mean_duration: Option<Long>,
    /// 95th percentile (nearest rank) of those durations, ms.
    pub(crate) p95_duration: Option<Long>,
    /// How much longer its newer successful executions took than its older ones: the
    /// mean of the newer half over the mean of the older half, less one (0.25: a quarter
    /// longer). Null with fewer than four.
    pub(crate) duration_change: Option<f64>,
    /// Whether it got slower by 10% or more (`durationChange` ≥ 0.1).
    pub(crate) slower: bool,
    /// Durations of its successful executions, oldest first, ms.
    pub(crate) durations: Vec<Long>,
}

/// Stage durations and failures over a pipeline job's recent runs.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct StageTrends {
    /// Finished runs looked at.
    pub(crate) runs: i32,
    /// Each stage, in the order the newest run lists them.
    pub(crate) stages: Vec<StageTrend>,
    /// The stage that got slower the most (by 10% or more); null when none did.
    pub(crate) slower_stage: Option<StageTrend>,
}

/// A test that both passed and failed over a job's recent builds.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct FlakyTest {
    /// Class (or suite) name.
    pub(crate) class_name: String,
    /// Test name.
    pub(crate) name: String,
    /// Builds it passed in.
    pub(crate) passes: i32,
    /// Builds it failed in.
    pub(crate) failures: i32,
    /// Times its outcome changed from one build it ran in to the next.
    pub(crate) flips: i32,
    /// Flips between builds of the same code (the same revision, or no commit between).
    pub(crate) same_revision_flips: i32,
    /// Flaky: it passed and failed on the same code.
    pub(crate) flaky: bool,
    /// The newest build it failed in.
    pub(crate) last_failed_build: Option<i32>,
    /// Its error there.
    pub(crate) last_error: Option<String>,
}

/// Tests that passed and failed by turns over a job's recent builds.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct FlakyTests {
    /// Builds whose test reports were read.
    pub(crate) builds: i32,
    /// The tests that both passed and failed, most flips first.
    pub(crate) tests: Vec<FlakyTest>,
}

/// How a build is tied to a commit.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CommitLink {
    /// It checked the commit out (git's last built revision).
    Revision,
    /// The commit is in its change set (among the changes since the build before).
    ChangeSet,
}

/// A DORA rate, with how many deployments it rests on.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct DoraRate {
    /// The figure; null when no deployment supports it.
    pub(crate) value: Option<f64>,
    /// Deployments it rests on.
    pub(crate) deployments: i32,
}

/// A DORA duration, with how many samples and deployments it rests on.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct DoraDuration {
    /// Median, ms.
    pub(crate) median: Option<Long>,
    /// Mean, ms.
    pub(crate) mean: Option<Long>,
    /// Samples (commits for lead time, restores for time to restore).
    pub(crate) samples: i32,
    /// Deployments they rest on.
    pub(crate) deployments: i32,
}

/// The four DORA metrics over a window, from the deployments Majordomo finds.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct DoraMetrics {
    /// The environment measured.
    pub(crate) environment: String,
    /// Start of the window.
    pub(crate) since: DateTime,
    /// End of the window.
    pub(crate) until: DateTime,
    /// Completed deployments (succeeded or failed) that started in the window.
    pub(crate) deployments: i32,
    /// Successful deployments per day over the window.
    pub(crate) deployment_frequency: DoraRate,
    /// Lead time for changes: from each commit's time to the end of the successful
    /// deployment that first carried it to the environment (its commits are those of
    /// the job's builds since its previous successful deployment there).
    pub(crate) lead_time: DoraDuration,
    /// Failed (or unstable) deployments over completed ones.
    pub(crate) change_failure_rate: DoraRate,
    /// Time to restore: from the end of a failed deployment (the first of a run of
    /// failures) to the end of the next successful one of the same job.
    pub(crate) time_to_restore: DoraDuration,
    /// False when some deploy job has more builds than were read (the newest 50 per job),
    /// so the window may reach further back than the figures do.
    pub(crate) complete: bool,
}

/// Where a failure's log excerpt was read.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExcerptSource {
    /// The failing step's own log (its last 10 KiB, as the Pipeline REST API gives it).
    StepLog,
    /// The tail of the build's console log (no stage or step to narrow it to).
    Console,
}
