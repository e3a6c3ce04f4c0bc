//! [`NaiveClient`]: the same data fetched the way common Jenkins clients fetch it
//! (python-jenkins, jenkinsapi, most scripts): plain `api/json` with no `tree=`, one
//! request per folder, per job, per build and per run, no cache.
//!
//! For the dashboard: `GET api/json` (root), `GET job/F/api/json` per folder, then per
//! job `GET …/api/json`, `GET …/lastBuild/api/json` and, for a pipeline when stages are
//! wanted, `GET …/N/wfapi/describe`. For the point query: the job, then its last build.
//! It is given the gateway's per-controller concurrency (8 requests in flight), which
//! flatters its latency: a sequential script is slower still.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::fleet::{Fleet, FIXED_LIMIT, TOKEN, USER};

const FOLDER_CLASSES: [&str; 3] = [
    "com.cloudbees.hudson.plugins.folder.Folder",
    "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
    "jenkins.branch.OrganizationFolder",
];
const PIPELINE_CLASS: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";

/// A naive client of one controller.
pub struct NaiveClient {
    http: reqwest::Client,
    base: String,
    permits: Arc<Semaphore>,
}

/// What one naive dashboard saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct NaiveDashboard {
    /// Jobs read.
    pub jobs: usize,
    /// Runs whose stages were read.
    pub runs: usize,
}

impl NaiveClient {
    /// A client of the controller at `base` (ending in `/`) allowed `concurrency`
    /// requests in flight.
    pub fn new(http: reqwest::Client, base: String, concurrency: usize) -> NaiveClient {
        NaiveClient {
            http,
            base,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    async fn get(&self, url: &str) -> anyhow::Result<Value> {
        let _permit = self.permits.acquire().await?;
        Ok(self
            .http
            .get(url)
            .basic_auth(USER, Some(TOKEN))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// A job, its last build, and that run's stages when asked for; returns whether
    /// stages were read.
    async fn job(&self, url: &str, stages: bool) -> anyhow::Result<bool> {
        let job = self.get(&format!("{url}api/json")).await?;
        if job["lastBuild"].is_null() {
            return Ok(false);
        }
        let build = self.get(&format!("{url}lastBuild/api/json")).await?;
        if stages && job["_class"] == PIPELINE_CLASS {
            let n = build["number"].as_u64().unwrap_or(0);
            self.get(&format!("{url}{n}/wfapi/describe")).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The dashboard: root, each top-level folder, each job at those two levels.
    pub async fn dashboard(&self, stages: bool) -> anyhow::Result<NaiveDashboard> {
        let root = self.get(&format!("{}api/json", self.base)).await?;
        let items = root["jobs"].as_array().cloned().unwrap_or_default();
        let is_folder = |v: &Value| FOLDER_CLASSES.iter().any(|c| v["_class"] == *c);
        let url_of = |v: &Value| v["url"].as_str().unwrap_or("").to_string();
        let folders = join_all(
            items
                .iter()
                .filter(|i| is_folder(i))
                .map(|f| self.get_owned(format!("{}api/json", url_of(f)))),
        )
        .await;
        let mut job_urls: Vec<String> =
            items.iter().filter(|i| !is_folder(i)).map(url_of).collect();
        for f in folders {
            let f = f?;
            job_urls.extend(
                f["jobs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| !is_folder(c))
                    .map(url_of),
            );
        }
        let results = join_all(job_urls.iter().map(|u| self.job(u, stages))).await;
        let mut out = NaiveDashboard {
            jobs: job_urls.len(),
            runs: 0,
        };
        for r in results {
            if r? {
                out.runs += 1;
            }
        }
        Ok(out)
    }

    async fn get_owned(&self, url: String) -> anyhow::Result<Value> {
        self.get(&url).await
    }

    /// The point query: the job, then its last build.
    pub async fn point(&self, full_name: &str) -> anyhow::Result<()> {
        let mut url = self.base.clone();
        for part in full_name.split('/') {
            url.push_str("job/");
            url.push_str(part);
            url.push('/');
        }
        self.job(&url, false).await.map(|_| ())
    }
}

/// Naive clients of every controller of a fleet (one user's worth).
pub struct NaiveFleet {
    /// One client per controller, in connection order.
    pub clients: Vec<NaiveClient>,
}

impl NaiveFleet {
    /// Clients of every controller, each with the gateway's concurrency limit.
    pub fn new(fleet: &Fleet, http: &reqwest::Client) -> NaiveFleet {
        NaiveFleet {
            clients: fleet
                .controllers
                .iter()
                .map(|c| NaiveClient::new(http.clone(), c.sim.url(), FIXED_LIMIT))
                .collect(),
        }
    }

    /// The dashboard over every controller at once.
    pub async fn dashboard(&self, stages: bool) -> anyhow::Result<NaiveDashboard> {
        let all = join_all(self.clients.iter().map(|c| c.dashboard(stages))).await;
        let mut out = NaiveDashboard::default();
        for d in all {
            let d = d?;
            out.jobs += d.jobs;
            out.runs += d.runs;
        }
        Ok(out)
    }
}
