//! The build poller of one controller: every interval, one nested listing of its jobs with
//! their last builds and queue items (deeper folders in more requests), the builds that
//! listing cannot tell about (skipped over, or no longer the last one), and
//! `wfapi/describe` of the running builds whose stages someone watches. It compares each
//! state with the one before and sends the changes, in order per build, and the
//! controller's status when it changes (the listing doubles as the probe).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use tokio::sync::{broadcast, watch};

use super::cadence::Cadence;
use super::diff::{baseline, changes, entered_stages, to_fetch, BuildKey, JobState, Jobs};
use super::events::{now_ms, BuildChange, BuildChangeKind, ConnState, JobsEvent, Polled};
use super::filter::BuildFilter;
use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::{wire, ForwardedCredentials, JenkinsError, QueryBudget};
use crate::loaders::{BuildRef, Loaders};
use crate::planner::live::{live_build_tree, live_folder_tree, live_listing_tree};

/// A controller's state as its poller last saw it.
#[derive(Debug)]
pub(crate) struct JobsSnapshot {
    /// The poll it comes from.
    pub(crate) cycle: u64,
    /// When, ms since the epoch.
    pub(crate) at_ms: i64,
    /// The jobs, once a listing succeeded.
    pub(crate) jobs: Option<Jobs>,
    /// Whether the controller answered the last poll.
    pub(crate) status: ConnState,
    /// Stages of the running builds someone watches.
    pub(crate) runs: HashMap<BuildKey, Arc<wire::RunExt>>,
}

/// What a build poller shares with its subscribers.
pub(crate) struct JobsFeed {
    /// The changes, as they are found.
    pub(crate) events: broadcast::Sender<Arc<Polled<JobsEvent>>>,
    /// The latest state (none before the first poll ends).
    pub(crate) snapshot: watch::Sender<Option<Arc<JobsSnapshot>>>,
    interest: Mutex<HashMap<u64, BuildFilter>>,
    next_interest: AtomicU64,
}

impl JobsFeed {
    fn new(buffer: usize) -> Arc<Self> {
        Arc::new(JobsFeed {
            events: broadcast::channel(buffer).0,
            snapshot: watch::channel(None).0,
            interest: Mutex::new(HashMap::new()),
            next_interest: AtomicU64::new(0),
        })
    }

    /// The latest state, waiting for the first poll to end.
    pub(crate) async fn current(&self) -> Arc<JobsSnapshot> {
        let mut rx = self.snapshot.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return s;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as the feed, which outlives this borrow.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Ask for the stages of the running builds `filter` matches, until the guard is
    /// dropped.
    pub(crate) fn want_stages(self: &Arc<Self>, filter: BuildFilter) -> StageInterest {
        let id = self.next_interest.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, filter);
        StageInterest {
            feed: Arc::clone(self),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, BuildFilter>> {
        self.interest.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wants_stages(&self, job: &str, number: u32) -> bool {
        self.lock().values().any(|f| f.matches(job, Some(number)))
    }
}

/// A subscriber's wish for stages; dropping it withdraws the wish.
pub(crate) struct StageInterest {
    feed: Arc<JobsFeed>,
    id: u64,
}

impl Drop for StageInterest {
    fn drop(&mut self) {
        self.feed.lock().remove(&self.id);
    }
}

/// The poller behind a [`JobsFeed`].
pub(crate) struct JobsPoller {
    gateway: GatewayState,
    up: Arc<Upstream>,
    forwarded: Option<ForwardedCredentials>,
    feed: Arc<JobsFeed>,
    cadence: Cadence,
    cycle: u64,
    prev: Option<Arc<JobsSnapshot>>,
}

impl JobsPoller {
    /// A feed and the poller that fills it.
    pub(crate) fn start(
        gateway: &GatewayState,
        up: Arc<Upstream>,
        forwarded: Option<ForwardedCredentials>,
    ) -> (
        Arc<JobsFeed>,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let live = &gateway.config().live;
        let feed = JobsFeed::new(live.subscriber_buffer);
        let poller = JobsPoller {
            gateway: gateway.clone(),
            up,
            forwarded,
            feed: Arc::clone(&feed),
            cadence: Cadence::new(live.poll_interval(), live.max_backoff()),
            cycle: 0,
            prev: None,
        };
        (feed, poller.run())
    }

    async fn run(mut self) {
        loop {
            self.cadence.begin();
            let ok = self.poll().await;
            self.cadence.end(ok);
            self.cadence.sleep().await;
        }
    }

    fn loaders(&self) -> Loaders {
        let max_age = self.gateway.config().live.poll_interval() / 4;
        let budget = QueryBudget::for_poller(max_age, self.forwarded.clone());
        let name = Arc::clone(&self.up.name);
        Loaders::new(&self.gateway, Arc::new(budget), |n| n == &*name)
    }

    /// One poll: read, compare, send. Whether the controller answered.
    async fn poll(&mut self) -> bool {
        self.cycle += 1;
        let loaders = self.loaders();
        let listed = list_jobs(&loaders, &self.up).await;
        let at_ms = now_ms();
        let status = match &listed {
            Ok(_) => ConnState::Online {
                version: self.up.client.seen_version(),
                latency_ms: self
                    .up
                    .client
                    .last_latency()
                    .map(|d| d.as_secs_f64() * 1000.0),
            },
            Err(e) => ConnState::Down(e.clone()),
        };
        let ok = listed.is_ok();
        let mut events = Vec::new();
        if let Some(prev) = &self.prev {
            if prev.status.code() != status.code() {
                events.push(JobsEvent::Status {
                    now: status.clone(),
                    before: prev.status.clone(),
                });
            }
        }
        let prev_jobs = self.prev.as_ref().and_then(|p| p.jobs.as_ref());
        let prev_runs = self.prev.as_ref().map(|p| &p.runs);
        let (jobs, runs) = match listed {
            Ok(mut cur) => match prev_jobs {
                Some(prev_jobs) => {
                    let fetched = fetch_builds(&loaders, &self.up, to_fetch(prev_jobs, &cur)).await;
                    let found = changes(prev_jobs, &mut cur, &fetched);
                    let empty = HashMap::new();
                    let (ordered, runs) = self
                        .with_stages(&loaders, &cur, found, prev_runs.unwrap_or(&empty))
                        .await;
                    events.extend(ordered.into_iter().map(JobsEvent::Build));
                    (Some(cur), runs)
                }
                None => {
                    baseline(&mut cur);
                    (Some(cur), HashMap::new())
                }
            },
            Err(_) => (prev_jobs.cloned(), prev_runs.cloned().unwrap_or_default()),
        };
        let cycle = self.cycle;
        for event in events {
            // No subscriber left means the registry is stopping this poller.
            let _ = self.feed.events.send(Arc::new(Polled {
                cycle,
                at_ms,
                event,
            }));
        }
        let snapshot = Arc::new(JobsSnapshot {
            cycle,
            at_ms,
            jobs,
            status,
            runs,
        });
        self.feed.snapshot.send_replace(Some(Arc::clone(&snapshot)));
        self.prev = Some(snapshot);
        ok
    }

    /// The changes with the stages entered placed after each build's start and before its
    /// end; and the stages of the running builds watched now.
    async fn with_stages(
        &self,
        loaders: &Loaders,
        cur: &Jobs,
        found: Vec<BuildChange>,
        prev_runs: &HashMap<BuildKey, Arc<wire::RunExt>>,
    ) -> (Vec<BuildChange>, HashMap<BuildKey, Arc<wire::RunExt>>) {
        let started: HashSet<BuildKey> = keys_of(&found, BuildChangeKind::Started);
        let ended: HashSet<BuildKey> = keys_of(&found, BuildChangeKind::Finished);
        let mut targets: Vec<BuildKey> = cur
            .iter()
            .flat_map(|(job, s)| s.running.keys().map(move |n| (job.clone(), *n)))
            .chain(ended.iter().cloned())
            .filter(|(job, n)| self.feed.wants_stages(job, *n))
            .collect();
        // The newest builds first, and no more than `max_stage_reads` of them a poll:
        // however many builds run and are watched, one poll stays a bounded load.
        targets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        targets.dedup();
        targets.truncate(self.gateway.config().live.max_stage_reads);
        let described = join_all(targets.iter().map(|(job, n)| async move {
            let at = BuildRef {
                conn: Arc::clone(&self.up.name),
                job: job.clone(),
                number: *n,
            };
            loaders.run(&at).await
        }))
        .await;
        let mut runs = HashMap::new();
        let mut stages: HashMap<BuildKey, Vec<BuildChange>> = HashMap::new();
        for (key, run) in targets.into_iter().zip(described) {
            let Ok(run) = run else { continue };
            let build = cur
                .get(&key.0)
                .and_then(|s| s.running.get(&key.1).cloned())
                .or_else(|| found_build(&found, &key));
            let entered = entered_stages(
                prev_runs.get(&key).map(|r| &**r),
                &run,
                started.contains(&key),
            );
            stages.insert(
                key.clone(),
                entered
                    .into_iter()
                    .map(|i| BuildChange {
                        kind: BuildChangeKind::Stage,
                        job: key.0.clone(),
                        number: Some(key.1),
                        build: build.clone(),
                        queue_item: None,
                        stage: Some((Arc::clone(&run), i)),
                    })
                    .collect(),
            );
            if !ended.contains(&key) {
                runs.insert(key, run);
            }
        }
        let mut out = Vec::with_capacity(found.len());
        for change in found {
            let key = change.number.map(|n| (change.job.clone(), n));
            match (change.kind, key) {
                (BuildChangeKind::Started, Some(k)) if !ended.contains(&k) => {
                    out.push(change);
                    out.extend(stages.remove(&k).unwrap_or_default());
                }
                (BuildChangeKind::Finished, Some(k)) => {
                    out.extend(stages.remove(&k).unwrap_or_default());
                    out.push(change);
                }
                _ => out.push(change),
            }
        }
        let mut rest: Vec<_> = stages.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(rest.into_iter().flat_map(|(_, s)| s));
        (out, runs)
    }
}

fn keys_of(found: &[BuildChange], kind: BuildChangeKind) -> HashSet<BuildKey> {
    found
        .iter()
        .filter(|c| c.kind == kind)
        .filter_map(|c| Some((c.job.clone(), c.number?)))
        .collect()
}

fn found_build(found: &[BuildChange], key: &BuildKey) -> Option<Arc<wire::Build>> {
    found
        .iter()
        .rev()
        .find(|c| c.job == key.0 && c.number == Some(key.1))
        .and_then(|c| c.build.clone())
}

/// Every job of a controller with what tells its state: the root listing, and folders
/// deeper than it reaches in listings of their own.
async fn list_jobs(loaders: &Loaders, up: &Upstream) -> Result<Jobs, JenkinsError> {
    let root = loaders.item(&up.name, "", live_listing_tree()).await?;
    let mut jobs = Jobs::new();
    let mut pending = Vec::new();
    walk(
        "",
        root.jobs.as_deref().unwrap_or(&[]),
        &mut jobs,
        &mut pending,
    );
    while !pending.is_empty() {
        let batch = std::mem::take(&mut pending);
        let answers = join_all(
            batch
                .iter()
                .map(|f| loaders.item(&up.name, f, live_folder_tree())),
        )
        .await;
        for (folder, answer) in batch.iter().zip(answers) {
            let data = answer?;
            walk(
                folder,
                data.jobs.as_deref().unwrap_or(&[]),
                &mut jobs,
                &mut pending,
            );
        }
    }
    Ok(jobs)
}

fn walk(parent: &str, items: &[Arc<wire::Item>], jobs: &mut Jobs, pending: &mut Vec<String>) {
    for item in items {
        let name = item.name.as_deref().unwrap_or_default();
        let full = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        };
        match (&item.jobs, item.is_folder()) {
            (Some(children), _) => walk(&full, children, jobs, pending),
            (None, true) => pending.push(full),
            (None, false) => {
                jobs.insert(
                    full,
                    JobState {
                        last: item.last_build.clone(),
                        queue_item: item.queue_item.as_deref().cloned().map(Arc::new),
                        running: Default::default(),
                    },
                );
            }
        }
    }
}

/// The builds `keys` name, read with what a build event carries; those that fail are left
/// out (a running one is read again next time).
async fn fetch_builds(
    loaders: &Loaders,
    up: &Upstream,
    keys: Vec<BuildKey>,
) -> HashMap<BuildKey, Arc<wire::Build>> {
    let tree = live_build_tree();
    let answers = join_all(keys.iter().map(|(job, number)| {
        let tree = tree.clone();
        async move {
            let at = BuildRef {
                conn: Arc::clone(&up.name),
                job: job.clone(),
                number: *number,
            };
            loaders.build(&at, tree).await
        }
    }))
    .await;
    keys.into_iter()
        .zip(answers)
        .filter_map(|(k, a)| Some((k, a.ok()?)))
        .collect()
}
