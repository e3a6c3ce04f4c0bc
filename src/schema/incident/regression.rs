//! `Job.regression`: for a failing job, where it went bad and what changed: the last good
//! build, the first bad one, the commits and culprits between them, the parameters that
//! changed, the stage that newly failed and the tests that newly fail.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Object, ResultExt};

use super::super::convert::{change, failed_test, parameter, user_ref};
use super::super::layout::RunLayout;
use super::super::load::{loaders, stages_of};
use super::super::objects::{BuildObj, JobObj, RegressionObj, StageObj};
use super::super::values::{Change, FailedTest, ParameterChange, UserRef};
use super::history::{changed_parameters, newly_failed_stage, newly_failing, regression_span};
use crate::jenkins::{wire, JenkinsError};
use crate::planner::incident::regression_tree;
use crate::planner::DEFAULT_FAILED_TESTS;

/// The regression of `job`, from its newest builds (one request), with what the field's
/// selection wants of its two builds; `None` when the newest completed build succeeded.
pub(crate) async fn regression_of(
    ctx: &Context<'_>,
    job: &JobObj,
) -> async_graphql::Result<Option<RegressionObj>> {
    let tree = regression_tree(&ctx.field(), &[&["lastGoodBuild"], &["firstBadBuild"]]);
    let page = loaders(ctx)
        .builds_slice(&job.up.name, &job.full_name, tree)
        .await
        .extend()?;
    let Some(span) = regression_span(page.page_builds()) else {
        return Ok(None);
    };
    let arc = |b: &wire::Build| Arc::new(b.clone());
    let first_bad = arc(span.first_bad);
    Ok(Some(RegressionObj {
        job: job.clone(),
        good: span.good.map(|g| job.build_obj(&arc(g))),
        first_bad: job.build_obj(&first_bad),
        failing: span.bad.len(),
        commits: span.commits().into_iter().map(change).collect(),
        culprits: span.culprits().into_iter().map(user_ref).collect(),
    }))
}

/// A run's stages, when the build is a pipeline with the Pipeline REST API.
async fn run_of(
    ctx: &Context<'_>,
    b: &BuildObj,
) -> async_graphql::Result<Option<Arc<wire::RunExt>>> {
    if b.data.class.is_some() && !b.data.is_pipeline() {
        return Ok(None);
    }
    match loaders(ctx).run(&b.at()).await {
        Ok(r) => Ok(Some(r)),
        Err(JenkinsError::NotAPipeline { .. } | JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// A build's test report, when it has one.
async fn report_of(
    ctx: &Context<'_>,
    b: &BuildObj,
) -> async_graphql::Result<Option<Arc<wire::TestReport>>> {
    match loaders(ctx).tests(&b.at(), b.finished()).await {
        Ok(r) => Ok(Some(r)),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// Where a failing job went bad, and what changed between its last good build and the
/// first bad one.
#[Object(name = "Regression")]
impl RegressionObj {
    /// The newest build that succeeded before the failures; null when every build looked
    /// at (the newest 50) failed.
    async fn last_good_build(&self) -> Option<&BuildObj> {
        self.good.as_ref()
    }

    /// The first build that failed (or went unstable) after it.
    async fn first_bad_build(&self) -> &BuildObj {
        &self.first_bad
    }

    /// Builds that failed (or went unstable) since the last good one.
    async fn failing_builds(&self) -> i32 {
        self.failing as i32
    }

    /// The commits built since the last good build, oldest first, each once.
    async fn commits(&self) -> &[Change] {
        &self.commits
    }

    /// Jenkins' culprits of the failing builds (authors of the changes since the last
    /// good build), each once.
    async fn culprits(&self) -> &[UserRef] {
        &self.culprits
    }

    /// Parameters whose value differs between the last good build and the first bad one
    /// (passwords stay masked).
    async fn changed_parameters(&self) -> Vec<ParameterChange> {
        let Some(good) = &self.good else {
            return Vec::new();
        };
        changed_parameters(&good.data, &self.first_bad.data)
            .into_iter()
            .map(|(name, before, after)| ParameterChange {
                name: name.to_string(),
                before: before.and_then(|p| parameter(p).value),
                after: after.and_then(|p| parameter(p).value),
            })
            .collect()
    }

    /// The first stage of the first bad build that failed where the last good build's
    /// stage of that name did not. Costs both runs' `wfapi/describe` (cached for good);
    /// null for freestyle jobs.
    async fn newly_failed_stage(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<StageObj>> {
        let Some(bad) = run_of(ctx, &self.first_bad).await? else {
            return Ok(None);
        };
        let good = match &self.good {
            Some(g) => run_of(ctx, g).await?,
            None => None,
        };
        let bad_layout = RunLayout::of(Arc::clone(&bad));
        let good_layout = good.clone().map(RunLayout::of);
        let Some(i) = newly_failed_stage(good_layout.as_ref(), &bad_layout) else {
            return Ok(None);
        };
        Ok(stages_of(&self.job.up, &self.first_bad.at(), &bad)
            .into_iter()
            .nth(i))
    }

    /// Tests failing in the first bad build that did not fail in the last good one. Costs
    /// both builds' test reports (cached for good).
    async fn newly_failing_tests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "DEFAULT_FAILED_TESTS", desc = "At most this many.")] first: i32,
    ) -> async_graphql::Result<Vec<FailedTest>> {
        let Some(bad) = report_of(ctx, &self.first_bad).await? else {
            return Ok(Vec::new());
        };
        let good = match &self.good {
            Some(g) => report_of(ctx, g).await?,
            None => None,
        };
        let mut seen = HashMap::new();
        Ok(newly_failing(good.as_deref(), &bad)
            .into_iter()
            .filter(|c| {
                seen.insert((c.class_name.clone(), c.name.clone()), ())
                    .is_none()
            })
            .filter_map(failed_test)
            .take(first.max(0) as usize)
            .collect())
    }
}
