//! The GraphQL object types as data: what each object holds (its connection, its key and
//! the Jenkins data it was made from) and the interfaces over them. Their resolvers live
//! in one file per type; since they return each other's types, the types themselves live
//! here, below every resolver file, so that resolver files never import each other.

use std::sync::Arc;

use async_graphql::{Interface, SimpleObject, ID};

use super::layout::RunLayout;
use super::values::PageInfo;
use crate::gateway::Upstream;
use crate::jenkins::wire;
use crate::loaders::BuildRef;

/// A Jenkins controller Majordomo is configured to talk to.
#[derive(Clone)]
pub(crate) struct ConnectionObj {
    pub(crate) up: Arc<Upstream>,
}

/// A folder, multibranch project or organization folder (or the root).
#[derive(Clone)]
pub(crate) struct FolderObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) full_name: String,
    pub(crate) data: Arc<wire::Item>,
}

/// A Jenkins job: freestyle, pipeline, matrix, or a multibranch branch.
#[derive(Clone)]
pub(crate) struct JobObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) full_name: String,
    pub(crate) data: Arc<wire::Item>,
}

/// A build (run) of a job.
#[derive(Clone)]
pub(crate) struct BuildObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) job: String,
    pub(crate) data: Arc<wire::Build>,
}

/// A stage of a pipeline run: one entry of its run's layout.
#[derive(Clone)]
pub(crate) struct StageObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) build: BuildRef,
    pub(crate) run: Arc<RunLayout>,
    pub(crate) index: usize,
}

impl StageObj {
    /// The stage's data as Jenkins sent it.
    pub(crate) fn data(&self) -> &wire::StageNodeExt {
        &self.run.stages()[self.index]
    }

    /// Another stage of the same run.
    pub(crate) fn sibling(&self, index: usize) -> StageObj {
        StageObj {
            up: self.up.clone(),
            build: self.build.clone(),
            run: Arc::clone(&self.run),
            index,
        }
    }
}

/// An item in a build queue.
#[derive(Clone)]
pub(crate) struct QueueItemObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) data: Arc<wire::QueueItem>,
    /// The job's full name when the caller knows it (a job's own queue item).
    pub(crate) job: Option<String>,
}

/// A node that runs builds: the built-in node or an agent.
#[derive(Clone)]
pub(crate) struct AgentObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) data: Arc<wire::Computer>,
}

impl ConnectionObj {
    /// Wrap a configured connection.
    pub(crate) fn new(up: Arc<Upstream>) -> Self {
        ConnectionObj { up }
    }
}

impl JobObj {
    /// The job's build `data`.
    pub(crate) fn build_obj(&self, data: &Arc<wire::Build>) -> BuildObj {
        BuildObj {
            up: self.up.clone(),
            job: self.full_name.clone(),
            data: Arc::clone(data),
        }
    }
}

impl BuildObj {
    /// The build number (0 when Jenkins did not send one, which it always does).
    pub(crate) fn num(&self) -> u32 {
        self.data.number.unwrap_or(0)
    }

    /// Where this build lives, for fetching more of it.
    pub(crate) fn at(&self) -> BuildRef {
        BuildRef {
            conn: self.up.name.clone(),
            job: self.job.clone(),
            number: self.num(),
        }
    }

    /// Whether the build has finished.
    pub(crate) fn finished(&self) -> bool {
        self.data.building == Some(false)
            || (self.data.building.is_none() && self.data.result.is_some())
    }
}

impl AgentObj {
    /// Offline (disconnected or marked offline).
    pub(crate) fn is_offline(&self) -> bool {
        self.data.offline.unwrap_or(false)
    }
}

impl QueueItemObj {
    /// Buildable but nothing can run it.
    pub(crate) fn is_stuck(&self) -> bool {
        self.data.stuck == Some(true)
    }
}

/// A folder, a job: anything in the item tree.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    name = "Item",
    field(name = "id", ty = "ID", desc = "Global ID."),
    field(name = "name", ty = "String", desc = "Item name (one path segment)."),
    field(
        name = "full_name",
        ty = "String",
        desc = "Names from the root, joined by `/`."
    ),
    field(name = "display_name", ty = "String", desc = "Display name."),
    field(name = "url", ty = "Option<String>", desc = "Absolute URL in Jenkins."),
    field(
        name = "connection",
        ty = "ConnectionObj",
        desc = "The controller it lives on."
    )
)]
pub(crate) enum ItemObj {
    /// A folder.
    Folder(FolderObj),
    /// A job.
    Job(JobObj),
}

/// Any object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global ID, accepted by `node(id)`."))]
pub(crate) enum Node {
    /// A connection.
    Connection(ConnectionObj),
    /// A folder.
    Folder(FolderObj),
    /// A job.
    Job(JobObj),
    /// A build.
    Build(BuildObj),
    /// A stage.
    Stage(StageObj),
    /// A queue item.
    QueueItem(QueueItemObj),
    /// An agent.
    Agent(AgentObj),
}

/// A page of builds, newest first.
#[derive(SimpleObject, Clone)]
pub(crate) struct BuildPage {
    /// The builds.
    pub(crate) nodes: Vec<BuildObj>,
    /// Where to go on.
    pub(crate) page_info: PageInfo,
}

/// A page of jobs across controllers.
#[derive(SimpleObject)]
pub(crate) struct JobPage {
    /// The jobs, ordered by connection (configuration order) then full name.
    pub(crate) nodes: Vec<JobObj>,
    /// Where to go on.
    pub(crate) page_info: PageInfo,
    /// How many jobs matched in all (over every page).
    pub(crate) total_count: i32,
}

/// A deployment: a build of a deploy job (by the `[[deployments]]` rules), to one
/// environment.
#[derive(Clone)]
pub(crate) struct DeploymentObj {
    /// The build.
    pub(crate) build: BuildObj,
    /// Where it deployed; `None` when no rule could tell.
    pub(crate) environment: Option<String>,
    /// The stage whose name gave the environment, when a stage did.
    pub(crate) stage: Option<String>,
    /// How the deployment ended (a stage's status when a stage placed it), in Jenkins'
    /// spelling; `None` while it runs.
    pub(crate) result: Option<String>,
    /// When it ended, ms; `None` while it runs.
    pub(crate) end: Option<i64>,
}

/// Where a commit went: the builds that built it and the deployments that carried it.
pub(crate) struct CommitObj {
    /// The full SHA when a build names it, else the prefix asked for.
    pub(crate) sha: String,
    /// What a change set says of the commit.
    pub(crate) change: Option<wire::ChangeSetItem>,
    /// Builds tied to it, newest first, with how.
    pub(crate) builds: Vec<(BuildObj, super::values::CommitLink)>,
    /// Deployments that carried it, newest first.
    pub(crate) deployments: Vec<DeploymentObj>,
    /// Builds looked at.
    pub(crate) scanned: usize,
}

/// Where a failing job went bad.
pub(crate) struct RegressionObj {
    /// The job.
    pub(crate) job: JobObj,
    /// The newest build that succeeded before the failures.
    pub(crate) good: Option<BuildObj>,
    /// The oldest failing build after it.
    pub(crate) first_bad: BuildObj,
    /// Failing builds since the good one.
    pub(crate) failing: usize,
    /// The commits built since the good build, oldest first.
    pub(crate) commits: Vec<super::values::Change>,
    /// The failing builds' culprits.
    pub(crate) culprits: Vec<super::values::UserRef>,
}

/// A build waiting at an `input` step.
pub(crate) struct ApprovalObj {
    /// Where the build is.
    pub(crate) at: BuildRef,
    /// The connection.
    pub(crate) up: Arc<Upstream>,
    /// The question.
    pub(crate) input: super::values::PendingInput,
    /// The stage paused at the input.
    pub(crate) stage: Option<StageObj>,
    /// When the wait began, ms.
    pub(crate) since: Option<i64>,
}

/// Why a build failed, in one object.
pub(crate) struct FailureObj {
    /// The stage that failed (pipelines).
    pub(crate) stage: Option<StageObj>,
    /// The failing step's name and what it ran.
    pub(crate) step: Option<(String, Option<String>)>,
    /// The error Jenkins recorded: message and type.
    pub(crate) error: Option<(Option<String>, Option<String>)>,
    /// Lines of the log around the last error lines.
    pub(crate) excerpt: String,
    /// Where the excerpt comes from.
    pub(crate) excerpt_source: super::values::ExcerptSource,
}
