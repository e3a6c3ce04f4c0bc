//! `Deployment`, and finding deployments on a controller: its deploy jobs (those a
//! `[[deployments]]` rule claims, from one listing of job names), their newest builds (one
//! listing per folder holding deploy jobs: siblings share it), and, for jobs whose
//! environment only a stage names, their newest runs (`wfapi/runs`, one request each).

use std::sync::Arc;

use async_graphql::{Context, Object};
use futures::future::join_all;

use super::super::convert::{build_result, build_status, cause, stage_result, started_by};
use super::super::layout::RunLayout;
use super::super::load::{all_jobs, loaders, now_ms, report, state};
use super::super::objects::{BuildObj, ConnectionObj, DeploymentObj, JobObj};
use super::super::values::{BuildResultEnum, BuildStatus, Cause, DateTime, Long};
use super::rules::{environment_of, rule_for, stage_environments};
use crate::config::DeploymentRule;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError, Tree};
use crate::planner;

/// When a finished build ended.
fn end_of(b: &wire::Build) -> Option<i64> {
    match (b.building, b.result.as_deref()) {
        (Some(true), _) | (None, None) => None,
        _ => Some(b.timestamp? + b.duration.unwrap_or(0)),
    }
}

/// A deployment of `build` placed without stages.
fn whole_build(build: BuildObj, environment: Option<String>) -> DeploymentObj {
    let finished = end_of(&build.data);
    DeploymentObj {
        result: finished.and(build.data.result.clone()),
        end: finished,
        environment,
        stage: None,
        build,
    }
}

/// The deployments of one run by the names of its stages that ran.
fn by_stage(rule: &DeploymentRule, build: &BuildObj, run: &wire::RunExt) -> Vec<DeploymentObj> {
    let layout = RunLayout::of(Arc::new(run.clone()));
    let ran = (0..layout.stages().len()).filter(|&i| {
        !layout.skipped[i] && layout.stages()[i].status.as_deref() != Some("NOT_EXECUTED")
    });
    let names: Vec<(usize, &str)> = ran
        .filter_map(|i| Some((i, layout.stages()[i].name.as_deref()?)))
        .collect();
    stage_environments(rule, names.iter().map(|(_, n)| *n))
        .into_iter()
        .filter_map(|(env, stage)| {
            let (i, _) = names.iter().find(|(_, n)| *n == stage)?;
            let result = stage_result(layout.status(*i)).map(str::to_string);
            let start = layout.stages()[*i].start_time_millis?;
            let end = result
                .as_ref()
                .map(|_| start + layout.duration(*i).unwrap_or(0));
            Some(DeploymentObj {
                build: build.clone(),
                environment: Some(env),
                stage: Some(stage.to_string()),
                result,
                end,
            })
        })
        .collect()
}

/// The deployments among `builds` (newest first) of the deploy job `job`, which `rule`
/// claims. Builds no parameter, fixed environment or name word places are placed by the
/// stages of the job's newest runs (`wfapi/runs`, one request) when the rule has stage
/// patterns and the job is a pipeline; older ones stay unknown and are left out. Without
/// stages to read, they are deployments to an unknown environment.
pub(crate) async fn deployments_of(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    job: &JobObj,
    rule: &DeploymentRule,
    builds: &[Arc<wire::Build>],
) -> Vec<DeploymentObj> {
    let mut out = Vec::new();
    let mut unplaced = Vec::new();
    for data in builds {
        let build = job.build_obj(data);
        let param = |name: &str| {
            data.parameters()
                .find(|p| p.name.as_deref() == Some(name))
                .and_then(|p| p.value.as_ref()?.as_str())
        };
        match environment_of(rule, &job.full_name, param) {
            Some((env, _)) => out.push(whole_build(build, Some(env))),
            None => unplaced.push(build),
        }
    }
    if unplaced.is_empty() {
        return out;
    }
    let runs = if !rule.stages.is_empty() && job.data.is_pipeline() {
        match loaders(ctx).runs(&up.name, &job.full_name).await {
            Ok(runs) => Some(runs),
            // Without the Pipeline REST API the stages cannot tell: as if there were none.
            Err(JenkinsError::PipelineApiMissing { .. } | JenkinsError::NotAPipeline { .. }) => {
                None
            }
            Err(e) => {
                report(ctx, &e);
                None
            }
        }
    } else {
        None
    };
    let Some(runs) = runs else {
        out.extend(unplaced.into_iter().map(|b| whole_build(b, None)));
        return out;
    };
    for build in unplaced {
        let id = build.num().to_string();
        if let Some(run) = runs.iter().find(|r| r.id.as_deref() == Some(id.as_str())) {
            out.extend(by_stage(rule, &build, run));
        }
    }
    out
}

/// The deploy jobs on `up` under `folder`, with the rule that claims each.
async fn deploy_jobs<'r>(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    folder: &str,
    rules: &'r [DeploymentRule],
) -> Result<Vec<(JobObj, &'r DeploymentRule)>, JenkinsError> {
    let jobs = all_jobs(ctx, up, folder, &planner::search_tree(&[])).await?;
    Ok(jobs
        .into_iter()
        .filter_map(|j| {
            let rule = rule_for(rules, &up.name, &j.full_name)?;
            Some((j, rule))
        })
        .collect())
}

/// Every deployment on `up` under `folder` found in its deploy jobs' newest builds,
/// read with `tree` (from [`planner::incident::deploy_builds_tree`]). Also says whether
/// every deploy job's history was read whole (none has more builds than were read).
pub(crate) async fn deployments_on(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    folder: &str,
    tree: &Tree,
) -> Result<(Vec<DeploymentObj>, bool), JenkinsError> {
    let rules = &state(ctx).config().deployments;
    let jobs = deploy_jobs(ctx, up, folder, rules).await?;
    let l = loaders(ctx);
    let data = join_all(
        jobs.iter()
            .map(|(j, _)| l.item(&up.name, &j.full_name, tree.clone())),
    )
    .await;
    let mut whole = true;
    let mut found = Vec::new();
    for ((job, rule), data) in jobs.iter().zip(data) {
        let data = data?;
        let builds: Vec<Arc<wire::Build>> = data
            .builds
            .iter()
            .flatten()
            .cloned()
            .map(Arc::new)
            .collect();
        whole &= builds.len() < planner::incident::DEPLOY_BUILDS as usize;
        found.push(async move { deployments_of(ctx, up, job, rule, &builds).await });
    }
    let all = join_all(found).await.into_iter().flatten().collect();
    Ok((all, whole))
}

/// A build of a deploy job, to one environment.
#[Object(name = "Deployment")]
impl DeploymentObj {
    /// The environment it deployed to (a parameter's value, a rule's environment, a word
    /// of the job's name, or a stage's name, lower-cased); null when no rule could tell.
    async fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// The controller it ran on.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.build.up.clone())
    }

    /// Full name of the deploy job.
    async fn job_name(&self) -> &str {
        &self.build.job
    }

    /// The build (with the fields selected, read with the deployment: no more requests
    /// unless a field of its own needs them, such as `stages` or `log`).
    async fn build(&self) -> &BuildObj {
        &self.build
    }

    /// How it ended: the build's result, or the deploying stage's when a stage named the
    /// environment. Null while it runs.
    async fn result(&self) -> Option<BuildResultEnum> {
        self.result.as_deref().and_then(build_result)
    }

    /// BUILDING while it runs, else its result.
    async fn status(&self) -> BuildStatus {
        let r = self.result.as_deref().and_then(build_result);
        build_status(self.end.is_some(), r)
    }

    /// The commit deployed (git's last built revision), if the job checks out git.
    async fn revision(&self) -> Option<String> {
        self.build
            .data
            .git_build_data()
            .find_map(|a| a.last_built_revision.as_ref()?.sha1.clone())
    }

    /// Who or what started it: a user's name, `upstream JOB #N`, or Jenkins' words.
    async fn started_by(&self) -> Option<String> {
        started_by(self.build.data.causes())
    }

    /// Why the build started, in full.
    async fn causes(&self) -> Vec<Cause> {
        self.build.data.causes().map(cause).collect()
    }

    /// When the build started.
    async fn timestamp(&self) -> Option<DateTime> {
        self.build.data.timestamp.map(DateTime)
    }

    /// How long the build took, ms (so far, while it runs).
    async fn duration(&self) -> Option<Long> {
        let start = self.build.data.timestamp?;
        Some(Long(match end_of(&self.build.data) {
            Some(end) => end - start,
            None => (now_ms() - start).max(0),
        }))
    }

    /// When it ended (the deploying stage's end when a stage named the environment).
    async fn finished_at(&self) -> Option<DateTime> {
        self.end.map(DateTime)
    }

    /// The stage whose name gave the environment, when a stage did.
    async fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }
}
