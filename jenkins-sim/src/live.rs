//! Live mode: the world moves on its own. Builds are queued, leave the quiet period,
//! wait for an executor or a running build, start, advance stage by stage with a growing
//! log, and finish; the queue moves with them.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::clock::now_ms;
use crate::world::{
    Build, BuildResult, Cause, Item, Job, LeftItem, LiveRule, Log, QueueItem, QueueState, Stage,
    StageError, Step, World,
};

/// How fast the world moves.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// How often the world is advanced.
    pub tick: Duration,
    /// Mean time between newly triggered builds (across the controller).
    pub trigger_every: Duration,
    /// Quiet period before a queued build may start.
    pub quiet_period: Duration,
    /// How long a build runs.
    pub build_duration: Duration,
    /// Fraction of builds that fail.
    pub failure_rate: f64,
    /// Log bytes written per second by a running build.
    pub log_bytes_per_sec: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            tick: Duration::from_millis(250),
            trigger_every: Duration::from_secs(2),
            quiet_period: Duration::from_secs(1),
            build_duration: Duration::from_secs(20),
            failure_rate: 0.15,
            log_bytes_per_sec: 2_000,
        }
    }
}

/// Move `world` on until the task is aborted; `seed` decides what happens.
pub async fn run(world: Arc<RwLock<World>>, seed: u64, cfg: LiveConfig) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x11fe);
    let mut ticker = tokio::time::interval(cfg.tick);
    loop {
        ticker.tick().await;
        let mut w = world.write().unwrap_or_else(|e| e.into_inner());
        step(&mut w, &cfg, &mut rng, now_ms());
    }
}

/// Advance the world by one tick at time `now`.
pub fn step(w: &mut World, cfg: &LiveConfig, rng: &mut impl Rng, now: i64) {
    let p = cfg.tick.as_secs_f64() / cfg.trigger_every.as_secs_f64().max(0.001);
    if rng.gen::<f64>() < p {
        trigger_random(w, rng, now);
    }
    advance_running(w, cfg, rng, now);
    move_queue(w, cfg, now);
}

fn buildable_jobs(w: &World) -> Vec<String> {
    w.jobs()
        .into_iter()
        .filter(|(_, _, j)| !j.disabled && j.label.is_none() && j.live != LiveRule::Still)
        .map(|(name, _, _)| name)
        .collect()
}

fn trigger_random(w: &mut World, rng: &mut impl Rng, now: i64) {
    let jobs = buildable_jobs(w);
    if jobs.is_empty() {
        return;
    }
    let full = jobs[rng.gen_range(0..jobs.len())].clone();
    if w.queue.iter().any(|q| q.job == full) {
        return;
    }
    let id = w.controller.next_queue_id;
    w.controller.next_queue_id += 1;
    let cause = if rng.gen_bool(0.7) {
        Cause::Scm
    } else {
        Cause::Timer
    };
    w.queue.insert(
        0,
        QueueItem {
            id,
            job: full,
            state: QueueState::Waiting,
            why: Some("In the quiet period. Expires in 1 sec".into()),
            stuck: false,
            in_queue_since: now,
            causes: vec![cause],
            parameters: vec![],
        },
    );
}

fn running_count(w: &World) -> u32 {
    w.jobs()
        .iter()
        .filter(|(_, _, j)| {
            j.builds
                .last()
                .is_some_and(|b| b.building() && b.input.is_none())
        })
        .count() as u32
}

fn move_queue(w: &mut World, cfg: &LiveConfig, now: i64) {
    let quiet = cfg.quiet_period.as_millis() as i64;
    let executors = w.controller.num_executors
        + w.agents
            .iter()
            .filter(|a| !a.offline)
            .map(|a| a.executors)
            .sum::<u32>();
    let mut busy = running_count(w);
    // Jenkins' queue order: items most likely built sooner are at the end.
    let mut i = w.queue.len();
    while i > 0 {
        i -= 1;
        let q = w.queue[i].clone();
        if q.state == QueueState::Waiting && now - q.in_queue_since < quiet {
            continue;
        }
        let Some(job) = w
            .item(&q.job)
            .and_then(Item::as_job)
            .map(|(_, j)| j.clone())
        else {
            w.queue.remove(i);
            continue;
        };
        if let Some(label) = &job.label {
            let has = w.agents.iter().any(|a| a.labels.contains(label));
            let item = &mut w.queue[i];
            item.state = QueueState::Buildable;
            item.stuck = !has;
            item.why = Some(format!("‘Jenkins’ doesn’t have label ‘{label}’"));
            continue;
        }
        let running = job.builds.last().filter(|b| b.building());
        if let Some(r) = running.filter(|_| !job.concurrent) {
            let item = &mut w.queue[i];
            item.state = QueueState::Blocked;
            item.why = Some(format!(
                "Build #{} is already in progress (ETA: N/A)",
                r.number
            ));
            continue;
        }
        if busy >= executors {
            let item = &mut w.queue[i];
            item.state = QueueState::Buildable;
            item.why = Some("Waiting for next available executor".into());
            continue;
        }
        busy += 1;
        let q = w.queue.remove(i);
        let number = start_build(w, &q, cfg, now);
        w.left_items.push(LeftItem {
            id: q.id,
            job: q.job,
            in_queue_since: q.in_queue_since,
            build: number,
            cancelled: false,
            causes: q.causes,
        });
    }
    // LeftItems are kept five minutes.
    w.left_items
        .retain(|l| now - l.in_queue_since < 5 * 60 * 1000);
}

fn start_build(w: &mut World, q: &QueueItem, cfg: &LiveConfig, now: i64) -> Option<u64> {
    let job = w.item_mut(&q.job)?.as_job_mut()?;
    let number = job.next_number();
    job.next_build_number = Some(number + 1);
    let estimated = job
        .builds
        .iter()
        .rev()
        .find(|b| !b.building())
        .map_or(cfg.build_duration.as_millis() as i64, |b| {
            b.duration.max(1000)
        });
    let stages = job
        .stage_names
        .iter()
        .enumerate()
        .map(|(i, name)| Stage {
            id: (10 + i * 6).to_string(),
            name: name.clone(),
            status: "NOT_EXECUTED".into(),
            start: now,
            parallel: job
                .parallel
                .iter()
                .find(|p| p.branches.contains(name))
                .map(|p| p.stage.clone()),
            ..Stage::default()
        })
        .collect();
    job.builds.push(Build {
        number,
        result: None,
        timestamp: now - (now - q.in_queue_since).max(0),
        duration: 0,
        estimated_duration: estimated,
        queue_duration: (now - q.in_queue_since).max(0),
        queue_id: q.id,
        causes: q.causes.clone(),
        parameters: q.parameters.clone(),
        stages,
        log: Log {
            text: None,
            generated_bytes: Some(0),
        },
        ..Build::default()
    });
    Some(number)
}

fn advance_running(w: &mut World, cfg: &LiveConfig, rng: &mut impl Rng, now: i64) {
    let names: Vec<String> = w.jobs().into_iter().map(|(n, _, _)| n).collect();
    for name in names {
        let Some(job) = w.item_mut(&name).and_then(Item::as_job_mut) else {
            continue;
        };
        advance_job(job, cfg, rng, now);
    }
}

fn advance_job(job: &mut Job, cfg: &LiveConfig, rng: &mut impl Rng, now: i64) {
    let always_fails = job.live == LiveRule::Failing;
    let Some(b) = job.builds.last_mut() else {
        return;
    };
    if !b.building() || b.input.is_some() {
        return;
    }
    let started = b.timestamp + b.queue_duration;
    let target = cfg.build_duration.as_millis() as i64;
    let elapsed = (now - started).max(0);
    let bytes =
        (elapsed as u64 * cfg.log_bytes_per_sec / 1000) / crate::log::LINE * crate::log::LINE;
    b.log.generated_bytes = Some(bytes);
    let n = b.stages.len() as i64;
    if n > 0 {
        let per = (target / n).max(1);
        let current = (elapsed / per).min(n - 1);
        for (i, st) in b.stages.iter_mut().enumerate() {
            let i = i as i64;
            st.start = started + i * per;
            if i < current {
                st.status = "SUCCESS".into();
                st.duration = per;
            } else if i == current {
                st.status = "IN_PROGRESS".into();
                st.duration = elapsed - i * per;
            }
        }
    }
    if elapsed < target {
        return;
    }
    let failed = rng.gen::<f64>() < cfg.failure_rate || always_fails;
    b.result = Some(if failed {
        BuildResult::Failure
    } else {
        BuildResult::Success
    });
    b.duration = elapsed;
    let failing = if failed && n > 0 {
        Some(rng.gen_range(0..n) as usize)
    } else {
        None
    };
    let per = (target / n.max(1)).max(1);
    for (i, st) in b.stages.iter_mut().enumerate() {
        st.duration = per;
        st.status = match failing {
            Some(f) if i == f => {
                st.error = Some(StageError {
                    message: "script returned exit code 1".into(),
                    kind: "hudson.AbortException".into(),
                });
                st.steps.push(Step {
                    id: format!("{}", st.id.parse::<u64>().unwrap_or(0) + 2),
                    name: "Shell Script".into(),
                    description: Some("make test".into()),
                    status: "FAILED".into(),
                    start: st.start,
                    duration: per,
                    parents: vec![st.id.clone()],
                    error: st.error.clone(),
                    log: Some("+ make test\nFAIL: 1 test failed\n".into()),
                    ..Step::default()
                });
                "FAILED".into()
            }
            Some(f) if i > f => {
                st.error = Some(StageError {
                    message: "script returned exit code 1".into(),
                    kind: "hudson.AbortException".into(),
                });
                "FAILED".into()
            }
            _ => "SUCCESS".into(),
        };
    }
}
