//! The upstream cache: parsed Jenkins responses shared across GraphQL
//! requests and users of one credential scope.
//!
//! - Keyed by connection, credential scope (a keyed hash of username and
//!   token, never the token), request path+query and the Rust type the body
//!   was parsed into.
//! - Bounded by bytes: each entry weighs the length of the upstream body.
//! - Lifetime follows mutability ([`CacheClass`]). The class of some answers
//!   (a build: running or finished?) is known only after parsing, so the
//!   loader returns it with the value and the expiry policy reads it from the
//!   stored entry.
//! - Identical concurrent loads are coalesced into one upstream call; errors
//!   are handed to every waiter and not stored, except an answer that the thing
//!   asked for does not exist ([`LoadError::is_absent`], a 404), which is kept
//!   like a listing: asking again within its TTL would get the same, and a
//!   client must not make the gateway ask Jenkins once per query for names
//!   that do not exist.
//! - Every lookup, store and eviction is counted by class in the gateway's
//!   [`Metrics`] (evictions by cause through moka's eviction listener), and in
//!   [`CacheStats`] for the cache's own tests.
//! - Optionally backed by Redis ([`shared`]): a miss here asks Redis before Jenkins, and
//!   what Jenkins answered is written there for the other replicas and the next start.

use std::any::{Any, TypeId};
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

mod shared;

pub(crate) use shared::{shared_scope, SharedCache, SharedStats};
use shared::{SharedEntry, Waited};

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::Expiry;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::config::{CacheConfig, ConfigError};
use crate::telemetry::metrics::{Lookup, Metrics};

/// How mutable a cached answer is, which decides how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CacheClass {
    /// Never changes (finished builds, their stages, test reports, finished
    /// logs): no TTL, stays until evicted for space.
    Immutable,
    /// Changes every few seconds (job listings, last builds): `listing_ttl_ms`.
    Listing,
    /// Changes constantly (queue, running builds): `volatile_ttl_ms`.
    Volatile,
}

impl CacheClass {
    /// The class as a metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CacheClass::Immutable => "immutable",
            CacheClass::Listing => "listing",
            CacheClass::Volatile => "volatile",
        }
    }
}

/// What identifies one cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    connection: Arc<str>,
    scope: u64,
    request: String,
    type_id: TypeId,
}

impl CacheKey {
    /// A key for `request` (path and query, relative to the connection URL)
    /// parsed as `T`, for one connection and credential scope.
    pub(crate) fn new<T: 'static>(
        connection: Arc<str>,
        scope: u64,
        request: impl Into<String>,
    ) -> Self {
        CacheKey {
            connection,
            scope,
            request: request.into(),
            type_id: TypeId::of::<T>(),
        }
    }
}

/// The credential scope of a username and token: a hash keyed with a random
/// per-process key, so equal credentials share cache entries while the value
/// reveals nothing about the token, even if printed.
pub(crate) fn credential_scope(username: Option<&str>, token: Option<&SecretString>) -> u64 {
    let mut hasher = scope_keys().build_hasher();
    username.hash(&mut hasher);
    token.map(|t| t.expose_secret()).hash(&mut hasher);
    hasher.finish()
}

/// The credential scope of credentials a caller forwarded (the `Authorization` value sent
/// to a connection with `auth = "forward"`): keyed like [`credential_scope`], and never
/// equal to the scope of a service account, so no caller shares another's entries.
pub(crate) fn forwarded_scope(authorization: &[u8]) -> u64 {
    let mut hasher = scope_keys().build_hasher();
    "forwarded".hash(&mut hasher);
    authorization.hash(&mut hasher);
    hasher.finish()
}

/// The per-process key of every credential scope.
fn scope_keys() -> &'static RandomState {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new)
}

/// An error a load can end with. An absent answer (the thing asked for does not exist) is
/// stored like a listing; any other is handed to the waiting callers only.
pub(crate) trait LoadError: Clone + Send + Sync + 'static {
    /// Whether this error says the thing asked for does not exist.
    fn is_absent(&self) -> bool;
}

/// Bytes an absent answer weighs beyond its key's request: what its entry costs.
const ABSENT_WEIGHT: usize = 64;

/// One stored answer: the parsed value (or, when `absent`, the error saying there is
/// none), its weight and its class.
pub(crate) struct CachedValue {
    value: Arc<dyn Any + Send + Sync>,
    absent: bool,
    weight: u32,
    class: CacheClass,
    /// When it was loaded: a poller accepts only answers younger than its interval.
    loaded_at: Instant,
    /// Time left when it came from Redis, which overrides the class's full TTL.
    expires_in: Option<Duration>,
}

impl std::fmt::Debug for CachedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedValue")
            .field("weight", &self.weight)
            .field("class", &self.class)
            .field("absent", &self.absent)
            .finish_non_exhaustive()
    }
}

/// What a loader returns: the value, its weight in bytes and its class.
#[derive(Debug)]
pub(crate) struct Loaded<T> {
    /// The parsed value.
    pub(crate) value: T,
    /// Bytes it stands for (the upstream body length).
    pub(crate) weight: usize,
    /// How long it may live.
    pub(crate) class: CacheClass,
    /// The upstream body the value was parsed from, for the shared cache (`None`: keep
    /// it out of Redis).
    pub(crate) body: Option<Vec<u8>>,
}

/// A snapshot of the cache counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CacheStats {
    /// Lookups answered from a stored entry.
    pub(crate) hits: u64,
    /// Lookups that ran their loader (one upstream load each).
    pub(crate) misses: u64,
    /// Lookups that waited for another caller's in-flight load.
    pub(crate) coalesced: u64,
    /// Entries stored.
    pub(crate) inserts: u64,
    /// Entries evicted to stay under the byte bound.
    pub(crate) evictions: u64,
    /// Entries that expired.
    pub(crate) expirations: u64,
    /// Loads that failed (not stored).
    pub(crate) load_errors: u64,
    /// Entries currently stored (approximate, updated lazily by moka).
    pub(crate) entries: u64,
    /// Bytes currently stored (approximate, updated lazily by moka).
    pub(crate) weighted_bytes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
    load_errors: AtomicU64,
}

struct ClassExpiry {
    listing: Duration,
    volatile: Duration,
}

impl ClassExpiry {
    fn ttl(&self, value: &CachedValue) -> Option<Duration> {
        match value.class {
            CacheClass::Immutable => None,
            _ if value.expires_in.is_some() => value.expires_in,
            CacheClass::Listing => Some(self.listing),
            CacheClass::Volatile => Some(self.volatile),
        }
    }
}

impl Expiry<CacheKey, Arc<CachedValue>> for ClassExpiry {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &Arc<CachedValue>,
        _created_at: Instant,
    ) -> Option<Duration> {
        self.ttl(value)
    }

    fn expire_after_update(
        &self,
        _key: &CacheKey,
        value: &Arc<CachedValue>,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        // A replaced value may have changed class (a build finished).
        self.ttl(value)
    }
}

/// The shared upstream cache. Clone the `Arc` to share it between clients.
pub(crate) struct UpstreamCache {
    cache: Cache<CacheKey, Arc<CachedValue>>,
    counters: Arc<Counters>,
    metrics: Arc<Metrics>,
    shared: Option<SharedCache>,
}

impl std::fmt::Debug for UpstreamCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl UpstreamCache {
    /// A cache bounded and timed as configured, counting into `metrics`, in front of Redis
    /// when `redis_url` is set (which needs a Tokio runtime).
    pub(crate) fn new(config: &CacheConfig, metrics: Arc<Metrics>) -> Result<Self, ConfigError> {
        let mut cache = Self::build(
            config.max_bytes,
            config.listing_ttl(),
            config.volatile_ttl(),
            metrics,
        );
        cache.shared = SharedCache::from_config(config)?;
        Ok(cache)
    }

    /// Whether Redis is behind this cache (then callers pass shared keys).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The shared cache, when there is one.
    pub(crate) fn shared(&self) -> Option<&SharedCache> {
        self.shared.as_ref()
    }

    /// The shared cache's counters, when there is one.
    pub(crate) fn shared_stats(&self) -> Option<SharedStats> {
        self.shared.as_ref().map(SharedCache::stats)
    }

    /// A cache of at most `max_bytes`, with the given TTLs for
    /// [`CacheClass::Listing`] and [`CacheClass::Volatile`], counting into metrics of its own.
    #[cfg(test)]
    pub(crate) fn with_limits(
        max_bytes: u64,
        listing_ttl: Duration,
        volatile_ttl: Duration,
    ) -> Self {
        Self::build(
            max_bytes,
            listing_ttl,
            volatile_ttl,
            Arc::new(Metrics::default()),
        )
    }

    fn build(
        max_bytes: u64,
        listing_ttl: Duration,
        volatile_ttl: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let counters = Arc::new(Counters::default());
        let listener_counters = Arc::clone(&counters);
        let listener_metrics = Arc::clone(&metrics);
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_key: &CacheKey, value: &Arc<CachedValue>| value.weight)
            .expire_after(ClassExpiry {
                listing: listing_ttl,
                volatile: volatile_ttl,
            })
            .eviction_listener(move |_key, value: Arc<CachedValue>, cause| {
                let cause = match cause {
                    RemovalCause::Size => {
                        listener_counters.evictions.fetch_add(1, Ordering::Relaxed);
                        Some("size")
                    }
                    RemovalCause::Expired => {
                        listener_counters
                            .expirations
                            .fetch_add(1, Ordering::Relaxed);
                        Some("expired")
                    }
                    RemovalCause::Explicit | RemovalCause::Replaced => None,
                };
                listener_metrics
                    .cache
                    .removed(value.class.label(), value.weight, cause);
            })
            .build();
        UpstreamCache {
            cache,
            counters,
            metrics,
            shared: None,
        }
    }

    /// The metrics it counts into.
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Returns the cached value for `key`, or runs `load` once for all
    /// concurrent callers of the same key and stores its result.
    /// An error from `load` is returned to every waiting caller and not stored.
    #[cfg(test)]
    pub(crate) async fn get_or_load<T, E, F>(
        &self,
        key: CacheKey,
        shared_key: Option<String>,
        load: F,
    ) -> Result<Arc<T>, E>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        E: LoadError,
        F: Future<Output = Result<Loaded<T>, E>>,
    {
        if let Some(answer) = self.get::<T, E>(&key, None).await {
            return answer;
        }
        self.load(key, shared_key, load).await.0
    }

    /// The stored answer for `key`, if there is one (a hit, counted as such): its value,
    /// or the error that said it does not exist. With a `max_age`, a stored answer that may
    /// still change and is older than that is dropped and the caller loads a fresh one
    /// (still coalesced with identical loads, and stored for everyone else): pollers read
    /// this way, since an answer a query cached seconds ago would delay their events by as
    /// much.
    pub(crate) async fn get<T: Send + Sync + 'static, E: LoadError>(
        &self,
        key: &CacheKey,
        max_age: Option<Duration>,
    ) -> Option<Result<Arc<T>, E>> {
        let stored = self.cache.get(key).await?;
        let fresh = stored.class == CacheClass::Immutable
            || max_age.is_none_or(|age| stored.loaded_at.elapsed() <= age);
        if !fresh {
            self.cache.invalidate(key).await;
            return None;
        }
        let answer = stored.answer::<T, E>()?;
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        self.metrics.cache.lookup(stored.class.label(), Lookup::Hit);
        Some(answer)
    }

    /// Runs `load` once for all concurrent callers of `key` (after [`Self::get`] found
    /// nothing) and stores its result; says whether this caller loaded or waited for
    /// another's load. An error from `load` is returned to every waiting caller and not
    /// stored, unless it says the answer is absent (stored with the listing TTL, and
    /// never written to Redis). With Redis behind, `shared_key` names the entry there (`None`: keep it out
    /// of Redis): a miss here asks Redis before running `load`, and what `load` answered is
    /// written there.
    pub(crate) async fn load<T, E, F>(
        &self,
        key: CacheKey,
        shared_key: Option<String>,
        load: F,
    ) -> (Result<Arc<T>, E>, Lookup)
    where
        T: DeserializeOwned + Send + Sync + 'static,
        E: LoadError,
        F: Future<Output = Result<Loaded<T>, E>>,
    {
        // `ran_loader` tells our own load apart from waiting on someone
        // else's: moka polls only one caller's init future per key.
        let ran_loader = AtomicBool::new(false);
        let absent_weight = key.request.len() + ABSENT_WEIGHT;
        let init = async {
            ran_loader.store(true, Ordering::Relaxed);
            let loaded = match (&self.shared, shared_key.as_deref()) {
                (Some(shared), Some(shared_key)) => load_through(shared, shared_key, load).await,
                _ => load.await.map(|loaded| (loaded, None)),
            };
            let (value, absent, weight, class, expires_in) = match loaded {
                Ok((loaded, expires_in)) => {
                    let value: Arc<dyn Any + Send + Sync> = Arc::new(loaded.value);
                    (value, false, loaded.weight, loaded.class, expires_in)
                }
                Err(error) if error.is_absent() => {
                    let value: Arc<dyn Any + Send + Sync> = Arc::new(error);
                    (value, true, absent_weight, CacheClass::Listing, None)
                }
                Err(error) => return Err(error),
            };
            Ok::<_, E>(Arc::new(CachedValue {
                value,
                absent,
                weight: u32::try_from(weight).unwrap_or(u32::MAX),
                class,
                loaded_at: Instant::now(),
                expires_in,
            }))
        };
        let result = self.cache.try_get_with(key, init).await;
        let ran = ran_loader.load(Ordering::Relaxed);
        let how = if ran {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            Lookup::Miss
        } else {
            // Either we waited for another caller's load, or an entry landed
            // between our `get` and `try_get_with`; both saved an upstream call.
            self.counters.coalesced.fetch_add(1, Ordering::Relaxed);
            Lookup::Coalesced
        };
        let result = match result {
            Ok(stored) => {
                let class = stored.class.label();
                self.metrics.cache.lookup(class, how);
                if ran {
                    self.counters.inserts.fetch_add(1, Ordering::Relaxed);
                    self.metrics.cache.stored(class, stored.weight);
                }
                // The key holds the TypeId of the value, and an absent answer is always
                // stored by a load of the same error type.
                stored.answer::<T, E>().unwrap_or_else(unreachable_type)
            }
            Err(error) => {
                if ran {
                    self.counters.load_errors.fetch_add(1, Ordering::Relaxed);
                }
                Err((*error).clone())
            }
        };
        (result, how)
    }

    /// Runs moka's pending maintenance (evictions, expirations, counters), which tests
    /// need before they look at sizes.
    #[cfg(test)]
    pub(crate) async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> CacheStats {
        let c = &self.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            coalesced: c.coalesced.load(Ordering::Relaxed),
            inserts: c.inserts.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            expirations: c.expirations.load(Ordering::Relaxed),
            load_errors: c.load_errors.load(Ordering::Relaxed),
            entries: self.cache.entry_count(),
            weighted_bytes: self.cache.weighted_size(),
        }
    }
}

/// A load through Redis: its value if it has one; else, unless another replica is loading
/// the same answer (then its value, once there), our own load, written back for the others.
/// The time left of a value from Redis comes with it.
async fn load_through<T, E, F>(
    shared: &SharedCache,
    key: &str,
    load: F,
) -> Result<(Loaded<T>, Option<Duration>), E>
where
    T: DeserializeOwned,
    F: Future<Output = Result<Loaded<T>, E>>,
{
    if let Some(found) = shared.get(key).await.and_then(parse_shared) {
        return Ok(found);
    }
    if !shared.lock(key).await {
        if let Waited::Value(entry) = shared.wait(key).await {
            if let Some(found) = parse_shared(entry) {
                return Ok(found);
            }
        }
        // Announce our own load if the other replica's is over, so later ones wait for us.
        shared.lock(key).await;
    }
    // Another replica may have stored the value and lifted its lock between our first
    // read and our lock: read once more before loading.
    if let Some(found) = shared.get(key).await.and_then(parse_shared) {
        shared.unlock(key).await;
        return Ok(found);
    }
    match load.await {
        Ok(loaded) => {
            if let Some(body) = &loaded.body {
                shared.put(key, body, loaded.class).await;
            }
            Ok((loaded, None))
        }
        Err(error) => {
            shared.unlock(key).await;
            Err(error)
        }
    }
}

/// A Redis entry parsed into `T`; `None` (a miss) when it does not parse.
fn parse_shared<T: DeserializeOwned>(entry: SharedEntry) -> Option<(Loaded<T>, Option<Duration>)> {
    let value = serde_json::from_slice::<T>(&entry.body).ok()?;
    Some((
        Loaded {
            value,
            weight: entry.body.len(),
            class: entry.class,
            body: None,
        },
        entry.expires_in,
    ))
}

impl CachedValue {
    /// The stored value as `T`, or the stored error as `E` when the answer is absent;
    /// `None` if it is neither (never: keys carry the value's type, and the loads of one
    /// key share their error type).
    fn answer<T: Send + Sync + 'static, E: LoadError>(&self) -> Option<Result<Arc<T>, E>> {
        let value = Arc::clone(&self.value);
        match self.absent {
            false => value.downcast::<T>().ok().map(Ok),
            true => value.downcast::<E>().ok().map(|e| Err((*e).clone())),
        }
    }
}

#[cold]
fn unreachable_type<T>() -> T {
    unreachable!("cache keys carry the TypeId of their value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn key(request: &str) -> CacheKey {
        CacheKey::new::<String>(Arc::from("ci"), 1, request)
    }

    fn loaded(value: &str, class: CacheClass) -> Loaded<String> {
        Loaded {
            value: value.to_string(),
            weight: value.len(),
            class,
            body: None,
        }
    }

    async fn get(
        cache: &UpstreamCache,
        request: &str,
        loads: &AtomicUsize,
        class: CacheClass,
    ) -> Arc<String> {
        cache
            .get_or_load(key(request), None, async {
                let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
                Ok::<_, String>(loaded(&format!("v{n}"), class))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn ttl_follows_class() {
        let cache = UpstreamCache::with_limits(
            1 << 20,
            Duration::from_millis(300),
            Duration::from_millis(60),
        );
        let (imm, list, vol) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        get(&cache, "imm", &imm, CacheClass::Immutable).await;
        get(&cache, "list", &list, CacheClass::Listing).await;
        get(&cache, "vol", &vol, CacheClass::Volatile).await;

        tokio::time::sleep(Duration::from_millis(120)).await;
        get(&cache, "imm", &imm, CacheClass::Immutable).await;
        get(&cache, "list", &list, CacheClass::Listing).await;
        get(&cache, "vol", &vol, CacheClass::Volatile).await;
        assert_eq!(imm.load(Ordering::SeqCst), 1);
        assert_eq!(
            list.load(Ordering::SeqCst),
            1,
            "listing still fresh at 120 ms"
        );
        assert_eq!(
            vol.load(Ordering::SeqCst),
            2,
            "volatile expired after 60 ms"
        );

        tokio::time::sleep(Duration::from_millis(400)).await;
        get(&cache, "imm", &imm, CacheClass::Immutable).await;
        get(&cache, "list", &list, CacheClass::Listing).await;
        assert_eq!(imm.load(Ordering::SeqCst), 1, "immutable never expires");
        assert_eq!(
            list.load(Ordering::SeqCst),
            2,
            "listing expired after 300 ms"
        );
        let stats = cache.stats();
        assert_eq!(stats.misses, 5);
        assert_eq!(stats.hits, 3);
    }

    #[tokio::test]
    async fn class_decided_by_the_loaded_value() {
        // Like a build: running answers are volatile, finished ones immutable.
        let cache =
            UpstreamCache::with_limits(1 << 20, Duration::from_secs(60), Duration::from_millis(30));
        let loads = AtomicUsize::new(0);
        let load = |building: bool| {
            let loads = &loads;
            async move {
                loads.fetch_add(1, Ordering::SeqCst);
                let class = if building {
                    CacheClass::Volatile
                } else {
                    CacheClass::Immutable
                };
                Ok::<_, String>(loaded(if building { "running" } else { "done" }, class))
            }
        };
        assert_eq!(
            *cache.get_or_load(key("b"), None, load(true)).await.unwrap(),
            "running"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            *cache
                .get_or_load(key("b"), None, load(false))
                .await
                .unwrap(),
            "done"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            *cache.get_or_load(key("b"), None, load(true)).await.unwrap(),
            "done"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn fifty_concurrent_gets_make_one_load() {
        let cache = Arc::new(UpstreamCache::with_limits(
            1 << 20,
            Duration::from_secs(5),
            Duration::from_secs(1),
        ));
        let loads = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = Arc::clone(&cache);
                let loads = Arc::clone(&loads);
                tokio::spawn(async move {
                    cache
                        .get_or_load(key("same"), None, async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Ok::<_, String>(loaded("shared", CacheClass::Listing))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(*task.await.unwrap().unwrap(), "shared");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        let stats = cache.stats();
        assert_eq!(stats.misses, 1);
        assert_eq!(stats.coalesced + stats.hits, 49);
        assert!(stats.coalesced > 0, "{stats:?}");
    }

    /// In these tests, the error `"absent"` says the answer does not exist.
    impl LoadError for String {
        fn is_absent(&self) -> bool {
            self == "absent"
        }
    }

    #[tokio::test]
    async fn an_absent_answer_is_kept_like_a_listing() {
        let ttl = Duration::from_millis(300);
        let cache = UpstreamCache::with_limits(1 << 20, ttl, Duration::from_secs(1));
        let loads = AtomicUsize::new(0);
        let absent = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Err::<Loaded<String>, _>("absent".to_string())
        };
        for _ in 0..3 {
            let answer = cache.get_or_load(key("gone"), None, absent()).await;
            assert_eq!(answer.unwrap_err(), "absent");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "asked once within the TTL");
        let stats = cache.stats();
        assert_eq!((stats.misses, stats.hits, stats.load_errors), (1, 2, 0));
        // Like a listing, it is asked again once its TTL is over.
        tokio::time::sleep(ttl + Duration::from_millis(100)).await;
        let again = get(&cache, "gone", &loads, CacheClass::Listing).await;
        assert_eq!(*again, "v2");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        // A reader that wants answers younger than the entry loads afresh.
        cache
            .get_or_load::<String, String, _>(key("late"), None, absent())
            .await
            .unwrap_err();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let fresh = cache
            .get::<String, String>(&key("late"), Some(Duration::from_millis(10)))
            .await;
        assert!(fresh.is_none(), "an old absent answer is not fresh enough");
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache =
            UpstreamCache::with_limits(1 << 20, Duration::from_secs(5), Duration::from_secs(1));
        let loads = AtomicUsize::new(0);
        let failing = cache
            .get_or_load::<String, String, _>(key("x"), None, async {
                loads.fetch_add(1, Ordering::SeqCst);
                Err("boom".to_string())
            })
            .await;
        assert_eq!(failing.unwrap_err(), "boom");
        let ok = get(&cache, "x", &loads, CacheClass::Immutable).await;
        assert_eq!(*ok, "v2");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        assert_eq!(cache.stats().load_errors, 1);
    }

    #[tokio::test]
    async fn byte_bound_evicts() {
        let cache =
            UpstreamCache::with_limits(1_000, Duration::from_secs(5), Duration::from_secs(1));
        let body = "x".repeat(100);
        for i in 0..30 {
            cache
                .get_or_load(key(&format!("k{i}")), None, async {
                    Ok::<_, String>(loaded(&body, CacheClass::Immutable))
                })
                .await
                .unwrap();
        }
        cache.run_pending_tasks().await;
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= 1_000, "{stats:?}");
        assert!(stats.evictions >= 20, "{stats:?}");
        assert_eq!(stats.inserts, 30);
    }

    #[tokio::test]
    async fn scopes_and_types_separate_entries() {
        let cache =
            UpstreamCache::with_limits(1 << 20, Duration::from_secs(5), Duration::from_secs(1));
        let alice = credential_scope(Some("alice"), Some(&SecretString::from("t1")));
        let bob = credential_scope(Some("bob"), Some(&SecretString::from("t1")));
        assert_ne!(alice, bob);
        assert_eq!(
            alice,
            credential_scope(Some("alice"), Some(&SecretString::from("t1")))
        );
        let a = cache
            .get_or_load(
                CacheKey::new::<String>(Arc::from("ci"), alice, "p"),
                None,
                async { Ok::<_, String>(loaded("alice's", CacheClass::Immutable)) },
            )
            .await
            .unwrap();
        let b = cache
            .get_or_load(
                CacheKey::new::<String>(Arc::from("ci"), bob, "p"),
                None,
                async { Ok::<_, String>(loaded("bob's", CacheClass::Immutable)) },
            )
            .await
            .unwrap();
        let n = cache
            .get_or_load(
                CacheKey::new::<u64>(Arc::from("ci"), alice, "p"),
                None,
                async {
                    Ok::<_, String>(Loaded {
                        value: 7u64,
                        weight: 1,
                        class: CacheClass::Immutable,
                        body: None,
                    })
                },
            )
            .await
            .unwrap();
        assert_eq!((a.as_str(), b.as_str(), *n), ("alice's", "bob's", 7));
        cache.run_pending_tasks().await;
        assert_eq!(cache.stats().entries, 3);
    }
}
