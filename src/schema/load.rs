//! Loading objects: what resolvers of every type share to turn a field's selection into
//! objects, through the planner (what to ask) and the loaders (asking it). Resolver files
//! call down into this module and never into each other.
//!
//! It is also the one place that hands out connections, so the caller's scope holds for
//! every field: [`upstream`] (one by name) and [`visible`] (all the caller may see). A
//! connection outside the scope is exactly as unknown as a name that does not exist.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ResultExt};
use futures::future::join_all;

use super::convert::folder_kind;
use super::layout::RunLayout;
use super::objects::{AgentObj, BuildObj, FolderObj, ItemObj, JobObj, QueueItemObj, StageObj};
use crate::error::GatewayError;
use crate::gateway::{GatewayState, Upstream};
use crate::guard::auth::Caller;
use crate::jenkins::{wire, JenkinsError, Tree};
use crate::loaders::{BuildRef, Loaders};
use crate::planner;

/// The gateway behind the schema.
pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a GatewayState {
    ctx.data_unchecked::<GatewayState>()
}

/// The request's loaders.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// Whether the caller may see the connection `name`. A request without a caller (the
/// transports always set one) sees none.
fn may_see(ctx: &Context<'_>, name: &str) -> bool {
    ctx.data_opt::<Caller>().is_some_and(|c| c.may_see(name))
}

/// The connection with this name, or `UNKNOWN_CONNECTION` (also for one the caller may not
/// see: the same error, the same message).
pub(crate) fn upstream(ctx: &Context<'_>, name: &str) -> async_graphql::Result<Arc<Upstream>> {
    state(ctx)
        .upstream(name)
        .filter(|u| may_see(ctx, &u.name))
        .cloned()
        .ok_or_else(|| GatewayError::UnknownConnection(name.to_string()).extend())
}

/// Every connection the caller may see, in configuration order. Every fleet-wide field
/// starts here, never at the gateway's own list.
pub(crate) fn visible(ctx: &Context<'_>) -> Vec<Arc<Upstream>> {
    state(ctx)
        .upstreams()
        .iter()
        .filter(|u| may_see(ctx, &u.name))
        .cloned()
        .collect()
}

/// A build number argument.
pub(crate) fn build_number(number: i32) -> async_graphql::Result<u32> {
    u32::try_from(number)
        .map_err(|_| GatewayError::BadArgument("number must be positive".into()).extend())
}

/// Record an error in the response without failing the field (partial data).
/// `add_error` alone leaves the error without a `path`; the spec wants the field's.
pub(crate) fn report(ctx: &Context<'_>, e: &JenkinsError) {
    ctx.add_error(ctx.set_error_path(e.extend().into_server_error(ctx.item.pos)));
}

/// Report an error and give up on one connection's part of a fleet-wide answer.
pub(crate) fn skip_connection<T>(ctx: &Context<'_>, r: Result<T, JenkinsError>) -> Option<T> {
    r.map_err(|e| report(ctx, &e)).ok()
}

/// Milliseconds since the epoch (waiting times, running builds' durations).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A child's full name: as Jenkins sent it, or its parent's joined with its name.
pub(crate) fn child_full_name(parent: &str, child: &wire::Item) -> String {
    if let Some(f) = &child.full_name {
        return f.clone();
    }
    let name = child.name.as_deref().unwrap_or_default();
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Wire data as a folder or a job.
pub(crate) fn item_obj(up: &Arc<Upstream>, parent: &str, data: &Arc<wire::Item>) -> ItemObj {
    let full_name = child_full_name(parent, data);
    let (up, data) = (up.clone(), Arc::clone(data));
    if folder_kind(data.class.as_deref()).is_some() {
        ItemObj::Folder(FolderObj {
            up,
            full_name,
            data,
        })
    } else {
        ItemObj::Job(JobObj {
            up,
            full_name,
            data,
        })
    }
}

/// An item with the fields the current selection (of type `ty`) wants; `None` for 404.
async fn load_item(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    full_name: &str,
    ty: &str,
) -> async_graphql::Result<Option<Arc<wire::Item>>> {
    let tree = planner::tree_of(ty, &ctx.field());
    match loaders(ctx).item(&up.name, full_name, tree).await {
        Ok(data) => Ok(Some(data)),
        Err(JenkinsError::NotFound { .. }) if !full_name.is_empty() => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// The controller's root folder with the fields the current selection wants.
pub(crate) async fn load_root(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> async_graphql::Result<Option<FolderObj>> {
    Ok(load_item(ctx, up, "", "Folder")
        .await?
        .map(|data| FolderObj {
            up: up.clone(),
            full_name: String::new(),
            data,
        }))
}

/// A folder by full name; `None` if there is none.
pub(crate) async fn load_folder(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    path: &str,
) -> async_graphql::Result<Option<FolderObj>> {
    let path = path.trim_matches('/');
    if path.is_empty() {
        return load_root(ctx, up).await;
    }
    Ok(load_item(ctx, up, path, "Folder")
        .await?
        .map(|data| FolderObj {
            up: up.clone(),
            full_name: path.to_string(),
            data,
        }))
}

/// A job by full name; `None` if there is none or it is a folder.
pub(crate) async fn load_job(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    full_name: &str,
) -> async_graphql::Result<Option<JobObj>> {
    let full_name = full_name.trim_matches('/');
    if full_name.is_empty() {
        return Err(GatewayError::BadArgument("a job's full name cannot be empty".into()).extend());
    }
    Ok(load_item(ctx, up, full_name, "Job")
        .await?
        .filter(|data| folder_kind(data.class.as_deref()).is_none())
        .map(|data| JobObj {
            up: up.clone(),
            full_name: full_name.to_string(),
            data,
        }))
}

/// The folder holding the item `full_name` (the root for top-level items).
pub(crate) async fn load_parent(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    full_name: &str,
) -> async_graphql::Result<Option<FolderObj>> {
    match full_name.rsplit_once('/') {
        Some((parent, _)) => load_folder(ctx, up, parent).await,
        None => load_root(ctx, up).await,
    }
}

/// A build with the fields the current selection wants; `None` if there is none.
pub(crate) async fn load_build(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    job: &str,
    number: u32,
) -> async_graphql::Result<Option<BuildObj>> {
    let at = BuildRef {
        conn: up.name.clone(),
        job: job.to_string(),
        number,
    };
    let tree = planner::tree_of("Build", &ctx.field());
    match loaders(ctx).build(&at, tree).await {
        Ok(data) => Ok(Some(BuildObj {
            up: up.clone(),
            job: job.to_string(),
            data,
        })),
        Err(JenkinsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// The stages of a run, laid out (parallel branches under their holder, skipped stages
/// told apart).
pub(crate) fn stages_of(
    up: &Arc<Upstream>,
    build: &BuildRef,
    run: &Arc<wire::RunExt>,
) -> Vec<StageObj> {
    let run = Arc::new(RunLayout::of(Arc::clone(run)));
    (0..run.stages().len())
        .map(|index| StageObj {
            up: up.clone(),
            build: build.clone(),
            run: Arc::clone(&run),
            index,
        })
        .collect()
}

/// One stage of a run by flow node id.
pub(crate) async fn load_stage(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    build: &BuildRef,
    id: &str,
) -> async_graphql::Result<Option<StageObj>> {
    let run = match loaders(ctx).run(build).await {
        Ok(r) => r,
        Err(JenkinsError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.extend()),
    };
    Ok(stages_of(up, build, &run)
        .into_iter()
        .find(|s| s.data().id.as_deref() == Some(id)))
}

/// The queue of one connection.
pub(crate) async fn queue_one(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> Result<Vec<QueueItemObj>, JenkinsError> {
    let q = loaders(ctx).queue(&up.name).await?;
    Ok(q.items
        .iter()
        .flatten()
        .map(|i| QueueItemObj {
            up: up.clone(),
            data: Arc::new(i.clone()),
            job: None,
        })
        .collect())
}

/// The queues of several connections; failing ones add an error and no items.
pub(crate) async fn queue_of(ctx: &Context<'_>, ups: &[Arc<Upstream>]) -> Vec<QueueItemObj> {
    let all = join_all(ups.iter().map(|u| queue_one(ctx, u))).await;
    all.into_iter()
        .filter_map(|r| skip_connection(ctx, r))
        .flatten()
        .collect()
}

/// One queue item by id.
pub(crate) async fn load_queue_item(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    id: i64,
) -> async_graphql::Result<Option<QueueItemObj>> {
    let items = queue_one(ctx, up).await.extend()?;
    Ok(items.into_iter().find(|q| q.data.id == Some(id)))
}

/// The agents of one connection.
pub(crate) async fn agents_one(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
) -> Result<Vec<AgentObj>, JenkinsError> {
    let set = loaders(ctx).computers(&up.name).await?;
    Ok(set
        .computer
        .iter()
        .flatten()
        .map(|c| AgentObj {
            up: up.clone(),
            data: Arc::new(c.clone()),
        })
        .collect())
}

/// The agents of several connections; failing ones add an error and no agents.
pub(crate) async fn agents_of(ctx: &Context<'_>, ups: &[Arc<Upstream>]) -> Vec<AgentObj> {
    let all = join_all(ups.iter().map(|u| agents_one(ctx, u))).await;
    all.into_iter()
        .filter_map(|r| skip_connection(ctx, r))
        .flatten()
        .collect()
}

/// One agent by name.
pub(crate) async fn load_agent(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    name: &str,
) -> async_graphql::Result<Option<AgentObj>> {
    let agents = agents_one(ctx, up).await.extend()?;
    Ok(agents
        .into_iter()
        .find(|a| a.data.display_name.as_deref() == Some(name)))
}

/// Every job under `folder` (recursively), listed with `tree`, following folders deeper
/// than one request reaches; sorted by full name.
pub(crate) async fn all_jobs(
    ctx: &Context<'_>,
    up: &Arc<Upstream>,
    folder: &str,
    tree: &Tree,
) -> Result<Vec<JobObj>, JenkinsError> {
    let l = loaders(ctx);
    let mut pending = vec![folder.to_string()];
    let mut out = Vec::new();
    while !pending.is_empty() {
        let batch = std::mem::take(&mut pending);
        let answers = join_all(batch.iter().map(|f| l.item(&up.name, f, tree.clone()))).await;
        for (f, answer) in batch.iter().zip(answers) {
            let data = answer?;
            walk(
                up,
                f,
                data.jobs.as_deref().unwrap_or(&[]),
                &mut out,
                &mut pending,
            );
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(out)
}

fn walk(
    up: &Arc<Upstream>,
    parent: &str,
    items: &[Arc<wire::Item>],
    out: &mut Vec<JobObj>,
    pending: &mut Vec<String>,
) {
    for it in items {
        match item_obj(up, parent, it) {
            ItemObj::Folder(f) => match &it.jobs {
                Some(children) => walk(up, &f.full_name, children, out, pending),
                None => pending.push(f.full_name),
            },
            ItemObj::Job(j) => out.push(j),
        }
    }
}
