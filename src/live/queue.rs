//! The queue poller of one controller: every interval, its queue; items that entered,
//! became stuck or left since the last poll, and for each one that left, what it became
//! (`queue/item/ID`: the build it started, or that it was cancelled).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;
use tokio::sync::{broadcast, watch};

use super::cadence::Cadence;
use super::events::{now_ms, Polled, QueueChange, QueueChangeKind};
use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::{wire, ForwardedCredentials, QueryBudget};
use crate::loaders::Loaders;

/// Items that left the queue whose fate one poll reads at most (`queue/item/ID` each).
const MAX_LEFT_READS: usize = 32;

/// Queue items by id.
pub(crate) type Items = BTreeMap<i64, Arc<wire::QueueItem>>;

/// A controller's queue as its poller last saw it.
#[derive(Debug)]
pub(crate) struct QueueSnapshot {
    /// The poll it comes from.
    pub(crate) cycle: u64,
    /// The items, once a read succeeded.
    pub(crate) items: Option<Items>,
}

/// What a queue poller shares with its subscribers.
pub(crate) struct QueueFeed {
    /// The changes, as they are found.
    pub(crate) events: broadcast::Sender<Arc<Polled<QueueChange>>>,
    /// The latest state (none before the first poll ends).
    pub(crate) snapshot: watch::Sender<Option<Arc<QueueSnapshot>>>,
}

impl QueueFeed {
    /// The latest state, waiting for the first poll to end.
    pub(crate) async fn current(&self) -> Arc<QueueSnapshot> {
        let mut rx = self.snapshot.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return s;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The changes from `prev` to `cur`, oldest items first; the ids of those that left.
pub(crate) fn queue_changes(prev: &Items, cur: &Items) -> (Vec<QueueChange>, Vec<i64>) {
    let mut out = Vec::new();
    for (id, item) in cur {
        let stuck = item.stuck == Some(true);
        match prev.get(id) {
            None => {
                out.push(change(QueueChangeKind::Entered, item));
                if stuck {
                    out.push(change(QueueChangeKind::Stuck, item));
                }
            }
            Some(before) if stuck && before.stuck != Some(true) => {
                out.push(change(QueueChangeKind::Stuck, item));
            }
            Some(_) => {}
        }
    }
    let left = prev
        .keys()
        .filter(|id| !cur.contains_key(id))
        .copied()
        .collect();
    (out, left)
}

fn change(kind: QueueChangeKind, item: &Arc<wire::QueueItem>) -> QueueChange {
    QueueChange {
        kind,
        item: Arc::clone(item),
        left: None,
    }
}

/// The poller behind a [`QueueFeed`].
pub(crate) struct QueuePoller {
    gateway: GatewayState,
    up: Arc<Upstream>,
    forwarded: Option<ForwardedCredentials>,
    feed: Arc<QueueFeed>,
    cadence: Cadence,
    cycle: u64,
    prev: Option<Items>,
}

impl QueuePoller {
    /// A feed and the poller that fills it.
    pub(crate) fn start(
        gateway: &GatewayState,
        up: Arc<Upstream>,
        forwarded: Option<ForwardedCredentials>,
    ) -> (
        Arc<QueueFeed>,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let live = &gateway.config().live;
        let feed = Arc::new(QueueFeed {
            events: broadcast::channel(live.subscriber_buffer).0,
            snapshot: watch::channel(None).0,
        });
        let poller = QueuePoller {
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

    async fn poll(&mut self) -> bool {
        self.cycle += 1;
        let max_age = self.gateway.config().live.poll_interval() / 4;
        let budget = QueryBudget::for_poller(max_age, self.forwarded.clone());
        let name = Arc::clone(&self.up.name);
        let loaders = Loaders::new(&self.gateway, Arc::new(budget), |n| n == &*name);
        let read = loaders.queue(&self.up.name).await;
        let at_ms = now_ms();
        let (items, ok) = match read {
            Ok(q) => {
                let items: Items = q
                    .items
                    .iter()
                    .flatten()
                    .filter_map(|i| Some((i.id?, Arc::new(i.clone()))))
                    .collect();
                (Some(items), true)
            }
            Err(_) => (None, false),
        };
        if let (Some(prev), Some(cur)) = (&self.prev, &items) {
            let (mut found, left) = queue_changes(prev, cur);
            // What became of the items that left, for at most MAX_LEFT_READS a poll (a
            // queue emptied at once must not turn into as many requests).
            let reads = left.iter().take(MAX_LEFT_READS);
            let became = join_all(reads.map(|id| loaders.left_item(&self.up.name, *id))).await;
            let mut became = became.into_iter();
            for id in &left {
                let after = became.next().and_then(Result::ok);
                if let Some(item) = prev.get(id) {
                    found.push(QueueChange {
                        kind: QueueChangeKind::Left,
                        item: Arc::clone(item),
                        left: after,
                    });
                }
            }
            for event in found {
                let _ = self.feed.events.send(Arc::new(Polled {
                    cycle: self.cycle,
                    at_ms,
                    event,
                }));
            }
        }
        if items.is_some() {
            self.prev = items.clone();
        }
        self.feed
            .snapshot
            .send_replace(Some(Arc::new(QueueSnapshot {
                cycle: self.cycle,
                items: items.or_else(|| self.prev.clone()),
            })));
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, stuck: bool) -> (i64, Arc<wire::QueueItem>) {
        (
            id,
            Arc::new(wire::QueueItem {
                id: Some(id),
                stuck: Some(stuck),
                ..wire::QueueItem::default()
            }),
        )
    }

    #[test]
    fn entered_stuck_and_left() {
        let prev = Items::from([item(1, false), item(2, false)]);
        let cur = Items::from([item(2, true), item(3, true)]);
        let (found, left) = queue_changes(&prev, &cur);
        let kinds: Vec<_> = found.iter().map(|c| (c.kind, c.item.id)).collect();
        use QueueChangeKind::*;
        assert_eq!(
            kinds,
            vec![(Stuck, Some(2)), (Entered, Some(3)), (Stuck, Some(3))]
        );
        assert_eq!(left, vec![1]);
    }
}
