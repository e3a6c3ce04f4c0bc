//! The Pipeline REST API (`wfapi`) and test reports: a run's stages, a job's recent runs,
//! flow nodes, pending inputs, a node's log, and what a 404 from them means.

use std::sync::Arc;

use super::{finished_class, Endpoint, JenkinsClient};
use crate::cache::CacheClass;
use crate::jenkins::budget::QueryBudget;
use crate::jenkins::error::JenkinsError;
use crate::jenkins::path::{api_json, raw_encode};
use crate::jenkins::tree::Tree;
use crate::jenkins::wire;

impl JenkinsClient {
    /// The junit test report of a build. Pass `finished` from the build: a
    /// running pipeline may still add results. 404 when the build has none.
    pub(crate) async fn test_report(
        &self,
        full_name: &str,
        number: u32,
        tree: &Tree,
        finished: bool,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::TestReport>, JenkinsError> {
        let path = format!("{}testReport/", self.build_path(full_name, number)?);
        self.fetch_json(
            api_json(&path, tree),
            Endpoint::Tests,
            budget,
            move |_: &wire::TestReport| finished_class(finished),
        )
        .await
    }

    /// Stages of a pipeline run (`wfapi/describe`). Class from the run status.
    /// A 404 is explained as NOT_FOUND, NOT_A_PIPELINE or PIPELINE_API_MISSING.
    pub(crate) async fn wfapi_describe(
        &self,
        full_name: &str,
        number: u32,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::RunExt>, JenkinsError> {
        let path = format!("{}wfapi/describe", self.build_path(full_name, number)?);
        let result = self
            .fetch_json(path, Endpoint::Describe, budget, |run: &wire::RunExt| {
                if run.is_running() {
                    CacheClass::Volatile
                } else {
                    CacheClass::Immutable
                }
            })
            .await;
        self.explain_wfapi(result, full_name, Some(number), budget)
            .await
    }

    /// The newest runs of a pipeline job with their stages (`wfapi/runs`: at most ten,
    /// newest first, one request). Volatile while one of them runs, else a listing: the
    /// next run changes the list.
    pub(crate) async fn wfapi_runs(
        &self,
        full_name: &str,
        budget: &QueryBudget,
    ) -> Result<Arc<Vec<wire::RunExt>>, JenkinsError> {
        let path = format!("{}wfapi/runs", self.job_path(full_name)?);
        let result = self
            .fetch_json(path, Endpoint::Runs, budget, |runs: &Vec<wire::RunExt>| {
                if runs.iter().any(wire::RunExt::is_running) {
                    CacheClass::Volatile
                } else {
                    CacheClass::Listing
                }
            })
            .await;
        self.explain_wfapi(result, full_name, None, budget).await
    }

    /// One flow node (a stage with its `stageFlowNodes`, or a step).
    pub(crate) async fn wfapi_node(
        &self,
        full_name: &str,
        number: u32,
        node_id: &str,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::StageNodeExt>, JenkinsError> {
        let path = format!(
            "{}execution/node/{}/wfapi/describe",
            self.build_path(full_name, number)?,
            raw_encode(node_id)
        );
        let result = self
            .fetch_json(
                path,
                Endpoint::Node,
                budget,
                |node: &wire::StageNodeExt| match node.status.as_deref() {
                    Some("IN_PROGRESS") | Some("PAUSED_PENDING_INPUT") | None => {
                        CacheClass::Volatile
                    }
                    Some(_) => CacheClass::Immutable,
                },
            )
            .await;
        self.explain_wfapi_node(result, full_name, number, budget)
            .await
    }

    /// Inputs a run is waiting for (`wfapi/pendingInputActions`). Class: volatile.
    pub(crate) async fn wfapi_pending_inputs(
        &self,
        full_name: &str,
        number: u32,
        budget: &QueryBudget,
    ) -> Result<Arc<Vec<wire::PendingInputActionExt>>, JenkinsError> {
        let path = format!(
            "{}wfapi/pendingInputActions",
            self.build_path(full_name, number)?
        );
        let result = self
            .fetch_json(
                path,
                Endpoint::Inputs,
                budget,
                |_: &Vec<wire::PendingInputActionExt>| CacheClass::Volatile,
            )
            .await;
        self.explain_wfapi(result, full_name, Some(number), budget)
            .await
    }

    /// The last 10 KiB of one step's log, as HTML (`wfapi/log`). Pass
    /// `finished` from the run: `nodeStatus` says SUCCESS even while running.
    pub(crate) async fn wfapi_node_log(
        &self,
        full_name: &str,
        number: u32,
        node_id: &str,
        finished: bool,
        budget: &QueryBudget,
    ) -> Result<Arc<wire::NodeLogExt>, JenkinsError> {
        let path = format!(
            "{}execution/node/{}/wfapi/log",
            self.build_path(full_name, number)?,
            raw_encode(node_id)
        );
        let result = self
            .fetch_json(
                path,
                Endpoint::NodeLog,
                budget,
                move |_: &wire::NodeLogExt| finished_class(finished),
            )
            .await;
        self.explain_wfapi_node(result, full_name, number, budget)
            .await
    }

    /// Turns a wfapi 404 into NOT_FOUND, NOT_A_PIPELINE or PIPELINE_API_MISSING
    /// by asking the classic API what the job or run is.
    pub(super) async fn explain_wfapi<T>(
        &self,
        result: Result<T, JenkinsError>,
        full_name: &str,
        number: Option<u32>,
        budget: &QueryBudget,
    ) -> Result<T, JenkinsError> {
        let Err(JenkinsError::NotFound { .. }) = &result else {
            return result;
        };
        let is_pipeline = match number {
            Some(number) => {
                let mut number_only = Tree::new();
                number_only.leaf("number");
                let path = api_json(&self.build_path(full_name, number)?, &number_only);
                self.fetch_json(path, Endpoint::Build, budget, |_: &wire::Build| {
                    CacheClass::Volatile
                })
                .await?
                .is_pipeline()
            }
            None => {
                let mut name_only = Tree::new();
                name_only.leaf("name");
                let path = api_json(&self.job_path(full_name)?, &name_only);
                self.fetch_json(path, Endpoint::Listing, budget, |_: &wire::Item| {
                    CacheClass::Volatile
                })
                .await?
                .is_pipeline()
            }
        };
        let connection = self.inner.name.to_string();
        let job = full_name.to_string();
        Err(if is_pipeline {
            JenkinsError::PipelineApiMissing { connection, job }
        } else {
            JenkinsError::NotAPipeline { connection, job }
        })
    }

    /// A node-level wfapi 404 usually means the node does not exist; only if
    /// the run's own `wfapi/describe` fails too is the API itself in question.
    pub(super) async fn explain_wfapi_node<T>(
        &self,
        result: Result<T, JenkinsError>,
        full_name: &str,
        number: u32,
        budget: &QueryBudget,
    ) -> Result<T, JenkinsError> {
        let Err(JenkinsError::NotFound { .. }) = &result else {
            return result;
        };
        self.wfapi_describe(full_name, number, budget).await?;
        result
    }
}
