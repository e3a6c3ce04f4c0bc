//! Bounds and lifetimes of the upstream cache (`[cache]`), and the optional Redis server
//! shared by replicas behind it.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;

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
    /// A Redis server shared by every replica, behind the in-process cache:
    /// `redis://host:6379/0`, or `rediss://host:6380/0` for TLS (add `#insecure` to skip
    /// certificate checks). A username may be in the URL, never a password: use
    /// `redis_password_env` or `redis_password_file`. Unset: no shared cache.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// The environment variable holding Redis' password (`AUTH`).
    #[serde(default)]
    pub redis_password_env: Option<String>,
    /// A file holding Redis' password (trailing whitespace ignored).
    #[serde(default)]
    pub redis_password_file: Option<PathBuf>,
    /// The password itself, resolved from `redis_password_env` or `redis_password_file`;
    /// never read from the file's text.
    #[serde(skip)]
    pub redis_password: Option<SecretString>,
    /// Longest wait in milliseconds for one Redis command (and for connecting); past it the
    /// gateway goes on without Redis for that lookup.
    #[serde(default = "default_redis_timeout_ms")]
    pub redis_timeout_ms: u64,
    /// How long in milliseconds a replica waits for another replica's identical load
    /// before loading itself; also the lifetime of the lock key that announces a load.
    #[serde(default = "default_redis_lock_ms")]
    pub redis_lock_ms: u64,
    /// Values larger than this many bytes are stored deflated.
    #[serde(default = "default_redis_compress_above")]
    pub redis_compress_above: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_bytes: default_cache_max_bytes(),
            listing_ttl_ms: default_listing_ttl_ms(),
            volatile_ttl_ms: default_volatile_ttl_ms(),
            redis_url: None,
            redis_password_env: None,
            redis_password_file: None,
            redis_password: None,
            redis_timeout_ms: default_redis_timeout_ms(),
            redis_lock_ms: default_redis_lock_ms(),
            redis_compress_above: default_redis_compress_above(),
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

    /// Checks the bounds and the Redis settings; reads `redis_password_file`.
    pub(super) fn validate(&mut self) -> Result<(), ConfigError> {
        if self.max_bytes == 0 {
            return Err(invalid("cache.max_bytes", "must be greater than 0"));
        }
        let Some(url) = &self.redis_url else {
            if self.redis_password_env.is_some() || self.redis_password_file.is_some() {
                return Err(invalid(
                    "cache.redis_url",
                    "a Redis password is configured but no redis_url",
                ));
            }
            return Ok(());
        };
        check_redis_url(url)?;
        if self.redis_password_env.is_some() && self.redis_password_file.is_some() {
            return Err(invalid(
                "cache.redis_password_env",
                "set only one of redis_password_env and redis_password_file",
            ));
        }
        for (field, value) in [
            ("cache.redis_timeout_ms", self.redis_timeout_ms),
            ("cache.redis_lock_ms", self.redis_lock_ms),
        ] {
            if value == 0 {
                return Err(invalid(field, "must be greater than 0"));
            }
        }
        if let Some(path) = &self.redis_password_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(
                    "cache.redis_password_file",
                    &format!("cannot read {}: {e}", path.display()),
                )
            })?;
            self.redis_password = Some(non_empty(text.trim(), "cache.redis_password_file")?);
        }
        Ok(())
    }

    /// Resolves `redis_password_env` from `lookup`.
    pub(super) fn apply_env(
        &mut self,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(var) = &self.redis_password_env {
            let value = lookup(var).ok_or_else(|| {
                invalid(
                    "cache.redis_password_env",
                    &format!("names {var}, which is not set"),
                )
            })?;
            self.redis_password = Some(non_empty(value.trim(), "cache.redis_password_env")?);
        }
        Ok(())
    }
}

/// A `redis://` or `rediss://` URL with a host and no password.
fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid("cache.redis_url", &format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(invalid(
            "cache.redis_url",
            "the scheme must be redis:// or rediss:// (TLS)",
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("cache.redis_url", "the URL has no host"));
    }
    if parsed.password().is_some() {
        return Err(invalid(
            "cache.redis_url",
            "the URL must not contain a password; use redis_password_env or redis_password_file",
        ));
    }
    Ok(())
}

fn non_empty(value: &str, field: &str) -> Result<SecretString, ConfigError> {
    if value.is_empty() {
        return Err(invalid(field, "the password is empty"));
    }
    Ok(SecretString::from(value.to_string()))
}

fn invalid(field: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidValue {
        field: field.into(),
        reason: reason.into(),
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

fn default_redis_timeout_ms() -> u64 {
    250
}

fn default_redis_lock_ms() -> u64 {
    5_000
}

fn default_redis_compress_above() -> usize {
    1024
}
