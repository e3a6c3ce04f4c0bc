//! `Job.stageTrends` and `Job.flakyTests`: a job's recent history read as figures. Stage
//! trends come from one `wfapi/runs` request (the newest ten runs with their stages);
//! flaky tests from one listing of the newest builds' revisions plus each finished
//! build's test report (cached for good once read).

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ResultExt};
use futures::future::join_all;

use super::super::layout::RunLayout;
use super::super::load::loaders;
use super::super::objects::JobObj;
use super::super::values::{FlakyTest, FlakyTests, Long, StageTrend, StageTrends};
use super::figures::{mean, p95, stage_figures, StageFigures, StageRun};
use super::history::flaky_tests;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::BuildRef;
use crate::planner::incident::{flaky_builds_tree, MAX_FLAKY_BUILDS};

/// Runs `wfapi/runs` gives at most.
const WFAPI_RUNS: usize = 10;

/// One run's stages as trend inputs: those that ran (neither skipped after an earlier
/// failure nor not executed), with their own status and laid-out duration.
fn stage_runs(layout: &RunLayout) -> Vec<StageRun<'_>> {
    (0..layout.stages().len())
        .filter(|&i| !layout.skipped[i])
        .filter_map(|i| {
            let status = layout.status(i)?;
            if status == "NOT_EXECUTED" {
                return None;
            }
            Some(StageRun {
                name: layout.stages()[i].name.as_deref()?,
                duration: layout.duration(i),
                failed: status == "FAILED",
                succeeded: status == "SUCCESS",
            })
        })
        .collect()
}

fn trend(f: &StageFigures) -> StageTrend {
    let change = f.change();
    StageTrend {
        name: f.name.clone(),
        runs: f.runs as i32,
        failures: f.failures as i32,
        failure_rate: f.failure_rate(),
        mean_duration: mean(&f.durations).map(Long),
        p95_duration: p95(&f.durations).map(Long),
        duration_change: change,
        slower: f.slower(),
        durations: f.durations.iter().copied().map(Long).collect(),
    }
}

/// Stage figures over the newest `last` finished runs of `job` (at most ten: what
/// `wfapi/runs` gives); `None` for a job that is not a pipeline.
pub(crate) async fn stage_trends_of(
    ctx: &Context<'_>,
    job: &JobObj,
    last: i32,
) -> async_graphql::Result<Option<StageTrends>> {
    if job.data.class.is_some() && !job.data.is_pipeline() {
        return Ok(None);
    }
    let runs = match loaders(ctx).runs(&job.up.name, &job.full_name).await {
        Ok(r) => r,
        Err(JenkinsError::NotAPipeline { .. }) => return Ok(None),
        Err(e) => return Err(e.extend()),
    };
    let last = last.clamp(1, WFAPI_RUNS as i32) as usize;
    // Newest first from Jenkins; the figures want them oldest first.
    let layouts: Vec<RunLayout> = runs
        .iter()
        .filter(|r| !r.is_running())
        .take(last)
        .map(|r| RunLayout::of(Arc::new(r.clone())))
        .collect();
    let per_run: Vec<Vec<StageRun>> = layouts.iter().rev().map(stage_runs).collect();
    let figures = stage_figures(&per_run);
    let slower_stage = figures
        .iter()
        .filter(|f| f.slower())
        .max_by(|a, b| {
            a.change()
                .partial_cmp(&b.change())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(trend);
    Ok(Some(StageTrends {
        runs: layouts.len() as i32,
        stages: figures.iter().map(trend).collect(),
        slower_stage,
    }))
}

/// A finished build's test report; `None` when it has none.
async fn report(
    ctx: &Context<'_>,
    at: BuildRef,
) -> Result<Option<Arc<wire::TestReport>>, JenkinsError> {
    match loaders(ctx).tests(&at, true).await {
        Ok(r) => Ok(Some(r)),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Tests that passed and failed by turns over the newest `last` finished builds of `job`
/// (at most [`MAX_FLAKY_BUILDS`]).
pub(crate) async fn flaky_tests_of(
    ctx: &Context<'_>,
    job: &JobObj,
    last: i32,
) -> async_graphql::Result<FlakyTests> {
    let last = last.clamp(1, MAX_FLAKY_BUILDS as i32) as u32;
    // One more than asked: a build still running takes a place in the listing.
    let page = loaders(ctx)
        .builds_slice(&job.up.name, &job.full_name, flaky_builds_tree(last + 1))
        .await
        .extend()?;
    let finished: Vec<&wire::Build> = page
        .page_builds()
        .iter()
        .filter(|b| b.building != Some(true) && b.result.is_some())
        .take(last as usize)
        .collect();
    let reports = join_all(finished.iter().map(|b| {
        report(
            ctx,
            BuildRef {
                conn: job.up.name.clone(),
                job: job.full_name.clone(),
                number: b.number.unwrap_or(0),
            },
        )
    }))
    .await;
    let mut runs = Vec::new();
    for (b, r) in finished.iter().zip(&reports) {
        match r {
            Ok(Some(r)) => runs.push((*b, r.as_ref())),
            Ok(None) => {}
            Err(e) => return Err(e.clone().extend()),
        }
    }
    runs.reverse();
    let tests = flaky_tests(&runs)
        .into_iter()
        .map(|t| FlakyTest {
            flaky: t.same_code_flips > 0,
            last_failed_build: t.last_failure.as_ref().map(|(n, _)| *n as i32),
            last_error: t.last_failure.and_then(|(_, e)| e),
            class_name: t.class_name,
            name: t.name,
            passes: t.passes as i32,
            failures: t.failures as i32,
            flips: t.flips as i32,
            same_revision_flips: t.same_code_flips as i32,
        })
        .collect();
    Ok(FlakyTests {
        builds: runs.len() as i32,
        tests,
    })
}
