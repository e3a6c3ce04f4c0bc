//! From a poller's feed to one subscriber's events: start from the poller's latest state
//! (a snapshot when asked), then follow its changes, skipping those the state already
//! holds; on falling behind, say `LAGGED` and start again from the latest state. One stream
//! per controller; a subscription merges those of the controllers it covers.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use super::events::{
    BuildEventKind, BuildEventObj, ConnectionEventKind, ConnectionEventObj, QueueEventKind,
    QueueEventObj,
};
use crate::gateway::Upstream;
use crate::live::events::QueueChangeKind;
use crate::live::events::{now_ms, BuildChange, BuildChangeKind, JobsEvent, Polled, QueueChange};
use crate::live::filter::BuildFilter;
use crate::live::jobs::{JobsSnapshot, StageInterest};
use crate::live::{JobsWatch, QueueWatch};

/// What a stream does with the poller's latest state and each change.
pub(crate) trait Follow: Send + 'static {
    /// The poller's events.
    type Event: Send + Sync + 'static;
    /// What the subscriber gets.
    type Out: Send + 'static;
    /// The latest state: its poll's cycle, and the events that say it (when `all`, or
    /// after a lag).
    fn state(
        &mut self,
        all: bool,
    ) -> impl std::future::Future<Output = (u64, Vec<Self::Out>)> + Send;
    /// What one change means to this subscriber.
    fn change(&mut self, event: &Polled<Self::Event>) -> Vec<Self::Out>;
    /// The `LAGGED` event.
    fn lagged(&self, missed: u64) -> Self::Out;
    /// Whether the stream is over after this event (a watched build finished).
    fn ends_after(&self, _out: &Self::Out) -> bool {
        false
    }
}

/// One subscriber's stream over one poller.
pub(crate) struct Followed<F: Follow> {
    follow: F,
    rx: Receiver<Arc<Polled<F::Event>>>,
    snapshot: bool,
    started: bool,
    cycle: u64,
    queue: VecDeque<F::Out>,
    over: bool,
}

impl<F: Follow> Followed<F> {
    /// Follow `rx` (subscribed before anything else is read); `snapshot`: start with the
    /// events that say the latest state.
    pub(crate) fn new(follow: F, rx: Receiver<Arc<Polled<F::Event>>>, snapshot: bool) -> Self {
        Followed {
            follow,
            rx,
            snapshot,
            started: false,
            cycle: 0,
            queue: VecDeque::new(),
            over: false,
        }
    }

    /// The next event; `None` when the stream is over.
    pub(crate) async fn next(&mut self) -> Option<F::Out> {
        loop {
            if let Some(out) = self.queue.pop_front() {
                if self.follow.ends_after(&out) {
                    self.over = true;
                    self.queue.clear();
                }
                return Some(out);
            }
            if self.over {
                return None;
            }
            if !self.started {
                self.started = true;
                let (cycle, outs) = self.follow.state(self.snapshot).await;
                self.cycle = cycle;
                self.queue.extend(outs);
                continue;
            }
            match self.rx.recv().await {
                Ok(polled) if polled.cycle > self.cycle => {
                    let outs = self.follow.change(&polled);
                    self.queue.extend(outs);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    // Skip what is still buffered: the state below covers it, and reading
                    // it would only make room for the next lag.
                    self.rx = self.rx.resubscribe();
                    self.queue.push_back(self.follow.lagged(missed));
                    let (cycle, outs) = self.follow.state(true).await;
                    self.cycle = cycle;
                    self.queue.extend(outs);
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// As a stream.
    pub(crate) fn into_stream(self) -> impl futures::Stream<Item = F::Out> + Send {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|o| (o, s)) })
    }
}

fn build_event(
    up: &Arc<Upstream>,
    kind: BuildEventKind,
    c: &BuildChange,
    at_ms: i64,
) -> BuildEventObj {
    BuildEventObj {
        kind,
        up: up.clone(),
        job: Some(c.job.clone()),
        number: c.number,
        build: c.build.clone(),
        queue_item: c.queue_item.clone(),
        stage: c.stage.clone(),
        at_ms,
        missed: None,
    }
}

/// The builds running in `snap` that `filter` passes, as `RUNNING` events.
fn running(up: &Arc<Upstream>, snap: &JobsSnapshot, filter: &BuildFilter) -> Vec<BuildEventObj> {
    let mut out = Vec::new();
    for (job, state) in snap.jobs.iter().flatten() {
        for (n, build) in &state.running {
            if !filter.matches(job, Some(*n)) {
                continue;
            }
            let stage = snap.runs.get(&(job.clone(), *n)).and_then(|run| {
                let stages = run.stages.as_deref()?;
                let i = stages.iter().rposition(|s| {
                    matches!(
                        s.status.as_deref(),
                        Some("IN_PROGRESS" | "PAUSED_PENDING_INPUT")
                    )
                })?;
                Some((Arc::clone(run), i))
            });
            out.push(BuildEventObj {
                kind: BuildEventKind::Running,
                up: up.clone(),
                job: Some(job.clone()),
                number: Some(*n),
                build: Some(Arc::clone(build)),
                queue_item: None,
                stage,
                at_ms: snap.at_ms,
                missed: None,
            });
        }
    }
    out
}

/// Build events of one controller.
pub(crate) struct Builds {
    pub(crate) up: Arc<Upstream>,
    pub(crate) watch: JobsWatch,
    pub(crate) filter: BuildFilter,
    pub(crate) _stages: Option<StageInterest>,
    /// For one watched build: its number, and whether it ends the stream when finished.
    pub(crate) one: Option<u32>,
}

impl Follow for Builds {
    type Event = JobsEvent;
    type Out = BuildEventObj;

    async fn state(&mut self, all: bool) -> (u64, Vec<BuildEventObj>) {
        let snap = self.watch.current().await;
        let mut outs = if all {
            running(&self.up, &snap, &self.filter)
        } else {
            Vec::new()
        };
        if let (Some(n), Some((job, _))) = (self.one, &self.filter.build) {
            // A watched build that is not running: finished already, or not yet started.
            let state = snap.jobs.as_ref().and_then(|j| j.get(job));
            let last = state.and_then(|s| s.last.as_ref()?.number);
            let runs = state.is_some_and(|s| s.running.contains_key(&n));
            if !runs && last.is_some_and(|l| l >= n) {
                outs.push(BuildEventObj {
                    kind: BuildEventKind::Finished,
                    up: self.up.clone(),
                    job: Some(job.clone()),
                    number: Some(n),
                    build: None,
                    queue_item: None,
                    stage: None,
                    at_ms: now_ms(),
                    missed: None,
                });
            }
        }
        (snap.cycle, outs)
    }

    fn change(&mut self, polled: &Polled<JobsEvent>) -> Vec<BuildEventObj> {
        let JobsEvent::Build(c) = &polled.event else {
            return Vec::new();
        };
        if !self.filter.matches(&c.job, c.number) {
            return Vec::new();
        }
        let kind = match c.kind {
            BuildChangeKind::Queued => BuildEventKind::Queued,
            BuildChangeKind::Started => BuildEventKind::Started,
            BuildChangeKind::Stage => BuildEventKind::Stage,
            BuildChangeKind::Finished => BuildEventKind::Finished,
        };
        vec![build_event(&self.up, kind, c, polled.at_ms)]
    }

    fn lagged(&self, missed: u64) -> BuildEventObj {
        BuildEventObj {
            kind: BuildEventKind::Lagged,
            up: self.up.clone(),
            job: None,
            number: None,
            build: None,
            queue_item: None,
            stage: None,
            at_ms: now_ms(),
            missed: Some(missed),
        }
    }

    fn ends_after(&self, out: &BuildEventObj) -> bool {
        self.one.is_some() && out.kind == BuildEventKind::Finished
    }
}

/// Status events of one controller.
pub(crate) struct Status {
    pub(crate) up: Arc<Upstream>,
    pub(crate) watch: JobsWatch,
}

impl Follow for Status {
    type Event = JobsEvent;
    type Out = ConnectionEventObj;

    async fn state(&mut self, _all: bool) -> (u64, Vec<ConnectionEventObj>) {
        let snap = self.watch.current().await;
        let current = ConnectionEventObj {
            kind: ConnectionEventKind::Current,
            up: self.up.clone(),
            now: Some(snap.status.clone()),
            before: None,
            at_ms: snap.at_ms,
            missed: None,
        };
        (snap.cycle, vec![current])
    }

    fn change(&mut self, polled: &Polled<JobsEvent>) -> Vec<ConnectionEventObj> {
        let JobsEvent::Status { now, before } = &polled.event else {
            return Vec::new();
        };
        let kind = if now.code() == "ONLINE" {
            ConnectionEventKind::Up
        } else {
            ConnectionEventKind::Down
        };
        vec![ConnectionEventObj {
            kind,
            up: self.up.clone(),
            now: Some(now.clone()),
            before: Some(before.clone()),
            at_ms: polled.at_ms,
            missed: None,
        }]
    }

    fn lagged(&self, missed: u64) -> ConnectionEventObj {
        ConnectionEventObj {
            kind: ConnectionEventKind::Lagged,
            up: self.up.clone(),
            now: None,
            before: None,
            at_ms: now_ms(),
            missed: Some(missed),
        }
    }
}

/// Queue events of one controller.
pub(crate) struct Queue {
    pub(crate) up: Arc<Upstream>,
    pub(crate) watch: QueueWatch,
}

impl Queue {
    fn event(&self, kind: QueueEventKind, c: Option<&QueueChange>, at_ms: i64) -> QueueEventObj {
        QueueEventObj {
            kind,
            up: self.up.clone(),
            item: c.map(|c| Arc::clone(&c.item)),
            left: c.and_then(|c| c.left.clone()),
            at_ms,
            missed: None,
        }
    }
}

impl Follow for Queue {
    type Event = QueueChange;
    type Out = QueueEventObj;

    async fn state(&mut self, all: bool) -> (u64, Vec<QueueEventObj>) {
        let snap = self.watch.current().await;
        let mut outs = Vec::new();
        if all {
            for item in snap.items.iter().flat_map(|i| i.values()) {
                outs.push(QueueEventObj {
                    item: Some(Arc::clone(item)),
                    ..self.event(QueueEventKind::Waiting, None, now_ms())
                });
            }
        }
        (snap.cycle, outs)
    }

    fn change(&mut self, polled: &Polled<QueueChange>) -> Vec<QueueEventObj> {
        let kind = match polled.event.kind {
            QueueChangeKind::Entered => QueueEventKind::Entered,
            QueueChangeKind::Stuck => QueueEventKind::Stuck,
            QueueChangeKind::Left => QueueEventKind::Left,
        };
        vec![self.event(kind, Some(&polled.event), polled.at_ms)]
    }

    fn lagged(&self, missed: u64) -> QueueEventObj {
        QueueEventObj {
            missed: Some(missed),
            ..self.event(QueueEventKind::Lagged, None, now_ms())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast;

    /// A feed whose state is at poll `now`.
    struct Counter {
        now: u64,
    }

    impl Follow for Counter {
        type Event = u64;
        type Out = String;

        async fn state(&mut self, all: bool) -> (u64, Vec<String>) {
            let outs = if all {
                vec![format!("state {}", self.now)]
            } else {
                Vec::new()
            };
            (self.now, outs)
        }

        fn change(&mut self, polled: &Polled<u64>) -> Vec<String> {
            vec![format!("event {}", polled.event)]
        }

        fn lagged(&self, missed: u64) -> String {
            format!("lagged {missed}")
        }
    }

    fn polled(cycle: u64) -> Arc<Polled<u64>> {
        Arc::new(Polled {
            cycle,
            at_ms: 0,
            event: cycle,
        })
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_it_lagged_then_resynchronised_without_repeats() {
        let (tx, rx) = broadcast::channel(2);
        let mut follow = Followed::new(Counter { now: 6 }, rx, false);
        // Six polls' events while the subscriber did not read: the buffer keeps two.
        for cycle in 1..=6 {
            tx.send(polled(cycle)).expect("a receiver");
        }
        assert_eq!(follow.next().await.as_deref(), Some("lagged 4"));
        assert_eq!(follow.next().await.as_deref(), Some("state 6"));
        // Polls 5 and 6 are in the state it was given: not sent again.
        tx.send(polled(7)).expect("a receiver");
        assert_eq!(follow.next().await.as_deref(), Some("event 7"));
        drop(tx);
        assert_eq!(follow.next().await, None);
    }
}
