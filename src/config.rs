//! The gateway's configuration: one serde tree read from TOML, validated, then
//! overridden by the environment in exactly one place ([`Config::apply_env`]).
//!
//! Secrets (API tokens, API keys) live in [`SecretString`], so `Debug` of any config
//! prints `[REDACTED]` instead of the token. The access sections (`[auth]`, `[cors]`,
//! `[trusted_documents]`) are in `config/access.rs`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

mod access;
mod mcp;

pub use access::{
    AdminEndpoints, ApiKeyConfig, AuthConfig, ConnectionAuth, CorsConfig, JwtConfig,
    TrustedDocumentsConfig, TrustedMode, DEFAULT_FORWARD_HEADER, JWT_ALGORITHMS, MIN_KEY_BYTES,
};
pub use mcp::McpConfig;

/// The environment variable that turns TLS verification off for every connection.
pub const ENV_TLS_REJECT_UNAUTHORIZED: &str = "JENKINS_TLS_REJECT_UNAUTHORIZED";
/// The environment variable that overrides [`Config::listen`].
pub const ENV_LISTEN: &str = "MAJORDOMO_LISTEN";

/// Why a configuration could not be loaded. Every variant has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Unreadable {
        /// The file that was read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a value has the wrong type.
    #[error("config syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A key that the config does not know (often a typo).
    #[error("unknown config key at line {line}, column {column}: {message}")]
    UnknownKey {
        /// 1-based line of the key.
        line: usize,
        /// 1-based column of the key.
        column: usize,
        /// What the parser said, including the expected keys.
        message: String,
    },
    /// Two connections share a name.
    #[error("duplicate connection name {name:?}")]
    DuplicateConnection {
        /// The repeated name.
        name: String,
    },
    /// A connection name is empty or uses characters outside `A-Za-z0-9_.-`.
    #[error(
        "invalid connection name {name:?}: use 1-64 characters from A-Z, a-z, 0-9, '_', '.', '-'"
    )]
    InvalidConnectionName {
        /// The offending name.
        name: String,
    },
    /// A connection URL is not an absolute http(s) URL without credentials, query or fragment.
    #[error("connection {connection:?}: invalid url: {reason}")]
    InvalidUrl {
        /// The connection.
        connection: String,
        /// What is wrong (never echoes credentials embedded in the URL).
        reason: String,
    },
    /// More than one of `token`, `token_env` and `token_file` is set.
    #[error("connection {connection:?}: set at most one of token, token_env, token_file")]
    ConflictingTokenSources {
        /// The connection.
        connection: String,
    },
    /// A username without a token, or a token without a username.
    #[error("connection {connection:?}: {detail}")]
    IncompleteCredentials {
        /// The connection.
        connection: String,
        /// Which half is missing.
        detail: String,
    },
    /// `token_env` names a variable that is not set.
    #[error("connection {connection:?}: token_env names {var}, which is not set")]
    TokenEnvUnset {
        /// The connection.
        connection: String,
        /// The variable name.
        var: String,
    },
    /// `token_file` could not be read.
    #[error("connection {connection:?}: cannot read token_file {path}: {source}")]
    TokenFileUnreadable {
        /// The connection.
        connection: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The token source yielded an empty token.
    #[error("connection {connection:?}: the token from {source_kind} is empty")]
    EmptyToken {
        /// The connection.
        connection: String,
        /// `token`, `token_env` or `token_file`.
        source_kind: &'static str,
    },
    /// `ca_file` could not be read or holds no usable PEM certificate.
    #[error("connection {connection:?}: ca_file {path}: {detail}")]
    CaFile {
        /// The connection.
        connection: String,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A numeric setting is out of range.
    #[error("{field}: {reason}")]
    InvalidValue {
        /// Dotted path of the setting, e.g. `connections[prod].timeout_ms`.
        field: String,
        /// Why it is rejected.
        reason: String,
    },
    /// `MAJORDOMO_LISTEN` is not a socket address.
    #[error("{ENV_LISTEN}={value:?} is not a socket address like 127.0.0.1:8080")]
    InvalidListen {
        /// The rejected value.
        value: String,
    },
    /// The HTTP client for a connection could not be built.
    #[error("connection {connection:?}: cannot build HTTP client: {detail}")]
    HttpClient {
        /// The connection.
        connection: String,
        /// What reqwest said.
        detail: String,
    },
    /// An API key's source is missing, doubled, unreadable or too short (never the key).
    #[error("API key {name:?}: {detail}")]
    ApiKey {
        /// The key's name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// The trusted documents (a folder or a manifest) could not be read.
    #[error("trusted documents {path}: {detail}")]
    TrustedDocuments {
        /// The folder or file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

impl ConfigError {
    /// A stable SCREAMING_SNAKE code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Unreadable { .. } => "CONFIG_UNREADABLE",
            ConfigError::Syntax { .. } => "CONFIG_SYNTAX",
            ConfigError::UnknownKey { .. } => "CONFIG_UNKNOWN_KEY",
            ConfigError::DuplicateConnection { .. } => "DUPLICATE_CONNECTION",
            ConfigError::InvalidConnectionName { .. } => "INVALID_CONNECTION_NAME",
            ConfigError::InvalidUrl { .. } => "INVALID_URL",
            ConfigError::ConflictingTokenSources { .. } => "CONFLICTING_TOKEN_SOURCES",
            ConfigError::IncompleteCredentials { .. } => "INCOMPLETE_CREDENTIALS",
            ConfigError::TokenEnvUnset { .. } => "TOKEN_ENV_UNSET",
            ConfigError::TokenFileUnreadable { .. } => "TOKEN_FILE_UNREADABLE",
            ConfigError::EmptyToken { .. } => "EMPTY_TOKEN",
            ConfigError::CaFile { .. } => "CA_FILE_INVALID",
            ConfigError::InvalidValue { .. } => "INVALID_VALUE",
            ConfigError::InvalidListen { .. } => "INVALID_LISTEN",
            ConfigError::HttpClient { .. } => "HTTP_CLIENT",
            ConfigError::ApiKey { .. } => "INVALID_API_KEY",
            ConfigError::TrustedDocuments { .. } => "TRUSTED_DOCUMENTS_INVALID",
        }
    }

    /// The 1-based line in the TOML source this error points at, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::UnknownKey { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds to. Overridden by `MAJORDOMO_LISTEN`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The upstream cache shared by all connections.
    #[serde(default)]
    pub cache: CacheConfig,
    /// At most this many GraphQL queries execute at once; others wait their turn. An answer
    /// is built whole in memory before it is sent, so this bounds memory under bursts of
    /// large queries. 0 (the default) means no limit. A query waiting on a slow controller
    /// holds its place until that controller's `timeout_ms`.
    #[serde(default)]
    pub max_concurrent_queries: usize,
    /// What one request may cost: body size, document shape.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// How the HTTP server bounds its connections: timeouts, how many, shutdown.
    #[serde(default)]
    pub server: ServerConfig,
    /// The Jenkins controllers behind the gateway, in display order.
    #[serde(default)]
    pub connections: Vec<ConnectionConfig>,
    /// Who may ask: API keys (with scopes and rate limits) and identity-provider tokens.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Which browser origins may call the gateway (none by default).
    #[serde(default)]
    pub cors: CorsConfig,
    /// Documents allowed by hash, so a production client can be locked to its queries.
    #[serde(default)]
    pub trusted_documents: TrustedDocumentsConfig,
    /// Whether the schema answers introspection (`__schema`, `__type`); GraphiQL's docs
    /// need it. Turn it off to hide the schema from callers.
    #[serde(default = "default_true")]
    pub introspection: bool,
    /// The MCP server (`/mcp`, `majordomo mcp`) and the size of its answers.
    #[serde(default)]
    pub mcp: McpConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            cache: CacheConfig::default(),
            max_concurrent_queries: 0,
            limits: LimitsConfig::default(),
            server: ServerConfig::default(),
            connections: Vec::new(),
            auth: AuthConfig::default(),
            cors: CorsConfig::default(),
            trusted_documents: TrustedDocumentsConfig::default(),
            introspection: true,
            mcp: McpConfig::default(),
        }
    }
}

/// What one request may cost. The defaults follow Apollo Router's where it has one
/// (tokens, aliases, root fields) and let every example query, GraphiQL's introspection
/// and the dashboard through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (413 beyond it).
    pub max_request_bytes: usize,
    /// Deepest nesting of brackets (`{`, `[`, `(`) in a document, counted before parsing.
    pub max_nesting: u64,
    /// Most lexical tokens in a document.
    pub max_tokens: u64,
    /// Deepest field selection (a top-level scalar is depth 1).
    pub max_depth: u64,
    /// Most field selections once every fragment spread is inlined.
    pub max_fields: u64,
    /// Most aliased fields once every fragment spread is inlined.
    pub max_aliases: u64,
    /// Most fields at the top of an operation.
    pub max_root_fields: u64,
    /// Most upstream requests a query is estimated to cost (over every controller) before
    /// anything is sent; above it the query is refused with `QUERY_TOO_EXPENSIVE`.
    pub max_estimated_requests: u64,
    /// How many items the estimate assumes a list holds when nothing bounds it (a
    /// folder's children, failing jobs, a queue).
    pub assumed_list_size: u64,
    /// Most upstream requests one query may send (a hard cap, in case the estimate was
    /// low); what is left of the answer is `null` with `UPSTREAM_BUDGET_EXCEEDED`.
    pub max_upstream_requests: u64,
    /// Most bytes of console logs one query may stream from Jenkins.
    pub max_log_bytes: u64,
    /// Milliseconds a query may take; what has not arrived by then is `null` with
    /// `TIMEOUT` and the rest is sent. 0: no deadline.
    pub query_timeout_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_request_bytes: 1024 * 1024,
            max_nesting: 64,
            max_tokens: 15_000,
            max_depth: 24,
            max_fields: 1_500,
            max_aliases: 30,
            max_root_fields: 20,
            max_estimated_requests: 10_000,
            assumed_list_size: 50,
            max_upstream_requests: 5_000,
            max_log_bytes: 256 * 1024 * 1024,
            query_timeout_ms: 30_000,
        }
    }
}

/// How the HTTP server bounds client connections, so that no client can hold the gateway's
/// descriptors or keep it from stopping. The defaults suit a gateway behind a load balancer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// A client has this long, in milliseconds, to send a request's headers once the server
    /// waits for them; then the connection is closed. It also bounds how long a new
    /// connection may stay silent, and (as hyper times the wait for every request head) how
    /// long an HTTP/1.1 keep-alive connection may wait for its next request.
    pub header_read_timeout_ms: u64,
    /// A connection with no request in flight and no bytes moving for this long, in
    /// milliseconds, is closed. A request in flight is never cut, however slow its query.
    pub idle_timeout_ms: u64,
    /// Most client connections open at once; a connection beyond them is answered 503
    /// (`OVERLOADED`, with `Retry-After`) and closed. Lowered at start when the process's
    /// descriptor limit (RLIMIT_NOFILE) would not leave room for the upstream connections.
    pub max_connections: usize,
    /// On SIGTERM or SIGINT, requests in flight get this long, in milliseconds, to finish;
    /// connections still open then are cut. 0 cuts them at once.
    pub shutdown_grace_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 1024,
            shutdown_grace_ms: 30_000,
        }
    }
}

impl ServerConfig {
    /// [`Self::header_read_timeout_ms`] as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// [`Self::idle_timeout_ms`] as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    /// [`Self::shutdown_grace_ms`] as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// Timeouts and the connection limit are positive.
    fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("max_connections", self.max_connections as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::InvalidValue {
                    field: format!("server.{field}"),
                    reason: "must be greater than 0".into(),
                });
            }
        }
        Ok(())
    }
}

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

/// One Jenkins controller.
///
/// After [`Config::load`] (or [`Config::from_toml_str`] followed by
/// [`Config::apply_env`]) the field `token` holds the resolved secret,
/// whichever of `token`, `token_file` or `token_env` supplied it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// Unique name of the connection, used in IDs and errors (`A-Za-z0-9_.-`).
    pub name: String,
    /// Base URL of the controller; a port and a context path are allowed,
    /// e.g. `https://ci.example.com:8443/jenkins`.
    pub url: String,
    /// Jenkins user the API token belongs to; omit for anonymous access.
    #[serde(default)]
    pub username: Option<String>,
    /// The API token itself. Prefer `token_env` or `token_file`.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub token: Option<SecretString>,
    /// Name of an environment variable that holds the API token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Path of a file whose content (trimmed) is the API token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Timeout of one upstream request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// PEM file with extra CA certificates to trust (e.g. a corporate CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Verify the controller's TLS certificate. Turn off only for self-signed
    /// test controllers; `JENKINS_TLS_REJECT_UNAUTHORIZED=false` does it globally.
    #[serde(default = "default_true")]
    pub tls_verify: bool,
    /// Maximum number of concurrent requests to this controller.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// Largest request head (request line and headers, in bytes) this controller and the
    /// proxies in front of it accept. Jetty (in Jenkins' own launcher) and Tomcat refuse
    /// more than 8 KiB, as does nginx by default; a `tree=` that would not fit is split
    /// into several requests. Raise it only when the controller's limit was raised.
    #[serde(default = "default_max_request_bytes")]
    pub max_request_bytes: usize,
    /// Whose credentials Jenkins sees: the service account's above (`service`, the
    /// default), or each caller's own, from the header `auth.forward_header` (`forward`),
    /// so Jenkins' permissions apply per user; such a connection has no username or token.
    #[serde(default)]
    pub auth: ConnectionAuth,
}

impl ConnectionConfig {
    /// A connection with default settings and anonymous access, for tests and `demo`.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        ConnectionConfig {
            name: name.into(),
            url: url.into(),
            username: None,
            token: None,
            token_env: None,
            token_file: None,
            timeout_ms: default_timeout_ms(),
            ca_file: None,
            tls_verify: true,
            max_concurrency: default_max_concurrency(),
            max_request_bytes: default_max_request_bytes(),
            auth: ConnectionAuth::Service,
        }
    }

    /// The same connection, sending each caller's forwarded credentials instead of its own.
    pub fn forwarding(mut self) -> Self {
        self.auth = ConnectionAuth::Forward;
        self
    }

    /// Sets Basic credentials (`username` plus API token).
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.token = Some(SecretString::from(token.into()));
        self.token_env = None;
        self.token_file = None;
        self
    }

    /// Sets the per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Sets the per-controller concurrency limit.
    pub fn with_max_request_bytes(mut self, max_request_bytes: usize) -> Self {
        self.max_request_bytes = max_request_bytes;
        self
    }

    /// The same connection with another concurrency limit.
    pub fn with_max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency;
        self
    }

    /// Turns TLS certificate verification on or off.
    pub fn with_tls_verify(mut self, tls_verify: bool) -> Self {
        self.tls_verify = tls_verify;
        self
    }

    /// [`Self::timeout_ms`] as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The username and the resolved token, when both are present.
    pub fn credentials(&self) -> Option<(&str, &SecretString)> {
        match (&self.username, &self.token) {
            (Some(user), Some(token)) => Some((user.as_str(), token)),
            _ => None,
        }
    }

    /// Parses and checks [`Self::url`]: absolute http(s), a host, no
    /// credentials, query or fragment. The returned URL's path ends with `/`
    /// so that relative Jenkins paths append under the context path.
    pub fn base_url(&self) -> Result<reqwest::Url, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidUrl {
            connection: self.name.clone(),
            reason: reason.to_string(),
        };
        let mut url = reqwest::Url::parse(self.url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host"));
        }
        // Credentials in the URL would end up in logs and error messages;
        // they belong in `username` + `token_*` instead.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "the URL must not contain credentials; use username and token_env/token_file",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("the URL must not have a query or fragment"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    /// Static checks of one connection, and reading of `token_file`.
    fn validate_and_read_file(&mut self) -> Result<(), ConfigError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !name_ok {
            return Err(ConfigError::InvalidConnectionName {
                name: self.name.clone(),
            });
        }
        self.base_url()?;
        self.check_token_sources()?;
        if self.auth == ConnectionAuth::Forward && self.username.is_some() {
            return Err(ConfigError::IncompleteCredentials {
                connection: self.name.clone(),
                detail:
                    "auth = \"forward\" sends each caller's credentials: remove username and token"
                        .into(),
            });
        }
        self.read_token_file()?;
        self.check_numbers()?;
        if let Some(path) = &self.ca_file {
            if let Err(e) = std::fs::metadata(path) {
                return Err(ConfigError::CaFile {
                    connection: self.name.clone(),
                    path: path.clone(),
                    detail: e.to_string(),
                });
            }
        }
        Ok(())
    }

    /// At most one of `token`, `token_env`, `token_file`, and a username with it.
    fn check_token_sources(&self) -> Result<(), ConfigError> {
        let sources = [
            self.token.is_some(),
            self.token_env.is_some(),
            self.token_file.is_some(),
        ]
        .iter()
        .filter(|set| **set)
        .count();
        let incomplete = |detail: &str| ConfigError::IncompleteCredentials {
            connection: self.name.clone(),
            detail: detail.into(),
        };
        match sources {
            0 if self.username.is_some() => Err(incomplete(
                "username is set but none of token, token_env, token_file",
            )),
            1 if self.username.as_deref().is_none_or(str::is_empty) => {
                Err(incomplete("a token is set but username is missing"))
            }
            0 | 1 => match &self.token {
                Some(token) if token.expose_secret().trim().is_empty() => {
                    Err(ConfigError::EmptyToken {
                        connection: self.name.clone(),
                        source_kind: "token",
                    })
                }
                _ => Ok(()),
            },
            _ => Err(ConfigError::ConflictingTokenSources {
                connection: self.name.clone(),
            }),
        }
    }

    /// Read `token_file` into `token`.
    fn read_token_file(&mut self) -> Result<(), ConfigError> {
        let Some(path) = &self.token_file else {
            return Ok(());
        };
        let content =
            std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFileUnreadable {
                connection: self.name.clone(),
                path: path.clone(),
                source,
            })?;
        let token = content.trim();
        if token.is_empty() {
            return Err(ConfigError::EmptyToken {
                connection: self.name.clone(),
                source_kind: "token_file",
            });
        }
        self.token = Some(SecretString::from(token.to_string()));
        Ok(())
    }

    /// Timeouts and limits are positive.
    fn check_numbers(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("timeout_ms", self.timeout_ms),
            ("max_concurrency", self.max_concurrency as u64),
            ("max_request_bytes", self.max_request_bytes as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::InvalidValue {
                    field: format!("connections[{}].{field}", self.name),
                    reason: "must be greater than 0".into(),
                });
            }
        }
        Ok(())
    }
}

impl Config {
    /// A config with default settings and the given connections, for tests and `demo`.
    pub fn with_connections(connections: Vec<ConnectionConfig>) -> Self {
        Config {
            connections,
            ..Config::default()
        }
    }

    /// Parses and validates TOML text. Reads `token_file`s, but not the
    /// environment: call [`Config::apply_env`] afterwards (as [`Config::load`] does).
    pub fn from_toml_str(source: &str) -> Result<Self, ConfigError> {
        let mut config: Config = toml::from_str(source).map_err(|e| toml_error(source, &e))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a TOML file, validates it and applies the process environment.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::from_toml_str(&source)?;
        config.apply_env()?;
        Ok(config)
    }

    /// Checks names, URLs, token sources and limits; reads `token_file`s.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let mut seen = HashSet::new();
        for connection in &mut self.connections {
            connection.validate_and_read_file()?;
            if !seen.insert(connection.name.clone()) {
                return Err(ConfigError::DuplicateConnection {
                    name: connection.name.clone(),
                });
            }
        }
        if self.cache.max_bytes == 0 {
            return Err(ConfigError::InvalidValue {
                field: "cache.max_bytes".into(),
                reason: "must be greater than 0".into(),
            });
        }
        self.server.validate()?;
        self.mcp.validate()?;
        let names: HashSet<&str> = self.connections.iter().map(|c| c.name.as_str()).collect();
        access::validate(&mut self.auth, &self.cors, &self.trusted_documents, &names)?;
        Ok(())
    }

    /// Applies the process environment. This is the only place that reads it.
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env_from(|name| std::env::var(name).ok())
    }

    /// Applies environment overrides taken from `lookup` (the process
    /// environment in production, a map in tests):
    /// - `MAJORDOMO_LISTEN` replaces `listen`;
    /// - `JENKINS_TLS_REJECT_UNAUTHORIZED=false` (or `0`) turns TLS
    ///   verification off for every connection, with a loud warning;
    /// - each `token_env` is resolved into `token`, each API key's `key_env` into `key`.
    pub fn apply_env_from(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(value) = lookup(ENV_LISTEN) {
            self.listen = value
                .trim()
                .parse()
                .map_err(|_| ConfigError::InvalidListen {
                    value: value.clone(),
                })?;
        }
        if let Some(value) = lookup(ENV_TLS_REJECT_UNAUTHORIZED) {
            let value = value.trim().to_ascii_lowercase();
            if value == "false" || value == "0" {
                tracing::warn!(
                    "{ENV_TLS_REJECT_UNAUTHORIZED}={value}: TLS CERTIFICATE VERIFICATION IS DISABLED \
                     FOR ALL {} CONNECTIONS; traffic to Jenkins can be intercepted",
                    self.connections.len()
                );
                for connection in &mut self.connections {
                    connection.tls_verify = false;
                }
            }
        }
        for connection in &mut self.connections {
            if let Some(var) = &connection.token_env {
                let value = lookup(var).ok_or_else(|| ConfigError::TokenEnvUnset {
                    connection: connection.name.clone(),
                    var: var.clone(),
                })?;
                let value = value.trim();
                if value.is_empty() {
                    return Err(ConfigError::EmptyToken {
                        connection: connection.name.clone(),
                        source_kind: "token_env",
                    });
                }
                connection.token = Some(SecretString::from(value.to_string()));
            }
        }
        for key in &mut self.auth.keys {
            if let Some(var) = key.key_env.clone() {
                let value = lookup(&var).ok_or_else(|| ConfigError::ApiKey {
                    name: key.name.clone(),
                    detail: format!("key_env names {var}, which is not set"),
                })?;
                key.set_key(value.trim(), "key_env")?;
            }
        }
        Ok(())
    }

    /// The connection with this name.
    pub fn connection(&self, name: &str) -> Option<&ConnectionConfig> {
        self.connections.iter().find(|c| c.name == name)
    }
}

/// Turns a toml error into a [`ConfigError`] that names the line.
fn toml_error(source: &str, error: &toml::de::Error) -> ConfigError {
    let (line, column) = error
        .span()
        .map(|span| line_and_column(source, span.start))
        .unwrap_or((1, 1));
    let message = error.message().to_string();
    if message.starts_with("unknown field") {
        ConfigError::UnknownKey {
            line,
            column,
            message,
        }
    } else {
        ConfigError::Syntax {
            line,
            column,
            message,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn deserialize_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    // secrecy's own serde support is behind a feature we do not enable; this
    // wraps the string at once so the tree never holds a plain token.
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.map(SecretString::from))
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
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

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_request_bytes() -> usize {
    8 * 1024
}

fn default_max_concurrency() -> usize {
    8
}

fn default_true() -> bool {
    true
}
