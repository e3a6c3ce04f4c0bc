//! [`Fleet`]: simulated Jenkins controllers (jenkins-sim, in this process), their request
//! counters, and single round trips timed against them.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::{Faults, LiveConfig, RequestRecord, SimBuilder, SimHandle, World};
use serde::Serialize;

/// User and API token every simulated controller accepts.
pub const USER: &str = "admin";
/// The API token of [`USER`].
pub const TOKEN: &str = "bench-token";

/// The ceiling of the gateway's adaptive per-controller limit (its default
/// `max_concurrency`).
pub const MAX_CONCURRENCY: usize = 64;

/// The fixed per-controller limit gateways had before theirs adapted; the naive client and
/// the bounded round-trip chain still use it.
pub const FIXED_LIMIT: usize = 8;

/// One simulated controller.
pub struct Controller {
    /// Connection name (`c0`, `c1`, … or the demo names).
    pub name: String,
    /// The running simulator.
    pub sim: SimHandle,
    /// Jobs in its world.
    pub jobs: usize,
}

/// Simulated controllers serving one benchmark scenario.
pub struct Fleet {
    /// The controllers, in connection order.
    pub controllers: Vec<Controller>,
}

/// Upstream requests of one kind or another, summed over controllers.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RequestCounts {
    /// Every request in Jenkins' URL space.
    pub total: usize,
    /// `api/json` of the root, a folder or a job (listings and items).
    pub items: usize,
    /// `…/N/api/json` or `…/lastBuild/api/json`: one build.
    pub builds: usize,
    /// `wfapi/describe` of a run.
    pub describes: usize,
    /// The gateway's probe (`api/json?tree=quietingDown`, `whoAmI`).
    pub probes: usize,
    /// Anything else.
    pub other: usize,
}

impl RequestCounts {
    fn add(&mut self, r: &RequestRecord) {
        self.total += 1;
        let q = r.query.as_deref().unwrap_or("");
        if r.path.ends_with("/wfapi/describe") {
            self.describes += 1;
        } else if q.contains("tree=quietingDown") || r.path.contains("whoAmI") {
            self.probes += 1;
        } else if is_build_path(&r.path) {
            self.builds += 1;
        } else if r.path.ends_with("/api/json") {
            self.items += 1;
        } else {
            self.other += 1;
        }
    }
}

/// `…/job/X/lastBuild/api/json`, `…/job/X/42/api/json`.
fn is_build_path(path: &str) -> bool {
    let Some(rest) = path.strip_suffix("/api/json") else {
        return false;
    };
    let last = rest.rsplit('/').next().unwrap_or("");
    last.starts_with("last") || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

/// The shape of a generated world for the scaling series: `jobs` jobs in flat team
/// folders (so the dashboard, which reads two levels, sees every job), 40% pipelines.
pub fn scaling_world(seed: u64, jobs: usize) -> World {
    let folders = (jobs / 100).clamp(1, 40);
    World::generate(&GenSpec {
        seed,
        now_ms: jenkins_sim::clock::now_ms(),
        folders,
        depth: 1,
        jobs_per_folder: jobs / folders,
        root_jobs: 0,
        builds_per_job: 5,
        pipeline_share: 0.4,
        multibranch: 0,
        branches: 0,
        queue: 4,
        agents: 3,
        offline_agents: 1,
        log_bytes: 16 * 1024,
        incidents: false,
    })
}

impl Fleet {
    /// Start one controller per world, each adding `latency_ms` to every request.
    pub async fn start(
        worlds: Vec<(String, World)>,
        latency_ms: u64,
        live: Option<LiveConfig>,
    ) -> anyhow::Result<Fleet> {
        let mut controllers = Vec::with_capacity(worlds.len());
        for (i, (name, world)) in worlds.into_iter().enumerate() {
            let jobs = world.jobs().len();
            let mut b = SimBuilder::new(world)
                .seed(1000 + i as u64)
                .token(USER, TOKEN)
                .faults(Faults {
                    latency_ms,
                    ..Faults::default()
                });
            if let Some(cfg) = &live {
                b = b.live(cfg.clone());
            }
            controllers.push(Controller {
                name,
                sim: b.start().await?,
                jobs,
            });
        }
        Ok(Fleet { controllers })
    }

    /// Forget every controller's request log.
    pub fn reset(&self) {
        for c in &self.controllers {
            c.sim.reset_requests();
        }
    }

    /// Requests since the last reset, by kind, over all controllers.
    pub fn counts(&self) -> RequestCounts {
        let mut out = RequestCounts::default();
        for c in &self.controllers {
            for r in c.sim.requests() {
                out.add(&r);
            }
        }
        out
    }

    /// How many requests all controllers served since the last reset (cheap).
    pub fn total(&self) -> usize {
        self.controllers.iter().map(|c| c.sim.request_count()).sum()
    }

    /// Builds that have finished, over every controller's world.
    pub fn finished_builds(&self) -> usize {
        self.controllers
            .iter()
            .map(|c| {
                c.sim.with_world(|w| {
                    w.jobs()
                        .iter()
                        .map(|(_, _, j)| j.builds.iter().filter(|b| !b.building()).count())
                        .sum::<usize>()
                })
            })
            .sum()
    }

    /// Jobs over all controllers.
    pub fn jobs(&self) -> usize {
        self.controllers.iter().map(|c| c.jobs).sum()
    }

    /// A gateway configuration over these controllers; `ttl` overrides the cache lifetimes
    /// (listing, volatile) in ms.
    pub fn gateway_toml(&self, ttl: Option<(u64, u64)>) -> String {
        self.gateway_toml_with(ttl, MAX_CONCURRENCY)
    }

    /// Like [`Fleet::gateway_toml`] with another per-controller concurrency ceiling.
    pub fn gateway_toml_with(&self, ttl: Option<(u64, u64)>, max_concurrency: usize) -> String {
        self.toml(ttl, None, (2.min(max_concurrency), max_concurrency))
    }

    /// Like [`Fleet::gateway_toml`] with a fixed per-controller limit (floor = ceiling), as
    /// the gateway had before its limit adapted.
    pub fn gateway_toml_fixed(&self, ttl: Option<(u64, u64)>, limit: usize) -> String {
        self.toml(ttl, None, (limit, limit))
    }

    /// Like [`Fleet::gateway_toml`], sharing the Redis at `redis_url`.
    pub fn gateway_toml_shared(&self, ttl: Option<(u64, u64)>, redis_url: &str) -> String {
        self.toml(ttl, Some(redis_url), (2, MAX_CONCURRENCY))
    }

    fn toml(
        &self,
        ttl: Option<(u64, u64)>,
        redis_url: Option<&str>,
        (min, max): (usize, usize),
    ) -> String {
        let mut out = String::from("listen = \"127.0.0.1:0\"\n\n[cache]\n");
        if let Some((listing, volatile)) = ttl {
            let _ = writeln!(
                out,
                "listing_ttl_ms = {listing}\nvolatile_ttl_ms = {volatile}"
            );
        }
        if let Some(url) = redis_url {
            let _ = writeln!(out, "redis_url = \"{url}\"");
        }
        for c in &self.controllers {
            let _ = write!(
                out,
                "\n[[connections]]\nname = \"{}\"\nurl = \"{}\"\nusername = \"{USER}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 60000\nmax_concurrency = {max}\nmin_concurrency = {min}\n",
                c.name,
                c.sim.url()
            );
        }
        out
    }

    /// The requests of controller `i` since the last reset.
    pub fn requests(&self, i: usize) -> Vec<RequestRecord> {
        self.controllers[i].sim.requests()
    }

    /// Time one request, as a client sends it, against controller `i`: the median of
    /// `times` round trips (status, headers and the whole body).
    pub async fn round_trip(
        &self,
        http: &reqwest::Client,
        i: usize,
        r: &RequestRecord,
        times: usize,
    ) -> anyhow::Result<Duration> {
        let base = self.controllers[i].sim.url();
        let url = match &r.query {
            Some(q) => format!("{}{}?{q}", base.trim_end_matches('/'), r.path),
            None => format!("{}{}", base.trim_end_matches('/'), r.path),
        };
        let mut samples = Vec::with_capacity(times);
        for _ in 0..times {
            let t = Instant::now();
            let resp = http
                .get(&url)
                .basic_auth(USER, Some(TOKEN))
                .send()
                .await?
                .error_for_status()?;
            let _ = resp.bytes().await?;
            samples.push(t.elapsed());
        }
        samples.sort();
        Ok(samples[samples.len() / 2])
    }

    /// Stop every controller.
    pub async fn shutdown(self) {
        for c in self.controllers {
            c.sim.shutdown().await;
        }
    }
}
