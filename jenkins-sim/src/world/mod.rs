//! The simulated world of one controller: items, builds, stages, logs, queue, agents, users.
//!
//! A world is plain data. It is loaded from a world file ([`file`]), or generated from a
//! seed ([`generate`]); the server only reads it, and live mode ([`crate::live`]) moves it on.

pub mod file;
pub mod generate;

use serde::{Deserialize, Serialize};

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

impl Item {
    /// The item's name (one URL segment, before encoding).
    pub fn name(&self) -> &str {
        match self {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => &f.name,
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => &j.name,
        }
    }

    /// The folder inside, with its kind, if this is a folder.
    pub fn as_folder(&self) -> Option<(FolderKind, &Folder)> {
        match self {
            Item::Folder(f) => Some((FolderKind::Folder, f)),
            Item::Multibranch(f) => Some((FolderKind::Multibranch, f)),
            Item::Organization(f) => Some((FolderKind::Organization, f)),
            _ => None,
        }
    }

    /// Mutable access to the folder inside, if this is a folder.
    pub fn as_folder_mut(&mut self) -> Option<&mut Folder> {
        match self {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => Some(f),
            _ => None,
        }
    }

    /// The job inside, with its kind, if this is a job.
    pub fn as_job(&self) -> Option<(JobKind, &Job)> {
        match self {
            Item::Freestyle(j) => Some((JobKind::Freestyle, j)),
            Item::Pipeline(j) => Some((JobKind::Pipeline, j)),
            Item::Matrix(j) => Some((JobKind::Matrix, j)),
            _ => None,
        }
    }

    /// Mutable access to the job inside, if this is a job.
    pub fn as_job_mut(&mut self) -> Option<&mut Job> {
        match self {
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => Some(j),
            _ => None,
        }
    }
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
    /// Stage names a new pipeline build runs through (live mode and generated worlds).
    #[serde(default)]
    pub stage_names: Vec<String>,
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
}

impl Job {
    /// The number the next build gets.
    pub fn next_number(&self) -> u64 {
        self.next_build_number
            .unwrap_or_else(|| self.builds.last().map_or(1, |b| b.number + 1))
    }

    /// The build with that number.
    pub fn build(&self, number: u64) -> Option<&Build> {
        self.builds
            .binary_search_by_key(&number, |b| b.number)
            .ok()
            .map(|i| &self.builds[i])
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

impl BuildResult {
    /// Jenkins' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildResult::Success => "SUCCESS",
            BuildResult::Unstable => "UNSTABLE",
            BuildResult::Failure => "FAILURE",
            BuildResult::NotBuilt => "NOT_BUILT",
            BuildResult::Aborted => "ABORTED",
        }
    }

    /// The ball color of a build with this result.
    pub fn color(self) -> &'static str {
        match self {
            BuildResult::Success => "blue",
            BuildResult::Unstable => "yellow",
            BuildResult::Failure => "red",
            BuildResult::NotBuilt => "notbuilt",
            BuildResult::Aborted => "aborted",
        }
    }

    /// Ordinal as in `hudson.model.Result` (lower is better).
    pub fn ordinal(self) -> u8 {
        match self {
            BuildResult::Success => 0,
            BuildResult::Unstable => 1,
            BuildResult::Failure => 2,
            BuildResult::NotBuilt => 3,
            BuildResult::Aborted => 4,
        }
    }
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

impl Build {
    /// Whether the build is still running.
    pub fn building(&self) -> bool {
        self.result.is_none()
    }
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
    /// Total duration in seconds.
    #[serde(default)]
    pub duration: f64,
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

/// branch-api's `NameEncoder.encode`: the item name of a branch (`feature/foo` → `feature%2Ffoo`).
pub fn branch_item_name(branch: &str) -> String {
    let mut out = String::with_capacity(branch.len() + 4);
    for c in branch.chars() {
        match c {
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '?' => out.push_str("%3F"),
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    out
}

/// The full name of the item `name` in the folder `parent` (`""` for the root).
pub(crate) fn join_full_name(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// A path through the item tree to one item, e.g. `team-a/services/api-build`.
pub fn split_full_name(full_name: &str) -> impl Iterator<Item = &str> {
    full_name.split('/').filter(|s| !s.is_empty())
}

impl World {
    /// The item with that full name (names joined by `/`).
    pub fn item(&self, full_name: &str) -> Option<&Item> {
        let mut items = &self.items;
        let mut found = None;
        for name in split_full_name(full_name) {
            let item = items.iter().find(|i| i.name() == name)?;
            found = Some(item);
            items = match item.as_folder() {
                Some((_, f)) => &f.items,
                None => &EMPTY,
            };
        }
        found
    }

    /// Mutable access to the item with that full name.
    pub fn item_mut(&mut self, full_name: &str) -> Option<&mut Item> {
        let mut names = split_full_name(full_name).peekable();
        let mut items = &mut self.items;
        while let Some(name) = names.next() {
            let item = items.iter_mut().find(|i| i.name() == name)?;
            if names.peek().is_none() {
                return Some(item);
            }
            items = &mut item.as_folder_mut()?.items;
        }
        None
    }

    /// Every job in the world with its full name, depth first.
    pub fn jobs(&self) -> Vec<(String, JobKind, &Job)> {
        fn walk<'a>(prefix: &str, items: &'a [Item], out: &mut Vec<(String, JobKind, &'a Job)>) {
            for item in items {
                let full = if prefix.is_empty() {
                    item.name().to_string()
                } else {
                    format!("{prefix}/{}", item.name())
                };
                if let Some((kind, job)) = item.as_job() {
                    out.push((full, kind, job));
                } else if let Some((_, f)) = item.as_folder() {
                    walk(&full, &f.items, out);
                }
            }
        }
        let mut out = Vec::new();
        walk("", &self.items, &mut out);
        out
    }

    /// Sort every item list case-insensitively, as Jenkins keeps them.
    pub fn normalize(&mut self) {
        fn sort(items: &mut [Item]) {
            items.sort_by_key(|a| a.name().to_lowercase());
            for item in items.iter_mut() {
                if let Some(f) = item.as_folder_mut() {
                    sort(&mut f.items);
                } else if let Some(j) = item.as_job_mut() {
                    j.builds.sort_by_key(|b| b.number);
                }
            }
        }
        sort(&mut self.items);
        let max_queue = self
            .queue
            .iter()
            .map(|q| q.id)
            .chain(self.left_items.iter().map(|l| l.id))
            .max()
            .unwrap_or(0);
        if self.controller.next_queue_id <= max_queue {
            self.controller.next_queue_id = max_queue + 1;
        }
    }

    /// The user with that id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
}

static EMPTY: Vec<Item> = Vec::new();
