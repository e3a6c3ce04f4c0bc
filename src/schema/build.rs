//! Builds, their stages, logs, changes, tests, and build pages and trends.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject, ID};

use super::ids::GlobalId;
use super::item::{parameter_kind, value_text, ConnectionObj, JobObj, ParameterKind};
use super::{loaders, upstream_error};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::Fetch;
use crate::planner::{build_fields, page_node_selection, TreeSpec, BUILDS_WINDOW};

/// Result of a finished build.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "BuildResult")]
pub enum BuildResultEnum {
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

impl BuildResultEnum {
    /// Parse Jenkins' spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "SUCCESS" => Self::Success,
            "UNSTABLE" => Self::Unstable,
            "FAILURE" => Self::Failure,
            "NOT_BUILT" => Self::NotBuilt,
            "ABORTED" => Self::Aborted,
            _ => return None,
        })
    }
}

/// Where a build stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum BuildStatus {
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

/// A build (run) of a job.
#[derive(Clone)]
pub struct BuildObj {
    up: Arc<Upstream>,
    job: String,
    data: Arc<wire::Build>,
}

impl BuildObj {
    /// Wrap wire data of a build of `job`.
    pub fn new(up: Arc<Upstream>, job: String, data: Arc<wire::Build>) -> Self {
        BuildObj { up, job, data }
    }

    fn num(&self) -> u32 {
        self.data.number.unwrap_or(0)
    }

    fn res(&self) -> Option<BuildResultEnum> {
        self.data.result.as_deref().and_then(BuildResultEnum::parse)
    }

    fn finished(&self) -> bool {
        self.data.building == Some(false)
            || (self.data.building.is_none() && self.data.result.is_some())
    }

    fn conn(&self) -> Arc<str> {
        self.up.name.clone()
    }
}

/// Load a build with the fields the current selection wants.
pub async fn load_build(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    job: &str,
    number: u32,
) -> async_graphql::Result<Option<BuildObj>> {
    let sel: Vec<_> = ctx.field().selection_set().collect();
    let mut t = TreeSpec::new();
    build_fields(&sel, &mut t);
    let key = Fetch::Build {
        conn: up.name.clone(),
        job: job.to_string(),
        number,
        tree: t.render(),
    };
    match loaders(ctx).build(key).await {
        Ok(data) => Ok(Some(BuildObj::new(up, job.to_string(), data))),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(upstream_error(&e)),
    }
}

/// What started a build.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CauseKind {
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
pub struct Cause {
    /// Kind of cause.
    pub kind: CauseKind,
    /// Jenkins' text, e.g. `Started by user alice`.
    pub description: Option<String>,
    /// User id (user causes).
    pub user_id: Option<String>,
    /// User name (user causes).
    pub user_name: Option<String>,
    /// Upstream job full name (upstream causes).
    pub upstream_job: Option<String>,
    /// Upstream build number (upstream causes).
    pub upstream_build: Option<i32>,
}

fn cause_kind(class: &str) -> CauseKind {
    match class.rsplit('.').next().unwrap_or(class) {
        "Cause$UserIdCause" | "Cause$UserCause" => CauseKind::User,
        "Cause$UpstreamCause" => CauseKind::Upstream,
        c if c.starts_with("SCMTrigger") || c.contains("SCM") || c.contains("Push") => {
            CauseKind::Scm
        }
        c if c.starts_with("TimerTrigger") => CauseKind::Timer,
        "Cause$RemoteCause" => CauseKind::Remote,
        "BranchIndexingCause" => CauseKind::BranchIndexing,
        _ => CauseKind::Other,
    }
}

/// A parameter value of a build.
#[derive(SimpleObject, Clone, Debug)]
pub struct Parameter {
    /// Name.
    pub name: String,
    /// Kind of value.
    pub kind: ParameterKind,
    /// Value as text; always `****` for passwords.
    pub value: Option<String>,
}

/// A file touched by a commit.
#[derive(SimpleObject, Clone, Debug)]
pub struct ChangedPath {
    /// `add`, `edit` or `delete`.
    pub edit_type: Option<String>,
    /// Path in the repository.
    pub file: String,
}

/// A commit in a build.
#[derive(SimpleObject, Clone, Debug)]
pub struct Change {
    /// Commit id (SHA-1 for git).
    pub commit_id: Option<String>,
    /// First line of the message.
    pub message: Option<String>,
    /// Whole message.
    pub full_message: Option<String>,
    /// Author's name.
    pub author: Option<String>,
    /// Author's e-mail.
    pub author_email: Option<String>,
    /// Commit time, epoch ms.
    pub timestamp: Option<f64>,
    /// Files touched.
    pub paths: Vec<ChangedPath>,
}

/// A Jenkins user (culprit).
#[derive(SimpleObject, Clone, Debug)]
pub struct UserRef {
    /// Full name.
    pub full_name: Option<String>,
    /// User page.
    pub url: Option<String>,
}

/// An archived artifact.
#[derive(SimpleObject, Clone, Debug)]
pub struct Artifact {
    /// File name.
    pub file_name: Option<String>,
    /// Path inside the archive.
    pub relative_path: Option<String>,
    /// Download URL.
    pub url: Option<String>,
}

/// Test counts of a build.
#[derive(SimpleObject, Clone, Debug)]
pub struct TestSummary {
    /// All tests.
    pub total: i32,
    /// Failed tests.
    pub failed: i32,
    /// Skipped tests.
    pub skipped: i32,
    /// Passed tests.
    pub passed: i32,
}

/// A failing test case.
#[derive(SimpleObject, Clone, Debug)]
pub struct FailedTest {
    /// Class (or suite) name.
    pub class_name: Option<String>,
    /// Test name.
    pub name: Option<String>,
    /// `FAILED` or `REGRESSION`.
    pub status: Option<String>,
    /// Error message.
    pub error: Option<String>,
    /// Duration in seconds.
    pub duration_seconds: Option<f64>,
    /// For how many builds it has failed.
    pub age: Option<i32>,
}

/// A line of a log.
#[derive(SimpleObject, Clone, Debug)]
pub struct LogMatch {
    /// 1-based line number in the log.
    pub line_number: f64,
    /// The matching line.
    pub line: String,
    /// Lines before it.
    pub before: Vec<String>,
    /// Lines after it.
    pub after: Vec<String>,
}

/// Part of a build log: the tail, or the matches of a search.
#[derive(SimpleObject, Clone, Debug)]
pub struct Log {
    /// The tail of the log (annotations stripped, LF line endings); empty when searching.
    pub text: String,
    /// Size of the whole raw log, bytes.
    pub total_bytes: f64,
    /// Whether `text` is only the end of the log.
    pub truncated: bool,
    /// Whether the build is still writing to it.
    pub more_data: bool,
    /// Matching lines with context (only with `grep`).
    pub matches: Vec<LogMatch>,
    /// Whether the search stopped at its match limit.
    pub match_limit_reached: bool,
}

/// Default bytes of a log tail.
pub const DEFAULT_TAIL_BYTES: i32 = 64 * 1024;

/// A build (run) of a job.
#[Object(name = "Build")]
impl BuildObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Build(self.up.name.to_string(), self.job.clone(), self.num()).encode()
    }

    /// Build number.
    async fn number(&self) -> i32 {
        self.num() as i32
    }

    /// Display name (`#N` unless customised).
    pub async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.num()))
    }

    /// Result; null while building.
    async fn result(&self) -> Option<BuildResultEnum> {
        self.res()
    }

    /// Whether it is still running.
    async fn building(&self) -> bool {
        !self.finished()
    }

    /// BUILDING, or the result.
    async fn status(&self) -> BuildStatus {
        match self.res() {
            _ if !self.finished() => BuildStatus::Building,
            Some(BuildResultEnum::Success) => BuildStatus::Success,
            Some(BuildResultEnum::Unstable) => BuildStatus::Unstable,
            Some(BuildResultEnum::Failure) => BuildStatus::Failure,
            Some(BuildResultEnum::Aborted) => BuildStatus::Aborted,
            Some(BuildResultEnum::NotBuilt) | None => BuildStatus::NotBuilt,
        }
    }

    /// Start time, epoch ms.
    async fn timestamp(&self) -> Option<f64> {
        self.data.timestamp.map(|t| t as f64)
    }

    /// Duration in ms; for a running build, the time it has run so far.
    async fn duration(&self) -> Option<f64> {
        if self.finished() {
            self.data.duration.map(|d| d as f64)
        } else {
            self.data
                .timestamp
                .map(|t| (super::now_ms() - t).max(0) as f64)
        }
    }

    /// Jenkins' estimate of the duration, ms (null when unknown).
    async fn estimated_duration(&self) -> Option<f64> {
        self.data
            .estimated_duration
            .filter(|d| *d >= 0)
            .map(|d| d as f64)
    }

    /// Absolute URL in Jenkins.
    pub async fn url(&self) -> Option<&str> {
        self.data.url.as_deref()
    }

    /// Build description.
    async fn description(&self) -> Option<&str> {
        self.data.description.as_deref()
    }

    /// Queue item id the build came from.
    async fn queue_id(&self) -> Option<f64> {
        self.data.queue_id.map(|q| q as f64)
    }

    /// Why it started.
    async fn causes(&self) -> Vec<Cause> {
        self.data
            .causes()
            .map(|c| Cause {
                kind: cause_kind(c.class.as_deref().unwrap_or("")),
                description: c.short_description.clone(),
                user_id: c.user_id.clone(),
                user_name: c.user_name.clone(),
                upstream_job: c.upstream_project.clone(),
                upstream_build: c.upstream_build.map(|n| n as i32),
            })
            .collect()
    }

    /// Parameter values; password values are always masked.
    async fn parameters(&self) -> Vec<Parameter> {
        self.data
            .parameters()
            .map(|p| {
                let kind = parameter_kind(p.class.as_deref().unwrap_or(""));
                Parameter {
                    name: p.name.clone().unwrap_or_default(),
                    kind,
                    value: if kind == ParameterKind::Password {
                        Some("****".into())
                    } else {
                        p.value.as_ref().and_then(value_text)
                    },
                }
            })
            .collect()
    }

    /// SCM changes (commits) in this build.
    async fn changes(&self) -> Vec<Change> {
        self.data
            .all_change_sets()
            .flat_map(|s| s.items.iter().flatten())
            .map(|i| Change {
                commit_id: i.commit_id.clone().or_else(|| i.id.clone()),
                message: i.msg.clone(),
                full_message: i.comment.clone(),
                author: i.author.as_ref().and_then(|a| a.full_name.clone()),
                author_email: i.author_email.clone(),
                timestamp: i.timestamp.map(|t| t as f64),
                paths: match &i.paths {
                    Some(p) => p
                        .iter()
                        .map(|p| ChangedPath {
                            edit_type: p.edit_type.clone(),
                            file: p.file.clone().unwrap_or_default(),
                        })
                        .collect(),
                    None => i
                        .affected_paths
                        .iter()
                        .flatten()
                        .map(|f| ChangedPath {
                            edit_type: None,
                            file: f.clone(),
                        })
                        .collect(),
                },
            })
            .collect()
    }

    /// Users whose changes may have broken the build.
    async fn culprits(&self) -> Vec<UserRef> {
        self.data
            .culprits
            .iter()
            .flatten()
            .map(|u| UserRef {
                full_name: u.full_name.clone(),
                url: u.absolute_url.clone(),
            })
            .collect()
    }

    /// Archived artifacts.
    async fn artifacts(&self) -> Vec<Artifact> {
        let base = self.data.url.clone().unwrap_or_default();
        self.data
            .artifacts
            .iter()
            .flatten()
            .map(|a| Artifact {
                file_name: a.file_name.clone(),
                relative_path: a.relative_path.clone(),
                url: a
                    .relative_path
                    .as_ref()
                    .map(|p| format!("{base}artifact/{p}")),
            })
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
        let a = self.data.test_result_action()?;
        let total = a.total_count.unwrap_or(0) as i32;
        let failed = a.fail_count.unwrap_or(0) as i32;
        let skipped = a.skip_count.unwrap_or(0) as i32;
        Some(TestSummary {
            total,
            failed,
            skipped,
            passed: (total - failed - skipped).max(0),
        })
    }

    /// Failing test cases (from the junit report); empty when there is no report.
    async fn failed_tests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, desc = "At most this many failing cases.")] first: i32,
    ) -> async_graphql::Result<Option<Vec<FailedTest>>> {
        async {
            let key = Fetch::Tests {
                conn: self.conn(),
                job: self.job.clone(),
                number: self.num(),
                tree: "suites[name,cases[className,name,status,duration,errorDetails,age]]".into(),
                finished: self.finished(),
            };
            let report = match loaders(ctx).tests(key).await {
                Ok(r) => r,
                Err(JenkinsError::NotFound { .. }) => return Ok(vec![]),
                Err(e) => return Err(upstream_error(&e)),
            };
            Ok(report
                .suites
                .iter()
                .flatten()
                .flat_map(|s| s.cases.iter().flatten())
                .filter(|c| matches!(c.status.as_deref(), Some("FAILED") | Some("REGRESSION")))
                .take(first.max(0) as usize)
                .map(|c| FailedTest {
                    class_name: c.class_name.clone(),
                    name: c.name.clone(),
                    status: c.status.clone(),
                    error: c.error_details.clone(),
                    duration_seconds: c.duration,
                    age: c.age.map(|a| a as i32),
                })
                .collect())
        }
        .await
        .map(Some)
    }

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
        #[graphql(default = 100, desc = "Stop after this many matches.")] max_matches: i32,
    ) -> async_graphql::Result<Option<Log>> {
        async {
            let conn = self.conn();
            if let Some(pattern) = grep {
                let key = Fetch::LogGrep {
                    conn,
                    job: self.job.clone(),
                    number: self.num(),
                    pattern,
                    context: context.clamp(0, 50) as usize,
                    max: max_matches.clamp(1, 10_000) as usize,
                };
                let g = loaders(ctx)
                    .log_grep(key)
                    .await
                    .map_err(|e| upstream_error(&e))?;
                return Ok(Log {
                    text: String::new(),
                    total_bytes: g.total_bytes as f64,
                    truncated: false,
                    more_data: g.more_data,
                    matches: g
                        .matches
                        .iter()
                        .map(|m| LogMatch {
                            line_number: m.line_number as f64,
                            line: m.line.clone(),
                            before: m.before.clone(),
                            after: m.after.clone(),
                        })
                        .collect(),
                    match_limit_reached: g.limit_reached,
                });
            }
            if max_bytes <= 0 {
                return Err(GatewayError::BadArgument("maxBytes must be positive".into()).extend());
            }
            let key = Fetch::LogTail {
                conn,
                job: self.job.clone(),
                number: self.num(),
                max_bytes: max_bytes as usize,
            };
            let t = loaders(ctx)
                .log_tail(key)
                .await
                .map_err(|e| upstream_error(&e))?;
            let mut text = t.text.clone();
            let mut truncated = t.truncated;
            if let Some(n) = tail_lines.filter(|n| *n >= 0) {
                let lines: Vec<&str> = text.lines().collect();
                if lines.len() > n as usize {
                    truncated = true;
                    let mut kept = lines[lines.len() - n as usize..].join("\n");
                    if text.ends_with('\n') && !kept.is_empty() {
                        kept.push('\n');
                    }
                    text = kept;
                }
            }
            Ok(Log {
                text,
                total_bytes: t.total_bytes as f64,
                truncated,
                more_data: t.more_data,
                matches: vec![],
                match_limit_reached: false,
            })
        }
        .await
        .map(Some)
    }

    /// Pipeline stages (Pipeline REST API). Null with error code NOT_A_PIPELINE for other
    /// job types, or PIPELINE_API_MISSING when the controller lacks the plugin.
    async fn stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<StageObj>>> {
        if self.data.class.is_some() && !self.data.is_pipeline() {
            let e = JenkinsError::NotAPipeline {
                connection: self.up.name.to_string(),
                job: self.job.clone(),
            };
            return Err(upstream_error(&e));
        }
        let key = Fetch::Run {
            conn: self.conn(),
            job: self.job.clone(),
            number: self.num(),
        };
        let run = loaders(ctx)
            .run(key)
            .await
            .map_err(|e| upstream_error(&e))?;
        Ok(Some(stages_of(&self.up, &self.job, self.num(), &run)))
    }

    /// The job this build belongs to.
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObj>> {
        super::item::load_job(ctx, self.up.clone(), &self.job).await
    }

    /// The controller it ran on.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}

fn stages_of(up: &Arc<Upstream>, job: &str, number: u32, run: &wire::RunExt) -> Vec<StageObj> {
    let stages: Vec<&wire::StageNodeExt> = run.stages.iter().flatten().collect();
    let finished = !run.is_running();
    stages
        .iter()
        .map(|s| {
            let start = s.start_time_millis.unwrap_or(0);
            let end = start + s.duration_millis.unwrap_or(0);
            let concurrent: Vec<String> = stages
                .iter()
                .filter(|o| o.id != s.id)
                .filter(|o| {
                    let os = o.start_time_millis.unwrap_or(0);
                    let oe = os + o.duration_millis.unwrap_or(0);
                    os < end && start < oe
                })
                .filter_map(|o| o.name.clone())
                .collect();
            StageObj {
                up: up.clone(),
                job: job.to_string(),
                number,
                finished,
                data: (*s).clone(),
                concurrent,
            }
        })
        .collect()
}

/// Load one stage by node id.
pub async fn load_stage(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    job: &str,
    number: u32,
    id: &str,
) -> async_graphql::Result<Option<StageObj>> {
    let key = Fetch::Run {
        conn: up.name.clone(),
        job: job.to_string(),
        number,
    };
    let run = match loaders(ctx).run(key).await {
        Ok(r) => r,
        Err(JenkinsError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(upstream_error(&e)),
    };
    Ok(stages_of(&up, job, number, &run)
        .into_iter()
        .find(|s| s.data.id.as_deref() == Some(id)))
}

/// Status of a stage, as the Pipeline REST API reports it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum StageStatus {
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
    /// Skipped or not reached.
    NotExecuted,
}

fn stage_status(s: Option<&str>) -> StageStatus {
    match s.unwrap_or("") {
        "SUCCESS" => StageStatus::Success,
        "FAILED" => StageStatus::Failed,
        "UNSTABLE" => StageStatus::Unstable,
        "ABORTED" => StageStatus::Aborted,
        "IN_PROGRESS" => StageStatus::InProgress,
        "PAUSED_PENDING_INPUT" => StageStatus::PausedPendingInput,
        _ => StageStatus::NotExecuted,
    }
}

/// Error of a failed stage.
#[derive(SimpleObject, Clone, Debug)]
pub struct StageError {
    /// Message, e.g. `script returned exit code 3`.
    pub message: Option<String>,
    /// Exception type.
    pub kind: Option<String>,
}

/// A stage of a pipeline run.
#[derive(Clone)]
pub struct StageObj {
    up: Arc<Upstream>,
    job: String,
    number: u32,
    finished: bool,
    data: wire::StageNodeExt,
    concurrent: Vec<String>,
}

/// Bytes of a stage log tail by default.
pub const DEFAULT_STAGE_LOG_BYTES: i32 = 8 * 1024;

/// A stage of a pipeline run, as the Pipeline REST API reports it.
#[Object(name = "Stage")]
impl StageObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Stage(
            self.up.name.to_string(),
            self.job.clone(),
            self.number,
            self.data.id.clone().unwrap_or_default(),
        )
        .encode()
    }

    /// Flow node id of the stage.
    async fn node_id(&self) -> Option<&str> {
        self.data.id.as_deref()
    }

    /// Stage name.
    pub async fn name(&self) -> Option<&str> {
        self.data.name.as_deref()
    }

    /// Status.
    async fn status(&self) -> StageStatus {
        stage_status(self.data.status.as_deref())
    }

    /// Start time, epoch ms.
    async fn start_time(&self) -> Option<f64> {
        self.data.start_time_millis.map(|t| t as f64)
    }

    /// Duration, ms.
    async fn duration(&self) -> Option<f64> {
        self.data.duration_millis.map(|t| t as f64)
    }

    /// Time spent paused (waiting for input), ms.
    async fn pause_duration(&self) -> Option<f64> {
        self.data.pause_duration_millis.map(|t| t as f64)
    }

    /// Error of a failed stage.
    async fn error(&self) -> Option<StageError> {
        self.data.error.as_ref().map(|e| StageError {
            message: e.message.clone(),
            kind: e.kind.clone(),
        })
    }

    /// Stages that ran at the same time as this one (parallel branches). The Pipeline
    /// REST API lists parallel stages flat, so this is inferred from overlapping times.
    async fn concurrent_with(&self) -> &[String] {
        &self.concurrent
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
        async {
            let Some(id) = self.data.id.clone() else {
                return Ok(String::new());
            };
            let l = loaders(ctx);
            let conn = self.up.name.clone();
            let node = l
                .node(Fetch::Node {
                    conn: conn.clone(),
                    job: self.job.clone(),
                    number: self.number,
                    node: id,
                })
                .await
                .map_err(|e| upstream_error(&e))?;
            let steps: Vec<String> = node
                .stage_flow_nodes
                .iter()
                .flatten()
                .filter(|s| s.links.as_ref().and_then(|l| l.log.as_ref()).is_some())
                .filter_map(|s| s.id.clone())
                .collect();
            let logs = futures::future::join_all(steps.into_iter().map(|node| {
                l.node_log(Fetch::NodeLog {
                    conn: conn.clone(),
                    job: self.job.clone(),
                    number: self.number,
                    node,
                    finished: self.finished,
                })
            }))
            .await;
            let mut text = String::new();
            for log in logs {
                match log {
                    Ok(log) => text.push_str(&strip_html(log.text.as_deref().unwrap_or(""))),
                    Err(e) => return Err(upstream_error(&e)),
                }
            }
            let max = max_bytes.max(0) as usize;
            if text.len() > max {
                let mut cut = text.len() - max;
                while !text.is_char_boundary(cut) {
                    cut += 1;
                }
                text = text[cut..].to_string();
            }
            Ok(text)
        }
        .await
        .map(Some)
    }
}

/// Remove tags and decode entities of the Pipeline REST API's HTML step logs.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        // The timestamper plugin hides a second timestamp in a display:none span.
        let hidden = rest[i..].starts_with("<span style=\"display: none\">");
        match rest[i..].find('>') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
                break;
            }
        }
        if hidden {
            if let Some(k) = rest.find("</span>") {
                rest = &rest[k + "</span>".len()..];
            }
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Pagination info of a page.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether there are more items after this page.
    pub has_next_page: bool,
    /// Cursor to pass as `after` (or `before` for builds) to get the next page.
    pub end_cursor: Option<String>,
}

/// A page of builds, newest first.
#[derive(SimpleObject, Clone)]
pub struct BuildPage {
    /// The builds.
    pub nodes: Vec<BuildObj>,
    /// Where to go on.
    pub page_info: PageInfo,
}

fn page_fields(ctx: &Context<'_>) -> String {
    let nodes = page_node_selection(&ctx.field());
    let mut t = TreeSpec::new();
    build_fields(&nodes, &mut t);
    t.leaf("result");
    t.render()
}

/// `Job.builds`: from the job's own data when the planner fetched them with it, else pages.
pub async fn builds_page(
    ctx: &Context<'_>,
    job: &JobObj,
    first: i32,
    before: Option<i32>,
    result: Option<BuildResultEnum>,
) -> async_graphql::Result<BuildPage> {
    let first = first.clamp(0, 1000) as usize;
    let wrap = |list: Vec<wire::Build>, more: bool| {
        let end_cursor = list.last().and_then(|b| b.number).map(|n| n.to_string());
        BuildPage {
            nodes: list
                .into_iter()
                .map(|b| BuildObj::new(job.up.clone(), job.full_name.clone(), Arc::new(b)))
                .collect(),
            page_info: PageInfo {
                has_next_page: more,
                end_cursor,
            },
        }
    };
    if before.is_none() && result.is_none() {
        if let Some(builds) = &job.data.builds {
            let more = builds.len() > first;
            return Ok(wrap(builds.iter().take(first).cloned().collect(), more));
        }
    }
    let l = loaders(ctx);
    let conn = job.up.name.clone();
    let fields = page_fields(ctx);
    let want = |b: &wire::Build| match result {
        Some(r) => b.result.as_deref().and_then(BuildResultEnum::parse) == Some(r),
        None => true,
    };
    // Where the page starts: the index of the first build older than `before`.
    let mut start: u32 = 0;
    if let Some(before) = before {
        let mut found = None;
        let mut offset = 0u32;
        let chunk = BUILDS_WINDOW;
        while found.is_none() {
            let key = Fetch::Builds {
                conn: conn.clone(),
                job: job.full_name.clone(),
                fields: "number".into(),
                start: offset,
                end: offset + chunk,
            };
            let page = l.item(key).await.map_err(|e| upstream_error(&e))?;
            let list = page.page_builds();
            if let Some(i) = list
                .iter()
                .position(|b| b.number.is_some_and(|n| (n as i64) < i64::from(before)))
            {
                found = Some(offset + i as u32);
            } else if (list.len() as u32) < chunk {
                return Ok(wrap(vec![], false));
            }
            offset += chunk;
        }
        start = found.unwrap_or(0);
    }
    let mut out = Vec::new();
    let mut more = false;
    let chunk: u32 = if result.is_some() {
        50
    } else {
        (first as u32 + 1).max(1)
    };
    let mut scanned = 0u32;
    loop {
        let key = Fetch::Builds {
            conn: conn.clone(),
            job: job.full_name.clone(),
            fields: fields.clone(),
            start,
            end: start + chunk,
        };
        let page = l.item(key).await.map_err(|e| upstream_error(&e))?;
        let list = page.page_builds();
        for b in list {
            if want(b) {
                if out.len() == first {
                    more = true;
                    break;
                }
                out.push(b.clone());
            }
        }
        scanned += list.len() as u32;
        if more || (list.len() as u32) < chunk || scanned >= 2000 {
            break;
        }
        start += chunk;
    }
    Ok(wrap(out, more))
}

/// Statistics over recent builds.
#[derive(SimpleObject, Clone, Debug)]
pub struct Trend {
    /// Builds looked at (completed ones).
    pub builds: i32,
    /// Successful builds.
    pub successes: i32,
    /// Failed builds.
    pub failures: i32,
    /// Unstable builds.
    pub unstable: i32,
    /// Aborted builds.
    pub aborted: i32,
    /// successes / builds (0–1); null without builds.
    pub success_rate: Option<f64>,
    /// Mean duration of completed builds, ms.
    pub mean_duration: Option<f64>,
    /// 95th percentile duration (nearest rank), ms.
    pub p95_duration: Option<f64>,
    /// Fraction of consecutive builds whose outcome flipped between pass and fail (0–1).
    pub flakiness: Option<f64>,
}

/// `Job.trend(last)`.
pub async fn trend(ctx: &Context<'_>, job: &JobObj, last: i32) -> async_graphql::Result<Trend> {
    let last = last.clamp(1, BUILDS_WINDOW as i32) as usize;
    let builds: Vec<wire::Build> = match &job.data.builds {
        Some(b) if b.len() >= last || b.iter().all(|x| x.duration.is_some()) => {
            b.iter().take(last).cloned().collect()
        }
        _ => {
            let key = Fetch::Builds {
                conn: job.up.name.clone(),
                job: job.full_name.clone(),
                fields: "building,duration,number,result,timestamp".into(),
                start: 0,
                end: last as u32,
            };
            let page = loaders(ctx)
                .item(key)
                .await
                .map_err(|e| upstream_error(&e))?;
            page.page_builds().to_vec()
        }
    };
    Ok(trend_of(&builds))
}

/// Compute a trend from builds, newest first.
pub fn trend_of(builds: &[wire::Build]) -> Trend {
    let done: Vec<&wire::Build> = builds
        .iter()
        .filter(|b| b.building != Some(true) && b.result.is_some())
        .collect();
    let count = |r: &str| {
        done.iter()
            .filter(|b| b.result.as_deref() == Some(r))
            .count() as i32
    };
    let mut durations: Vec<i64> = done.iter().filter_map(|b| b.duration).collect();
    durations.sort_unstable();
    let n = done.len();
    let mean = (!durations.is_empty())
        .then(|| durations.iter().sum::<i64>() as f64 / durations.len() as f64);
    let p95 = (!durations.is_empty()).then(|| {
        let rank = ((0.95 * durations.len() as f64).ceil() as usize).clamp(1, durations.len());
        durations[rank - 1] as f64
    });
    let outcomes: Vec<bool> = done
        .iter()
        .filter_map(|b| match b.result.as_deref() {
            Some("SUCCESS") => Some(true),
            Some("FAILURE") | Some("UNSTABLE") => Some(false),
            _ => None,
        })
        .collect();
    let flakiness = (outcomes.len() >= 2).then(|| {
        let flips = outcomes.windows(2).filter(|w| w[0] != w[1]).count();
        flips as f64 / (outcomes.len() - 1) as f64
    });
    let successes = count("SUCCESS");
    Trend {
        builds: n as i32,
        successes,
        failures: count("FAILURE"),
        unstable: count("UNSTABLE"),
        aborted: count("ABORTED"),
        success_rate: (n > 0).then(|| f64::from(successes) / n as f64),
        mean_duration: mean,
        p95_duration: p95,
        flakiness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u32, r: &str, d: i64) -> wire::Build {
        wire::Build {
            number: Some(n),
            result: Some(r.into()),
            building: Some(false),
            duration: Some(d),
            ..Default::default()
        }
    }

    #[test]
    fn trend_counts_and_percentiles() {
        let builds = vec![
            b(5, "SUCCESS", 100),
            b(4, "FAILURE", 200),
            b(3, "SUCCESS", 300),
            b(2, "SUCCESS", 400),
            b(1, "ABORTED", 1000),
        ];
        let t = trend_of(&builds);
        assert_eq!((t.builds, t.successes, t.failures, t.aborted), (5, 3, 1, 1));
        assert_eq!(t.success_rate, Some(0.6));
        assert_eq!(t.mean_duration, Some(400.0));
        assert_eq!(t.p95_duration, Some(1000.0));
        // outcomes S F S S: two flips out of three transitions
        assert!((t.flakiness.unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn html_step_logs_become_text() {
        let html = "<span class=\"timestamp\"><b>21:36:11</b> </span><span style=\"display: none\">[2026-11-21T21:36:11.184Z]</span> + echo a &amp; b\n";
        assert_eq!(strip_html(html), "21:36:11  + echo a & b\n");
    }
}
