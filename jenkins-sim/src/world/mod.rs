//! The simulated world of one controller: items, builds, stages, logs, queue, agents, users.
//!
//! A world is plain data. It is loaded from a world file ([`file`](mod@file)), or generated from a
//! seed ([`generate`]); the server only reads it, and live mode ([`crate::live`]) moves it on.

pub mod file;
pub mod generate;
mod names;
mod query;

use serde::{Deserialize, Serialize};

pub(crate) use self::names::join_full_name;
pub use self::names::{branch_item_name, split_full_name, PERMALINKS};

/// Everything one simulated controller knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Controller-wide facts: version, executors, plugins.
    #[serde(default)]
    pub controller: ControllerInfo,
    /// Users who can authenticate, with their permissions.
    #[serde(default)]
    pub users: Vec<User>,
    /// Items at the root, sorted case-insensitively by name (as Jenkins lists them).
    #[serde(default)]
    pub items: Vec<Item>,
    /// Items waiting in the queue, in Jenkins' queue order.
    #[serde(default)]
    pub queue: Vec<QueueItem>,
    /// Queue items that have left the queue (kept five minutes by Jenkins).
    #[serde(default)]
    pub left_items: Vec<LeftItem>,
    /// Agents other than the built-in node.
    #[serde(default)]
    pub agents: Vec<Agent>,
}

/// Controller-wide facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerInfo {
    /// The `X-Jenkins` version.
    pub version: String,
    /// The `X-Jenkins-Session` value (8 hex digits).
    pub session: String,
    /// The system message (`description` on the root), if any.
    pub description: Option<String>,
    /// Executors on the built-in node.
    pub num_executors: u32,
    /// Whether the Pipeline REST API plugin (`wfapi`) is installed.
    pub wfapi: bool,
    /// Whether the timestamper plugin decorates pipeline step logs.
    pub timestamper: bool,
    /// Whether the controller is quieting down.
    pub quieting_down: bool,
    /// Next queue item id to hand out.
    pub next_queue_id: u64,
}

impl Default for ControllerInfo {
    fn default() -> Self {
        ControllerInfo {
            version: "2.516.2".into(),
            session: "c8442c5e".into(),
            description: None,
            num_executors: 3,
            wfapi: true,
            timestamper: true,
            quieting_down: false,
            next_queue_id: 1,
        }
    }
}

/// A user who can log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Login id.
    pub id: String,
    /// Full name shown in causes and culprits.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Password (Basic auth with the real password also works on Jenkins).
    #[serde(default)]
    pub password: Option<String>,
    /// API token.
    #[serde(default)]
    pub token: Option<String>,
    /// What the user may do.
    #[serde(default)]
    pub permission: Permission,
}

/// Permission sets of the recorded controller's matrix authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Everything (Overall/Administer).
    #[default]
    Admin,
    /// Overall/Read, Job/Read, Job/Discover, View/Read.
    Read,
    /// Can log in, nothing else.
    None,
}

/// An item in the tree: a folder of some kind, or a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A plain folder (cloudbees-folder).
    Folder(Folder),
    /// A multibranch project: its children are branch jobs.
    Multibranch(Folder),
    /// An organization folder: its children are multibranch projects.
    Organization(Folder),
    /// A freestyle project.
    Freestyle(Job),
    /// A pipeline job.
    Pipeline(Job),
    /// A matrix project.
    Matrix(Job),
}

/// What kind of folder an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// `com.cloudbees.hudson.plugins.folder.Folder`
    Folder,
    /// `org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject`
    Multibranch,
    /// `jenkins.branch.OrganizationFolder`
    Organization,
}

/// What kind of job an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `hudson.model.FreeStyleProject`
    Freestyle,
    /// `org.jenkinsci.plugins.workflow.job.WorkflowJob`
    Pipeline,
    /// `hudson.matrix.MatrixProject`
    Matrix,
}

/// A folder, multibranch project or organization folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folder {
    /// Item name.
    pub name: String,
    /// Custom display name (`displayNameOrNull`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Description (null when unset).
    #[serde(default)]
    pub description: Option<String>,
    /// Children, sorted case-insensitively by name.
    #[serde(default)]
    pub items: Vec<Item>,
    /// For multibranch projects: the SCM source's remote.
    #[serde(default)]
    pub source_url: Option<String>,
}

/// A job: freestyle, pipeline or matrix.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Item name (for a multibranch branch, the encoded branch name such as `feature%2Ffoo`).
    pub name: String,
    /// Custom display name (`displayNameOrNull`); a branch's is its plain branch name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Disabled jobs are not buildable and their color is `disabled`.
    #[serde(default)]
    pub disabled: bool,
    /// Whether concurrent builds are allowed.
    #[serde(default)]
    pub concurrent: bool,
    /// Label expression the job is restricted to.
    #[serde(default)]
    pub label: Option<String>,
    /// Parameter definitions.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// Git SCM, if the job checks out from git.
    #[serde(default)]
    pub git: Option<GitScm>,
    /// For a multibranch branch job: the branch head name.
    #[serde(default)]
    pub branch: Option<String>,
    /// Stage names a new pipeline build runs through (live mode and generated worlds), a
    /// parallel stage followed by its branches.
    #[serde(default)]
    pub stage_names: Vec<String>,
    /// Stages of `stage_names` that run branches in parallel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parallel: Vec<Parallel>,
    /// Builds, ascending by number.
    #[serde(default)]
    pub builds: Vec<Build>,
    /// Next build number (defaults to last build + 1).
    #[serde(default)]
    pub next_build_number: Option<u64>,
    /// The build script, as `config.xml` shows it: a freestyle job's shell step, or a
    /// pipeline's script.
    #[serde(default)]
    pub script: Option<String>,
    /// A scripted (not declarative) pipeline: Jenkins attaches fewer actions to such a job
    /// and its runs.
    #[serde(default)]
    pub scripted: bool,
    /// What live mode may do with the job.
    #[serde(default, skip_serializing_if = "LiveRule::is_free")]
    pub live: LiveRule,
}

/// A stage that runs its branches in parallel (`parallel { stage(…) {…} … }`); each
/// branch is a stage of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    /// The stage holding the branches.
    pub stage: String,
    /// Its branches' stage names, in the order they are declared.
    pub branches: Vec<String>,
}

/// What live mode may do with a job: the incidents a demo shows are jobs it leaves as they
/// are, or whose builds keep failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveRule {
    /// Builds are triggered now and then, run, and end as they may.
    #[default]
    Free,
    /// Never triggered: the job stays as it is (its failing last build, say).
    Still,
    /// Triggered like any other, and every build fails.
    Failing,
}

impl LiveRule {
    /// Whether this is the default, free rule.
    pub fn is_free(&self) -> bool {
        *self == LiveRule::Free
    }
}

/// Git SCM configuration of a job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitScm {
    /// Remote URL.
    pub url: String,
    /// Branch spec, e.g. `main`.
    #[serde(default)]
    pub branch: Option<String>,
}

/// A build result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildResult {
    /// Blue.
    Success,
    /// Yellow.
    Unstable,
    /// Red.
    Failure,
    /// Grey.
    NotBuilt,
    /// Aborted.
    Aborted,
}

/// One build (run) of a job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Build number.
    pub number: u64,
    /// Result; `None` while building.
    #[serde(default)]
    pub result: Option<BuildResult>,
    /// Start (scheduled) time, epoch ms.
    #[serde(default)]
    pub timestamp: i64,
    /// Duration in ms (0 while building).
    #[serde(default)]
    pub duration: i64,
    /// Estimated duration in ms (-1 when unknown).
    #[serde(default = "minus_one")]
    pub estimated_duration: i64,
    /// Milliseconds spent in the queue before the build started.
    #[serde(default)]
    pub queue_duration: i64,
    /// The queue item id that became this build.
    #[serde(default)]
    pub queue_id: u64,
    /// Build description.
    #[serde(default)]
    pub description: Option<String>,
    /// Custom display name (default `#N`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Keep this build forever.
    #[serde(default)]
    pub keep_log: bool,
    /// Node name the build ran on (`""` for the built-in node).
    #[serde(default)]
    pub built_on: String,
    /// Why the build started.
    #[serde(default)]
    pub causes: Vec<Cause>,
    /// Parameter values.
    #[serde(default)]
    pub parameters: Vec<ParamValue>,
    /// Revision built, for git jobs (`BuildData`).
    #[serde(default)]
    pub revision: Option<String>,
    /// Commits in this build.
    #[serde(default)]
    pub changes: Vec<Change>,
    /// User ids blamed for the build (culprits).
    #[serde(default)]
    pub culprits: Vec<String>,
    /// Archived artifacts.
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    /// Test report, if tests were recorded.
    #[serde(default)]
    pub tests: Option<TestReport>,
    /// Pipeline stages (pipelines only).
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Pending input (a pipeline paused at `input`).
    #[serde(default)]
    pub input: Option<PendingInput>,
    /// The console log.
    #[serde(default)]
    pub log: Log,
}

fn minus_one() -> i64 {
    -1
}

/// Why a build started.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Cause {
    /// Started by a user.
    User {
        /// User id.
        user: String,
    },
    /// Started by an upstream build.
    Upstream {
        /// Upstream job full name.
        project: String,
        /// Upstream build number.
        build: u64,
    },
    /// Started by an SCM change.
    Scm,
    /// Started by a timer.
    Timer,
    /// Started remotely.
    Remote {
        /// Remote address.
        addr: String,
        /// Note.
        #[serde(default)]
        note: Option<String>,
    },
    /// Multibranch indexing.
    BranchIndexing,
}

/// A commit in a build's change set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Commit id (SHA-1).
    pub commit: String,
    /// First line of the message.
    pub message: String,
    /// Author id.
    pub author: String,
    /// Author e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Commit time, epoch ms.
    #[serde(default)]
    pub timestamp: i64,
    /// Paths touched, with edit type.
    #[serde(default)]
    pub paths: Vec<ChangedPath>,
}

/// A path touched by a commit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangedPath {
    /// `add`, `edit` or `delete`.
    #[serde(default = "edit")]
    pub edit: String,
    /// File path.
    pub file: String,
}

fn edit() -> String {
    "edit".into()
}

/// An archived artifact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path relative to the archive root.
    pub path: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
}

/// A test report (junit).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestReport {
    /// Passed tests.
    pub passed: u32,
    /// Skipped tests.
    #[serde(default)]
    pub skipped: u32,
    /// Failed test cases (class, name, error).
    #[serde(default)]
    pub failures: Vec<TestFailure>,
    /// Passed test cases the report names (the others are only counted in `passed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passing: Vec<TestPass>,
    /// Total duration in seconds.
    #[serde(default)]
    pub duration: f64,
}

/// One passed test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPass {
    /// Class name.
    pub class_name: String,
    /// Test name.
    pub name: String,
    /// Duration in seconds.
    #[serde(default)]
    pub duration: f64,
    /// It failed in the build before (junit's `FIXED`).
    #[serde(default)]
    pub fixed: bool,
}

/// One failed test case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFailure {
    /// Class name.
    pub class_name: String,
    /// Test name.
    pub name: String,
    /// Error details.
    #[serde(default)]
    pub error: Option<String>,
    /// Duration in seconds.
    #[serde(default)]
    pub duration: f64,
    /// Build number since which it fails.
    #[serde(default)]
    pub failed_since: u64,
}

/// A pipeline stage as the Pipeline REST API reports it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Flow node id.
    pub id: String,
    /// Stage name.
    pub name: String,
    /// wfapi status: SUCCESS, FAILED, UNSTABLE, ABORTED, IN_PROGRESS, PAUSED_PENDING_INPUT, NOT_EXECUTED.
    pub status: String,
    /// Start time, epoch ms.
    pub start: i64,
    /// Duration, ms (for a running stage: grows with the clock when `running` is set).
    #[serde(default)]
    pub duration: i64,
    /// Time paused for input, ms.
    #[serde(default)]
    pub pause: i64,
    /// Error of a failed stage.
    #[serde(default)]
    pub error: Option<StageError>,
    /// The parallel branch this stage ran in, if any.
    #[serde(default)]
    pub parallel: Option<String>,
    /// Steps (atom flow nodes) of the stage.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// The error of a failed stage or step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageError {
    /// Message.
    pub message: String,
    /// Exception class.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A step (atom flow node) inside a stage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Flow node id.
    pub id: String,
    /// Step display name, e.g. `Shell Script`.
    pub name: String,
    /// Step argument summary.
    #[serde(default)]
    pub description: Option<String>,
    /// wfapi status.
    pub status: String,
    /// Start time, epoch ms.
    pub start: i64,
    /// Duration, ms.
    #[serde(default)]
    pub duration: i64,
    /// Time paused, ms.
    #[serde(default)]
    pub pause: i64,
    /// Parent flow node ids.
    #[serde(default)]
    pub parents: Vec<String>,
    /// Error of the step.
    #[serde(default)]
    pub error: Option<StageError>,
    /// Log lines of the step (plain text, one per line); `None` when the step has no log.
    #[serde(default)]
    pub log: Option<String>,
}

/// A pending `input` step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingInput {
    /// Input id.
    pub id: String,
    /// Message shown.
    pub message: String,
    /// Label of the proceed button.
    #[serde(default)]
    pub proceed_text: Option<String>,
    /// Who may approve (user ids or groups, comma-separated; anyone with Job/Build when
    /// unset). Jenkins shows it on the input page only, not in `api/json` or `wfapi`.
    #[serde(default)]
    pub submitter: Option<String>,
}

/// A build log: literal text, or generated lazily to a given size.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// The raw log, console annotations included.
    #[serde(default)]
    pub text: Option<String>,
    /// Generate a log of this many bytes instead (deterministic, never held in memory).
    #[serde(default)]
    pub generated_bytes: Option<u64>,
}

/// A parameter definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// Parameter name.
    pub name: String,
    /// Kind of parameter.
    #[serde(rename = "type")]
    pub kind: ParamKind,
    /// Description (null when unset).
    #[serde(default)]
    pub description: Option<String>,
    /// Default value, as a string (`true`/`false` for booleans).
    #[serde(default)]
    pub default: Option<String>,
    /// Choices of a choice parameter.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// Parameter kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// `StringParameterDefinition`
    String,
    /// `BooleanParameterDefinition`
    Boolean,
    /// `ChoiceParameterDefinition`
    Choice,
    /// `PasswordParameterDefinition`
    Password,
    /// `TextParameterDefinition`
    Text,
}

/// A parameter value of a build.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamValue {
    /// Parameter name.
    pub name: String,
    /// Kind of the value.
    #[serde(rename = "type", default = "string_kind")]
    pub kind: ParamKind,
    /// The value as a string (`true`/`false` for booleans).
    pub value: String,
}

fn string_kind() -> ParamKind {
    ParamKind::String
}

/// An item waiting in the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueItem {
    /// Queue id.
    pub id: u64,
    /// Full name of the task (job).
    pub job: String,
    /// State in the queue.
    pub state: QueueState,
    /// Why it waits.
    #[serde(default)]
    pub why: Option<String>,
    /// Stuck (a buildable item that cannot start).
    #[serde(default)]
    pub stuck: bool,
    /// When it entered the queue, epoch ms.
    pub in_queue_since: i64,
    /// Causes.
    #[serde(default)]
    pub causes: Vec<Cause>,
    /// Parameters.
    #[serde(default)]
    pub parameters: Vec<ParamValue>,
}

/// Queue states, by Queue.Item subclass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// `Queue$WaitingItem` (quiet period).
    Waiting,
    /// `Queue$BlockedItem`.
    Blocked,
    /// `Queue$BuildableItem`.
    Buildable,
}

/// A queue item that has left the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeftItem {
    /// Queue id.
    pub id: u64,
    /// Full name of the job.
    pub job: String,
    /// When it entered the queue, epoch ms.
    pub in_queue_since: i64,
    /// The build it became, if it was not cancelled.
    #[serde(default)]
    pub build: Option<u64>,
    /// Whether it was cancelled.
    #[serde(default)]
    pub cancelled: bool,
    /// Causes.
    #[serde(default)]
    pub causes: Vec<Cause>,
}

/// An agent (a node other than the built-in one).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Node name.
    pub name: String,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Number of executors.
    #[serde(default = "one")]
    pub executors: u32,
    /// Executors currently busy.
    #[serde(default)]
    pub busy: u32,
    /// Offline (disconnected or marked offline).
    #[serde(default)]
    pub offline: bool,
    /// Why it is offline.
    #[serde(default)]
    pub offline_reason: Option<String>,
    /// Marked temporarily offline by a user.
    #[serde(default)]
    pub temporarily_offline: bool,
}

fn one() -> u32 {
    1
}
