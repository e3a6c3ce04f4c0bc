//! Who may ask and from where: the `[auth]` (API keys, `[auth.jwt]`), `[cors]` and
//! `[trusted_documents]` sections, a connection's `auth` mode, their validation, and
//! reading key files.
//!
//! API keys become [`SecretString`] on read; the runtime keeps only their SHA-256
//! (`crate::guard::auth`). With no key and no `[auth.jwt]`, anyone who reaches the gateway
//! may ask, as before: the quick start needs no key. CORS is closed unless origins are
//! listed, whatever the rest says.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{deserialize_secret, ConfigError};

/// Shortest API key accepted, in bytes: a key is a bearer secret, not a password.
pub const MIN_KEY_BYTES: usize = 16;

/// The header a caller's own Jenkins credentials come in, unless `forward_header` says.
pub const DEFAULT_FORWARD_HEADER: &str = "x-jenkins-authorization";

/// Who may ask: API keys and identity-provider tokens. With neither (the default) there is
/// no authentication: anyone who reaches the gateway reads what its service accounts can.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// API keys, each sent as `Authorization: Bearer <key>`.
    pub keys: Vec<ApiKeyConfig>,
    /// Tokens of an identity provider (JSON Web Tokens), also sent as `Authorization: Bearer`.
    pub jwt: Option<JwtConfig>,
    /// Whether `/metrics` and `/readyz` need a key with `admin = true` (`protected`, the
    /// default; it applies once any key or `[auth.jwt]` is configured) or are `open` (for
    /// probes that send no header, or an admin listener on a private address).
    pub admin_endpoints: AdminEndpoints,
    /// The request header that carries a caller's own Jenkins credentials (its value is
    /// sent to Jenkins as `Authorization`, e.g. `Basic …`) to connections with
    /// `auth = "forward"`.
    pub forward_header: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            keys: Vec::new(),
            jwt: None,
            admin_endpoints: AdminEndpoints::default(),
            forward_header: DEFAULT_FORWARD_HEADER.to_string(),
        }
    }
}

/// Whose credentials a connection sends to Jenkins (`auth` of a `[[connections]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionAuth {
    /// The connection's own username and token (or anonymous without them).
    #[default]
    Service,
    /// The caller's, forwarded from `auth.forward_header`; anonymous without it.
    Forward,
}

/// Who may read `/metrics` and `/readyz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminEndpoints {
    /// Only keys with `admin = true` (when authentication is configured at all).
    #[default]
    Protected,
    /// Anyone who reaches them.
    Open,
}

/// One API key: who holds it, what it may see and how fast it may ask.
///
/// Exactly one of `key`, `key_env`, `key_file` and `key_sha256` gives the key. After
/// [`crate::config::Config::load`] the first three have been read into `key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Name of the key (its holder): logged and counted, never the key itself.
    pub name: String,
    /// The key itself. Prefer `key_env`, `key_file` or `key_sha256`.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub key: Option<SecretString>,
    /// Name of an environment variable that holds the key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Path of a file whose content (trimmed) is the key.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// The SHA-256 of the key, in hex (`printf %s "$KEY" | sha256sum`): the config then
    /// never holds the key.
    #[serde(default)]
    pub key_sha256: Option<String>,
    /// The connections this key may see; any other is invisible, as if it did not exist.
    /// Absent: every connection.
    #[serde(default)]
    pub connections: Option<Vec<String>>,
    /// Whether this key may read `/metrics` and `/readyz`.
    #[serde(default)]
    pub admin: bool,
    /// Most GraphQL requests per second (bursts up to the same number); beyond it `429`
    /// with `Retry-After`. Absent: no limit.
    #[serde(default)]
    pub requests_per_second: Option<u32>,
    /// Most requests per second this key's queries may send to Jenkins, over every
    /// connection (cached answers cost nothing). A query waits for its turn within its
    /// deadline; what cannot wait is `null` with `UPSTREAM_RATE_LIMITED`. Absent: no limit.
    #[serde(default)]
    pub upstream_requests_per_second: Option<u32>,
}

impl ApiKeyConfig {
    /// A key given inline, seeing every connection, for tests.
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        ApiKeyConfig {
            name: name.into(),
            key: Some(SecretString::from(key.into())),
            key_env: None,
            key_file: None,
            key_sha256: None,
            connections: None,
            admin: false,
            requests_per_second: None,
            upstream_requests_per_second: None,
        }
    }

    /// The same key limited to these connections.
    pub fn with_connections(mut self, connections: &[&str]) -> Self {
        self.connections = Some(connections.iter().map(|c| c.to_string()).collect());
        self
    }

    /// The same key with these rate limits (requests and upstream requests per second).
    pub fn with_rates(mut self, requests: Option<u32>, upstream: Option<u32>) -> Self {
        self.requests_per_second = requests;
        self.upstream_requests_per_second = upstream;
        self
    }

    /// The same key, allowed (or not) to read `/metrics` and `/readyz`.
    pub fn with_admin(mut self, admin: bool) -> Self {
        self.admin = admin;
        self
    }

    fn invalid(&self, detail: impl Into<String>) -> ConfigError {
        ConfigError::ApiKey {
            name: self.name.clone(),
            detail: detail.into(),
        }
    }

    /// Exactly one source, a sound digest, and a key read from its file.
    fn validate_and_read_file(&mut self, connections: &HashSet<&str>) -> Result<(), ConfigError> {
        if self.name.trim().is_empty() {
            return Err(self.invalid("the name is empty"));
        }
        let sources = [
            self.key.is_some(),
            self.key_env.is_some(),
            self.key_file.is_some(),
            self.key_sha256.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(self.invalid("set exactly one of key, key_env, key_file, key_sha256"));
        }
        if let Some(hex) = &self.key_sha256 {
            let ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(self.invalid("key_sha256 must be 64 hexadecimal digits"));
            }
        }
        if let Some(path) = &self.key_file {
            let content = std::fs::read_to_string(path).map_err(|e| {
                self.invalid(format!("cannot read key_file {}: {e}", path.display()))
            })?;
            self.set_key(content.trim(), "key_file")?;
        } else if let Some(key) = self.key.take() {
            self.set_key(key.expose_secret().trim(), "key")?;
        }
        for name in self.connections.iter().flatten() {
            if !connections.contains(name.as_str()) {
                return Err(ConfigError::InvalidValue {
                    field: format!("auth.keys[{}].connections", self.name),
                    reason: format!("no connection is named {name:?}"),
                });
            }
        }
        let rates = [
            ("requests_per_second", self.requests_per_second),
            (
                "upstream_requests_per_second",
                self.upstream_requests_per_second,
            ),
        ];
        check_rates(&format!("auth.keys[{}]", self.name), &rates)
    }

    /// Keep `key` (trimmed) after checking its length.
    pub(crate) fn set_key(&mut self, key: &str, source: &str) -> Result<(), ConfigError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(self.invalid(format!(
                "the key from {source} is shorter than {MIN_KEY_BYTES} bytes"
            )));
        }
        self.key = Some(SecretString::from(key.to_string()));
        Ok(())
    }
}

/// Rates, where set, are positive.
fn check_rates(section: &str, rates: &[(&str, Option<u32>)]) -> Result<(), ConfigError> {
    for (field, rate) in rates {
        if *rate == Some(0) {
            return Err(ConfigError::InvalidValue {
                field: format!("{section}.{field}"),
                reason: "must be greater than 0 (omit it for no limit)".into(),
            });
        }
    }
    Ok(())
}

/// Tokens of an identity provider: JSON Web Tokens signed with a key of its JWKS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// The `iss` a token must carry (the identity provider's issuer URL).
    pub issuer: String,
    /// The `aud` a token must carry (one of these): the gateway's client or API id.
    pub audience: Vec<String>,
    /// URL of the identity provider's JWKS (its signing keys), fetched when first needed,
    /// again every `jwks_refresh_s`, and when a token names a key not yet seen (at most
    /// every 10 s). Exactly one of `jwks_url` and `jwks_file`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// A file holding the JWKS, read at start.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Signature algorithms accepted (`RS256`, `RS384`, `RS512`, `PS256`, `PS384`,
    /// `PS512`, `ES256`, `ES384`, `EdDSA`). Shared-secret (`HS*`) algorithms are refused.
    #[serde(default = "default_jwt_algorithms")]
    pub algorithms: Vec<String>,
    /// The claim that names the connections a token may see: a list of strings or a
    /// space-separated string; `*` means every connection. A token without it sees none.
    #[serde(default = "default_connections_claim")]
    pub connections_claim: String,
    /// Maps values of `connections_claim` (groups, roles) to connection names; when set,
    /// values not in it grant nothing. Absent: the values are connection names.
    #[serde(default)]
    pub claim_map: Option<BTreeMap<String, Vec<String>>>,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    #[serde(default = "default_leeway_s")]
    pub leeway_s: u64,
    /// Seconds a fetched JWKS is used before it is fetched again.
    #[serde(default = "default_jwks_refresh_s")]
    pub jwks_refresh_s: u64,
    /// Most GraphQL requests per second for each subject (`sub`); absent: no limit.
    #[serde(default)]
    pub requests_per_second: Option<u32>,
    /// Most upstream requests per second for each subject's queries; absent: no limit.
    #[serde(default)]
    pub upstream_requests_per_second: Option<u32>,
}

/// The algorithms a JWKS may sign with: asymmetric only.
pub const JWT_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

impl JwtConfig {
    fn validate(&self, connections: &HashSet<&str>) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: String| ConfigError::InvalidValue {
            field: format!("auth.jwt.{field}"),
            reason,
        };
        if self.issuer.trim().is_empty() {
            return Err(invalid("issuer", "must not be empty".into()));
        }
        if self.audience.is_empty() || self.audience.iter().any(|a| a.trim().is_empty()) {
            return Err(invalid("audience", "name at least one, none empty".into()));
        }
        match (&self.jwks_url, &self.jwks_file) {
            (Some(url), None) => {
                let parsed =
                    reqwest::Url::parse(url).map_err(|e| invalid("jwks_url", e.to_string()))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid("jwks_url", "must be an http(s) URL".into()));
                }
            }
            (None, Some(_)) => {}
            _ => {
                return Err(invalid(
                    "jwks_url",
                    "set exactly one of jwks_url and jwks_file".into(),
                ))
            }
        }
        if self.algorithms.is_empty() {
            return Err(invalid("algorithms", "name at least one".into()));
        }
        for alg in &self.algorithms {
            if !JWT_ALGORITHMS.contains(&alg.as_str()) {
                return Err(invalid(
                    "algorithms",
                    format!("{alg:?} is not one of {}", JWT_ALGORITHMS.join(", ")),
                ));
            }
        }
        for (value, names) in self.claim_map.iter().flatten() {
            for name in names {
                if name != "*" && !connections.contains(name.as_str()) {
                    return Err(invalid(
                        &format!("claim_map.{value}"),
                        format!("no connection is named {name:?}"),
                    ));
                }
            }
        }
        if self.jwks_refresh_s == 0 {
            return Err(invalid("jwks_refresh_s", "must be greater than 0".into()));
        }
        let rates = [
            ("requests_per_second", self.requests_per_second),
            (
                "upstream_requests_per_second",
                self.upstream_requests_per_second,
            ),
        ];
        check_rates("auth.jwt", &rates)
    }
}

fn default_jwt_algorithms() -> Vec<String> {
    ["RS256", "ES256", "EdDSA"].map(String::from).to_vec()
}

fn default_connections_claim() -> String {
    "majordomo_connections".into()
}

fn default_leeway_s() -> u64 {
    30
}

fn default_jwks_refresh_s() -> u64 {
    300
}

impl AuthConfig {
    /// Whether any caller must authenticate.
    pub fn is_required(&self) -> bool {
        !self.keys.is_empty() || self.jwt.is_some()
    }

    /// Checks keys (unique names, one source each, known connections) and the JWT
    /// settings; reads `key_file`s.
    pub(crate) fn validate(&mut self, connections: &HashSet<&str>) -> Result<(), ConfigError> {
        let mut names = HashSet::new();
        for key in &mut self.keys {
            key.validate_and_read_file(connections)?;
            if !names.insert(key.name.clone()) {
                return Err(key.invalid("two keys have this name"));
            }
        }
        if let Some(jwt) = &self.jwt {
            jwt.validate(connections)?;
        }
        if axum::http::HeaderName::from_bytes(self.forward_header.as_bytes()).is_err() {
            return Err(ConfigError::InvalidValue {
                field: "auth.forward_header".into(),
                reason: "not a valid header name".into(),
            });
        }
        Ok(())
    }
}

/// Which browser pages (origins) may call the gateway. Closed by default: no
/// `access-control-allow-origin` is ever sent, so only same-origin pages can read answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins (`scheme://host[:port]`, exactly as browsers send them) whose pages may
    /// call the gateway. Empty (the default): none.
    pub allow_origins: Vec<String>,
    /// Request headers those pages may send besides the CORS-safelisted ones.
    pub allow_headers: Vec<String>,
    /// Seconds a browser may cache the answer to a preflight.
    pub max_age_s: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            allow_origins: Vec::new(),
            allow_headers: ["authorization", "content-type", DEFAULT_FORWARD_HEADER]
                .map(String::from)
                .to_vec(),
            max_age_s: 600,
        }
    }
}

impl CorsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: String| ConfigError::InvalidValue {
            field: format!("cors.{field}"),
            reason,
        };
        for origin in &self.allow_origins {
            let url = reqwest::Url::parse(origin)
                .map_err(|e| invalid("allow_origins", format!("{origin:?}: {e}")))?;
            let bare = matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some()
                && url.path() == "/"
                && !origin.ends_with('/')
                && url.query().is_none()
                && url.username().is_empty();
            if !bare {
                return Err(invalid(
                    "allow_origins",
                    format!("{origin:?} is not an origin like https://dash.example.com (no path, no trailing slash; `*` is not accepted)"),
                ));
            }
        }
        for header in &self.allow_headers {
            if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(invalid(
                    "allow_headers",
                    format!("{header:?} is not a header name"),
                ));
            }
        }
        Ok(())
    }
}

/// Whether documents must be known in advance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustedMode {
    /// Any valid document runs; a known hash still stands for its document.
    #[default]
    Off,
    /// Any valid document runs; one that is not in the list is logged.
    Log,
    /// Only documents in the list run; any other is refused with `DOCUMENT_NOT_TRUSTED`.
    Enforce,
}

/// Trusted documents: operations allowed by the SHA-256 of their text, so a production
/// client can be locked to the queries it ships.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustedDocumentsConfig {
    /// `off` (the default), `log` or `enforce`.
    pub mode: TrustedMode,
    /// A folder of `.graphql` files; each is trusted by the SHA-256 of its exact content.
    pub dir: Option<PathBuf>,
    /// A JSON manifest: Apollo's persisted-query manifest (`operations` with `id` and
    /// `body`) or an object mapping each SHA-256 to its document.
    pub manifest: Option<PathBuf>,
}

impl TrustedDocumentsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.mode != TrustedMode::Off && self.dir.is_none() && self.manifest.is_none() {
            return Err(ConfigError::InvalidValue {
                field: "trusted_documents.mode".into(),
                reason: "log and enforce need a dir or a manifest".into(),
            });
        }
        Ok(())
    }
}

/// Checks the access sections against the configured connections.
pub(crate) fn validate(
    auth: &mut AuthConfig,
    cors: &CorsConfig,
    trusted: &TrustedDocumentsConfig,
    connections: &HashSet<&str>,
) -> Result<(), ConfigError> {
    auth.validate(connections)?;
    cors.validate()?;
    trusted.validate()
}
