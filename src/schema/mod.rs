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
//! - [`load`]: turning selections into objects through the planner and the loaders;
//! - [`objects`] (what each object holds), [`convert`] (Jenkins values → GraphQL values),
//!   [`values`] (enums and plain objects), [`ids`] (global IDs), and the response
//!   shaping extensions [`nulls`] (errors become `null`) and [`order`] (keys in query order).

mod build;
mod connection;
mod convert;
mod health;
mod ids;
mod item;
mod layout;
mod load;
mod nulls;
mod objects;
mod order;
mod queue;
mod search;
mod stage;
mod values;

pub(crate) use search::glob as glob_matches;

use std::sync::Arc;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, Object, Schema, ID,
};

use crate::error::GatewayError;
use crate::gateway::{GatewayState, Upstream};
use crate::loaders::BuildRef;
use crate::planner::DEFAULT_JOBS_PAGE;
use health::FleetHealth;
use ids::GlobalId;
use load::{
    agents_of, build_number, load_agent, load_build, load_folder, load_job, load_queue_item,
    load_stage, queue_of, upstream, visible,
};
use objects::{AgentObj, BuildObj, ConnectionObj, JobObj, JobPage, Node, QueueItemObj};
use search::{search_jobs, JobFilter};

/// What the schema is, for `schema.graphql` and `__schema { description }`.
pub(crate) const DESCRIPTION: &str =
    "Majordomo: one GraphQL endpoint over many Jenkins controllers. \
Connections (controllers) hold folders and jobs; jobs hold builds; pipeline builds hold \
stages. `jobs`, `queue`, `agents` and `health` look across every controller; `node(id)` \
fetches any object again by its global ID. A controller that fails adds an error (with \
`extensions.code`, `connection` and `hint`) and its fields are null; the others still answer.";

/// The schema type.
pub type MajordomoSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Build the schema over a gateway.
pub fn build_schema(state: GatewayState) -> MajordomoSchema {
    let introspection = state.config().introspection;
    let guard = crate::guard::Guard::new(state.config().limits.clone(), state.connection_count())
        .introspection(introspection);
    let trusted = state.trusted().clone();
    let mut builder = Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .data(state)
        // The guard first: it is the outermost extension and sees every error.
        .extension(guard);
    if trusted.is_active() {
        builder = builder.extension(crate::guard::trusted::Trusted(trusted));
    }
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder
        .extension(order::QueryOrder)
        .extension(nulls::NullOnError)
        .finish()
}

/// The schema without a gateway behind it: for the SDL and introspection.
pub fn bare_schema() -> MajordomoSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription).finish()
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

    /// Any object by its global ID.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID from any `id` field.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        resolve_node(ctx, &id).await
    }
}
