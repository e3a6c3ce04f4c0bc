//! The Pipeline REST API (`wfapi`): runs, stages and flow nodes, their logs, change
//! sets, artifacts and pending inputs, as the plugin's Jackson serialises them.

use serde::{Deserialize, Serialize};

/// A `{"href": ...}` link of the Pipeline REST API (context-path relative).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkExt {
    /// The link target, e.g. `/job/x/1/wfapi/describe`.
    pub href: Option<String>,
}

/// `_links` of a wfapi object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinksExt {
    /// The object itself.
    #[serde(rename = "self")]
    pub self_: Option<LinkExt>,
    /// Job: its runs.
    pub runs: Option<LinkExt>,
    /// Atom node: its log.
    pub log: Option<LinkExt>,
    /// Atom node: its console page.
    pub console: Option<LinkExt>,
    /// Run: its change sets (only when non-empty).
    pub changesets: Option<LinkExt>,
    /// Run: its pending input actions.
    pub pending_input_actions: Option<LinkExt>,
    /// Run: the next pending input action.
    pub next_pending_input_action: Option<LinkExt>,
    /// Run: its artifacts.
    pub artifacts: Option<LinkExt>,
}

/// `job/<path>/wfapi/describe` (`JobExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobExt {
    /// Links.
    #[serde(rename = "_links")]
    pub links: Option<LinksExt>,
    /// Job name.
    pub name: Option<String>,
    /// Number of runs, capped at 10.
    pub run_count: Option<i64>,
}

/// `job/<path>/<n>/wfapi/describe` and elements of `wfapi/runs` (`RunExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunExt {
    /// Links.
    #[serde(rename = "_links")]
    pub links: Option<LinksExt>,
    /// Run id, e.g. `"12"`.
    pub id: Option<String>,
    /// Display name, e.g. `#12`.
    pub name: Option<String>,
    /// `SUCCESS`, `FAILED`, `UNSTABLE`, `ABORTED`, `NOT_EXECUTED`,
    /// `IN_PROGRESS`, `PAUSED_PENDING_INPUT`.
    pub status: Option<String>,
    /// Start, epoch milliseconds.
    pub start_time_millis: Option<i64>,
    /// End, epoch milliseconds (now, while running).
    pub end_time_millis: Option<i64>,
    /// Duration in milliseconds.
    pub duration_millis: Option<i64>,
    /// Time spent queued, milliseconds.
    pub queue_duration_millis: Option<i64>,
    /// Always 0 at run level.
    pub pause_duration_millis: Option<i64>,
    /// Stages in start order; parallel branches' stages appear flat.
    pub stages: Option<Vec<StageNodeExt>>,
}

impl RunExt {
    /// Whether the run is still going (running or waiting for input).
    pub fn is_running(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("IN_PROGRESS") | Some("PAUSED_PENDING_INPUT")
        ) || self.status.is_none()
    }
}

/// A stage, or an atom flow node inside `stageFlowNodes`
/// (`StageNodeExt`, `AtomFlowNodeExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageNodeExt {
    /// Links (`log` and `console` on atom nodes with a log).
    #[serde(rename = "_links")]
    pub links: Option<LinksExt>,
    /// Flow node id.
    pub id: Option<String>,
    /// Stage name, or step display name for atom nodes.
    pub name: Option<String>,
    /// Always `""` in practice.
    pub exec_node: Option<String>,
    /// Status, as for runs.
    pub status: Option<String>,
    /// Error of a failed node.
    pub error: Option<ErrorExt>,
    /// Step argument summary (atom nodes), e.g. the shell script.
    pub parameter_description: Option<String>,
    /// Start, epoch milliseconds.
    pub start_time_millis: Option<i64>,
    /// Duration in milliseconds.
    pub duration_millis: Option<i64>,
    /// Time paused (e.g. waiting for input), milliseconds.
    pub pause_duration_millis: Option<i64>,
    /// Atom nodes of a stage (node describe or `fullStages=true`), at most 100.
    pub stage_flow_nodes: Option<Vec<StageNodeExt>>,
    /// Parent node ids of an atom node.
    pub parent_nodes: Option<Vec<String>>,
}

/// The error of a failed flow node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorExt {
    /// Message, e.g. `script returned exit code 3`.
    pub message: Option<String>,
    /// Exception class, e.g. `hudson.AbortException`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `.../execution/node/<id>/wfapi/log` (`FlowNodeLogExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeLogExt {
    /// Flow node id.
    pub node_id: Option<String>,
    /// `SUCCESS` unless the node has an error (even while running).
    pub node_status: Option<String>,
    /// Bytes in `text`.
    pub length: Option<i64>,
    /// Whether the log is longer than what is returned (last 10 KiB).
    pub has_more: Option<bool>,
    /// The log tail as annotated HTML; may start mid-line.
    pub text: Option<String>,
    /// URL of the full step log.
    pub console_url: Option<String>,
}

/// An element of `.../<n>/wfapi/changesets` (`ChangeSetExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSetExt {
    /// SCM kind, e.g. `git`.
    pub kind: Option<String>,
    /// Number of commits.
    pub commit_count: Option<i64>,
    /// The commits.
    pub commits: Option<Vec<CommitExt>>,
    /// URL of the changes page.
    pub console_url: Option<String>,
}

/// One commit of a wfapi change set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitExt {
    /// Commit id.
    pub commit_id: Option<String>,
    /// Link to the commit in the SCM browser, when configured.
    pub commit_url: Option<String>,
    /// Jenkins user id of the author (`""` unless resolution is enabled).
    pub author_jenkins_id: Option<String>,
    /// Commit message.
    pub message: Option<String>,
    /// Commit time, epoch milliseconds.
    pub timestamp: Option<i64>,
    /// URL of the commit on the changes page.
    pub console_url: Option<String>,
}

/// An element of `.../<n>/wfapi/artifacts` (`BuildArtifactExt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactExt {
    /// Artifact id.
    pub id: Option<String>,
    /// File name.
    pub name: Option<String>,
    /// Relative path.
    pub path: Option<String>,
    /// Download URL.
    pub url: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
}

/// An element of `.../<n>/wfapi/pendingInputActions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingInputActionExt {
    /// Input id (e.g. the stage name).
    pub id: Option<String>,
    /// Text of the proceed button.
    pub proceed_text: Option<String>,
    /// The question.
    pub message: Option<String>,
    /// Input parameters.
    pub inputs: Option<Vec<InputParameterExt>>,
    /// POST here to proceed.
    pub proceed_url: Option<String>,
    /// POST here to abort.
    pub abort_url: Option<String>,
    /// The input page.
    pub redirect_approval_url: Option<String>,
}

/// A parameter of a pending input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputParameterExt {
    /// Parameter type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Parameter name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Default value and choices (shape varies by type).
    pub definition: Option<serde_json::Value>,
}
