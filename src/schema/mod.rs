//! The GraphQL schema: the public contract, checked in as `schema.graphql`.
//!
//! Connection → Folder → Job → Build → Stage, plus the queue, agents, fleet health and
//! global IDs. Resolvers ask the [planner](crate::planner) what to fetch for their
//! selection and load it through the request's [loaders](crate::loaders); they never
//! call HTTP.
//!
//! Modules, in the order calls flow (each calls only modules below it):
//! - this module: the schema, the query root and `node(id)`;
//! - one resolver file per type: [`connection`], [`item`] (folders and jobs), [`build`],
//!   [`stage`], [`queue`] (queue items and agents), [`search`] (`jobs`), [`health`];
//! - [`subscription`]: the subscription root, fed by the shared pollers of `crate::live`
//!   through [`streams`], yielding the [`events`] types;
//! - [`load`]: turning selections into objects through the planner and the loaders;
//! - [`objects`] (what each object holds), [`convert`] (Jenkins values → GraphQL values),
//!   [`values`] (enums and plain objects), [`ids`] (global IDs), and the shaping of
//!   answers once built, [`shape`]: [`nulls`] (errors become `null`) and [`order`] (keys in
//!   query order).

mod build;
mod connection;
mod convert;
mod events;
mod health;
mod ids;
mod incident;
mod item;
mod layout;
mod load;
mod nulls;
mod objects;
mod order;
mod queue;
mod search;
mod shape;
mod stage;
mod streams;
mod subscription;
mod values;

pub(crate) use crate::live::filter::glob as glob_matches;

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, ErrorExtensions, Object, Schema, ID};

use crate::error::GatewayError;
use crate::gateway::{GatewayState, Upstream};
use crate::loaders::BuildRef;
use crate::planner::incident::DEFAULT_DEPLOYMENTS;
use crate::planner::{self, DEFAULT_JOBS_PAGE};
use health::FleetHealth;
use ids::GlobalId;
use incident::dora::{dora_metrics, list_deployments, DeploymentFilter};
use load::{
    agents_of, build_number, load_agent, load_build, load_folder, load_job, load_queue_item,
    load_stage, queue_of, upstream, visible,
};
use objects::{
    AgentObj, ApprovalObj, BuildObj, CommitObj, ConnectionObj, DeploymentObj, JobObj, JobPage,
    Node, QueueItemObj,
};
use search::{search_jobs, JobFilter};
pub(crate) use shape::Shape;
pub use subscription::SubscriptionRoot;
use values::{DateTime, DoraMetrics};

/// What the schema is, for `schema.graphql` and `__schema { description }`.
pub(crate) const DESCRIPTION: &str =
    "Majordomo: one GraphQL endpoint over many Jenkins controllers. \
Connections (controllers) hold folders and jobs; jobs hold builds; pipeline builds hold \
stages. `jobs`, `queue`, `agents` and `health` look across every controller; `node(id)` \
fetches any object again by its global ID; subscriptions report builds, stages, logs, \
queues and controllers as they change. A controller that fails adds an error (with \
`extensions.code`, `connection` and `hint`) and its fields are null; the others still answer.";

/// The schema type.
pub type MajordomoSchema = Schema<QueryRoot, EmptyMutation, SubscriptionRoot>;

/// Build the schema over a gateway. It has no extensions: the guard admits a request
/// before it runs ([`crate::guard::Guard::admit`]) and [`Shape`] shapes its answer after, so
/// async-graphql resolves each field without a chain of hooks.
pub fn build_schema(state: GatewayState) -> MajordomoSchema {
    let introspection = state.config().introspection;
    let live = Arc::new(crate::live::Live::new(state.clone()));
    let builder = Schema::build(QueryRoot, EmptyMutation, SubscriptionRoot)
        .data(state)
        .data(live);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema without a gateway behind it: for the SDL and introspection.
pub fn bare_schema() -> MajordomoSchema {
    Schema::build(QueryRoot, EmptyMutation, SubscriptionRoot).finish()
}

/// The SDL of the schema (what `majordomo schema` prints and `schema.graphql` holds),
/// with the schema's own description.
pub fn sdl() -> String {
    let sdl = bare_schema().sdl();
    match sdl.find("schema {") {
        Some(at) => format!(
            "{}\"\"\"\n{DESCRIPTION}\n\"\"\"\n{}",
            &sdl[..at],
            &sdl[at..]
        ),
        None => sdl,
    }
}

/// The connections a fleet-wide field covers: one by name, or all.
fn connections(
    ctx: &Context<'_>,
    name: Option<String>,
) -> async_graphql::Result<Vec<Arc<Upstream>>> {
    match name {
        Some(name) => Ok(vec![upstream(ctx, &name)?]),
        None => Ok(visible(ctx)),
    }
}

/// The connections a fleet-wide field covers: those named, or all the caller may see.
fn some_connections(
    ctx: &Context<'_>,
    names: Option<Vec<String>>,
) -> async_graphql::Result<Vec<Arc<Upstream>>> {
    match names {
        Some(names) => names.iter().map(|n| upstream(ctx, n)).collect(),
        None => Ok(visible(ctx)),
    }
}

/// Fetch the object a global ID names.
async fn resolve_node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let gid = GlobalId::decode(id).ok_or_else(|| GatewayError::BadId(id.to_string()).extend())?;
    let at = |c: &Arc<Upstream>, job: String, number: u32| BuildRef {
        conn: c.name.clone(),
        job,
        number,
    };
    Ok(match gid {
        GlobalId::Connection(c) => Some(Node::Connection(ConnectionObj::new(upstream(ctx, &c)?))),
        GlobalId::Folder(c, f) => load_folder(ctx, &upstream(ctx, &c)?, &f)
            .await?
            .map(Node::Folder),
        GlobalId::Job(c, j) => load_job(ctx, &upstream(ctx, &c)?, &j).await?.map(Node::Job),
        GlobalId::Build(c, j, n) => load_build(ctx, &upstream(ctx, &c)?, &j, n)
            .await?
            .map(Node::Build),
        GlobalId::Stage(c, j, n, s) => {
            let up = upstream(ctx, &c)?;
            load_stage(ctx, &up, &at(&up, j, n), &s)
                .await?
                .map(Node::Stage)
        }
        GlobalId::QueueItem(c, i) => load_queue_item(ctx, &upstream(ctx, &c)?, i)
            .await?
            .map(Node::QueueItem),
        GlobalId::Agent(c, a) => load_agent(ctx, &upstream(ctx, &c)?, &a)
            .await?
            .map(Node::Agent),
    })
}

/// The root of every query.
pub struct QueryRoot;

/// The root of every query.
#[Object]
impl QueryRoot {
    /// Every Jenkins connection the caller may see, in configuration order. A connection
    /// outside the caller's scope (its API key or token) is not listed anywhere.
    async fn connections(&self, ctx: &Context<'_>) -> Vec<ConnectionObj> {
        visible(ctx).into_iter().map(ConnectionObj::new).collect()
    }

    /// One connection by name.
    async fn connection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] name: String,
    ) -> async_graphql::Result<Option<ConnectionObj>> {
        Ok(Some(ConnectionObj::new(upstream(ctx, &name)?)))
    }

    /// A job by connection and full name (folders joined by `/`, e.g. `team-a/services/api`).
    async fn job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] full_name: String,
    ) -> async_graphql::Result<Option<JobObj>> {
        load_job(ctx, &upstream(ctx, &connection)?, &full_name).await
    }

    /// A build by connection, job full name and number.
    async fn build(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] job: String,
        #[graphql(desc = "Build number.")] number: i32,
    ) -> async_graphql::Result<Option<BuildObj>> {
        let number = build_number(number)?;
        load_build(ctx, &upstream(ctx, &connection)?, &job, number).await
    }

    /// Jobs across every controller (or those in `filter.connections`), recursively through
    /// folders, filtered and paginated by cursor. A controller that fails adds an error and
    /// contributes no jobs; the others still answer.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to return.")] filter: Option<JobFilter>,
        #[graphql(default_with = "DEFAULT_JOBS_PAGE", desc = "Page size (at most 1000).")]
        first: i32,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<JobPage>> {
        let ups = visible(ctx);
        search_jobs(ctx, ups, filter.unwrap_or_default(), first, after)
            .await
            .map(Some)
    }

    /// Items in the build queue of one connection, or of every connection when omitted.
    async fn queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this connection.")] connection: Option<String>,
    ) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        let ups = connections(ctx, connection)?;
        Ok(Some(queue_of(ctx, &ups).await))
    }

    /// Agents (nodes) of one connection, or of every connection when omitted.
    async fn agents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this connection.")] connection: Option<String>,
    ) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        let ups = connections(ctx, connection)?;
        Ok(Some(agents_of(ctx, &ups).await))
    }

    /// Health of the whole fleet: every controller's status, failing jobs, stuck queue
    /// items and offline agents.
    async fn health(&self, ctx: &Context<'_>) -> FleetHealth {
        FleetHealth::for_field(&ctx.field())
    }

    /// The job, build or stage a Jenkins URL names, on whichever configured controller
    /// serves it (host, port and context path; the scheme is not compared). Every form the
    /// Jenkins UI links to: job, folder and view pages, builds by number or permalink
    /// (`lastFailedBuild`), console, changes, tests, artifacts, `execution/node/N`,
    /// Pipeline Graph View (`?selected-node=N`), Blue Ocean pages and its REST API.
    /// Costs what `job`, `build` or `node` would, plus one small request for a permalink.
    /// A URL that names nothing is a BAD_ARGUMENT error; null when the object is gone.
    async fn resolve(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A Jenkins URL as pasted from a browser or a chat.")] url: String,
    ) -> async_graphql::Result<Option<Node>> {
        incident::resolve::resolve(ctx, &url).await
    }

    // Each argument is part of the public API; grouping them would change the schema.
    #[allow(clippy::too_many_arguments)]
    /// Deployments across controllers, newest first: builds of deploy jobs (by the
    /// `[[deployments]]` rules), each to one environment. Costs per controller one
    /// recursive listing of job names, one listing of the newest 50 builds per folder
    /// holding deploy jobs (siblings share it), and one `wfapi/runs` per deploy job whose
    /// environment only a stage's name gives. A controller that fails adds an error.
    async fn deployments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only to this environment (without regard to case).")] environment: Option<
            String,
        >,
        #[graphql(desc = "Only those started at or after this time.")] since: Option<DateTime>,
        #[graphql(desc = "Only those started at or before this time.")] until: Option<DateTime>,
        #[graphql(desc = "Only on these connections (all you may see by default).")]
        connections: Option<Vec<String>>,
        #[graphql(desc = "Only deploy jobs under this folder (full name).")] folder: Option<String>,
        #[graphql(desc = "Only this deploy job (full name).")] job: Option<String>,
        #[graphql(default_with = "DEFAULT_DEPLOYMENTS", desc = "At most this many.")] first: i32,
    ) -> async_graphql::Result<Option<Vec<DeploymentObj>>> {
        let ups = some_connections(ctx, connections)?;
        let filter = DeploymentFilter {
            environment,
            since,
            until,
            folder,
            job,
        };
        let tree = planner::incident::deploy_builds_tree(&ctx.field(), &[&["build"]]);
        Ok(Some(
            list_deployments(ctx, &ups, &filter, first, &tree).await,
        ))
    }

    /// Where a commit went, across every controller (or `connections`): the builds that
    /// built it (git's last built revision, or their change sets), the deployments that
    /// carried it and whether they succeeded. Costs per controller the recursive listing of
    /// job names (shared with `jobs`), one listing per folder of its jobs' newest 25
    /// builds with their SCM data (never one request per build), and one `wfapi/runs` per
    /// stage-placed deploy job that built it.
    async fn commit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commit id, or a prefix of at least 7 hexadecimal digits.")]
        sha: String,
        #[graphql(desc = "Only on these connections (all you may see by default).")]
        connections: Option<Vec<String>>,
    ) -> async_graphql::Result<Option<CommitObj>> {
        let prefix = incident::commit::sha_prefix(&sha)?;
        let ups = some_connections(ctx, connections)?;
        let f = ctx.field();
        let paths: &[&[&str]] = &[&["builds", "build"], &["deployments", "build"]];
        let trees = incident::commit::ScanTrees {
            job: planner::incident::commit_scan_tree(&f, paths, false),
            deploy: planner::incident::commit_scan_tree(&f, paths, true),
        };
        incident::commit::find_commit(ctx, &ups, &prefix, &trees)
            .await
            .map(Some)
    }

    /// Every build waiting at an `input` step, on one connection or across the fleet: is a
    /// deploy waiting for someone? Costs per controller one request (what its flyweight
    /// executors run), then for each running pipeline its `wfapi/describe`, and for each
    /// paused one its `wfapi/pendingInputActions`.
    async fn pending_approvals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this connection.")] connection: Option<String>,
    ) -> async_graphql::Result<Option<Vec<ApprovalObj>>> {
        let ups = connections(ctx, connection)?;
        let per = futures::future::join_all(
            ups.iter()
                .map(|u| incident::approvals::approvals_on(ctx, u)),
        )
        .await;
        let mut all: Vec<ApprovalObj> = per
            .into_iter()
            .filter_map(|r| load::skip_connection(ctx, r))
            .flatten()
            .collect();
        all.sort_by_key(|a| a.since.unwrap_or(i64::MAX));
        Ok(Some(all))
    }

    // Each argument is part of the public API; grouping them would change the schema.
    #[allow(clippy::too_many_arguments)]
    /// The four DORA metrics for one environment over a window (the last 30 days by
    /// default), per job, folder, controller or the whole fleet, from the deployments
    /// `deployments` finds (the newest 50 builds of each deploy job; `complete` says
    /// whether that reached back far enough). Costs what `deployments` does.
    async fn dora(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The environment measured, e.g. `production`.")] environment: String,
        #[graphql(desc = "Start of the window (default: 30 days before `until`).")] since: Option<
            DateTime,
        >,
        #[graphql(desc = "End of the window (default: now).")] until: Option<DateTime>,
        #[graphql(desc = "Only on these connections (all you may see by default).")]
        connections: Option<Vec<String>>,
        #[graphql(desc = "Only deploy jobs under this folder (full name).")] folder: Option<String>,
        #[graphql(desc = "Only this deploy job (full name).")] job: Option<String>,
    ) -> async_graphql::Result<Option<DoraMetrics>> {
        let ups = some_connections(ctx, connections)?;
        let filter = DeploymentFilter {
            environment: Some(environment),
            since,
            until,
            folder,
            job,
        };
        let tree = planner::incident::deploy_builds_tree(&ctx.field(), &[]);
        dora_metrics(ctx, &ups, &filter, &tree).await.map(Some)
    }

    /// Any object by its global ID.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID from any `id` field.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        resolve_node(ctx, &id).await
    }
}
