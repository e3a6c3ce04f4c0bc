//! Who is asking: [`Access`] turns a request's `Authorization: Bearer` header into a
//! [`Caller`]: a name for logs, the connections it may see ([`Scope`]), its rates, whether
//! it may read the admin endpoints, and the Jenkins credentials it forwards.
//!
//! API keys are kept only as SHA-256 digests; a presented key is hashed and compared with
//! every digest in constant time. A bearer token that is no key and looks like a JWT is
//! checked against the identity provider ([`super::jwt`]). Failures are counted and
//! logged with a hash prefix of what was presented, never the secret itself.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderName};
use secrecy::ExposeSecret;
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::jwt::{JwtFailure, JwtVerifier};
use super::rate::Rates;
use super::scope::Scope;
use crate::config::{AdminEndpoints, ApiKeyConfig, Config, ConfigError};
use crate::jenkins::{ForwardedCredentials, QueryBudget, UpstreamRate};

/// Who asks, as the transport authenticated it; rides on every GraphQL request.
#[derive(Clone)]
pub(crate) struct Caller {
    name: Arc<str>,
    scope: Scope,
    admin: bool,
    upstream: Option<Arc<UpstreamRate>>,
    forwarded: Option<ForwardedCredentials>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("name", &self.name)
            .field("scope", &self.scope)
            .field("admin", &self.admin)
            .field("forwards", &self.forwarded.is_some())
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// Anyone, on a gateway without authentication: every connection, no limits.
    pub(crate) fn anonymous() -> Self {
        Caller {
            name: Arc::from("anonymous"),
            scope: Scope::All,
            admin: false,
            upstream: None,
            forwarded: None,
        }
    }

    /// The operator on a local transport (`majordomo mcp` on stdio without a key): every
    /// connection, no limits; whoever runs it holds the configuration and its tokens.
    pub(crate) fn operator() -> Self {
        Caller {
            name: Arc::from("operator"),
            ..Caller::anonymous()
        }
    }

    /// The key's name or the token's subject, for logs.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the caller may see the connection `name`.
    pub(crate) fn may_see(&self, name: &str) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Only(names) => names.contains(name),
        }
    }

    /// How many of `total` configured connections the caller sees.
    pub(crate) fn visible_count(&self, total: usize) -> usize {
        match &self.scope {
            Scope::All => total,
            Scope::Only(names) => names.len().min(total),
        }
    }

    /// A query's budget with the caller's upstream rate and forwarded credentials.
    pub(crate) fn budget(&self, budget: QueryBudget) -> QueryBudget {
        budget
            .with_rate(self.upstream.clone())
            .with_forwarded(self.forwarded.clone())
    }

    /// The Jenkins credentials the caller forwarded, if any.
    pub(crate) fn forwarded(&self) -> Option<&ForwardedCredentials> {
        self.forwarded.as_ref()
    }

    fn forwarding(mut self, forwarded: Option<ForwardedCredentials>) -> Self {
        self.forwarded = forwarded;
        self
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// No `Authorization` header.
    Missing,
    /// A key or token that is not valid (the words are for the log only).
    Invalid(&'static str),
    /// The identity provider's keys could not be had.
    Unavailable,
    /// Over the caller's requests per second: retry after this long.
    RateLimited(Duration),
    /// A valid caller without `admin = true` asked for an admin endpoint.
    NotAdmin,
}

/// Counts of refused requests, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct AccessCounters {
    missing: AtomicU64,
    invalid: AtomicU64,
    unavailable: AtomicU64,
    rate_limited: AtomicU64,
    not_admin: AtomicU64,
}

impl AccessCounters {
    /// `(reason, count)` of every refusal kind.
    pub(crate) fn snapshot(&self) -> [(&'static str, u64); 5] {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("missing", load(&self.missing)),
            ("invalid", load(&self.invalid)),
            ("unavailable", load(&self.unavailable)),
            ("rate_limited", load(&self.rate_limited)),
            ("not_admin", load(&self.not_admin)),
        ]
    }

    fn count(&self, denied: Denied) {
        let counter = match denied {
            Denied::Missing => &self.missing,
            Denied::Invalid(_) => &self.invalid,
            Denied::Unavailable => &self.unavailable,
            Denied::RateLimited(_) => &self.rate_limited,
            Denied::NotAdmin => &self.not_admin,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One configured API key.
struct KeyEntry {
    digest: [u8; 32],
    name: Arc<str>,
    scope: Scope,
    admin: bool,
    rates: Rates,
}

/// Who may ask, built once from the config.
pub(crate) struct Access {
    required: bool,
    admin_open: bool,
    keys: Vec<KeyEntry>,
    jwt: Option<JwtVerifier>,
    forward_header: HeaderName,
    counters: AccessCounters,
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl KeyEntry {
    fn new(config: &ApiKeyConfig) -> Result<Self, ConfigError> {
        let digest = match (&config.key, &config.key_sha256) {
            (Some(key), _) => sha256(key.expose_secret().as_bytes()),
            (None, Some(hex)) => parse_hex(hex).ok_or_else(|| ConfigError::ApiKey {
                name: config.name.clone(),
                detail: "key_sha256 must be 64 hexadecimal digits".into(),
            })?,
            // key_env not resolved: `apply_env` was not called.
            (None, None) => {
                return Err(ConfigError::ApiKey {
                    name: config.name.clone(),
                    detail: "the key was not read (key_env is resolved by Config::apply_env)"
                        .into(),
                })
            }
        };
        Ok(KeyEntry {
            digest,
            name: Arc::from(config.name.as_str()),
            scope: match &config.connections {
                None => Scope::All,
                Some(names) => Scope::only(names.iter().cloned()),
            },
            admin: config.admin,
            rates: Rates::new(
                config.requests_per_second,
                config.upstream_requests_per_second,
            ),
        })
    }
}

impl Access {
    /// The access rules of a validated config (with its environment applied).
    pub(crate) fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let auth = &config.auth;
        let keys = auth
            .keys
            .iter()
            .map(KeyEntry::new)
            .collect::<Result<Vec<_>, _>>()?;
        let connections: Arc<HashSet<String>> =
            Arc::new(config.connections.iter().map(|c| c.name.clone()).collect());
        let jwt = auth
            .jwt
            .as_ref()
            .map(|j| JwtVerifier::new(j, connections))
            .transpose()?;
        let forward_header =
            HeaderName::from_bytes(auth.forward_header.as_bytes()).map_err(|_| {
                ConfigError::InvalidValue {
                    field: "auth.forward_header".into(),
                    reason: "not a valid header name".into(),
                }
            })?;
        Ok(Access {
            required: auth.is_required(),
            admin_open: auth.admin_endpoints == AdminEndpoints::Open,
            keys,
            jwt,
            forward_header,
            counters: AccessCounters::default(),
        })
    }

    /// Whether callers must authenticate (any key or `[auth.jwt]` configured).
    pub(crate) fn is_required(&self) -> bool {
        self.required
    }

    /// Configured API keys, and whether identity-provider tokens are accepted.
    pub(crate) fn summary(&self) -> (usize, bool) {
        (self.keys.len(), self.jwt.is_some())
    }

    /// Counts of refused requests.
    pub(crate) fn counters(&self) -> &AccessCounters {
        &self.counters
    }

    /// The caller of a request to `/graphql`, or why it is refused.
    pub(crate) async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Denied> {
        let forwarded = headers
            .get(&self.forward_header)
            .and_then(ForwardedCredentials::from_header);
        if !self.required {
            return Ok(Caller::anonymous().forwarding(forwarded));
        }
        let (caller, rates) = self
            .identify(headers)
            .await
            .inspect_err(|d| self.count(*d, None))?;
        rates.admit(&caller.name).map_err(|wait| {
            let denied = Denied::RateLimited(wait);
            self.count(denied, Some(&caller.name));
            denied
        })?;
        let upstream = rates.upstream(&caller.name);
        Ok(Caller {
            upstream,
            ..caller.forwarding(forwarded)
        })
    }

    /// Whether a request may read `/metrics` and `/readyz`.
    pub(crate) async fn authorize_admin(&self, headers: &HeaderMap) -> Result<(), Denied> {
        if !self.required || self.admin_open {
            return Ok(());
        }
        let (caller, _) = self
            .identify(headers)
            .await
            .inspect_err(|d| self.count(*d, None))?;
        if caller.admin {
            Ok(())
        } else {
            self.count(Denied::NotAdmin, Some(&caller.name));
            Err(Denied::NotAdmin)
        }
    }

    /// The caller a bearer token stands for, with its rates.
    async fn identify(&self, headers: &HeaderMap) -> Result<(Caller, &Rates), Denied> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(Denied::Missing);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            self.log_refusal("not a bearer token", value.as_bytes());
            return Err(Denied::Invalid("not a bearer token"));
        };
        if let Some(key) = self.match_key(token.as_bytes()) {
            let caller = Caller {
                name: Arc::clone(&key.name),
                scope: key.scope.clone(),
                admin: key.admin,
                upstream: None,
                forwarded: None,
            };
            return Ok((caller, &key.rates));
        }
        match &self.jwt {
            Some(jwt) if token.split('.').count() == 3 => match jwt.verify(token).await {
                Ok(identity) => {
                    let caller = Caller {
                        name: Arc::from(format!("jwt:{}", crate::error::echo(&identity.subject))),
                        scope: identity.scope,
                        admin: false,
                        upstream: None,
                        forwarded: None,
                    };
                    Ok((caller, &jwt.rates))
                }
                Err(JwtFailure::Invalid(reason)) => {
                    self.log_refusal(reason, token.as_bytes());
                    Err(Denied::Invalid(reason))
                }
                Err(JwtFailure::Unavailable) => {
                    tracing::error!("a token could not be checked: the identity provider's keys are unavailable");
                    Err(Denied::Unavailable)
                }
            },
            _ => {
                self.log_refusal("unknown API key", token.as_bytes());
                Err(Denied::Invalid("unknown API key"))
            }
        }
    }

    /// The key whose digest is that of `presented`. Every digest is compared, each in
    /// constant time, and the match is selected without a branch.
    fn match_key(&self, presented: &[u8]) -> Option<&KeyEntry> {
        let digest = sha256(presented);
        let mut found = u64::MAX;
        for (i, key) in self.keys.iter().enumerate() {
            found.conditional_assign(&(i as u64), key.digest.ct_eq(&digest));
        }
        usize::try_from(found).ok().and_then(|i| self.keys.get(i))
    }

    fn log_refusal(&self, reason: &'static str, presented: &[u8]) {
        // A prefix of the digest tells repeated attempts apart without revealing the secret.
        let prefix = hex(&sha256(presented)[..4]);
        tracing::warn!(reason, presented_sha256_prefix = %prefix, "authentication failed");
    }

    fn count(&self, denied: Denied, who: Option<&str>) {
        self.counters.count(denied);
        match (denied, who) {
            (Denied::Missing, _) => {
                tracing::warn!(reason = "no Authorization header", "authentication failed")
            }
            (Denied::RateLimited(wait), Some(who)) => {
                tracing::debug!(
                    caller = who,
                    retry_after_ms = wait.as_millis() as u64,
                    "rate limited"
                )
            }
            (Denied::NotAdmin, Some(who)) => {
                tracing::warn!(
                    caller = who,
                    "an admin endpoint was refused to a key without admin = true"
                )
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKeyConfig, ConnectionConfig};

    fn headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            authorization.parse().expect("header"),
        );
        h
    }

    #[tokio::test]
    async fn keys_are_matched_by_digest_and_scoped() {
        let mut config = Config::with_connections(vec![
            ConnectionConfig::new("a", "http://127.0.0.1:1"),
            ConnectionConfig::new("b", "http://127.0.0.1:2"),
        ]);
        config.auth.keys = vec![
            ApiKeyConfig::new("all", "key-for-everything-0001"),
            ApiKeyConfig::new("only-a", "key-for-connection-a-01").with_connections(&["a"]),
        ];
        config.validate().expect("valid");
        let access = Access::from_config(&config).expect("access");
        let a = access
            .authenticate(&headers("Bearer key-for-connection-a-01"))
            .await
            .expect("a known key");
        assert_eq!(a.name(), "only-a");
        assert!(a.may_see("a") && !a.may_see("b"));
        assert_eq!(a.visible_count(2), 1);
        let all = access
            .authenticate(&headers("bearer  key-for-everything-0001 "))
            .await
            .expect("scheme is case-insensitive");
        assert!(all.may_see("b"));
        assert_eq!(
            access.authenticate(&HeaderMap::new()).await.err(),
            Some(Denied::Missing)
        );
        for wrong in ["Bearer key-for-everything-0002", "Basic a2V5", "Bearer "] {
            assert!(matches!(
                access.authenticate(&headers(wrong)).await,
                Err(Denied::Invalid(_))
            ));
        }
        let counts = access.counters().snapshot();
        assert_eq!(counts[0], ("missing", 1));
        assert_eq!(counts[1], ("invalid", 3));
    }

    #[test]
    fn hex_digests_round_trip() {
        // SHA-256 of "abc", from FIPS 180-2's example.
        let d = sha256(b"abc");
        assert_eq!(
            hex(&d),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(parse_hex(&hex(&d)), Some(d));
        assert_eq!(parse_hex("zz"), None);
    }
}
