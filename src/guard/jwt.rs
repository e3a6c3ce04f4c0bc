//! Identity-provider tokens: a JSON Web Token is accepted when a key of the provider's
//! JWKS signed it with an accepted algorithm, it has not expired, and its issuer and
//! audience are the configured ones. One of its claims names the connections it may see.
//!
//! The JWKS comes from a file read at start, or from a URL fetched when first needed,
//! again once it is older than `jwks_refresh_s`, and when a token names a key not seen yet
//! (at most every [`MIN_REFETCH`], so unknown key ids cannot make the gateway hammer the
//! provider). A fetch that fails keeps the keys already known.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::rate::Rates;
use super::scope::Scope;
use crate::config::{ConfigError, JwtConfig};

/// Least time between two fetches of the JWKS for a key id not seen yet.
const MIN_REFETCH: Duration = Duration::from_secs(10);
/// How long a JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS accepted, in bytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why a token was refused (words for the log; the caller only learns it is invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtFailure {
    /// The token is malformed, expired, wrongly signed, or for someone else.
    Invalid(&'static str),
    /// No signing key could be had from the provider.
    Unavailable,
}

/// Who a valid token speaks for.
pub(crate) struct Identity {
    /// `sub`.
    pub(crate) subject: String,
    /// The connections it may see.
    pub(crate) scope: Scope,
}

/// A key of the JWKS.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    /// `alg` of the JWK, when it names one.
    alg: Option<Algorithm>,
    family: Family,
    key: DecodingKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
    Ed,
}

fn family_of(alg: Algorithm) -> Option<Family> {
    use Algorithm::*;
    match alg {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some(Family::Rsa),
        ES256 | ES384 => Some(Family::Ec),
        EdDSA => Some(Family::Ed),
        HS256 | HS384 | HS512 => None,
    }
}

#[derive(Default)]
struct KeyCache {
    keys: Vec<Key>,
    /// When the keys were last fetched successfully.
    fetched: Option<Instant>,
    /// When a fetch was last tried.
    tried: Option<Instant>,
    /// When a fetch was last made for a key id not known.
    fetched_for_missing: Option<Instant>,
}

enum Source {
    Url { http: reqwest::Client, url: String },
    File,
}

/// Checks tokens of one identity provider.
pub(crate) struct JwtVerifier {
    issuer: String,
    audience: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway_s: u64,
    claim: String,
    claim_map: Option<BTreeMap<String, Vec<String>>>,
    /// Every configured connection: a token's scope never names another.
    connections: Arc<HashSet<String>>,
    source: Source,
    refresh_every: Duration,
    cache: RwLock<KeyCache>,
    fetching: Mutex<()>,
    /// Rates of each subject.
    pub(crate) rates: Rates,
}

impl JwtVerifier {
    /// A verifier for `config`; a `jwks_file` is read now.
    pub(crate) fn new(
        config: &JwtConfig,
        connections: Arc<HashSet<String>>,
    ) -> Result<Self, ConfigError> {
        let invalid = |field: &str, reason: String| ConfigError::InvalidValue {
            field: format!("auth.jwt.{field}"),
            reason,
        };
        let algorithms = config
            .algorithms
            .iter()
            .map(|a| Algorithm::from_str(a).map_err(|e| invalid("algorithms", e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let mut cache = KeyCache::default();
        let source = match (&config.jwks_url, &config.jwks_file) {
            (Some(url), _) => Source::Url {
                http: reqwest::Client::builder()
                    .timeout(FETCH_TIMEOUT)
                    .build()
                    .map_err(|e| invalid("jwks_url", e.to_string()))?,
                url: url.clone(),
            },
            (None, Some(path)) => {
                let text = std::fs::read(path)
                    .map_err(|e| invalid("jwks_file", format!("{}: {e}", path.display())))?;
                cache.keys = parse_jwks(&text)
                    .map_err(|e| invalid("jwks_file", format!("{}: {e}", path.display())))?;
                cache.fetched = Some(Instant::now());
                Source::File
            }
            (None, None) => return Err(invalid("jwks_url", "set jwks_url or jwks_file".into())),
        };
        Ok(JwtVerifier {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            algorithms,
            leeway_s: config.leeway_s,
            claim: config.connections_claim.clone(),
            claim_map: config.claim_map.clone(),
            connections,
            source,
            refresh_every: Duration::from_secs(config.jwks_refresh_s),
            cache: RwLock::new(cache),
            fetching: Mutex::new(()),
            rates: Rates::new(
                config.requests_per_second,
                config.upstream_requests_per_second,
            ),
        })
    }

    /// The identity of a valid token.
    pub(crate) async fn verify(&self, token: &str) -> Result<Identity, JwtFailure> {
        let header = decode_header(token).map_err(|_| JwtFailure::Invalid("malformed token"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(JwtFailure::Invalid("algorithm not accepted"));
        }
        let family = family_of(header.alg).ok_or(JwtFailure::Invalid("algorithm not accepted"))?;
        let candidates = self
            .keys_for(header.kid.as_deref(), header.alg, family)
            .await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&self.audience);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.leeway_s;
        validation.validate_nbf = true;
        let mut failure = JwtFailure::Invalid("unknown signing key");
        for key in &candidates {
            match decode::<Value>(token, &key.key, &validation) {
                Ok(data) => return Ok(self.identity(&data.claims)),
                Err(e) => failure = JwtFailure::Invalid(reason(e.kind())),
            }
        }
        Err(failure)
    }

    /// The keys that may have signed a token with this key id and algorithm, fetching
    /// the JWKS when it is stale or the key id is new.
    async fn keys_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        family: Family,
    ) -> Result<Vec<Key>, JwtFailure> {
        let pick = |cache: &KeyCache| -> Vec<Key> {
            cache
                .keys
                .iter()
                .filter(|k| k.family == family && k.alg.is_none_or(|a| a == alg))
                .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
                .cloned()
                .collect()
        };
        let found = pick(&*self.cache.read().await);
        if !self.should_fetch(&*self.cache.read().await, found.is_empty()) {
            return self.found_or_fail(found).await;
        }
        {
            // One fetch at a time; whoever waited decides again with what it brought.
            let _one = self.fetching.lock().await;
            let (again, for_missing) = {
                let cache = self.cache.read().await;
                let missing = pick(&cache).is_empty();
                // Only a fresh JWKS without the key counts against the refetch interval.
                let fresh = cache
                    .fetched
                    .is_some_and(|at| at.elapsed() < self.refresh_every);
                (self.should_fetch(&cache, missing), missing && fresh)
            };
            if again {
                self.refresh(for_missing).await;
            }
        }
        let found = pick(&*self.cache.read().await);
        self.found_or_fail(found).await
    }

    /// Whether to fetch the JWKS now: never fetched, stale, or without the key a token
    /// names; never more often than [`MIN_REFETCH`] for each reason.
    fn should_fetch(&self, cache: &KeyCache, missing: bool) -> bool {
        if !matches!(self.source, Source::Url { .. }) {
            return false;
        }
        let recently = |at: Option<Instant>| at.is_some_and(|t| t.elapsed() < MIN_REFETCH);
        match cache.fetched {
            None => !recently(cache.tried),
            Some(at) if at.elapsed() >= self.refresh_every => !recently(cache.tried),
            Some(_) => missing && !recently(cache.fetched_for_missing),
        }
    }

    async fn found_or_fail(&self, found: Vec<Key>) -> Result<Vec<Key>, JwtFailure> {
        if !found.is_empty() {
            return Ok(found);
        }
        if self.cache.read().await.fetched.is_none() {
            return Err(JwtFailure::Unavailable);
        }
        Err(JwtFailure::Invalid("unknown signing key"))
    }

    /// Fetch the JWKS; keep the old keys on failure.
    async fn refresh(&self, for_missing: bool) {
        let Source::Url { http, url } = &self.source else {
            return;
        };
        let fetched = fetch_jwks(http, url).await;
        let mut cache = self.cache.write().await;
        cache.tried = Some(Instant::now());
        if for_missing {
            cache.fetched_for_missing = cache.tried;
        }
        match fetched {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "fetched the identity provider's JWKS");
                cache.keys = keys;
                cache.fetched = Some(Instant::now());
            }
            Err(e) => tracing::warn!(
                known = cache.keys.len(),
                "cannot fetch the identity provider's JWKS: {e}"
            ),
        }
    }

    /// Subject and scope from verified claims.
    fn identity(&self, claims: &Value) -> Identity {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let values: Vec<&str> = match claims.get(&self.claim) {
            Some(Value::String(s)) => s.split_whitespace().collect(),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let names: Vec<&str> = match &self.claim_map {
            Some(map) => values
                .iter()
                .filter_map(|v| map.get(*v))
                .flatten()
                .map(String::as_str)
                .collect(),
            None => values,
        };
        let scope = if names.contains(&"*") {
            Scope::All
        } else {
            Scope::only(
                names
                    .into_iter()
                    .filter(|n| self.connections.contains(*n))
                    .map(str::to_string),
            )
        };
        Identity { subject, scope }
    }
}

/// The words logged for a refused token.
fn reason(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "expired",
        K::ImmatureSignature => "not valid yet",
        K::InvalidSignature => "bad signature",
        K::InvalidIssuer => "wrong issuer",
        K::InvalidAudience => "wrong audience",
        K::MissingRequiredClaim(_) => "missing claim",
        K::InvalidAlgorithm => "algorithm does not fit the key",
        _ => "invalid token",
    }
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Vec<Key>, String> {
    let mut response = http
        .get(url)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    parse_jwks(&body)
}

/// The usable signing keys of a JWKS: keys of other types, for encryption, or
/// shared secrets are skipped.
fn parse_jwks(body: &[u8]) -> Result<Vec<Key>, String> {
    let set: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let entries = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no `keys` list")?;
    Ok(entries.iter().filter_map(key_of).collect())
}

fn key_of(entry: &Value) -> Option<Key> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Family::Rsa,
        AlgorithmParameters::EllipticCurve(_) => Family::Ec,
        AlgorithmParameters::OctetKeyPair(_) => Family::Ed,
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let alg = entry
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|a| Algorithm::from_str(a).ok());
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        family,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_secrets_and_encryption_keys_are_skipped() {
        let jwks = serde_json::json!({ "keys": [
            { "kty": "oct", "k": "c2VjcmV0", "kid": "hmac" },
            { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "enc", "use": "enc" },
            { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "sig" },
            { "kty": "unknown" }
        ]});
        let keys = parse_jwks(jwks.to_string().as_bytes()).expect("a JWKS");
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("sig")]);
        assert!(parse_jwks(b"{}").is_err());
    }
}
