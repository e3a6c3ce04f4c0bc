//! The classic remote API: `api/json` of the controller, items, builds, the queue,
//! computers and test reports, as Stapler exports them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{lenient_list, HasClass, WORKFLOW_JOB_CLASS, WORKFLOW_RUN_CLASS};

/// `/api/json` of the controller (`hudson.model.Hudson`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Root {
    /// `_class`, `hudson.model.Hudson`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Top-level items the caller can read, sorted case-insensitively.
    pub jobs: Option<Vec<Item>>,
    /// The system message.
    pub description: Option<String>,
    /// The configured root URL (may be null when not configured).
    pub url: Option<String>,
    /// Whether the controller is preparing to shut down.
    pub quieting_down: Option<bool>,
    /// Why it is quieting down.
    pub quiet_down_reason: Option<String>,
    /// Executors on the built-in node.
    pub num_executors: Option<i64>,
    /// `NORMAL` or `EXCLUSIVE`.
    pub mode: Option<String>,
    /// Description of the built-in node.
    pub node_description: Option<String>,
    /// Whether security is enabled.
    pub use_security: Option<bool>,
    /// Whether CSRF crumbs are required.
    pub use_crumbs: Option<bool>,
    /// The default view.
    pub primary_view: Option<View>,
    /// All views.
    pub views: Option<Vec<View>>,
    /// Labels of the built-in node.
    pub assigned_labels: Option<Vec<Label>>,
}

/// A view (`hudson.model.AllView` and friends).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// `_class` of the view.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// View name (`all` on the root).
    pub name: Option<String>,
    /// Absolute URL.
    pub url: Option<String>,
}

/// A node label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    /// Label name.
    pub name: Option<String>,
}

/// A job or folder: `job/<path>/api/json`, or an element of `jobs`.
///
/// Folders have no `color`, `builds` or `lastBuild`; jobs have no `jobs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// `_class`, e.g. `hudson.model.FreeStyleProject`,
    /// `org.jenkinsci.plugins.workflow.job.WorkflowJob`,
    /// `com.cloudbees.hudson.plugins.folder.Folder`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Item name (one path segment, raw).
    pub name: Option<String>,
    /// Absolute URL.
    pub url: Option<String>,
    /// Ball color, e.g. `blue`, `red_anime`, `notbuilt`, `disabled`.
    pub color: Option<String>,
    /// Names joined by `/`.
    pub full_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Display names joined by ` » `.
    pub full_display_name: Option<String>,
    /// The custom display name, if one is set.
    pub display_name_or_null: Option<String>,
    /// Description (HTML as entered).
    pub description: Option<String>,
    /// Whether a build can be started.
    pub buildable: Option<bool>,
    /// Whether the job is in the queue.
    pub in_queue: Option<bool>,
    /// Whether the job is disabled.
    pub disabled: Option<bool>,
    /// Whether concurrent builds are allowed.
    pub concurrent_build: Option<bool>,
    /// Health reports (build stability, test results...).
    pub health_report: Option<Vec<HealthReport>>,
    /// Newest build. The eight named builds are behind `Arc`: inline, they made every
    /// `Item` of a listing about 4 KB however few fields were asked for, and a build
    /// object can share one instead of copying it.
    pub last_build: Option<Arc<Build>>,
    /// Newest completed build.
    pub last_completed_build: Option<Arc<Build>>,
    /// Newest failed build.
    pub last_failed_build: Option<Arc<Build>>,
    /// Newest stable build.
    pub last_stable_build: Option<Arc<Build>>,
    /// Newest successful (or unstable) build.
    pub last_successful_build: Option<Arc<Build>>,
    /// Newest unstable build.
    pub last_unstable_build: Option<Arc<Build>>,
    /// Newest unsuccessful build.
    pub last_unsuccessful_build: Option<Arc<Build>>,
    /// Oldest retained build.
    pub first_build: Option<Arc<Build>>,
    /// The newest 100 builds, newest first.
    pub builds: Option<Vec<Build>>,
    /// Every build (expensive: Jenkins loads them all).
    pub all_builds: Option<Vec<Build>>,
    /// Number the next build will get.
    pub next_build_number: Option<u32>,
    /// Children of a folder, multibranch project or organization. Shared, so that the
    /// GraphQL objects made from a cached listing point into it instead of deep-copying
    /// every child (an `Item` is kilobytes even when nearly empty).
    pub jobs: Option<Vec<Arc<Item>>>,
    /// Job properties; parameter definitions live here.
    #[serde(default, deserialize_with = "lenient_list")]
    pub property: Option<Vec<JobProperty>>,
    /// Actions attached to the job (rarely useful; heterogeneous).
    #[serde(default, deserialize_with = "lenient_list")]
    pub actions: Option<Vec<Action>>,
    /// The queue item of this job, if queued.
    pub queue_item: Option<Box<QueueItem>>,
    /// Label expression restricting where it runs.
    pub label_expression: Option<String>,
    /// Primary view of a folder.
    pub primary_view: Option<View>,
    /// Views of a folder.
    pub views: Option<Vec<View>>,
    /// On the controller root: whether it is quieting down.
    pub quieting_down: Option<bool>,
}

impl HasClass for Item {
    fn set_class(&mut self, class: Option<String>) {
        self.class = class;
    }
}

impl Item {
    /// Parameter definitions from the `ParametersDefinitionProperty`, if any.
    pub fn parameter_definitions(&self) -> impl Iterator<Item = &ParameterDefinition> {
        self.property
            .iter()
            .flatten()
            .filter_map(|p| p.parameter_definitions.as_ref())
            .flatten()
    }

    /// The builds of a page answer, whether Jenkins sent `builds` or `allBuilds`.
    pub fn page_builds(&self) -> &[Build] {
        self.builds
            .as_deref()
            .or(self.all_builds.as_deref())
            .unwrap_or(&[])
    }

    /// Whether `_class` says this is a Pipeline job.
    pub fn is_pipeline(&self) -> bool {
        self.class.as_deref() == Some(WORKFLOW_JOB_CLASS)
    }

    /// Whether `_class` says this holds items: a folder, a multibranch project or an
    /// organization folder.
    pub fn is_folder(&self) -> bool {
        self.class.as_deref().is_some_and(|c| {
            c.contains("MultiBranchProject")
                || c.contains("OrganizationFolder")
                || c.ends_with("Folder")
        })
    }
}

/// One health report of a job or folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// E.g. `Build stability: No recent builds failed.`
    pub description: Option<String>,
    /// E.g. `icon-health-80plus`.
    pub icon_class_name: Option<String>,
    /// E.g. `health-80plus.png`.
    pub icon_url: Option<String>,
    /// 0..=100.
    pub score: Option<i64>,
}

/// A job property; only parameter definitions are read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProperty {
    /// `_class`, e.g. `hudson.model.ParametersDefinitionProperty`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Parameter definitions of a parameterised job.
    pub parameter_definitions: Option<Vec<ParameterDefinition>>,
}

impl HasClass for JobProperty {
    fn set_class(&mut self, class: Option<String>) {
        self.class = class;
    }
}

/// A parameter definition of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterDefinition {
    /// `_class`, e.g. `hudson.model.ChoiceParameterDefinition`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Parameter name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Short type, e.g. `StringParameterDefinition`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Default value.
    pub default_parameter_value: Option<ParameterValue>,
    /// Choices of a choice parameter.
    pub choices: Option<Vec<String>>,
}

/// A parameter value of a build (or a definition's default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterValue {
    /// `_class`, e.g. `hudson.model.PasswordParameterValue` (mask its value!).
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Parameter name.
    pub name: Option<String>,
    /// The value: a string, boolean, number or object depending on the class.
    pub value: Option<serde_json::Value>,
}

/// A build (run): `job/<path>/<n>/api/json`, or a nested build reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    /// `_class`, e.g. `hudson.model.FreeStyleBuild`, `org.jenkinsci.plugins.workflow.job.WorkflowRun`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Build number.
    pub number: Option<u32>,
    /// Build id, normally the number as a string.
    pub id: Option<String>,
    /// Absolute URL.
    pub url: Option<String>,
    /// `#N` unless customised.
    pub display_name: Option<String>,
    /// `<job full display name> #N`.
    pub full_display_name: Option<String>,
    /// Build description.
    pub description: Option<String>,
    /// `SUCCESS`, `UNSTABLE`, `FAILURE`, `NOT_BUILT`, `ABORTED`; null while building.
    pub result: Option<String>,
    /// Whether the build has not finished.
    pub building: Option<bool>,
    /// Whether the build is running or in post-production.
    pub in_progress: Option<bool>,
    /// Start time, epoch milliseconds.
    pub timestamp: Option<i64>,
    /// Duration in milliseconds; 0 while building.
    pub duration: Option<i64>,
    /// Estimated duration in milliseconds; -1 when unknown.
    pub estimated_duration: Option<i64>,
    /// Id of the queue item the build came from.
    pub queue_id: Option<i64>,
    /// Whether the build is kept forever.
    pub keep_log: Option<bool>,
    /// Node it ran on (`""` for the built-in node). Freestyle only.
    pub built_on: Option<String>,
    /// Actions: causes, parameters, git data, test counts... (heterogeneous).
    #[serde(default, deserialize_with = "lenient_list")]
    pub actions: Option<Vec<Action>>,
    /// Changes of a freestyle build (one change set).
    pub change_set: Option<ChangeSet>,
    /// Changes of a pipeline run (one change set per checkout).
    pub change_sets: Option<Vec<ChangeSet>>,
    /// Users whose changes may have broken the build.
    pub culprits: Option<Vec<User>>,
    /// Archived artifacts.
    pub artifacts: Option<Vec<Artifact>>,
    /// Previous run (pipelines only).
    pub previous_build: Option<Box<Build>>,
    /// Next run (pipelines only).
    pub next_build: Option<Box<Build>>,
}

impl HasClass for Build {
    fn set_class(&mut self, class: Option<String>) {
        self.class = class;
    }
}

impl Build {
    /// Whether Jenkins said the build is finished (`building: false`).
    /// `None` when `building` was not in the response.
    pub fn is_finished(&self) -> Option<bool> {
        self.building.map(|b| !b)
    }

    /// All causes from every `CauseAction`.
    pub fn causes(&self) -> impl Iterator<Item = &Cause> {
        self.actions
            .iter()
            .flatten()
            .filter_map(|a| a.causes.as_ref())
            .flatten()
    }

    /// All parameter values from the `ParametersAction`.
    pub fn parameters(&self) -> impl Iterator<Item = &ParameterValue> {
        self.actions
            .iter()
            .flatten()
            .filter_map(|a| a.parameters.as_ref())
            .flatten()
    }

    /// Git `BuildData` actions (one per checked-out repository).
    pub fn git_build_data(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .flatten()
            .filter(|a| a.class.as_deref() == Some("hudson.plugins.git.util.BuildData"))
    }

    /// The test result action (fail/skip/total counts), if any.
    pub fn test_result_action(&self) -> Option<&Action> {
        self.actions
            .iter()
            .flatten()
            .find(|a| a.total_count.is_some() && a.url_name.is_some())
    }

    /// Change sets, whether Jenkins sent `changeSet` (freestyle) or `changeSets` (pipeline).
    pub fn all_change_sets(&self) -> impl Iterator<Item = &ChangeSet> {
        self.change_set
            .iter()
            .chain(self.change_sets.iter().flatten())
    }

    /// Whether `_class` says this is a Pipeline run.
    pub fn is_pipeline(&self) -> bool {
        self.class.as_deref() == Some(WORKFLOW_RUN_CLASS)
    }
}

/// One element of `actions`. Actions are heterogeneous, so this is the union
/// of the fields we read; every field is `None` for `{}` and unknown classes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// `_class`, e.g. `hudson.model.CauseAction`; absent for non-exported actions.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// `CauseAction`: why the build started.
    pub causes: Option<Vec<Cause>>,
    /// `ParametersAction`: the build's parameter values.
    pub parameters: Option<Vec<ParameterValue>>,
    /// `ParametersDefinitionProperty` exported as a job action.
    pub parameter_definitions: Option<Vec<ParameterDefinition>>,
    /// Test result action: failed tests.
    pub fail_count: Option<i64>,
    /// Test result action: skipped tests.
    pub skip_count: Option<i64>,
    /// Test result action: all tests.
    pub total_count: Option<i64>,
    /// Test result action: `testReport`.
    pub url_name: Option<String>,
    /// Git `BuildData`: the revision built.
    pub last_built_revision: Option<Revision>,
    /// Git `BuildData`: remote repository URLs.
    pub remote_urls: Option<Vec<String>>,
    /// Git `BuildData`: SCM name.
    pub scm_name: Option<String>,
}

impl HasClass for Action {
    fn set_class(&mut self, class: Option<String>) {
        self.class = class;
    }
}

/// A build cause.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// `_class`, e.g. `hudson.model.Cause$UserIdCause`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// E.g. `Started by user admin`.
    pub short_description: Option<String>,
    /// User id of a user cause.
    pub user_id: Option<String>,
    /// User name of a user cause.
    pub user_name: Option<String>,
    /// Upstream job of an upstream cause.
    pub upstream_project: Option<String>,
    /// Upstream build number.
    pub upstream_build: Option<u32>,
    /// Upstream job URL (relative).
    pub upstream_url: Option<String>,
    /// Remote address of a remote cause.
    pub addr: Option<String>,
    /// Note of a remote cause.
    pub note: Option<String>,
}

/// A git revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// Commit SHA-1.
    #[serde(rename = "SHA1")]
    pub sha1: Option<String>,
    /// Branches pointing at it.
    pub branch: Option<Vec<GitBranch>>,
}

/// A git branch of a revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GitBranch {
    /// Commit SHA-1.
    #[serde(rename = "SHA1")]
    pub sha1: Option<String>,
    /// E.g. `refs/remotes/origin/main`.
    pub name: Option<String>,
}

/// A change log set (`changeSet` or an element of `changeSets`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSet {
    /// `_class`, e.g. `hudson.plugins.git.GitChangeSetList`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// SCM kind, e.g. `git`; null for an empty set.
    pub kind: Option<String>,
    /// The commits.
    pub items: Option<Vec<ChangeSetItem>>,
}

/// One commit of a change set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSetItem {
    /// `_class`, e.g. `hudson.plugins.git.GitChangeSet`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Commit id.
    pub commit_id: Option<String>,
    /// Same as the commit id for git.
    pub id: Option<String>,
    /// First line of the message.
    pub msg: Option<String>,
    /// The full message.
    pub comment: Option<String>,
    /// Commit time, epoch milliseconds.
    pub timestamp: Option<i64>,
    /// Commit date as text.
    pub date: Option<String>,
    /// Author.
    pub author: Option<User>,
    /// Author e-mail.
    pub author_email: Option<String>,
    /// Paths touched.
    pub affected_paths: Option<Vec<String>>,
    /// Paths with their edit type.
    pub paths: Option<Vec<ChangePath>>,
}

/// A path touched by a commit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePath {
    /// `add`, `edit` or `delete`.
    pub edit_type: Option<String>,
    /// The file path.
    pub file: Option<String>,
}

/// A Jenkins user reference (author, culprit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Absolute URL of the user page.
    pub absolute_url: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
    /// User id.
    pub id: Option<String>,
}

/// An archived artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Display path; null when a build has more than 20 artifacts.
    pub display_path: Option<String>,
    /// File name.
    pub file_name: Option<String>,
    /// Path relative to the build's `artifact/` URL.
    pub relative_path: Option<String>,
}

/// `/queue/api/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    /// `_class`, `hudson.model.Queue`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Items the caller can read; those most likely built sooner are at the end.
    pub items: Option<Vec<QueueItem>>,
    /// Items the caller can only discover (`task.name` only).
    pub discoverable_items: Option<Vec<QueueItem>>,
}

/// A queue item (`/queue/item/<id>/api/json` or an element of the queue),
/// including a left item whose build has started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueItem {
    /// `_class`, e.g. `hudson.model.Queue$BlockedItem`, `hudson.model.Queue$LeftItem`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Queue item id.
    pub id: Option<i64>,
    /// Relative URL, `queue/item/<id>/`.
    pub url: Option<String>,
    /// Why it is waiting.
    pub why: Option<String>,
    /// Whether it is blocked.
    pub blocked: Option<bool>,
    /// Whether it is buildable (waiting for an executor).
    pub buildable: Option<bool>,
    /// Whether it is stuck.
    pub stuck: Option<bool>,
    /// When it entered the queue, epoch milliseconds.
    pub in_queue_since: Option<i64>,
    /// Parameters as text: `\nNAME=value` per parameter.
    pub params: Option<String>,
    /// The job.
    pub task: Option<Box<Item>>,
    /// Actions (causes).
    #[serde(default, deserialize_with = "lenient_list")]
    pub actions: Option<Vec<Action>>,
    /// When it became buildable, epoch milliseconds.
    pub buildable_start_milliseconds: Option<i64>,
    /// Whether it is pending (buildable items).
    pub pending: Option<bool>,
    /// End of the quiet period (waiting items), epoch milliseconds.
    pub timestamp: Option<i64>,
    /// Left items: whether it was cancelled.
    pub cancelled: Option<bool>,
    /// Left items: the build it became.
    pub executable: Option<Build>,
}

impl QueueItem {
    /// All causes from the item's `CauseAction`s.
    pub fn causes(&self) -> impl Iterator<Item = &Cause> {
        self.actions
            .iter()
            .flatten()
            .filter_map(|a| a.causes.as_ref())
            .flatten()
    }
}

/// `/computer/api/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputerSet {
    /// `_class`, `hudson.model.ComputerSet`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Busy executors on online computers.
    pub busy_executors: Option<i64>,
    /// Executors on online computers.
    pub total_executors: Option<i64>,
    /// `Nodes`.
    pub display_name: Option<String>,
    /// The computers, sorted by name.
    pub computer: Option<Vec<Computer>>,
}

/// A computer (the built-in node or an agent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Computer {
    /// `_class`, e.g. `hudson.model.Hudson$MasterComputer`, `hudson.slaves.SlaveComputer`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Display name (`Built-In Node` for the controller).
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Whether it is offline.
    pub offline: Option<bool>,
    /// Whether it was marked offline by a user.
    pub temporarily_offline: Option<bool>,
    /// Why it is offline; `""` when online.
    pub offline_cause_reason: Option<String>,
    /// The offline cause object.
    pub offline_cause: Option<OfflineCause>,
    /// Whether all executors are idle.
    pub idle: Option<bool>,
    /// Number of executors.
    pub num_executors: Option<i64>,
    /// Whether it is an inbound (JNLP) agent.
    pub jnlp_agent: Option<bool>,
    /// Labels.
    pub assigned_labels: Option<Vec<Label>>,
    /// Executors (`{}` at depth 0).
    pub executors: Option<Vec<Executor>>,
    /// Flyweight executors (pipeline runs).
    pub one_off_executors: Option<Vec<Executor>>,
    /// Icon class.
    pub icon_class_name: Option<String>,
    /// Node monitor data keyed by monitor class (shapes vary by monitor).
    pub monitor_data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Why a computer is offline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineCause {
    /// `_class` of the cause.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// When, epoch milliseconds.
    pub timestamp: Option<i64>,
}

/// An executor of a computer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Executor {
    /// Executor number (-1 for one-off executors).
    pub number: Option<i64>,
    /// Whether it is idle.
    pub idle: Option<bool>,
    /// Whether the current build looks stuck.
    pub likely_stuck: Option<bool>,
    /// Progress percentage, -1 when unknown.
    pub progress: Option<i64>,
    /// What it is running.
    pub current_executable: Option<Build>,
}

/// `/whoAmI/api/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// `_class`, `hudson.security.WhoAmI`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// User name (`anonymous` when not logged in).
    pub name: Option<String>,
    /// Whether the caller is anonymous.
    pub anonymous: Option<bool>,
    /// Whether the caller is authenticated.
    pub authenticated: Option<bool>,
    /// Granted authorities (groups).
    pub authorities: Option<Vec<String>>,
}

/// `/crumbIssuer/api/json`. `Debug` hides the crumb.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrumbIssuer {
    /// `_class`, `hudson.security.csrf.DefaultCrumbIssuer`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// The crumb (a CSRF token: treat as a secret).
    pub crumb: Option<String>,
    /// Header name to send it in, normally `Jenkins-Crumb`.
    pub crumb_request_field: Option<String>,
}

impl std::fmt::Debug for CrumbIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrumbIssuer")
            .field("class", &self.class)
            .field("crumb", &self.crumb.as_ref().map(|_| "[REDACTED]"))
            .field("crumb_request_field", &self.crumb_request_field)
            .finish()
    }
}

/// `job/<path>/<n>/testReport/api/json` (junit `TestResult`). Durations are
/// float seconds and may use exponents (`1.0E-4`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    /// `_class`, `hudson.tasks.junit.TestResult`.
    #[serde(rename = "_class")]
    pub class: Option<String>,
    /// Total duration in seconds.
    pub duration: Option<f64>,
    /// Whether there were no tests.
    pub empty: Option<bool>,
    /// Failed tests.
    pub fail_count: Option<i64>,
    /// Passed tests.
    pub pass_count: Option<i64>,
    /// Skipped tests.
    pub skip_count: Option<i64>,
    /// Suites.
    pub suites: Option<Vec<TestSuite>>,
}

/// A junit suite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestSuite {
    /// Suite name.
    pub name: Option<String>,
    /// Suite id.
    pub id: Option<String>,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Timestamp as text.
    pub timestamp: Option<String>,
    /// Pipeline stage/branch names enclosing the junit step.
    pub enclosing_block_names: Option<Vec<String>>,
    /// Flow node id of the junit step.
    pub node_id: Option<String>,
    /// Captured stdout.
    pub stdout: Option<String>,
    /// Captured stderr.
    pub stderr: Option<String>,
    /// Test cases.
    pub cases: Option<Vec<TestCase>>,
}

/// A junit test case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    /// Class name.
    pub class_name: Option<String>,
    /// Test name.
    pub name: Option<String>,
    /// `PASSED`, `FAILED`, `SKIPPED` (older: `FIXED`, `REGRESSION`).
    pub status: Option<String>,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Number of builds it has been failing.
    pub age: Option<i64>,
    /// Build number since which it fails.
    pub failed_since: Option<i64>,
    /// Failure message.
    pub error_details: Option<String>,
    /// Failure stack trace.
    pub error_stack_trace: Option<String>,
    /// Whether it was skipped.
    pub skipped: Option<bool>,
    /// Why it was skipped.
    pub skipped_message: Option<String>,
    /// Captured stdout.
    pub stdout: Option<String>,
    /// Captured stderr.
    pub stderr: Option<String>,
}
