//! The shared second-level cache: a Redis server every replica reads and writes behind its
//! in-process cache, so replicas and restarts share one upstream load.
//!
//! - Keys: `majordomo:v1:{connection}:{scope}:{request}` where `scope` is a stable digest
//!   of the service account's username and token (never the token) and `request` the
//!   SHA-256 of the request path and query; `v1` is the value format, bumped when it
//!   changes so old entries are simply never read again.
//! - Values: one flag byte (class, compression) and the upstream JSON body, deflated when
//!   larger than `redis_compress_above`. The body is parsed again on a hit, into whatever
//!   type the caller wants.
//! - Lifetimes: immutable answers have no expiry (Redis' own eviction policy removes them);
//!   listings and volatile answers expire with their in-process TTLs, and a hit keeps only
//!   the time the entry has left.
//! - Coalescing across replicas: the replica that misses sets `{key}:lock` (`SET NX PX`)
//!   and loads; others poll for the value until the lock is gone or `redis_lock_ms` has
//!   passed, then load themselves.
//! - Redis down, slow or flushed never fails a lookup: every command has a deadline; a
//!   failure is counted, logged once, and Redis is skipped for a second while the
//!   connection manager reconnects.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, RedisError};
use secrecy::{ExposeSecret, SecretString};

use super::CacheClass;
use crate::config::{CacheConfig, ConfigError};

/// The value format, part of every key.
const FORMAT: &str = "v1";
/// How long Redis is skipped after a failure before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Flag bit of a deflated value.
const DEFLATED: u8 = 0x80;
/// First and longest pause between two polls for another replica's load.
const POLL_FIRST: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_millis(50);

/// The stable credential scope of a service account in shared keys: 128 bits of a SHA-256
/// over the username and token, so equal credentials on every replica share entries while
/// the key reveals nothing usable about the token.
pub(crate) fn shared_scope(username: Option<&str>, token: Option<&SecretString>) -> String {
    let mut input = Vec::new();
    input.extend_from_slice(b"majordomo-credential-scope\0");
    input.extend_from_slice(username.unwrap_or("").as_bytes());
    input.push(0);
    if let Some(token) = token {
        input.extend_from_slice(token.expose_secret().as_bytes());
    }
    hex(&sha256(&input)[..16])
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A shared entry read back: the upstream body, its class, and how long it has left.
#[derive(Debug)]
pub(crate) struct SharedEntry {
    /// The upstream JSON body.
    pub(crate) body: Vec<u8>,
    /// Its class, as the writer decided it.
    pub(crate) class: CacheClass,
    /// Time left before it expires (`None`: immutable).
    pub(crate) expires_in: Option<Duration>,
}

/// What waiting for another replica's load ended with.
#[derive(Debug)]
pub(crate) enum Waited {
    /// Its value arrived.
    Value(SharedEntry),
    /// The lock is gone without a value (the load failed), or the wait was too long, or
    /// Redis failed: load ourselves.
    LoadYourself,
}

/// A snapshot of the shared cache's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SharedStats {
    /// Lookups answered by Redis.
    pub(crate) hits: u64,
    /// Lookups Redis had no value for.
    pub(crate) misses: u64,
    /// Values written.
    pub(crate) writes: u64,
    /// Lookups that waited for another replica's load.
    pub(crate) waits: u64,
    /// Waits that ended with the other replica's value.
    pub(crate) waits_served: u64,
    /// Commands that failed or timed out.
    pub(crate) errors: u64,
    /// Lookups that skipped Redis because it had just failed.
    pub(crate) skipped: u64,
    /// 1 while Redis is considered down.
    pub(crate) down: u64,
}

impl SharedStats {
    /// The counters as metric series: `(name, help, is a gauge, value)`.
    pub(crate) fn series(&self) -> Vec<(&'static str, &'static str, bool, u64)> {
        vec![
            (
                "majordomo_redis_hits",
                "Lookups answered by Redis.",
                false,
                self.hits,
            ),
            (
                "majordomo_redis_misses",
                "Lookups Redis had no value for.",
                false,
                self.misses,
            ),
            (
                "majordomo_redis_writes",
                "Values written to Redis.",
                false,
                self.writes,
            ),
            (
                "majordomo_redis_waits",
                "Lookups that waited for another replica's identical load.",
                false,
                self.waits,
            ),
            (
                "majordomo_redis_waits_served",
                "Waits that ended with the other replica's value.",
                false,
                self.waits_served,
            ),
            (
                "majordomo_redis_errors",
                "Redis commands that failed or timed out.",
                false,
                self.errors,
            ),
            (
                "majordomo_redis_skipped",
                "Lookups that skipped Redis while it was down.",
                false,
                self.skipped,
            ),
            (
                "majordomo_redis_down",
                "1 while Redis is considered down.",
                true,
                self.down,
            ),
        ]
    }
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    waits: AtomicU64,
    waits_served: AtomicU64,
    errors: AtomicU64,
    skipped: AtomicU64,
}

/// The Redis side of the upstream cache.
pub(crate) struct SharedCache {
    connection: ConnectionManager,
    /// `host:port`, for logs (never a password).
    server: String,
    timeout: Duration,
    lock: Duration,
    compress_above: usize,
    listing_ttl: Duration,
    volatile_ttl: Duration,
    counters: Counters,
    down: AtomicBool,
    retry_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SharedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCache")
            .field("server", &self.server)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl SharedCache {
    /// A client for `config.redis_url`, or `None` when none is configured. Connects lazily,
    /// so a Redis that is down at start-up delays nothing. Needs a Tokio runtime.
    pub(crate) fn from_config(config: &CacheConfig) -> Result<Option<Self>, ConfigError> {
        let Some(url) = &config.redis_url else {
            return Ok(None);
        };
        let bad = |detail: String| ConfigError::InvalidValue {
            field: "cache.redis_url".into(),
            reason: detail,
        };
        let mut info = url
            .as_str()
            .into_connection_info()
            .map_err(|e| bad(e.to_string()))?;
        if let Some(password) = &config.redis_password {
            let settings = info
                .redis_settings()
                .clone()
                .set_password(password.expose_secret());
            info = info.set_redis_settings(settings);
        }
        let server = info.addr().to_string();
        let client = redis::Client::open(info).map_err(|e| bad(e.to_string()))?;
        let timeout = Duration::from_millis(config.redis_timeout_ms);
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Some(SharedCache {
            connection,
            server,
            timeout,
            lock: Duration::from_millis(config.redis_lock_ms),
            compress_above: config.redis_compress_above,
            listing_ttl: config.listing_ttl(),
            volatile_ttl: config.volatile_ttl(),
            counters: Counters::default(),
            down: AtomicBool::new(false),
            retry_at: Mutex::new(None),
        }))
    }

    /// The Redis key of `request` for one connection and shared credential scope.
    pub(crate) fn key(connection: &str, scope: &str, request: &str) -> String {
        let digest = hex(&sha256(request.as_bytes())[..16]);
        format!("majordomo:{FORMAT}:{connection}:{scope}:{digest}")
    }

    /// The stored value of `key`, if any.
    pub(crate) async fn get(&self, key: &str) -> Option<SharedEntry> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
        let (value, pttl): (Option<Vec<u8>>, i64) = self.run(pipe).await?;
        match value.and_then(|v| self.decode(&v, pttl)) {
            Some(entry) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                Some(entry)
            }
            None => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Announces our load of `key` to the other replicas. `false` when another replica
    /// announced it first; `true` also when Redis is unavailable (nobody to wait for).
    pub(crate) async fn lock(&self, key: &str) -> bool {
        let mut cmd = redis::cmd("SET");
        cmd.arg(lock_key(key))
            .arg(std::process::id())
            .arg("NX")
            .arg("PX")
            .arg(millis(self.lock));
        let mut pipe = redis::pipe();
        pipe.add_command(cmd);
        let answer: Option<(Option<String>,)> = self.run(pipe).await;
        !matches!(answer, Some((None,)))
    }

    /// Waits for the value another replica is loading, at most `redis_lock_ms`.
    pub(crate) async fn wait(&self, key: &str) -> Waited {
        self.counters.waits.fetch_add(1, Ordering::Relaxed);
        let deadline = Instant::now() + self.lock;
        let lock = lock_key(key);
        let mut pause = POLL_FIRST;
        while Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(POLL_MAX);
            let mut pipe = redis::pipe();
            pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
            pipe.cmd("EXISTS").arg(&lock);
            let Some((value, pttl, locked)) = self.run::<(Option<Vec<u8>>, i64, bool)>(pipe).await
            else {
                return Waited::LoadYourself;
            };
            if let Some(entry) = value.and_then(|v| self.decode(&v, pttl)) {
                self.counters.waits_served.fetch_add(1, Ordering::Relaxed);
                return Waited::Value(entry);
            }
            if !locked {
                break;
            }
        }
        Waited::LoadYourself
    }

    /// Stores `body` under `key` with the lifetime of `class`, and lifts our lock.
    pub(crate) async fn put(&self, key: &str, body: &[u8], class: CacheClass) {
        let value = self.encode(body, class);
        let mut set = redis::cmd("SET");
        set.arg(key).arg(value);
        if let Some(ttl) = self.ttl(class) {
            set.arg("PX").arg(millis(ttl).max(1));
        }
        let mut pipe = redis::pipe();
        pipe.add_command(set).ignore();
        pipe.cmd("DEL").arg(lock_key(key)).ignore();
        if self.run::<()>(pipe).await.is_some() {
            self.counters.writes.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lifts our lock after a failed load, so waiting replicas load at once.
    pub(crate) async fn unlock(&self, key: &str) {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(lock_key(key)).ignore();
        let _ = self.run::<()>(pipe).await;
    }

    /// The Jenkins version (`X-Jenkins`) another replica saw on `connection`: answers
    /// read from Redis do not carry the header, so it is shared beside them.
    pub(crate) async fn version(&self, connection: &str) -> Option<String> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(version_key(connection));
        let (version,): (Option<String>,) = self.run(pipe).await?;
        version
    }

    /// Shares the Jenkins version seen on `connection` (for an hour: a replica that sees
    /// another one after an upgrade replaces it).
    pub(crate) async fn set_version(&self, connection: &str, version: &str) {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(version_key(connection))
            .arg(version)
            .arg("EX")
            .arg(3_600)
            .ignore();
        let _ = self.run::<()>(pipe).await;
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> SharedStats {
        let c = &self.counters;
        SharedStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            waits: c.waits.load(Ordering::Relaxed),
            waits_served: c.waits_served.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            skipped: c.skipped.load(Ordering::Relaxed),
            down: u64::from(self.down.load(Ordering::Relaxed)),
        }
    }

    fn ttl(&self, class: CacheClass) -> Option<Duration> {
        match class {
            CacheClass::Immutable => None,
            CacheClass::Listing => Some(self.listing_ttl),
            CacheClass::Volatile => Some(self.volatile_ttl),
        }
    }

    /// Runs `pipe` within the deadline; `None` when Redis is skipped, fails or is slow.
    async fn run<T: redis::FromRedisValue>(&self, pipe: redis::Pipeline) -> Option<T> {
        if !self.available() {
            self.counters.skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut connection = self.connection.clone();
        let result = tokio::time::timeout(self.timeout, pipe.query_async::<T>(&mut connection));
        match result.await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(&error.to_string(), &error);
                None
            }
            Err(_) => {
                let error = RedisError::from((redis::ErrorKind::Io, "timed out"));
                self.failed("no answer within redis_timeout_ms", &error);
                None
            }
        }
    }

    /// Whether Redis may be tried now: always while up; once a second while down.
    fn available(&self) -> bool {
        if !self.down.load(Ordering::Relaxed) {
            return true;
        }
        let mut retry_at = self.retry_at.lock().unwrap_or_else(|p| p.into_inner());
        match *retry_at {
            Some(at) if Instant::now() < at => false,
            _ => {
                // One probe per interval; the others keep skipping until it answers.
                *retry_at = Some(Instant::now() + RETRY_AFTER);
                true
            }
        }
    }

    fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(server = %self.server, "Redis is reachable again; the shared cache is back in use");
        }
    }

    fn failed(&self, detail: &str, error: &RedisError) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + RETRY_AFTER);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                server = %self.server,
                kind = ?error.kind(),
                "Redis failed ({detail}); going on with the in-process cache and Jenkins, retrying every second"
            );
        }
    }

    fn encode(&self, body: &[u8], class: CacheClass) -> Vec<u8> {
        let flag = class_bits(class);
        if body.len() > self.compress_above {
            let mut out = vec![flag | DEFLATED];
            let mut encoder = DeflateEncoder::new(&mut out, flate2::Compression::fast());
            if encoder
                .write_all(body)
                .and_then(|()| encoder.finish().map(|_| ()))
                .is_ok()
            {
                return out;
            }
        }
        let mut out = Vec::with_capacity(body.len() + 1);
        out.push(flag);
        out.extend_from_slice(body);
        out
    }

    fn decode(&self, value: &[u8], pttl: i64) -> Option<SharedEntry> {
        let (&flag, rest) = value.split_first()?;
        let class = match flag & 0x03 {
            0 => CacheClass::Immutable,
            1 => CacheClass::Listing,
            2 => CacheClass::Volatile,
            _ => return None,
        };
        let body = if flag & DEFLATED != 0 {
            let mut out = Vec::with_capacity(rest.len() * 4);
            DeflateDecoder::new(rest).read_to_end(&mut out).ok()?;
            out
        } else {
            rest.to_vec()
        };
        let expires_in = match class {
            CacheClass::Immutable => None,
            // PTTL: -1 no expiry, -2 gone since the GET; both unusable for a timed class.
            _ if pttl <= 0 => return None,
            _ => Some(Duration::from_millis(pttl.unsigned_abs())),
        };
        Some(SharedEntry {
            body,
            class,
            expires_in,
        })
    }
}

fn version_key(connection: &str) -> String {
    format!("majordomo:{FORMAT}:{connection}:x-jenkins")
}

fn lock_key(key: &str) -> String {
    format!("{key}:lock")
}

fn class_bits(class: CacheClass) -> u8 {
    match class {
        CacheClass::Immutable => 0,
        CacheClass::Listing => 1,
        CacheClass::Volatile => 2,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(compress_above: usize) -> SharedCache {
        let config = CacheConfig {
            redis_url: Some("redis://127.0.0.1:1/0".into()),
            redis_compress_above: compress_above,
            ..CacheConfig::default()
        };
        SharedCache::from_config(&config).unwrap().unwrap()
    }

    #[tokio::test]
    async fn values_round_trip_compressed_or_not() {
        let body = br#"{"jobs":[{"name":"a","color":"blue"}]}"#.repeat(100);
        for above in [0, usize::MAX] {
            let shared = cache(above);
            let value = shared.encode(&body, CacheClass::Listing);
            assert_eq!(value[0] & DEFLATED != 0, above == 0);
            if above == 0 {
                assert!(value.len() < body.len() / 10, "{} bytes", value.len());
            }
            let entry = shared.decode(&value, 1_500).unwrap();
            assert_eq!(entry.body, body);
            assert_eq!(entry.class, CacheClass::Listing);
            assert_eq!(entry.expires_in, Some(Duration::from_millis(1_500)));
        }
    }

    #[tokio::test]
    async fn timed_values_without_time_left_are_misses() {
        let shared = cache(usize::MAX);
        let value = shared.encode(b"{}", CacheClass::Volatile);
        assert!(shared.decode(&value, -2).is_none());
        let value = shared.encode(b"{}", CacheClass::Immutable);
        assert_eq!(shared.decode(&value, -1).unwrap().expires_in, None);
        assert!(shared.decode(&[0x03], -1).is_none(), "unknown class");
    }

    #[test]
    fn keys_carry_format_connection_and_scope_never_the_token() {
        let token = SecretString::from("s3cr3t-token-value");
        let scope = shared_scope(Some("admin"), Some(&token));
        assert_eq!(scope, shared_scope(Some("admin"), Some(&token)));
        assert_ne!(scope, shared_scope(Some("other"), Some(&token)));
        assert_eq!(scope.len(), 32);
        let key = SharedCache::key("ci", &scope, "api/json?tree=jobs[name]");
        assert!(
            key.starts_with(&format!("majordomo:v1:ci:{scope}:")),
            "{key}"
        );
        assert!(!key.contains("s3cr3t") && !key.contains("tree="), "{key}");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_skipped_and_counted() {
        let shared = cache(1024);
        assert!(shared.get("k").await.is_none());
        assert!(shared.lock("k").await, "nobody to wait for");
        let stats = shared.stats();
        assert_eq!(stats.errors, 1, "{stats:?}");
        assert_eq!(stats.skipped, 1, "{stats:?}");
        assert_eq!(stats.down, 1);
    }
}
