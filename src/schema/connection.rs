//! `Connection`: a configured controller, its status (from the probe) and its views.

use async_graphql::{Context, Object, ResultExt, ID};

use super::convert::{problem, status_of};
use super::health::ConnectionHealth;
use super::ids::GlobalId;
use super::load::{agents_one, load_folder, load_job, load_root, loaders, queue_one};
use super::objects::{AgentObj, ConnectionObj, FolderObj, JobObj, JobPage, QueueItemObj};
use super::search::{search_jobs, JobFilter};
use super::values::{ConnectionStatus, UpstreamProblem};
use crate::jenkins::JenkinsError;
use crate::loaders::Probe;
use crate::planner::DEFAULT_JOBS_PAGE;

impl ConnectionObj {
    async fn probe(&self, ctx: &Context<'_>) -> Result<Probe, JenkinsError> {
        loaders(ctx).probe(&self.up).await
    }
}

/// A Jenkins controller Majordomo is configured to talk to.
#[Object(name = "Connection")]
impl ConnectionObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Connection(self.up.name.to_string()).encode()
    }

    /// Connection name from the configuration.
    async fn name(&self) -> &str {
        &self.up.name
    }

    /// Base URL of the controller.
    async fn url(&self) -> &str {
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
        self.probe(ctx).await.err().map(|e| problem(&e))
    }

    /// The root folder: the controller's top-level items.
    async fn root(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FolderObj>> {
        load_root(ctx, &self.up).await
    }

    /// A folder by full name (`team-a/services`); null if there is none.
    async fn folder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Full name of the folder.")] path: String,
    ) -> async_graphql::Result<Option<FolderObj>> {
        load_folder(ctx, &self.up, &path).await
    }

    /// A job by full name (`team-a/services/api-build`); null if there is none.
    async fn job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Full name of the job.")] full_name: String,
    ) -> async_graphql::Result<Option<JobObj>> {
        load_job(ctx, &self.up, &full_name).await
    }

    /// Jobs of this controller, recursively through folders, filtered and paginated.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to return.")] filter: Option<JobFilter>,
        #[graphql(default_with = "DEFAULT_JOBS_PAGE", desc = "Page size (at most 1000).")]
        first: i32,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<JobPage>> {
        let filter = filter.unwrap_or_default();
        search_jobs(ctx, vec![self.up.clone()], filter, first, after)
            .await
            .map(Some)
    }

    /// Items waiting in this controller's build queue.
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        queue_one(ctx, &self.up).await.extend().map(Some)
    }

    /// This controller's agents, the built-in node included.
    async fn agents(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        agents_one(ctx, &self.up).await.extend().map(Some)
    }

    /// Health summary of this controller.
    async fn health(&self, ctx: &Context<'_>) -> ConnectionHealth {
        ConnectionHealth::for_field(self.up.clone(), &ctx.field())
    }
}
