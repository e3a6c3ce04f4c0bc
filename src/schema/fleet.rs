//! Views across controllers: the job search, the queue, agents and fleet health.

use std::sync::Arc;

use async_graphql::{
    Context, Enum, ErrorExtensions, InputObject, Object, SelectionField, SimpleObject, ID,
};
use base64::Engine;
use futures::future::join_all;

use super::build::{BuildResultEnum, Cause, CauseKind, PageInfo, Parameter};
use super::ids::GlobalId;
use super::item::{
    child_full_name, folder_kind, job_status, skip_connection, status_of, ConnectionObj,
    ConnectionStatus, JobKind, JobObj, JobStatus, ParameterKind, UpstreamProblem,
};
use super::{loaders, state};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::Fetch;
use crate::planner::{item_fields, page_node_selection, TreeSpec, LISTING_DEPTH};

/// Which jobs `jobs(filter)` returns. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct JobFilter {
    /// Glob on the name or full name (`*` any run, `?` one character; case-insensitive).
    /// Without wildcards it matches a substring.
    pub name_pattern: Option<String>,
    /// Job status (from the color) is one of these.
    pub status: Option<Vec<JobStatus>>,
    /// The last completed build's result is one of these.
    pub last_result: Option<Vec<BuildResultEnum>>,
    /// Only jobs inside this folder (full name), at any depth.
    pub folder: Option<String>,
    /// Only these connections.
    pub connections: Option<Vec<String>>,
    /// Only these kinds of job.
    pub kinds: Option<Vec<JobKind>>,
    /// Only jobs that are (or are not) building now.
    pub building: Option<bool>,
}

fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    if !p.iter().any(|c| *c == '*' || *c == '?') {
        return text.to_lowercase().contains(&pattern.to_lowercase());
    }
    // Iterative wildcard match with backtracking on the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The last completed build's result, which is what a job's color shows.
fn last_result_of(color: Option<&str>) -> Option<BuildResultEnum> {
    match job_status(color) {
        JobStatus::Success => Some(BuildResultEnum::Success),
        JobStatus::Unstable => Some(BuildResultEnum::Unstable),
        JobStatus::Failure => Some(BuildResultEnum::Failure),
        JobStatus::Aborted => Some(BuildResultEnum::Aborted),
        JobStatus::NotBuilt | JobStatus::Disabled | JobStatus::Unknown => None,
    }
}

impl JobFilter {
    fn accepts(&self, job: &JobObj) -> bool {
        let d = &job.data;
        if let Some(p) = &self.name_pattern {
            let name = d.name.as_deref().unwrap_or("");
            if !glob(p, name) && !glob(p, &job.full_name) {
                return false;
            }
        }
        if let Some(s) = &self.status {
            if !s.contains(&job_status(d.color.as_deref())) {
                return false;
            }
        }
        if let Some(r) = &self.last_result {
            match last_result_of(d.color.as_deref()) {
                Some(x) if r.contains(&x) => {}
                _ => return false,
            }
        }
        if let Some(k) = &self.kinds {
            if !k.contains(&job.job_kind()) {
                return false;
            }
        }
        if let Some(b) = self.building {
            if d.color.as_deref().is_some_and(|c| c.ends_with("_anime")) != b {
                return false;
            }
        }
        true
    }
}

/// A page of jobs across controllers.
#[derive(SimpleObject)]
pub struct JobPage {
    /// The jobs, ordered by connection (configuration order) then full name.
    pub nodes: Vec<JobObj>,
    /// Where to go on.
    pub page_info: PageInfo,
    /// How many jobs matched in all (over every page).
    pub total_count: i32,
}

fn cursor(conn: &str, full_name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::json!([conn, full_name]).to_string())
}

fn decode_cursor(c: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let (a, b): (String, String) = serde_json::from_slice(&bytes).ok()?;
    Some((a, b))
}

/// The nested `jobs[…,jobs[…]]` tree that lists a folder recursively `depth` levels deep,
/// with the job fields `sel` wants at every level.
pub fn recursive_tree(sel: &[SelectionField<'_>], depth: usize) -> String {
    let mut level = TreeSpec::new();
    item_fields(sel, &mut level, 0);
    level.leaves(&["name", "url", "fullName", "color"]);
    let mut current = level.clone();
    for _ in 1..depth {
        let mut next = level.clone();
        next.child("jobs").merge(&current);
        current = next;
    }
    let mut root = TreeSpec::new();
    root.child("jobs").merge(&current);
    root.render()
}

/// Every job under `folder` (recursively), following folders deeper than one request reaches.
async fn all_jobs(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    folder: &str,
    tree: &str,
) -> Result<Vec<JobObj>, JenkinsError> {
    let l = loaders(ctx);
    let mut pending = vec![folder.to_string()];
    let mut out = Vec::new();
    while !pending.is_empty() {
        let batch = std::mem::take(&mut pending);
        let answers = join_all(batch.iter().map(|f| {
            l.item(Fetch::Item {
                conn: up.name.clone(),
                full_name: f.clone(),
                tree: tree.to_string(),
            })
        }))
        .await;
        for (f, answer) in batch.iter().zip(answers) {
            let data = answer?;
            walk(
                up,
                f,
                data.jobs.as_deref().unwrap_or(&[]),
                &mut out,
                &mut pending,
            );
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(out)
}

fn walk(
    up: &Arc<Upstream>,
    parent: &str,
    items: &[Arc<wire::Item>],
    out: &mut Vec<JobObj>,
    pending: &mut Vec<String>,
) {
    for it in items {
        let full = child_full_name(parent, it);
        if folder_kind(it.class.as_deref()).is_some() {
            match &it.jobs {
                Some(children) => walk(up, &full, children, out, pending),
                None => pending.push(full),
            }
        } else {
            out.push(JobObj {
                up: up.clone(),
                full_name: full,
                data: Arc::clone(it),
            });
        }
    }
}

/// `jobs(filter, first, after)` over some connections.
pub async fn search_jobs(
    ctx: &Context<'_>,
    ups: Vec<Arc<Upstream>>,
    filter: JobFilter,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<JobPage> {
    let first = first.clamp(0, 1000) as usize;
    let after = match after {
        Some(c) => {
            Some(decode_cursor(&c).ok_or_else(|| GatewayError::BadCursor(c.clone()).extend())?)
        }
        None => None,
    };
    let nodes_sel = page_node_selection(&ctx.field());
    let tree = recursive_tree(&nodes_sel, LISTING_DEPTH);
    let folder = filter
        .folder
        .clone()
        .unwrap_or_default()
        .trim_matches('/')
        .to_string();
    let ups: Vec<Arc<Upstream>> = ups
        .into_iter()
        .filter(|u| {
            filter
                .connections
                .as_ref()
                .is_none_or(|c| c.iter().any(|n| n.as_str() == &*u.name))
        })
        .collect();
    let lists = join_all(ups.iter().map(|u| all_jobs(ctx, u, &folder, &tree))).await;
    let mut matched: Vec<JobObj> = Vec::new();
    for list in lists {
        if let Some(list) = skip_connection(ctx, list) {
            matched.extend(list.into_iter().filter(|j| filter.accepts(j)));
        }
    }
    let total = matched.len();
    let order = |j: &JobObj| {
        ups.iter()
            .position(|u| Arc::ptr_eq(u, &j.up))
            .unwrap_or(usize::MAX)
    };
    let start = match &after {
        Some((conn, name)) => {
            let conn_pos = ups
                .iter()
                .position(|u| &*u.name == conn)
                .unwrap_or(usize::MAX);
            matched
                .iter()
                .position(|j| (order(j), j.full_name.as_str()) > (conn_pos, name.as_str()))
                .unwrap_or(matched.len())
        }
        None => 0,
    };
    let page: Vec<JobObj> = matched.into_iter().skip(start).take(first + 1).collect();
    let has_next_page = page.len() > first;
    let nodes: Vec<JobObj> = page.into_iter().take(first).collect();
    let end_cursor = nodes.last().map(|j| cursor(&j.up.name, &j.full_name));
    Ok(JobPage {
        nodes,
        page_info: PageInfo {
            has_next_page,
            end_cursor,
        },
        total_count: total as i32,
    })
}

/// Where an item waits in the queue.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// In the quiet period.
    Waiting,
    /// Blocked (e.g. by a running build of the same job).
    Blocked,
    /// Ready, waiting for an executor.
    Buildable,
    /// Has left the queue (started or cancelled).
    Left,
}

/// An item in a build queue.
#[derive(Clone)]
pub struct QueueItemObj {
    up: Arc<Upstream>,
    data: wire::QueueItem,
    job: Option<String>,
}

const QUEUE_TREE: &str = "items[id,why,blocked,buildable,stuck,inQueueSince,params,url,task[name,url,fullName,color],actions[causes[shortDescription,userId,userName,upstreamProject,upstreamBuild]]]";

impl QueueItemObj {
    /// Wrap a queue item; `job` is the full name when the caller knows it.
    pub fn with_job(up: Arc<Upstream>, data: wire::QueueItem, job: Option<String>) -> Self {
        QueueItemObj { up, data, job }
    }

    fn job_full_name(&self) -> Option<String> {
        if let Some(j) = &self.job {
            return Some(j.clone());
        }
        let task = self.data.task.as_ref()?;
        task.full_name
            .clone()
            .or_else(|| task.url.as_deref().and_then(full_name_from_url))
    }

    fn is_stuck(&self) -> bool {
        self.data.stuck == Some(true)
    }
}

/// Recover a job's full name from its URL (`…/job/a/job/b/`).
pub fn full_name_from_url(url: &str) -> Option<String> {
    let path = url.split_once("/job/").map(|(_, rest)| rest)?;
    let names: Vec<String> = path
        .split("/job/")
        .map(|seg| seg.trim_end_matches('/'))
        .map(|seg| {
            percent_encoding::percent_decode_str(seg)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    Some(names.join("/"))
}

/// An item waiting in a build queue.
#[Object(name = "QueueItem")]
impl QueueItemObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::QueueItem(self.up.name.to_string(), self.data.id.unwrap_or(0)).encode()
    }

    /// Jenkins' queue item id.
    async fn queue_id(&self) -> Option<f64> {
        self.data.id.map(|i| i as f64)
    }

    /// Where it waits.
    async fn state(&self) -> QueueState {
        let class = self.data.class.as_deref().unwrap_or("");
        if class.ends_with("LeftItem") {
            QueueState::Left
        } else if self.data.blocked == Some(true) || class.ends_with("BlockedItem") {
            QueueState::Blocked
        } else if self.data.buildable == Some(true) || class.ends_with("BuildableItem") {
            QueueState::Buildable
        } else {
            QueueState::Waiting
        }
    }

    /// Full name of the job waiting.
    async fn job_name(&self) -> Option<String> {
        self.job_full_name()
    }

    /// The job waiting.
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobObj>> {
        match self.job_full_name() {
            Some(j) => super::item::load_job(ctx, self.up.clone(), &j).await,
            None => Ok(None),
        }
    }

    /// Why it waits, in Jenkins' words.
    async fn why(&self) -> Option<&str> {
        self.data.why.as_deref()
    }

    /// Blocked (e.g. by a running build of the same job).
    async fn blocked(&self) -> bool {
        self.data.blocked.unwrap_or(false)
    }

    /// Ready to run, waiting for an executor.
    async fn buildable(&self) -> bool {
        self.data.buildable.unwrap_or(false)
    }

    /// Stuck: buildable but nothing can run it (e.g. no agent has its label).
    async fn stuck(&self) -> bool {
        self.is_stuck()
    }

    /// When it entered the queue, epoch ms.
    async fn in_queue_since(&self) -> Option<f64> {
        self.data.in_queue_since.map(|t| t as f64)
    }

    /// How long it has waited, ms.
    async fn waiting_ms(&self) -> Option<f64> {
        self.data
            .in_queue_since
            .map(|t| (super::now_ms() - t).max(0) as f64)
    }

    /// Parameters it was queued with (passwords masked, as Jenkins masks them).
    async fn params(&self) -> Vec<Parameter> {
        self.data
            .params
            .as_deref()
            .unwrap_or("")
            .split('\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (name, value) = l.split_once('=').unwrap_or((l, ""));
                Parameter {
                    name: name.to_string(),
                    kind: if value == "****" {
                        ParameterKind::Password
                    } else {
                        ParameterKind::Other
                    },
                    value: Some(value.to_string()),
                }
            })
            .collect()
    }

    /// Why it was queued.
    async fn causes(&self) -> Vec<Cause> {
        self.data
            .causes()
            .map(|c| Cause {
                kind: if c.user_id.is_some() {
                    CauseKind::User
                } else if c.upstream_project.is_some() {
                    CauseKind::Upstream
                } else {
                    CauseKind::Other
                },
                description: c.short_description.clone(),
                user_id: c.user_id.clone(),
                user_name: c.user_name.clone(),
                upstream_job: c.upstream_project.clone(),
                upstream_build: c.upstream_build.map(|n| n as i32),
            })
            .collect()
    }

    /// The controller.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}

/// The queue of one connection.
pub async fn queue_one(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> Result<Vec<QueueItemObj>, JenkinsError> {
    let q = loaders(ctx)
        .queue(Fetch::Queue {
            conn: up.name.clone(),
            tree: QUEUE_TREE.into(),
        })
        .await?;
    Ok(q.items
        .iter()
        .flatten()
        .map(|i| QueueItemObj::with_job(up.clone(), i.clone(), None))
        .collect())
}

/// The queues of several connections; failing ones add an error and no items.
pub async fn queue_of(ctx: &Context<'_>, ups: &[Arc<Upstream>]) -> Vec<QueueItemObj> {
    let all = join_all(ups.iter().map(|u| queue_one(ctx, u))).await;
    all.into_iter()
        .filter_map(|r| skip_connection(ctx, r))
        .flatten()
        .collect()
}

/// One queue item by id (also a left item).
pub async fn load_queue_item(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    id: i64,
) -> async_graphql::Result<Option<QueueItemObj>> {
    let items = queue_one(ctx, &up)
        .await
        .map_err(|e| super::upstream_error(&e))?;
    Ok(items.into_iter().find(|q| q.data.id == Some(id)))
}

/// A node that runs builds: the built-in node or an agent.
#[derive(Clone)]
pub struct AgentObj {
    up: Arc<Upstream>,
    data: wire::Computer,
}

const AGENT_TREE: &str = "busyExecutors,totalExecutors,computer[displayName,offline,temporarilyOffline,offlineCauseReason,idle,numExecutors,assignedLabels[name],executors[idle]]";

impl AgentObj {
    fn is_offline(&self) -> bool {
        self.data.offline.unwrap_or(false)
    }
}

/// A node that runs builds: the built-in node or an agent.
#[Object(name = "Agent")]
impl AgentObj {
    /// Global ID.
    pub async fn id(&self) -> ID {
        GlobalId::Agent(
            self.up.name.to_string(),
            self.data.display_name.clone().unwrap_or_default(),
        )
        .encode()
    }

    /// Node name (`Built-In Node` for the controller itself).
    pub async fn name(&self) -> Option<&str> {
        self.data.display_name.as_deref()
    }

    /// Offline (disconnected or marked offline).
    async fn offline(&self) -> bool {
        self.is_offline()
    }

    /// Marked offline by a user.
    async fn temporarily_offline(&self) -> bool {
        self.data.temporarily_offline.unwrap_or(false)
    }

    /// Why it is offline; null when online.
    async fn offline_reason(&self) -> Option<String> {
        self.data
            .offline_cause_reason
            .clone()
            .filter(|r| !r.is_empty() && self.is_offline())
    }

    /// No executor is busy.
    async fn idle(&self) -> Option<bool> {
        self.data.idle
    }

    /// Executors.
    async fn executors(&self) -> i32 {
        self.data.num_executors.unwrap_or(0) as i32
    }

    /// Busy executors.
    async fn busy_executors(&self) -> i32 {
        self.data
            .executors
            .iter()
            .flatten()
            .filter(|e| e.idle == Some(false))
            .count() as i32
    }

    /// Labels (the node's own name included).
    async fn labels(&self) -> Vec<String> {
        self.data
            .assigned_labels
            .iter()
            .flatten()
            .filter_map(|l| l.name.clone())
            .collect()
    }

    /// The controller.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }
}

/// The agents of one connection.
pub async fn agents_one(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> Result<Vec<AgentObj>, JenkinsError> {
    let set = loaders(ctx)
        .computers(Fetch::Computers {
            conn: up.name.clone(),
            tree: AGENT_TREE.into(),
        })
        .await?;
    Ok(set
        .computer
        .iter()
        .flatten()
        .map(|c| AgentObj {
            up: up.clone(),
            data: c.clone(),
        })
        .collect())
}

/// The agents of several connections; failing ones add an error and no agents.
pub async fn agents_of(ctx: &Context<'_>, ups: &[Arc<Upstream>]) -> Vec<AgentObj> {
    let all = join_all(ups.iter().map(|u| agents_one(ctx, u))).await;
    all.into_iter()
        .filter_map(|r| skip_connection(ctx, r))
        .flatten()
        .collect()
}

/// One agent by name.
pub async fn load_agent(
    ctx: &Context<'_>,
    up: Arc<Upstream>,
    name: &str,
) -> async_graphql::Result<Option<AgentObj>> {
    let agents = agents_one(ctx, &up)
        .await
        .map_err(|e| super::upstream_error(&e))?;
    Ok(agents
        .into_iter()
        .find(|a| a.data.display_name.as_deref() == Some(name)))
}

/// The listing tree a health query needs: base fields plus whatever `failingJobs` selects.
fn health_tree(field: &SelectionField<'_>) -> String {
    fn collect<'a>(f: &SelectionField<'a>, out: &mut Vec<SelectionField<'a>>) {
        for c in f.selection_set() {
            if c.name() == "failingJobs" {
                out.extend(c.selection_set());
            } else {
                collect(&c, out);
            }
        }
    }
    let mut sel = Vec::new();
    collect(field, &mut sel);
    recursive_tree(&sel, LISTING_DEPTH)
}

/// Health of one controller.
#[derive(Clone)]
pub struct ConnectionHealth {
    up: Arc<Upstream>,
    tree: String,
}

impl ConnectionHealth {
    /// Health of a connection, for the field being resolved (its selection shapes the listing).
    pub fn for_field(up: Arc<Upstream>, field: &SelectionField<'_>) -> Self {
        ConnectionHealth {
            up,
            tree: health_tree(field),
        }
    }

    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobObj>, JenkinsError> {
        all_jobs(ctx, &self.up, "", &self.tree).await
    }
}

/// Health of one controller: status, failing jobs, stuck queue items, offline agents.
#[Object]
impl ConnectionHealth {
    /// The controller.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// Whether it answers.
    async fn status(&self, ctx: &Context<'_>) -> ConnectionStatus {
        match loaders(ctx)
            .probe(Fetch::Probe {
                conn: self.up.name.clone(),
            })
            .await
        {
            Ok(_) => ConnectionStatus::Online,
            Err(e) => status_of(&e),
        }
    }

    /// Jenkins version.
    async fn version(&self, ctx: &Context<'_>) -> Option<String> {
        loaders(ctx)
            .probe(Fetch::Probe {
                conn: self.up.name.clone(),
            })
            .await
            .ok()
            .and_then(|p| p.version)
    }

    /// Why it is not ONLINE.
    async fn error(&self, ctx: &Context<'_>) -> Option<UpstreamProblem> {
        loaders(ctx)
            .probe(Fetch::Probe {
                conn: self.up.name.clone(),
            })
            .await
            .err()
            .map(|e| UpstreamProblem::from(&e))
    }

    /// Number of jobs (recursively).
    async fn job_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        async {
            Ok(self
                .jobs(ctx)
                .await
                .map_err(|e| super::upstream_error(&e))?
                .len() as i32)
        }
        .await
        .map(Some)
    }

    /// Jobs whose last completed build failed.
    async fn failing_jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<JobObj>>> {
        async {
            let jobs = self
                .jobs(ctx)
                .await
                .map_err(|e| super::upstream_error(&e))?;
            Ok(jobs
                .into_iter()
                .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
                .collect())
        }
        .await
        .map(Some)
    }

    /// Queue items that are stuck.
    async fn stuck_queue_items(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        async {
            let q = queue_one(ctx, &self.up)
                .await
                .map_err(|e| super::upstream_error(&e))?;
            Ok(q.into_iter().filter(QueueItemObj::is_stuck).collect())
        }
        .await
        .map(Some)
    }

    /// Items in the queue.
    async fn queue_length(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        async {
            Ok(queue_one(ctx, &self.up)
                .await
                .map_err(|e| super::upstream_error(&e))?
                .len() as i32)
        }
        .await
        .map(Some)
    }

    /// Agents that are offline.
    async fn offline_agents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        async {
            let a = agents_one(ctx, &self.up)
                .await
                .map_err(|e| super::upstream_error(&e))?;
            Ok(a.into_iter().filter(AgentObj::is_offline).collect())
        }
        .await
        .map(Some)
    }
}

/// Health of the whole fleet. Every part of one `health` selection shares one recursive
/// listing per controller, built for everything the selection wants of failing jobs.
pub struct FleetHealth {
    tree: String,
}

impl FleetHealth {
    /// Health for the `health` field being resolved (its whole selection shapes the listing).
    pub fn for_field(field: &SelectionField<'_>) -> Self {
        FleetHealth {
            tree: health_tree(field),
        }
    }
}

/// Counts over the fleet.
#[derive(SimpleObject, Default)]
pub struct FleetTotals {
    /// Configured connections.
    pub connections: i32,
    /// Connections that answer.
    pub online: i32,
    /// Jobs on the connections that answered.
    pub jobs: i32,
    /// Jobs whose last completed build failed.
    pub failing_jobs: i32,
    /// Queued items.
    pub queued: i32,
    /// Stuck queue items.
    pub stuck: i32,
    /// Offline agents.
    pub offline_agents: i32,
}

/// Health of every controller at once.
#[Object]
impl FleetHealth {
    /// Per-connection health.
    async fn connections(&self, ctx: &Context<'_>) -> Vec<ConnectionHealth> {
        state(ctx)
            .upstreams()
            .iter()
            .map(|u| ConnectionHealth {
                up: u.clone(),
                tree: self.tree.clone(),
            })
            .collect()
    }

    /// Failing jobs across every controller that answers.
    async fn failing_jobs(&self, ctx: &Context<'_>) -> Vec<JobObj> {
        let ups = state(ctx).upstreams().to_vec();
        let lists = join_all(ups.iter().map(|u| all_jobs(ctx, u, "", &self.tree))).await;
        lists
            .into_iter()
            .filter_map(|l| skip_connection(ctx, l))
            .flatten()
            .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
            .collect()
    }

    /// Stuck queue items across every controller.
    async fn stuck_queue_items(&self, ctx: &Context<'_>) -> Vec<QueueItemObj> {
        let ups = state(ctx).upstreams().to_vec();
        queue_of(ctx, &ups)
            .await
            .into_iter()
            .filter(QueueItemObj::is_stuck)
            .collect()
    }

    /// Offline agents across every controller.
    async fn offline_agents(&self, ctx: &Context<'_>) -> Vec<AgentObj> {
        let ups = state(ctx).upstreams().to_vec();
        agents_of(ctx, &ups)
            .await
            .into_iter()
            .filter(AgentObj::is_offline)
            .collect()
    }

    /// Counts over the fleet. Controllers that fail add an error and count only as configured.
    async fn totals(&self, ctx: &Context<'_>) -> FleetTotals {
        let ups = state(ctx).upstreams().to_vec();
        let l = loaders(ctx);
        let tree = &self.tree;
        let mut t = FleetTotals {
            connections: ups.len() as i32,
            ..Default::default()
        };
        let per = join_all(ups.iter().map(|u| async move {
            let probe = l
                .probe(Fetch::Probe {
                    conn: u.name.clone(),
                })
                .await;
            if let Err(e) = probe {
                super::report(ctx, &e);
                return (false, None, None, None);
            }
            let jobs = skip_connection(ctx, all_jobs(ctx, u, "", tree).await);
            let queue = skip_connection(ctx, queue_one(ctx, u).await);
            let agents = skip_connection(ctx, agents_one(ctx, u).await);
            (true, jobs, queue, agents)
        }))
        .await;
        for (online, jobs, queue, agents) in per {
            t.online += i32::from(online);
            if let Some(jobs) = jobs {
                t.jobs += jobs.len() as i32;
                t.failing_jobs += jobs
                    .iter()
                    .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
                    .count() as i32;
            }
            if let Some(q) = queue {
                t.queued += q.len() as i32;
                t.stuck += q.iter().filter(|i| i.is_stuck()).count() as i32;
            }
            if let Some(a) = agents {
                t.offline_agents += a.iter().filter(|a| a.is_offline()).count() as i32;
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("api", "platform/api-server"));
        assert!(glob("*-server", "api-server"));
        assert!(glob("plat*/api-?erver", "platform/api-server"));
        assert!(!glob("*-worker", "api-server"));
        assert!(glob("API*", "api-server"));
    }

    #[test]
    fn full_names_from_urls() {
        assert_eq!(
            full_name_from_url("http://h:1/jenkins/job/a/job/b%20c/").as_deref(),
            Some("a/b c")
        );
        assert_eq!(
            full_name_from_url("http://h/job/repo/job/feature%252Ffoo/").as_deref(),
            Some("repo/feature%2Ffoo")
        );
        assert_eq!(full_name_from_url("http://h/"), None);
    }

    #[test]
    fn cursors_round_trip() {
        let c = cursor("prod", "a/b");
        assert_eq!(decode_cursor(&c), Some(("prod".into(), "a/b".into())));
    }
}
