//! Pollers shared by their subscribers: one per key (a controller and a kind of watch),
//! started by its first subscriber and stopped when its last one leaves.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

struct Entry<F> {
    feed: Arc<F>,
    watchers: usize,
    task: JoinHandle<()>,
}

/// The running pollers of one kind, by key. `F` is what a poller shares with its
/// subscribers (its event channel, its latest state).
pub(crate) struct Registry<K, F> {
    entries: Mutex<HashMap<K, Entry<F>>>,
}

impl<K: Eq + Hash + Clone, F> Registry<K, F> {
    /// No pollers yet.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Registry {
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<F>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watch `key`: join its poller, or start one with `start` (the shared feed, and the
    /// task that polls into it) when there is none.
    pub(crate) fn watch<T>(
        self: &Arc<Self>,
        key: K,
        start: impl FnOnce() -> (Arc<F>, T),
    ) -> Watch<K, F>
    where
        T: Future<Output = ()> + Send + 'static,
    {
        let unlimited = |_: &K| false;
        match self.watch_within(key, unlimited, usize::MAX, start) {
            Some(watch) => watch,
            None => unreachable!("no limit"),
        }
    }

    /// Like [`Self::watch`], but a new poller is started only while fewer than `limit`
    /// running pollers are `alike` (on the same controller, say); `None` when over.
    pub(crate) fn watch_within<T>(
        self: &Arc<Self>,
        key: K,
        alike: impl Fn(&K) -> bool,
        limit: usize,
        start: impl FnOnce() -> (Arc<F>, T),
    ) -> Option<Watch<K, F>>
    where
        T: Future<Output = ()> + Send + 'static,
    {
        let mut entries = self.lock();
        if !entries.contains_key(&key) && entries.keys().filter(|k| alike(k)).count() >= limit {
            return None;
        }
        let entry = entries.entry(key.clone()).or_insert_with(|| {
            let (feed, task) = start();
            Entry {
                feed,
                watchers: 0,
                task: tokio::spawn(task),
            }
        });
        entry.watchers += 1;
        Some(Watch {
            registry: Arc::clone(self),
            key,
            feed: Arc::clone(&entry.feed),
        })
    }

    /// How many pollers run.
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.lock().len()
    }

    fn leave(&self, key: &K) {
        let mut entries = self.lock();
        let last = match entries.get_mut(key) {
            Some(entry) => {
                entry.watchers -= 1;
                entry.watchers == 0
            }
            None => false,
        };
        if last {
            if let Some(entry) = entries.remove(key) {
                // The last subscriber left: nothing more is sent upstream for this key.
                entry.task.abort();
            }
        }
    }
}

/// One subscriber's hold on a poller; dropping it leaves (the last one stops the poller).
pub(crate) struct Watch<K: Eq + Hash + Clone, F> {
    registry: Arc<Registry<K, F>>,
    key: K,
    feed: Arc<F>,
}

impl<K: Eq + Hash + Clone, F> Watch<K, F> {
    /// The shared feed itself.
    pub(crate) fn feed(&self) -> &Arc<F> {
        &self.feed
    }
}

impl<K: Eq + Hash + Clone, F> Deref for Watch<K, F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.feed
    }
}

impl<K: Eq + Hash + Clone, F> Drop for Watch<K, F> {
    fn drop(&mut self) {
        self.registry.leave(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_poller_per_key_until_the_last_watcher_leaves() {
        let registry: Arc<Registry<&str, u32>> = Registry::new();
        let mut started = 0;
        let mut start = || {
            started += 1;
            (Arc::new(7), std::future::pending::<()>())
        };
        let a = registry.watch("ci", &mut start);
        let b = registry.watch("ci", &mut start);
        let c = registry.watch("other", &mut start);
        assert_eq!((started, registry.running()), (2, 2));
        assert_eq!(*a, 7);
        drop(a);
        assert_eq!(registry.running(), 2, "b still watches ci");
        drop(b);
        drop(c);
        assert_eq!(registry.running(), 0);
    }

    #[tokio::test]
    async fn a_limit_refuses_new_pollers_but_not_new_watchers() {
        let registry: Arc<Registry<(&str, u32), ()>> = Registry::new();
        let start = || (Arc::new(()), std::future::pending::<()>());
        let on_ci = |k: &(&str, u32)| k.0 == "ci";
        let one = registry.watch_within(("ci", 1), on_ci, 2, start);
        let two = registry.watch_within(("ci", 2), on_ci, 2, start);
        assert!(one.is_some() && two.is_some());
        assert!(registry.watch_within(("ci", 3), on_ci, 2, start).is_none());
        assert!(registry.watch_within(("ci", 1), on_ci, 2, start).is_some());
        assert!(registry
            .watch_within(("other", 1), |k| k.0 == "other", 2, start)
            .is_some());
        drop(two);
        assert!(registry.watch_within(("ci", 3), on_ci, 2, start).is_some());
    }
}
