//! The GraphQL schema: the public contract, checked in as `schema.graphql`.
//!
//! Connection → Folder → Job → Build → Stage, plus the queue, agents, fleet health and
//! global IDs. Resolvers read their own selection set, ask the [planner](crate::planner)
//! for the `tree=` that fetches it, and load through [`Loaders`]; they never call HTTP.

mod build;
mod fleet;
mod ids;
mod item;
mod nulls;

use async_graphql::{Context, EmptyMutation, EmptySubscription, ErrorExtensions, Schema, ID};

use crate::error::GatewayError;

pub use build::{BuildObj, StageObj};
pub use fleet::{AgentObj, FleetHealth, QueueItemObj};
pub use ids::GlobalId;
pub use item::{ConnectionObj, FolderObj, ItemObj, JobObj};

use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::JenkinsError;
use crate::loaders::Loaders;
use std::sync::Arc;

/// The schema type.
pub type MajordomoSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Build the schema over a gateway.
pub fn build_schema(state: GatewayState) -> MajordomoSchema {
    let limits = state.config().limits.clone();
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .data(state)
        // The guard first: it is the outermost extension and sees every error.
        .extension(crate::guard::Guard::new(limits))
        .extension(nulls::NullOnError)
        .finish()
}

/// The schema without a gateway behind it: for the SDL and introspection.
pub fn bare_schema() -> MajordomoSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription).finish()
}

/// The SDL of the schema (what `majordomo schema` prints and `schema.graphql` holds).
pub fn sdl() -> String {
    bare_schema().sdl()
}

/// A GraphQL error from an upstream error: `extensions.code`, `connection`, `status`, `hint`.
pub(crate) fn upstream_error(e: &JenkinsError) -> async_graphql::Error {
    e.extend()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a GatewayState {
    ctx.data_unchecked::<GatewayState>()
}

pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

pub(crate) fn upstream(ctx: &Context<'_>, name: &str) -> async_graphql::Result<Arc<Upstream>> {
    state(ctx)
        .upstream(name)
        .cloned()
        .ok_or_else(|| GatewayError::UnknownConnection(name.to_string()).extend())
}

/// Record an error in the response without failing the field (partial data).
/// `add_error` alone leaves the error without a `path`; the spec wants the field's.
pub(crate) fn report(ctx: &Context<'_>, e: &JenkinsError) {
    ctx.add_error(ctx.set_error_path(upstream_error(e).into_server_error(ctx.item.pos)));
}

/// Milliseconds since the epoch (waiting times, running builds' durations).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The root of every query.
pub struct QueryRoot;

/// The root of every query.
#[async_graphql::Object]
impl QueryRoot {
    /// Every configured Jenkins connection, in configuration order.
    async fn connections(&self, ctx: &Context<'_>) -> Vec<ConnectionObj> {
        state(ctx)
            .upstreams()
            .iter()
            .cloned()
            .map(ConnectionObj::new)
            .collect()
    }

    /// One connection by name.
    async fn connection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] name: String,
    ) -> async_graphql::Result<Option<ConnectionObj>> {
        async { Ok(ConnectionObj::new(upstream(ctx, &name)?)) }
            .await
            .map(Some)
    }

    /// A job by connection and full name (folders joined by `/`, e.g. `team-a/services/api`).
    async fn job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] full_name: String,
    ) -> async_graphql::Result<Option<JobObj>> {
        item::load_job(ctx, upstream(ctx, &connection)?, &full_name).await
    }

    /// A build by connection, job full name and number.
    async fn build(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] job: String,
        #[graphql(desc = "Build number.")] number: i32,
    ) -> async_graphql::Result<Option<BuildObj>> {
        let number = u32::try_from(number)
            .map_err(|_| GatewayError::BadArgument("number must be positive".into()).extend())?;
        build::load_build(ctx, upstream(ctx, &connection)?, &job, number).await
    }

    /// Jobs across every controller (or those in `filter.connections`), recursively through
    /// folders, filtered and paginated by cursor. A controller that fails adds an error and
    /// contributes no jobs; the others still answer.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to return.")] filter: Option<fleet::JobFilter>,
        #[graphql(default = 50, desc = "Page size (at most 1000).")] first: i32,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<fleet::JobPage>> {
        async {
            let ups: Vec<Arc<Upstream>> = state(ctx).upstreams().to_vec();
            fleet::search_jobs(ctx, ups, filter.unwrap_or_default(), first, after).await
        }
        .await
        .map(Some)
    }

    /// Items in the build queue of one connection, or of every connection when omitted.
    async fn queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this connection.")] connection: Option<String>,
    ) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        async {
            let ups = match connection {
                Some(name) => vec![upstream(ctx, &name)?],
                None => state(ctx).upstreams().to_vec(),
            };
            Ok(fleet::queue_of(ctx, &ups).await)
        }
        .await
        .map(Some)
    }

    /// Agents (nodes) of one connection, or of every connection when omitted.
    async fn agents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this connection.")] connection: Option<String>,
    ) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        async {
            let ups = match connection {
                Some(name) => vec![upstream(ctx, &name)?],
                None => state(ctx).upstreams().to_vec(),
            };
            Ok(fleet::agents_of(ctx, &ups).await)
        }
        .await
        .map(Some)
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
    ) -> async_graphql::Result<Option<ids::Node>> {
        ids::resolve(ctx, &id).await
    }
}
