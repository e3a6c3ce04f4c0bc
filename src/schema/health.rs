//! `health`: one view of every controller (status, failing jobs, stuck queue items,
//! offline agents), sharing one recursive listing per controller.

use std::sync::Arc;

use async_graphql::{Context, Object, ResultExt, SelectionField};
use futures::future::join_all;

use super::convert::{job_status, problem, status_of};
use super::load::{
    agents_of, agents_one, all_jobs, loaders, queue_of, queue_one, report, skip_connection, visible,
};
use super::objects::{AgentObj, ConnectionObj, JobObj, QueueItemObj};
use super::values::{ConnectionStatus, FleetTotals, JobStatus, UpstreamProblem};
use crate::gateway::Upstream;
use crate::jenkins::{JenkinsError, Tree};
use crate::planner::health_tree;

/// Health of one controller.
#[derive(Clone)]
pub(crate) struct ConnectionHealth {
    up: Arc<Upstream>,
    tree: Tree,
}

impl ConnectionHealth {
    /// Health of a connection, for the field being resolved (its selection shapes the listing).
    pub(crate) fn for_field(up: Arc<Upstream>, field: &SelectionField<'_>) -> Self {
        ConnectionHealth {
            up,
            tree: health_tree(field),
        }
    }

    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobObj>, JenkinsError> {
        all_jobs(ctx, &self.up, "", &self.tree).await
    }
}

/// Health of one controller: status, failing jobs, stuck queue items, offline agents.
#[Object]
impl ConnectionHealth {
    /// The controller.
    pub async fn connection(&self) -> ConnectionObj {
        ConnectionObj::new(self.up.clone())
    }

    /// Whether it answers.
    async fn status(&self, ctx: &Context<'_>) -> ConnectionStatus {
        match loaders(ctx).probe(&self.up).await {
            Ok(_) => ConnectionStatus::Online,
            Err(e) => status_of(&e),
        }
    }

    /// Jenkins version.
    async fn version(&self, ctx: &Context<'_>) -> Option<String> {
        loaders(ctx)
            .probe(&self.up)
            .await
            .ok()
            .and_then(|p| p.version)
    }

    /// Why it is not ONLINE.
    async fn error(&self, ctx: &Context<'_>) -> Option<UpstreamProblem> {
        loaders(ctx)
            .probe(&self.up)
            .await
            .err()
            .map(|e| problem(&e))
    }

    /// Number of jobs (recursively).
    async fn job_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        async { Ok(self.jobs(ctx).await.extend()?.len() as i32) }
            .await
            .map(Some)
    }

    /// Jobs whose last completed build failed.
    async fn failing_jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<JobObj>>> {
        async {
            let jobs = self.jobs(ctx).await.extend()?;
            Ok(jobs
                .into_iter()
                .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
                .collect())
        }
        .await
        .map(Some)
    }

    /// Queue items that are stuck.
    async fn stuck_queue_items(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<QueueItemObj>>> {
        async {
            let q = queue_one(ctx, &self.up).await.extend()?;
            Ok(q.into_iter().filter(QueueItemObj::is_stuck).collect())
        }
        .await
        .map(Some)
    }

    /// Items in the queue.
    async fn queue_length(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        async { Ok(queue_one(ctx, &self.up).await.extend()?.len() as i32) }
            .await
            .map(Some)
    }

    /// Agents that are offline.
    async fn offline_agents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<AgentObj>>> {
        async {
            let a = agents_one(ctx, &self.up).await.extend()?;
            Ok(a.into_iter().filter(AgentObj::is_offline).collect())
        }
        .await
        .map(Some)
    }
}

/// Health of the whole fleet. Every part of one `health` selection shares one recursive
/// listing per controller, built for everything the selection wants of failing jobs.
pub(crate) struct FleetHealth {
    tree: Tree,
}

impl FleetHealth {
    /// Health for the `health` field being resolved (its whole selection shapes the listing).
    pub(crate) fn for_field(field: &SelectionField<'_>) -> Self {
        FleetHealth {
            tree: health_tree(field),
        }
    }
}

/// Health of every controller at once.
#[Object]
impl FleetHealth {
    /// Per-connection health.
    async fn connections(&self, ctx: &Context<'_>) -> Vec<ConnectionHealth> {
        visible(ctx)
            .into_iter()
            .map(|u| ConnectionHealth {
                up: u.clone(),
                tree: self.tree.clone(),
            })
            .collect()
    }

    /// Failing jobs across every controller that answers.
    async fn failing_jobs(&self, ctx: &Context<'_>) -> Vec<JobObj> {
        let ups = visible(ctx);
        let lists = join_all(ups.iter().map(|u| all_jobs(ctx, u, "", &self.tree))).await;
        lists
            .into_iter()
            .filter_map(|l| skip_connection(ctx, l))
            .flatten()
            .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
            .collect()
    }

    /// Stuck queue items across every controller.
    async fn stuck_queue_items(&self, ctx: &Context<'_>) -> Vec<QueueItemObj> {
        let ups = visible(ctx);
        queue_of(ctx, &ups)
            .await
            .into_iter()
            .filter(QueueItemObj::is_stuck)
            .collect()
    }

    /// Offline agents across every controller.
    async fn offline_agents(&self, ctx: &Context<'_>) -> Vec<AgentObj> {
        let ups = visible(ctx);
        agents_of(ctx, &ups)
            .await
            .into_iter()
            .filter(AgentObj::is_offline)
            .collect()
    }

    /// Counts over the fleet. Controllers that fail add an error and count only as configured.
    async fn totals(&self, ctx: &Context<'_>) -> FleetTotals {
        let ups = visible(ctx);
        let l = loaders(ctx);
        let tree = &self.tree;
        let mut t = FleetTotals {
            connections: ups.len() as i32,
            ..Default::default()
        };
        let per = join_all(ups.iter().map(|u| async move {
            let probe = l.probe(u).await;
            if let Err(e) = probe {
                report(ctx, &e);
                return (false, None, None, None);
            }
            let jobs = skip_connection(ctx, all_jobs(ctx, u, "", tree).await);
            let queue = skip_connection(ctx, queue_one(ctx, u).await);
            let agents = skip_connection(ctx, agents_one(ctx, u).await);
            (true, jobs, queue, agents)
        }))
        .await;
        for (online, jobs, queue, agents) in per {
            t.online += i32::from(online);
            if let Some(jobs) = jobs {
                t.jobs += jobs.len() as i32;
                t.failing_jobs += jobs
                    .iter()
                    .filter(|j| job_status(j.data.color.as_deref()) == JobStatus::Failure)
                    .count() as i32;
            }
            if let Some(q) = queue {
                t.queued += q.len() as i32;
                t.stuck += q.iter().filter(|i| i.is_stuck()).count() as i32;
            }
            if let Some(a) = agents {
                t.offline_agents += a.iter().filter(|a| a.is_offline()).count() as i32;
            }
        }
        t
    }
}
