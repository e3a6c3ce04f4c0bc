//! Bounds and lifetimes of the upstream cache (`[cache]`).

use std::time::Duration;

use serde::Deserialize;

/// Bounds and lifetimes of the upstream cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Upper bound of the cache, in bytes of upstream response bodies.
    #[serde(default = "default_cache_max_bytes")]
    pub max_bytes: u64,
    /// Lifetime in milliseconds of job listings and last-build data.
    #[serde(default = "default_listing_ttl_ms")]
    pub listing_ttl_ms: u64,
    /// Lifetime in milliseconds of the queue and of running builds.
    #[serde(default = "default_volatile_ttl_ms")]
    pub volatile_ttl_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_bytes: default_cache_max_bytes(),
            listing_ttl_ms: default_listing_ttl_ms(),
            volatile_ttl_ms: default_volatile_ttl_ms(),
        }
    }
}

impl CacheConfig {
    /// [`Self::listing_ttl_ms`] as a duration.
    pub fn listing_ttl(&self) -> Duration {
        Duration::from_millis(self.listing_ttl_ms)
    }

    /// [`Self::volatile_ttl_ms`] as a duration.
    pub fn volatile_ttl(&self) -> Duration {
        Duration::from_millis(self.volatile_ttl_ms)
    }
}

fn default_cache_max_bytes() -> u64 {
    256 * 1024 * 1024
}

fn default_listing_ttl_ms() -> u64 {
    5_000
}

fn default_volatile_ttl_ms() -> u64 {
    1_000
}
