//! Connections, folders and jobs, and the `Item` interface they share.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, Interface, Object, SimpleObject, ID};

use super::build::{self, BuildObj, BuildPage, BuildResultEnum, Trend};
use super::fleet::{self, AgentObj, ConnectionHealth, JobFilter, JobPage, QueueItemObj};
use super::ids::GlobalId;
use super::{loaders, report, upstream_error};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::Fetch;
use crate::planner::{item_fields, TreeSpec, LISTING_DEPTH};

/// Whether a connection answers, and if not, why.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConnectionStatus {
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
    /// TLS handshake failed.
    TlsError,
    /// Any other failure (invalid response, unexpected status).
    Error,
}

/// Map an upstream error to a connection status: an open circuit reports the failure
/// that opened it.
pub fn status_of(e: &JenkinsError) -> ConnectionStatus {
    match e.cause_code() {
        "UNAUTHORIZED" => ConnectionStatus::Unauthorized,
        "FORBIDDEN" => ConnectionStatus::Forbidden,
        "UNREACHABLE" => ConnectionStatus::Unreachable,
        "TIMEOUT" => ConnectionStatus::Timeout,
        "UNAVAILABLE" => ConnectionStatus::Unavailable,
        "TLS_ERROR" => ConnectionStatus::TlsError,
        _ => ConnectionStatus::Error,
    }
}

/// What went wrong talking to a controller.
#[derive(SimpleObject, Clone, Debug)]
pub struct UpstreamProblem {
    /// Stable error code, e.g. `UNAUTHORIZED`, `TIMEOUT`.
    pub code: String,
    /// Human-readable message (never contains credentials).
    pub message: String,
    /// What to check.
    pub hint: String,
    /// HTTP status, when Jenkins answered.
    pub http_status: Option<i32>,
}

impl From<&JenkinsError> for UpstreamProblem {
    fn from(e: &JenkinsError) -> Self {
        UpstreamProblem {
            code: e.code().to_string(),
            message: e.to_string(),
            hint: e.hint().to_string(),
            http_status: e.status().map(i32::from),
        }
    }
}

/// A Jenkins controller Majordomo is configured to talk to.
#[derive(Clone)]
pub struct ConnectionObj {
    pub(crate) up: Arc<Upstream>,
}

impl ConnectionObj {
    /// Wrap a configured connection.
    pub fn new(up: Arc<Upstream>) -> Self {
        ConnectionObj { up }
    }

    async fn probe(&self, ctx: &Context<'_>) -> Result<crate::loaders::Probe, JenkinsError> {
        loaders(ctx)
            .probe(Fetch::Probe {
                conn: self.up.name.clone(),
            })
            .await
    }
}

/// The tree for an item whose GraphQL selection is the current field.
fn tree_for_current(ctx: &Context<'_>) -> String {
    let sel: Vec<_> = ctx.field().selection_set().collect();
    let mut t = TreeSpec::new();
    item_fields(&sel, &mut t, LISTING_DEPTH);
    t.leaf("fullName");
    t.render()
}

/// A Jenkins controller Majordomo is configured to talk to.
#[Object(name = "Connection")]
impl ConnectionObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Connection(self.up.name.to_string()).encode()
    }

    /// Connection name from the configuration.
    pub async fn name(&self) -> &str {
        &self.up.name
    }

    /// Base URL of the controller.
    pub async fn url(&self) -> &str {
        &self.up.url
    }

    /// Whether the controller answers with these credentials.
    async fn status(&self, ctx: &Context<'_>) -> ConnectionStatus {
        match self.probe(ctx).await {
            Ok(_) => ConnectionStatus::Online,
            Err(e) => status_of(&e),
        }
    }

    /// Jenkins version (`X-Jenkins`), when reachable.
    async fn version(&self, ctx: &Context<'_>) -> Option<String> {
        self.probe(ctx).await.ok().and_then(|p| p.version)
    }

    /// Round trip of the last upstream request to this controller, in ms.
    async fn latency_ms(&self, ctx: &Context<'_>) -> Option<f64> {
        self.probe(ctx).await.ok().and_then(|p| p.latency_ms)
    }

    /// Whether the controller is preparing to shut down (new builds stay queued).
    async fn quieting_down(&self, ctx: &Context<'_>) -> Option<bool> {
        self.probe(ctx).await.ok().map(|p| p.quieting_down)
    }

    /// Why the controller is not ONLINE, with a hint; null when it is.
    async fn error(&self, ctx: &Context<'_>) -> Option<UpstreamProblem> {
        self.probe(ctx)
            .await
            .err()
            .map(|e| UpstreamProblem::from(&e))
    }

    /// The root folder: the controller's top-level items.
    async fn root(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FolderObj>> {
        async {
            let tree = tree_for_current(ctx);
            let data = loaders(ctx)
                .item(Fetch::Item {
                    conn: self.up.name.clone(),
                    full_name: String::new(),
                    tree,
                })
                .await
                .map_err(|e| upstream_error(&e))?;
            Ok(FolderObj {
                up: self.up.clone(),
                full_name: String::new(),
                data,
            })
        }
        .await
        .map(Some)
    }

    /// A folder by full name (`team-a/services`); null if there is none.
    async fn folder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Full name of the folder.")] path: String,
    ) -> async_graphql::Result<Option<FolderObj>> {
        load_folder(ctx, self.up.clone(), &path).await
    }

    /// A job by full name (`team-a/services/api-build`); null if there is none.
    async fn job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Full name of the job.")] full_name: String,
    ) -> async_graphql::Result<Option<JobObj>> {
        load_job(ctx, self.up.clone(), &full_name).await
    }

    /// Jobs of this controller, recursively through folders, filtered and paginated.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to return.")] filter: Option<JobFilter>,
        #[graphql(default = 50, desc = "Page size (at most 1000).")] first: i32,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<JobPage>> {
        async {
            fleet::search_jobs(
                ctx,
                vec![self.up.clone()],
                filter.unwrap_or_default(),
                first,
                after,
            )
            .await
        }
        .await
        .map(Some)
    }

    /// Items waiting in this controller's build queue.
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        async {
            fleet::queue_one(ctx, &self.up)
                .await
                .map_err(|e| upstream_error(&e))
        }
        .await
        .map(Some)
    }

    /// This controller's agents, the built-in node included.
    async fn agents(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        async {
            fleet::agents_one(ctx, &self.up)
                .await
                .map_err(|e| upstream_error(&e))
        }
        .await
        .map(Some)
    }

    /// Health summary of this controller.
    async fn health(&self, ctx: &Context<'_>) -> ConnectionHealth {
        ConnectionHealth::for_field(self.up.clone(), &ctx.field())
    }
}

/// Kinds of folder.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// A plain folder.
    Folder,
    /// A multibranch project; its jobs are branches and pull requests.
    Multibranch,
    /// An organization folder; its children are multibranch projects.
    Organization,
}

/// Kinds of job.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Freestyle project.
    Freestyle,
    /// Pipeline job (including multibranch branches).
    Pipeline,
    /// Matrix (multi-configuration) project.
    Matrix,
    /// Any other job type.
    Other,
}

/// The folder kind of a `_class`, if it is a folder.
pub fn folder_kind(class: Option<&str>) -> Option<FolderKind> {
    let c = class?;
    if c.contains("MultiBranchProject") {
        Some(FolderKind::Multibranch)
    } else if c.contains("OrganizationFolder") {
        Some(FolderKind::Organization)
    } else if c.ends_with(".Folder") || c.ends_with("Folder") {
        Some(FolderKind::Folder)
    } else {
        None
    }
}

fn job_kind(class: Option<&str>) -> JobKind {
    match class.unwrap_or("") {
        "hudson.model.FreeStyleProject" => JobKind::Freestyle,
        wire::WORKFLOW_JOB_CLASS => JobKind::Pipeline,
        c if c.contains("Matrix") => JobKind::Matrix,
        _ => JobKind::Other,
    }
}

/// A job's status, from its ball color.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
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

/// Status from a Jenkins color (`blue`, `red_anime`, …).
pub fn job_status(color: Option<&str>) -> JobStatus {
    match color.unwrap_or("").trim_end_matches("_anime") {
        "blue" => JobStatus::Success,
        "yellow" => JobStatus::Unstable,
        "red" => JobStatus::Failure,
        "aborted" => JobStatus::Aborted,
        "notbuilt" | "grey" => JobStatus::NotBuilt,
        "disabled" => JobStatus::Disabled,
        _ => JobStatus::Unknown,
    }
}

/// A child's full name: as Jenkins sent it, or its parent's joined with its name.
pub(crate) fn child_full_name(parent: &str, child: &wire::Item) -> String {
    if let Some(f) = &child.full_name {
        return f.clone();
    }
    let name = child.name.clone().unwrap_or_default();
    if parent.is_empty() {
        name
    } else {
        format!("{parent}/{name}")
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
pub enum ItemObj {
    /// A folder.
    Folder(FolderObj),
    /// A job.
    Job(JobObj),
}

impl ItemObj {
    /// Wrap wire data as a folder or a job.
    pub fn from_wire(up: Arc<Upstream>, parent: &str, data: &Arc<wire::Item>) -> ItemObj {
        let full_name = child_full_name(parent, data);
        let data = Arc::clone(data);
        if folder_kind(data.class.as_deref()).is_some() {
            ItemObj::Folder(FolderObj {
                up,
                full_name,
                data,
            })
        } else {
            ItemObj::Job(JobObj {
                up,
                full_name,
                data,
            })
        }
    }
}

/// Load a folder with the fields the current selection wants.
pub async fn load_folder(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    path: &str,
) -> async_graphql::Result<Option<FolderObj>> {
    let path = path.trim_matches('/').to_string();
    let tree = tree_for_current(ctx);
    match loaders(ctx)
        .item(Fetch::Item {
            conn: up.name.clone(),
            full_name: path.clone(),
            tree,
        })
        .await
    {
        Ok(data) => Ok(Some(FolderObj {
            up,
            full_name: path,
            data,
        })),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(upstream_error(&e)),
    }
}

/// Load a job with the fields the current selection wants.
pub async fn load_job(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    full_name: &str,
) -> async_graphql::Result<Option<JobObj>> {
    let full_name = full_name.trim_matches('/').to_string();
    if full_name.is_empty() {
        return Err(GatewayError::BadArgument("a job's full name cannot be empty".into()).extend());
    }
    let tree = tree_for_current(ctx);
    match loaders(ctx)
        .item(Fetch::Item {
            conn: up.name.clone(),
            full_name: full_name.clone(),
            tree,
        })
        .await
    {
        Ok(data) if folder_kind(data.class.as_deref()).is_some() => Ok(None),
        Ok(data) => Ok(Some(JobObj {
            up,
            full_name,
            data,
        })),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(upstream_error(&e)),
    }
}

async fn load_parent(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    full_name: &str,
) -> async_graphql::Result<Option<FolderObj>> {
    match full_name.rsplit_once('/') {
        Some((parent, _)) => load_folder(ctx, up.clone(), parent).await,
        None => {
            let tree = tree_for_current(ctx);
            let data = loaders(ctx)
                .item(Fetch::Item {
                    conn: up.name.clone(),
                    full_name: String::new(),
                    tree,
                })
                .await
                .map_err(|e| upstream_error(&e))?;
            Ok(Some(FolderObj {
                up: up.clone(),
                full_name: String::new(),
                data,
            }))
        }
    }
}

/// A folder, multibranch project or organization folder (or the root).
#[derive(Clone)]
pub struct FolderObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) full_name: String,
    pub(crate) data: Arc<wire::Item>,
}

impl FolderObj {
    /// Children, from the data this folder was fetched with, or fetched now for the
    /// current selection when this folder came without them.
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ItemObj>> {
        let data = if self.data.jobs.is_some() {
            self.data.clone()
        } else {
            let mut t = TreeSpec::new();
            item_fields(&[ctx.field()], &mut t, LISTING_DEPTH);
            loaders(ctx)
                .item(Fetch::Item {
                    conn: self.up.name.clone(),
                    full_name: self.full_name.clone(),
                    tree: t.render(),
                })
                .await
                .map_err(|e| upstream_error(&e))?
        };
        Ok(data
            .jobs
            .iter()
            .flatten()
            .map(|j| ItemObj::from_wire(self.up.clone(), &self.full_name, j))
            .collect())
    }
}

/// Health report of a job or folder.
#[derive(SimpleObject, Clone, Debug)]
pub struct Health {
    /// Score 0–100 (the lowest of the reports).
    pub score: i32,
    /// E.g. `Build stability: 1 out of the last 4 builds failed.`
    pub description: String,
}

fn health_of(data: &wire::Item) -> Option<Health> {
    data.health_report
        .iter()
        .flatten()
        .filter_map(|h| Some((h.score?, h.description.clone().unwrap_or_default())))
        .min_by_key(|(s, _)| *s)
        .map(|(score, description)| Health {
            score: score as i32,
            description,
        })
}

/// A folder, multibranch project or organization folder (or the controller root).
#[Object(name = "Folder")]
impl FolderObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Folder(self.up.name.to_string(), self.full_name.clone()).encode()
    }

    /// Item name (empty for the root).
    pub async fn name(&self) -> String {
        self.data.name.clone().unwrap_or_default()
    }

    /// Names from the root joined by `/` (empty for the root).
    pub async fn full_name(&self) -> String {
        self.full_name.clone()
    }

    /// Display name.
    pub async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .or_else(|| self.data.name.clone())
            .unwrap_or_default()
    }

    /// Absolute URL in Jenkins.
    pub async fn url(&self) -> Option<String> {
        self.data.url.clone()
    }

    /// Description as entered in Jenkins (may contain HTML).
    async fn description(&self) -> Option<&str> {
        self.data.description.as_deref()
    }

    /// Kind of folder; null for the controller root.
    async fn kind(&self) -> Option<FolderKind> {
        if self.full_name.is_empty() {
            None
        } else {
            folder_kind(self.data.class.as_deref()).or(Some(FolderKind::Folder))
        }
    }

    /// The controller it lives on.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// The folder containing this one; null for the root.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FolderObj>> {
        if self.full_name.is_empty() {
            return Ok(None);
        }
        load_parent(ctx, &self.up, &self.full_name).await
    }

    /// Folder health (worst report of its children), if Jenkins computes one.
    async fn health(&self) -> Option<Health> {
        health_of(&self.data)
    }

    /// Direct children: folders and jobs, sorted as Jenkins sorts them.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<ItemObj>>> {
        async { self.children(ctx).await }.await.map(Some)
    }

    /// Direct child jobs (in a multibranch project: the branches and pull requests).
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<JobObj>>> {
        async {
            Ok(self
                .children(ctx)
                .await?
                .into_iter()
                .filter_map(|i| match i {
                    ItemObj::Job(j) => Some(j),
                    ItemObj::Folder(_) => None,
                })
                .collect())
        }
        .await
        .map(Some)
    }

    /// Direct child folders.
    async fn folders(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<FolderObj>>> {
        async {
            Ok(self
                .children(ctx)
                .await?
                .into_iter()
                .filter_map(|i| match i {
                    ItemObj::Folder(f) => Some(f),
                    ItemObj::Job(_) => None,
                })
                .collect())
        }
        .await
        .map(Some)
    }
}

/// A parameter a job accepts.
#[derive(SimpleObject, Clone, Debug)]
pub struct ParameterDefinition {
    /// Parameter name.
    pub name: String,
    /// Kind of parameter.
    pub kind: ParameterKind,
    /// Description.
    pub description: Option<String>,
    /// Default value as text (`****` for passwords).
    pub default_value: Option<String>,
    /// Choices of a choice parameter.
    pub choices: Vec<String>,
}

/// Kinds of parameter.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ParameterKind {
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

/// The parameter kind of a definition `type` or value `_class`.
pub fn parameter_kind(name: &str) -> ParameterKind {
    let short = name.rsplit('.').next().unwrap_or(name);
    if short.starts_with("Password") {
        ParameterKind::Password
    } else if short.starts_with("Boolean") {
        ParameterKind::Boolean
    } else if short.starts_with("Choice") {
        ParameterKind::Choice
    } else if short.starts_with("Text") {
        ParameterKind::Text
    } else if short.starts_with("String") {
        ParameterKind::String
    } else {
        ParameterKind::Other
    }
}

/// Render a parameter value as text.
pub fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A Jenkins job: freestyle, pipeline, matrix, or a multibranch branch.
#[derive(Clone)]
pub struct JobObj {
    pub(crate) up: Arc<Upstream>,
    pub(crate) full_name: String,
    pub(crate) data: Arc<wire::Item>,
}

impl JobObj {
    fn build_obj(&self, b: &Option<Arc<wire::Build>>) -> Option<BuildObj> {
        b.as_ref()
            .map(|b| BuildObj::new(self.up.clone(), self.full_name.clone(), Arc::clone(b)))
    }

    pub(crate) fn job_kind(&self) -> JobKind {
        job_kind(self.data.class.as_deref())
    }
}

/// A Jenkins job: freestyle, pipeline, matrix, or a multibranch branch.
#[Object(name = "Job")]
impl JobObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Job(self.up.name.to_string(), self.full_name.clone()).encode()
    }

    /// Item name (for a branch: the encoded branch name, e.g. `feature%2Ffoo`).
    pub async fn name(&self) -> String {
        self.data.name.clone().unwrap_or_default()
    }

    /// Names from the root joined by `/`.
    pub async fn full_name(&self) -> String {
        self.full_name.clone()
    }

    /// Display name (for a branch: the plain branch name).
    pub async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .or_else(|| self.data.name.clone())
            .unwrap_or_default()
    }

    /// Absolute URL in Jenkins.
    pub async fn url(&self) -> Option<String> {
        self.data.url.clone()
    }

    /// Description as entered in Jenkins (may contain HTML).
    async fn description(&self) -> Option<&str> {
        self.data.description.as_deref()
    }

    /// Kind of job.
    async fn kind(&self) -> JobKind {
        self.job_kind()
    }

    /// The controller it lives on.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// The folder containing it (the root folder for top-level jobs).
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FolderObj>> {
        load_parent(ctx, &self.up, &self.full_name).await
    }

    /// Jenkins' ball color (`blue`, `red_anime`, `notbuilt`, `disabled`, …).
    async fn color(&self) -> Option<&str> {
        self.data.color.as_deref()
    }

    /// Status of the last completed build, or DISABLED / NOT_BUILT.
    async fn status(&self) -> JobStatus {
        job_status(self.data.color.as_deref())
    }

    /// Whether a build is running now.
    async fn building(&self) -> bool {
        self.data
            .color
            .as_deref()
            .is_some_and(|c| c.ends_with("_anime"))
    }

    /// Whether a build can be started.
    async fn buildable(&self) -> Option<bool> {
        self.data.buildable
    }

    /// Whether the job is disabled.
    async fn disabled(&self) -> bool {
        self.data.disabled.unwrap_or(false)
            || self
                .data
                .color
                .as_deref()
                .is_some_and(|c| c.starts_with("disabled"))
    }

    /// Whether the job is waiting in the queue.
    async fn in_queue(&self) -> Option<bool> {
        self.data.in_queue
    }

    /// Number the next build will get.
    async fn next_build_number(&self) -> Option<i32> {
        self.data.next_build_number.map(|n| n as i32)
    }

    /// Build stability (and other health reports): the worst score.
    async fn health(&self) -> Option<Health> {
        health_of(&self.data)
    }

    /// Parameters the job accepts.
    async fn parameters(&self) -> Vec<ParameterDefinition> {
        self.data
            .parameter_definitions()
            .map(|d| {
                let kind = parameter_kind(d.kind.as_deref().or(d.class.as_deref()).unwrap_or(""));
                let default_value = d
                    .default_parameter_value
                    .as_ref()
                    .and_then(|v| v.value.as_ref())
                    .and_then(value_text);
                ParameterDefinition {
                    name: d.name.clone().unwrap_or_default(),
                    kind,
                    description: d.description.clone().filter(|s| !s.is_empty()),
                    default_value: if kind == ParameterKind::Password {
                        Some("****".into())
                    } else {
                        default_value
                    },
                    choices: d.choices.clone().unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The queue item of this job, if it waits in the queue.
    async fn queue_item(&self) -> Option<QueueItemObj> {
        self.data.queue_item.as_ref().map(|q| {
            QueueItemObj::with_job(self.up.clone(), (**q).clone(), Some(self.full_name.clone()))
        })
    }

    /// The newest build.
    async fn last_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_build)
    }

    /// The newest successful (or unstable) completed build.
    async fn last_successful_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_successful_build)
    }

    /// The newest failed build.
    async fn last_failed_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_failed_build)
    }

    /// The newest completed build.
    async fn last_completed_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_completed_build)
    }

    /// The newest stable (SUCCESS) build.
    async fn last_stable_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_stable_build)
    }

    /// The newest unstable build.
    async fn last_unstable_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_unstable_build)
    }

    /// The newest completed build that did not succeed.
    async fn last_unsuccessful_build(&self) -> Option<BuildObj> {
        self.build_obj(&self.data.last_unsuccessful_build)
    }

    /// Builds, newest first. `before` is a build number (exclusive): pass the previous
    /// page's `pageInfo.endCursor` to go on, past Jenkins' 100-build window if needed.
    /// `result` keeps only builds with that result.
    async fn builds(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "Page size (at most 1000).")] first: i32,
        #[graphql(desc = "Only builds numbered below this (the previous page's `endCursor`).")]
        before: Option<i32>,
        #[graphql(desc = "Only builds with this result.")] result: Option<BuildResultEnum>,
    ) -> async_graphql::Result<Option<BuildPage>> {
        async { build::builds_page(ctx, self, first, before, result).await }
            .await
            .map(Some)
    }

    /// One build by number; null if there is none.
    async fn build(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Build number.")] number: i32,
    ) -> async_graphql::Result<Option<BuildObj>> {
        let number = u32::try_from(number)
            .map_err(|_| GatewayError::BadArgument("number must be positive".into()).extend())?;
        build::load_build(ctx, self.up.clone(), &self.full_name, number).await
    }

    /// Statistics over the last `last` builds (at most 100): success rate, failures,
    /// mean and p95 duration, flakiness.
    async fn trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many of the newest builds to look at.")] last: i32,
    ) -> async_graphql::Result<Option<Trend>> {
        async { build::trend(ctx, self, last).await }
            .await
            .map(Some)
    }
}

/// Report an error and give up on one connection's part of a fleet-wide answer.
pub(crate) fn skip_connection<T>(ctx: &Context<'_>, r: Result<T, JenkinsError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            report(ctx, &e);
            None
        }
    }
}
