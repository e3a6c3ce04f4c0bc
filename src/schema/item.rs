//! `Folder` and `Job`: the item tree of a controller.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Object, ResultExt, ID};

use crate::error::GatewayError;

use super::convert::{
    folder_kind, health_of, is_building, is_disabled, jenkins_result, job_kind, job_status,
    parameter_definition, trend_of,
};
use super::ids::{Cursor, GlobalId};
use super::incident::regression::regression_of;
use super::incident::trends::{flaky_tests_of, stage_trends_of};
use super::load::{build_number, item_obj, load_build, load_parent, loaders};
use super::objects::{
    BuildObj, BuildPage, ConnectionObj, FolderObj, ItemObj, JobObj, QueueItemObj, RegressionObj,
};
use super::values::{
    BuildResultEnum, FlakyTests, FolderKind, Health, JobKind, JobStatus, PageInfo,
    ParameterDefinition, StageTrends, Trend,
};
use crate::jenkins::wire;
use crate::planner::builds::Pager;
use crate::planner::incident::{DEFAULT_FLAKY_BUILDS, DEFAULT_STAGE_RUNS};
use crate::planner::{
    self, builds_range, rides_along, DEFAULT_BUILDS_PAGE, DEFAULT_TREND, MAX_PAGE, TREND_FIELDS,
};

impl FolderObj {
    /// Children, from the data this folder was fetched with, or fetched now for the
    /// current selection when this folder came without them.
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ItemObj>> {
        let data = if self.data.jobs.is_some() {
            self.data.clone()
        } else {
            let tree = planner::children_tree(&ctx.field());
            loaders(ctx)
                .item(&self.up.name, &self.full_name, tree)
                .await
                .extend()?
        };
        Ok(data
            .jobs
            .iter()
            .flatten()
            .map(|j| item_obj(&self.up, &self.full_name, j))
            .collect())
    }
}

/// A folder, multibranch project or organization folder (or the controller root).
#[Object(name = "Folder")]
impl FolderObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Folder(self.up.name.to_string(), self.full_name.clone()).encode()
    }

    /// Item name (empty for the root).
    pub(crate) async fn name(&self) -> String {
        self.data.name.clone().unwrap_or_default()
    }

    /// Names from the root joined by `/` (empty for the root).
    pub(crate) async fn full_name(&self) -> String {
        self.full_name.clone()
    }

    /// Display name.
    pub(crate) async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .or_else(|| self.data.name.clone())
            .unwrap_or_default()
    }

    /// Absolute URL in Jenkins.
    pub(crate) async fn url(&self) -> Option<String> {
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
    pub(crate) async fn connection(&self) -> ConnectionObj {
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
        self.children(ctx).await.map(Some)
    }

    /// Direct child jobs (in a multibranch project: the branches and pull requests).
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<JobObj>>> {
        let children = self.children(ctx).await?;
        Ok(Some(
            children
                .into_iter()
                .filter_map(|i| match i {
                    ItemObj::Job(j) => Some(j),
                    ItemObj::Folder(_) => None,
                })
                .collect(),
        ))
    }

    /// Direct child folders.
    async fn folders(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<FolderObj>>> {
        let children = self.children(ctx).await?;
        Ok(Some(
            children
                .into_iter()
                .filter_map(|i| match i {
                    ItemObj::Folder(f) => Some(f),
                    ItemObj::Job(_) => None,
                })
                .collect(),
        ))
    }
}

impl JobObj {
    fn named_build(&self, b: &Option<Arc<wire::Build>>) -> Option<BuildObj> {
        b.as_ref().map(|b| self.build_obj(b))
    }

    /// A page of builds: from the job's own data when the planner fetched it with the
    /// job, else paged from Jenkins.
    async fn builds_page(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
        result: Option<BuildResultEnum>,
    ) -> async_graphql::Result<BuildPage> {
        let before = match after {
            Some(c) => match Cursor::decode(&c) {
                Some(Cursor::Build(n)) => Some(n),
                _ => return Err(GatewayError::BadCursor(c).extend()),
            },
            None => None,
        };
        let size = first.clamp(0, MAX_PAGE) as usize;
        let riding = self
            .data
            .builds
            .as_ref()
            .filter(|_| rides_along(first, before.is_some(), result.is_some()));

        let (builds, more) = match riding {
            Some(builds) => (
                builds.iter().take(size).cloned().map(Arc::new).collect(),
                builds.len() > size,
            ),
            None => {
                let result = result.map(|r| jenkins_result(r).to_string());
                let pager = Pager::new(size, before, result, planner::page_fields(&ctx.field()));
                loaders(ctx)
                    .builds(&self.up.name, &self.full_name, pager)
                    .await
                    .extend()?
            }
        };
        let end_cursor = builds
            .last()
            .and_then(|b| b.number)
            .map(|n| Cursor::Build(n).encode());
        Ok(BuildPage {
            nodes: builds.iter().map(|b| self.build_obj(b)).collect(),
            page_info: PageInfo {
                has_next_page: more,
                end_cursor,
            },
        })
    }

    /// Statistics over the newest `last` builds: from the job's data when the planner
    /// fetched enough of them with it, else one request.
    async fn trend_over(&self, ctx: &Context<'_>, last: i32) -> async_graphql::Result<Trend> {
        let last = last.clamp(1, crate::jenkins::client::BUILDS_WINDOW as i32) as usize;
        if let Some(b) = &self.data.builds {
            if b.len() >= last || b.iter().all(|x| x.duration.is_some()) {
                return Ok(trend_of(b.iter().take(last)));
            }
        }
        let mut fields = crate::jenkins::Tree::new();
        fields.leaves(TREND_FIELDS);
        let page = loaders(ctx)
            .builds_slice(
                &self.up.name,
                &self.full_name,
                builds_range(&fields, 0, last as u32),
            )
            .await
            .extend()?;
        Ok(trend_of(page.page_builds().iter().take(last)))
    }
}

/// A Jenkins job: freestyle, pipeline, matrix, or a multibranch branch.
#[Object(name = "Job")]
impl JobObj {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Job(self.up.name.to_string(), self.full_name.clone()).encode()
    }

    /// Item name (for a branch: the encoded branch name, e.g. `feature%2Ffoo`).
    pub(crate) async fn name(&self) -> String {
        self.data.name.clone().unwrap_or_default()
    }

    /// Names from the root joined by `/`.
    pub(crate) async fn full_name(&self) -> String {
        self.full_name.clone()
    }

    /// Display name (for a branch: the plain branch name).
    pub(crate) async fn display_name(&self) -> String {
        self.data
            .display_name
            .clone()
            .or_else(|| self.data.name.clone())
            .unwrap_or_default()
    }

    /// Absolute URL in Jenkins.
    pub(crate) async fn url(&self) -> Option<String> {
        self.data.url.clone()
    }

    /// Description as entered in Jenkins (may contain HTML).
    async fn description(&self) -> Option<&str> {
        self.data.description.as_deref()
    }

    /// Kind of job.
    async fn kind(&self) -> JobKind {
        job_kind(self.data.class.as_deref())
    }

    /// The controller it lives on.
    pub(crate) async fn connection(&self) -> ConnectionObj {
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
        is_building(self.data.color.as_deref())
    }

    /// Whether a build can be started.
    async fn buildable(&self) -> Option<bool> {
        self.data.buildable
    }

    /// Whether the job is disabled.
    async fn disabled(&self) -> bool {
        is_disabled(&self.data)
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
            .map(parameter_definition)
            .collect()
    }

    /// The queue item of this job, if it waits in the queue.
    async fn queue_item(&self) -> Option<QueueItemObj> {
        self.data.queue_item.as_ref().map(|q| QueueItemObj {
            up: self.up.clone(),
            data: Arc::new((**q).clone()),
            job: Some(self.full_name.clone()),
        })
    }

    /// The newest build.
    async fn last_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_build)
    }

    /// The newest successful (or unstable) completed build.
    async fn last_successful_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_successful_build)
    }

    /// The newest failed build.
    async fn last_failed_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_failed_build)
    }

    /// The newest completed build.
    async fn last_completed_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_completed_build)
    }

    /// The newest stable (SUCCESS) build.
    async fn last_stable_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_stable_build)
    }

    /// The newest unstable build.
    async fn last_unstable_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_unstable_build)
    }

    /// The newest completed build that did not succeed.
    async fn last_unsuccessful_build(&self) -> Option<BuildObj> {
        self.named_build(&self.data.last_unsuccessful_build)
    }

    /// Builds, newest first. Pass the previous page's `pageInfo.endCursor` as `after`
    /// to go on, past Jenkins' 100-build window if needed. `result` keeps only builds
    /// with that result.
    async fn builds(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_BUILDS_PAGE",
            desc = "Page size (at most 1000)."
        )]
        first: i32,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only builds with this result.")] result: Option<BuildResultEnum>,
    ) -> async_graphql::Result<Option<BuildPage>> {
        self.builds_page(ctx, first, after, result).await.map(Some)
    }

    /// One build by number; null if there is none.
    async fn build(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Build number.")] number: i32,
    ) -> async_graphql::Result<Option<BuildObj>> {
        load_build(ctx, &self.up, &self.full_name, build_number(number)?).await
    }

    /// Statistics over the last `last` builds (at most 100): success rate, failures,
    /// mean and p95 duration, flakiness.
    async fn trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_TREND",
            desc = "How many of the newest builds to look at."
        )]
        last: i32,
    ) -> async_graphql::Result<Option<Trend>> {
        self.trend_over(ctx, last).await.map(Some)
    }

    /// Where the job went bad, when its newest completed build failed (or went unstable):
    /// the last good build, the first bad one, the commits, culprits and parameters that
    /// changed between them, the stage that newly failed and the tests that newly fail.
    /// Null when the newest completed build succeeded. Costs one request (the newest 50
    /// builds with their changes, culprits and parameters); the stage and the tests cost
    /// their own (cached for good).
    async fn regression(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RegressionObj>> {
        regression_of(ctx, self).await
    }

    /// Per stage over the newest finished runs (at most ten): how often it failed, its
    /// mean and p95 duration, and whether it got slower. One request (`wfapi/runs`); null
    /// for jobs that are not pipelines.
    async fn stage_trends(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_STAGE_RUNS",
            desc = "How many of the newest finished runs to look at (at most 10)."
        )]
        last: i32,
    ) -> async_graphql::Result<Option<StageTrends>> {
        stage_trends_of(ctx, self, last).await
    }

    /// Tests that both passed and failed over the newest finished builds, with how often
    /// their outcome flipped; `flaky` when it flipped on the same code (the same revision,
    /// or no commit between). Costs one listing plus one test report per build (at most
    /// 30; each cached for good).
    async fn flaky_tests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "DEFAULT_FLAKY_BUILDS",
            desc = "How many of the newest finished builds to look at (at most 30)."
        )]
        last: i32,
    ) -> async_graphql::Result<Option<FlakyTests>> {
        flaky_tests_of(ctx, self, last).await.map(Some)
    }
}
