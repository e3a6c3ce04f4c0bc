//! The queue of a generated world: which jobs wait (and why) or run now, the queue
//! items realised from those plans, queue ids over the whole world, and left items.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::plan::{plans_mut, JobPlan, Node, QueuePlan, Waits};
use super::vocabulary::STUCK_LABELS;
use crate::world::{Build, Cause, Item, Job, LeftItem, ParamValue, QueueItem, QueueState, World};

impl Gen {
    /// The queue, in `Queue.getItems()` order: waiting, then blocked, then buildable
    /// newest first.
    pub(super) fn queue_items(&mut self, world: &World, plans: Vec<QueuePlan>) -> Vec<QueueItem> {
        let mut waiting = Vec::new();
        let mut blocked = Vec::new();
        let mut buildable = Vec::new();
        for q in plans {
            let Some((_, job)) = world.item(&q.job).and_then(Item::as_job) else {
                continue;
            };
            let item = self.queue_item(q, job);
            match item.state {
                QueueState::Waiting => waiting.push(item),
                QueueState::Blocked => blocked.push(item),
                QueueState::Buildable => buildable.push(item),
            }
        }
        buildable.sort_by_key(|q| std::cmp::Reverse(q.in_queue_since));
        waiting
            .into_iter()
            .chain(blocked)
            .chain(buildable)
            .collect()
    }

    /// One planned item, caused like the job's last build and with default parameters.
    fn queue_item(&mut self, q: QueuePlan, job: &Job) -> QueueItem {
        let last = job.builds.last();
        let causes = match last.and_then(|b| b.causes.first()) {
            Some(Cause::BranchIndexing) | Some(Cause::Remote { .. }) | None => {
                vec![Cause::User {
                    user: self.dev().to_string(),
                }]
            }
            Some(c) => vec![c.clone()],
        };
        let parameters: Vec<ParamValue> = job
            .parameters
            .iter()
            .map(|d| ParamValue {
                name: d.name.clone(),
                kind: d.kind,
                value: d
                    .default
                    .clone()
                    .or_else(|| d.choices.first().cloned())
                    .unwrap_or_default(),
            })
            .collect();
        let (state, why, stuck, since) = self.wait(q.waits, job);
        QueueItem {
            id: 0,
            job: q.job,
            state,
            why: Some(why),
            stuck,
            in_queue_since: since,
            causes,
            parameters,
        }
    }

    /// State, reason, stuck flag and time in the queue of an item that waits so.
    fn wait(&mut self, waits: Waits, job: &Job) -> (QueueState, String, bool, i64) {
        let last = job.builds.last();
        match waits {
            Waits::Quiet => {
                let ago = self.rng.gen_range(0..4_000);
                let left = (5_000 - ago) / 1000;
                (
                    QueueState::Waiting,
                    format!("In the quiet period. Expires in {left} sec"),
                    false,
                    self.now - ago,
                )
            }
            Waits::Blocked => {
                let running = last.filter(|b| b.building());
                let number = running.map_or(job.next_number(), |b| b.number);
                let started = running.map_or(self.now - 60_000, |b| b.timestamp + b.queue_duration);
                let since = self.rng.gen_range(started.min(self.now - 1_000)..self.now);
                (
                    QueueState::Blocked,
                    format!("Build #{number} is already in progress (ETA: N/A)"),
                    false,
                    since,
                )
            }
            Waits::Executor => (
                QueueState::Buildable,
                "Waiting for next available executor".into(),
                false,
                self.now - self.rng.gen_range(2_000..600_000),
            ),
            Waits::Stuck => {
                let label = job.label.clone().unwrap_or_else(|| "gpu".into());
                (
                    QueueState::Buildable,
                    format!("‘Jenkins’ doesn’t have label ‘{label}’"),
                    true,
                    self.now - self.rng.gen_range(20 * 60_000..6 * 3_600_000),
                )
            }
        }
    }

    /// Pick the jobs that wait in the queue, and the jobs that are running now.
    pub(super) fn choose_queue(&mut self, nodes: &mut [Node], n: usize) -> Vec<QueuePlan> {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        let mut eligible: Vec<usize> = (0..plans.len())
            .filter(|&i| !plans[i].1.job.disabled && plans[i].1.job.label.is_none())
            .collect();
        eligible.shuffle(&mut self.rng);
        let stuck = if n > 0 { (n / 10).max(1) } else { 0 };
        let rest = n - stuck;
        let blocked = rest.div_ceil(3);
        let executor = (rest - blocked).div_ceil(2);
        let mut out = Vec::new();
        let mut it = eligible.into_iter();
        for k in 0..stuck {
            let Some(i) = it.next() else { break };
            let label = STUCK_LABELS[k % STUCK_LABELS.len()];
            plans[i].1.job.label = Some(label.into());
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Stuck,
            });
        }
        let mut rest_idx: Vec<usize> = it.collect();
        let mut take = |want: usize, need_builds: bool, plans: &mut Vec<(String, &mut JobPlan)>| {
            let mut got = Vec::new();
            rest_idx.retain(|&i| {
                if got.len() < want && (!need_builds || plans[i].1.builds > 0) {
                    got.push(i);
                    false
                } else {
                    true
                }
            });
            got
        };
        for i in take(blocked, true, &mut plans) {
            plans[i].1.running = true;
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Blocked,
            });
        }
        for i in take(executor, false, &mut plans) {
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Executor,
            });
        }
        for i in take(n - stuck - blocked - executor, false, &mut plans) {
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Quiet,
            });
        }
        // A few more builds run without anything queued behind them, as executors allow.
        let capacity: usize = self
            .agents
            .iter()
            .filter(|a| !a.offline)
            .map(|a| a.executors as usize)
            .sum();
        let extra = (plans.len() / 150 + 1).min(capacity.saturating_sub(blocked));
        for i in take(extra, true, &mut plans) {
            plans[i].1.running = true;
        }
        out
    }

    /// Queue ids grow with time across the controller: builds and waiting items alike.
    pub(super) fn assign_queue_ids(&mut self, world: &mut World) {
        enum Slot<'a> {
            Build(&'a mut Build),
            Queued(&'a mut QueueItem),
        }
        let World { items, queue, .. } = world;
        let mut builds = Vec::new();
        collect_builds(items, &mut builds);
        let mut slots: Vec<(i64, Slot)> = builds
            .into_iter()
            .map(|b| (b.timestamp, Slot::Build(b)))
            .collect();
        slots.extend(
            queue
                .iter_mut()
                .map(|q| (q.in_queue_since, Slot::Queued(q))),
        );
        slots.sort_by_key(|(t, _)| *t);
        let mut id: u64 = self.rng.gen_range(100..2_000);
        for (_, slot) in slots {
            id += self.rng.gen_range(1..=2);
            match slot {
                Slot::Build(b) => b.queue_id = id,
                Slot::Queued(q) => q.id = id,
            }
        }
        world.controller.next_queue_id = id + 1;
    }
}

pub(super) fn collect_builds<'a>(items: &'a mut [Item], out: &mut Vec<&'a mut Build>) {
    for item in items {
        match item {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => {
                collect_builds(&mut f.items, out)
            }
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => {
                out.extend(j.builds.iter_mut())
            }
        }
    }
}

/// Jenkins remembers queue items for five minutes after they left.
pub(super) fn left_items(world: &World, now: i64) -> Vec<LeftItem> {
    let mut out: Vec<LeftItem> = world
        .jobs()
        .into_iter()
        .flat_map(|(full, _, job)| {
            job.builds
                .iter()
                .filter(|b| b.timestamp + b.queue_duration > now - 5 * 60_000)
                .map(move |b| LeftItem {
                    id: b.queue_id,
                    job: full.clone(),
                    in_queue_since: b.timestamp,
                    build: Some(b.number),
                    cancelled: false,
                    causes: b.causes.clone(),
                })
        })
        .collect();
    out.sort_by_key(|l| l.id);
    out
}
