//! `resolve(url:)`: the job, build or stage a pasted Jenkins URL names, on whichever
//! configured controller serves it. Reading the URL costs nothing ([`super::urls`]); the
//! object costs what `job`, `build` or `node` would (one request, plus the run's
//! `wfapi/describe` for a stage, plus one small request when a permalink such as
//! `lastFailedBuild` names the build).

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions};

use super::super::load::{load_build, load_job, load_stage, loaders, visible};
use super::super::objects::Node;
use super::urls::{resolve_url, BuildSel, Target, UrlProblem};
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError};
use crate::loaders::BuildRef;
use crate::planner::incident::permalink_tree;

/// The number of the build a permalink names; `None` when the job has no such build.
async fn permalink_number(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    job: &str,
    permalink: &str,
) -> async_graphql::Result<Option<u32>> {
    let data = match loaders(ctx)
        .item(&up.name, job, permalink_tree(permalink))
        .await
    {
        Ok(d) => d,
        Err(JenkinsError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.extend()),
    };
    let build: &Option<Arc<wire::Build>> = match permalink {
        "lastBuild" => &data.last_build,
        "lastSuccessfulBuild" => &data.last_successful_build,
        "lastFailedBuild" => &data.last_failed_build,
        "lastCompletedBuild" => &data.last_completed_build,
        "lastStableBuild" => &data.last_stable_build,
        "lastUnstableBuild" => &data.last_unstable_build,
        "lastUnsuccessfulBuild" => &data.last_unsuccessful_build,
        _ => &data.first_build,
    };
    Ok(build.as_ref().and_then(|b| b.number))
}

/// The build number a URL's selector names.
async fn number_of(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    job: &str,
    sel: &BuildSel,
) -> async_graphql::Result<Option<u32>> {
    match sel {
        BuildSel::Number(n) => Ok(Some(*n)),
        BuildSel::Permalink(p) => permalink_number(ctx, up, job, p).await,
    }
}

/// Why a URL names nothing, as the caller's error.
fn problem(p: UrlProblem) -> async_graphql::Error {
    let why = match p {
        UrlProblem::NotAUrl => "is not a URL".to_string(),
        UrlProblem::NoController => {
            "is not served by any connection you may see (compare its host, port and \
             context path with `connections { url }`)"
                .to_string()
        }
        UrlProblem::NotAnItem => "names no job, build or stage".to_string(),
    };
    GatewayError::BadArgument(format!("the URL {why}")).extend()
}

/// The object `url` names: a job, a build, or a stage (a flow node that is not a stage,
/// such as a step, names its build). Null when the controller has no such object.
pub(crate) async fn resolve(ctx: &Context<'_>, url: &str) -> async_graphql::Result<Option<Node>> {
    let ups = visible(ctx);
    let bases: Vec<(String, String)> = ups
        .iter()
        .map(|u| (u.name.to_string(), u.url.clone()))
        .collect();
    let (conn, target) = resolve_url(url, &bases).map_err(problem)?;
    let Some(up) = ups.iter().find(|u| &*u.name == conn) else {
        return Ok(None);
    };
    match target {
        Target::Job(job) => Ok(load_job(ctx, up, &job).await?.map(Node::Job)),
        Target::Build(job, sel) => {
            let Some(n) = number_of(ctx, up, &job, &sel).await? else {
                return Ok(None);
            };
            Ok(load_build(ctx, up, &job, n).await?.map(Node::Build))
        }
        Target::Stage(job, sel, node) => {
            let Some(number) = number_of(ctx, up, &job, &sel).await? else {
                return Ok(None);
            };
            let at = BuildRef {
                conn: up.name.clone(),
                job: job.clone(),
                number,
            };
            if let Some(stage) = load_stage(ctx, up, &at, &node).await? {
                return Ok(Some(Node::Stage(stage)));
            }
            Ok(load_build(ctx, up, &job, number).await?.map(Node::Build))
        }
    }
}
