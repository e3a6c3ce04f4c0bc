//! `commit(sha:)`: where a commit went across every controller: the builds that built it
//! (git's last built revision, or the change set), the deployments that carried it and
//! whether they succeeded. Per controller: the recursive listing of job names (shared
//! with job searches), then one listing per folder of its jobs' newest builds with their
//! SCM data (each split into parts that fit the controller's request limit): never one
//! request per build, and no answer larger than one folder's.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Object};
use futures::future::join_all;

use super::super::convert::change;
use super::super::load::{all_jobs, loaders, skip_connection, state};
use super::super::objects::{BuildObj, CommitObj, ConnectionObj, DeploymentObj, JobObj};
use super::super::values::{Change, CommitLink};
use super::deploy::deployments_of;
use super::rules::rule_for;
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::jenkins::{wire, JenkinsError, Tree};
use crate::planner;

/// Shortest commit prefix accepted.
pub(crate) const MIN_SHA: usize = 7;

/// A commit prefix as asked: 7 to 40 hexadecimal digits, lower-cased.
pub(crate) fn sha_prefix(sha: &str) -> async_graphql::Result<String> {
    let s = sha.trim().to_ascii_lowercase();
    if s.len() < MIN_SHA || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GatewayError::BadArgument(format!(
            "sha must be {MIN_SHA} to 40 hexadecimal digits of a commit id"
        ))
        .extend());
    }
    Ok(s)
}

/// The revision a build checked out.
fn revision(b: &wire::Build) -> Option<&str> {
    b.git_build_data()
        .find_map(|a| a.last_built_revision.as_ref()?.sha1.as_deref())
}

/// The commits of a build's change sets.
fn commits(b: &wire::Build) -> impl Iterator<Item = &wire::ChangeSetItem> {
    b.all_change_sets().flat_map(|s| s.items.iter().flatten())
}

fn commit_id(c: &wire::ChangeSetItem) -> Option<&str> {
    c.commit_id.as_deref().or(c.id.as_deref())
}

/// How `b` is tied to the commits starting with `prefix`: the full ids it names, and how.
fn ties(b: &wire::Build, prefix: &str) -> Option<(String, CommitLink)> {
    let starts = |id: &str| id.to_ascii_lowercase().starts_with(prefix);
    if let Some(r) = revision(b).filter(|r| starts(r)) {
        return Some((r.to_string(), CommitLink::Revision));
    }
    commits(b)
        .filter_map(commit_id)
        .find(|id| starts(id))
        .map(|id| (id.to_string(), CommitLink::ChangeSet))
}

/// What one controller knows of the commit: builds tied to it, the deployments among
/// them, what a change set says of it, and how many builds were looked at.
type Found = (
    Vec<(BuildObj, CommitLink, String)>,
    Vec<DeploymentObj>,
    Option<wire::ChangeSetItem>,
    usize,
);

/// The trees a commit search reads a job with: a job that deploys, and any other (from
/// [`crate::planner::incident::commit_scan_tree`]).
pub(crate) struct ScanTrees {
    /// For a job no `[[deployments]]` rule claims.
    pub(crate) job: Tree,
    /// For a deploy job (its builds' parameters too).
    pub(crate) deploy: Tree,
}

/// Every job on `up` with its newest builds: the names from the recursive listing (the
/// one job searches share), then each job's builds, siblings in one listing of their
/// folder. A job that vanished in between is passed over.
async fn scanned_jobs(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    trees: &ScanTrees,
) -> Result<Vec<JobObj>, JenkinsError> {
    let names = all_jobs(ctx, up, "", &planner::search_tree(&[])).await?;
    let rules = &state(ctx).config().deployments;
    let l = loaders(ctx);
    let answers = join_all(names.iter().map(|j| {
        let deploy = rule_for(rules, &up.name, &j.full_name).is_some();
        let tree = if deploy { &trees.deploy } else { &trees.job };
        l.item(&up.name, &j.full_name, tree.clone())
    }))
    .await;
    let mut jobs = Vec::with_capacity(names.len());
    for (j, answer) in names.into_iter().zip(answers) {
        match answer {
            Ok(data) => jobs.push(JobObj { data, ..j }),
            Err(JenkinsError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(jobs)
}

/// Look for the commit in the newest builds of every job on `up`.
async fn on_connection(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    prefix: &str,
    trees: &ScanTrees,
) -> Result<Found, JenkinsError> {
    let jobs = scanned_jobs(ctx, up, trees).await?;
    let rules = &state(ctx).config().deployments;
    let mut builds = Vec::new();
    let mut info = None;
    let mut scanned = 0;
    let mut deploys: Vec<(&JobObj, Vec<Arc<wire::Build>>)> = Vec::new();
    for job in &jobs {
        let mut tied = Vec::new();
        for b in job.data.builds.iter().flatten() {
            scanned += 1;
            let Some((full, link)) = ties(b, prefix) else {
                continue;
            };
            if info.is_none() {
                info = commits(b)
                    .find(|c| commit_id(c) == Some(full.as_str()))
                    .cloned();
            }
            let data = Arc::new(b.clone());
            builds.push((job.build_obj(&data), link, full));
            tied.push(data);
        }
        if !tied.is_empty() && rule_for(rules, &up.name, &job.full_name).is_some() {
            deploys.push((job, tied));
        }
    }
    let found = join_all(deploys.iter().map(|(job, tied)| async move {
        let rule = rule_for(rules, &up.name, &job.full_name)?;
        Some(deployments_of(ctx, up, job, rule, tied).await)
    }))
    .await;
    let deployments = found.into_iter().flatten().flatten().collect();
    Ok((builds, deployments, info, scanned))
}

/// Where the commit `prefix` went, across `ups`, each job read with `trees`.
pub(crate) async fn find_commit(
    ctx: &Context<'_>,
    ups: &[Arc<Upstream>],
    prefix: &str,
    trees: &ScanTrees,
) -> async_graphql::Result<CommitObj> {
    let per = join_all(ups.iter().map(|u| on_connection(ctx, u, prefix, trees))).await;
    let mut builds = Vec::new();
    let mut deployments = Vec::new();
    let mut info = None;
    let mut scanned = 0;
    for found in per.into_iter().filter_map(|r| skip_connection(ctx, r)) {
        builds.extend(found.0);
        deployments.extend(found.1);
        info = info.or(found.2);
        scanned += found.3;
    }
    let mut shas: Vec<&str> = builds.iter().map(|(_, _, s)| s.as_str()).collect();
    shas.sort_unstable();
    shas.dedup();
    if shas.len() > 1 {
        return Err(GatewayError::BadArgument(format!(
            "the prefix {prefix} names {} different commits; give more digits",
            shas.len()
        ))
        .extend());
    }
    let sha = shas
        .first()
        .map_or_else(|| prefix.to_string(), |s| s.to_string());
    let newest = |b: &BuildObj| std::cmp::Reverse(b.data.timestamp.unwrap_or(0));
    builds.sort_by_key(|(b, _, _)| newest(b));
    deployments.sort_by_key(|d: &DeploymentObj| newest(&d.build));
    Ok(CommitObj {
        sha,
        change: info,
        builds: builds.into_iter().map(|(b, l, _)| (b, l)).collect(),
        deployments,
        scanned,
    })
}

/// A build tied to a commit.
pub(crate) struct CommitBuild {
    build: BuildObj,
    link: CommitLink,
}

/// A build tied to a commit, and how.
#[Object]
impl CommitBuild {
    /// The build.
    async fn build(&self) -> &BuildObj {
        &self.build
    }

    /// How it is tied to the commit: it checked it out (REVISION), or the commit is among
    /// its changes (CHANGE_SET).
    async fn link(&self) -> CommitLink {
        self.link
    }

    /// The controller it ran on.
    async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.build.up.clone())
    }

    /// Full name of its job.
    async fn job_name(&self) -> &str {
        &self.build.job
    }
}

/// Where a commit went across every controller.
#[Object(name = "Commit")]
impl CommitObj {
    /// The commit's full id when a build names it, else the prefix asked for.
    async fn sha(&self) -> &str {
        &self.sha
    }

    /// What a change set says of it (message, author, time, paths); null when no build
    /// looked at lists it among its changes.
    async fn change(&self) -> Option<Change> {
        self.change.as_ref().map(change)
    }

    /// The builds that built it (checked it out, or list it among their changes), newest
    /// first, on every controller.
    async fn builds(&self) -> Vec<CommitBuild> {
        self.builds
            .iter()
            .map(|(b, l)| CommitBuild {
                build: b.clone(),
                link: *l,
            })
            .collect()
    }

    /// The deployments among those builds (by the `[[deployments]]` rules), newest
    /// first: where the commit went and whether it got there.
    async fn deployments(&self) -> &[DeploymentObj] {
        &self.deployments
    }

    /// The environments a successful deployment carried it to.
    async fn environments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in &self.deployments {
            if let (Some(env), Some("SUCCESS")) = (&d.environment, d.result.as_deref()) {
                if !out.contains(env) {
                    out.push(env.clone());
                }
            }
        }
        out
    }

    /// How many builds were looked at (the newest 25 of every job).
    async fn scanned_builds(&self) -> i32 {
        self.scanned as i32
    }
}
