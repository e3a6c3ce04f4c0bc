//! The gateway's configuration: one serde tree read from TOML, validated, then
//! overridden by the environment in exactly one place ([`Config::apply_env`]).
//!
//! Secrets (API tokens, API keys) live in [`SecretString`], so `Debug` of any config
//! prints `[REDACTED]` instead of the token. The access sections (`[auth]`, `[cors]`,
//! `[trusted_documents]`) are in `access.rs`; the
//! others have a file each: [`cache`], [`connection`], [`error`], [`limits`], [`telemetry`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;

mod access;
mod cache;
mod connection;
mod deployments;
mod error;
mod limits;
mod live;
mod mcp;
mod telemetry;

pub use access::{
    AdminEndpoints, ApiKeyConfig, AuthConfig, ConnectionAuth, CorsConfig, JwtConfig,
    TrustedDocumentsConfig, TrustedMode, DEFAULT_FORWARD_HEADER, JWT_ALGORITHMS, MIN_KEY_BYTES,
};
pub use deployments::DeploymentRule;
pub use telemetry::{LogFormat, TelemetryConfig};

/// The environment variable that turns TLS verification off for every connection.
pub const ENV_TLS_REJECT_UNAUTHORIZED: &str = "JENKINS_TLS_REJECT_UNAUTHORIZED";
/// The environment variable that overrides [`Config::listen`].
pub const ENV_LISTEN: &str = "MAJORDOMO_LISTEN";
/// The environment variable that overrides [`Config::admin_listen`].
pub const ENV_ADMIN_LISTEN: &str = "MAJORDOMO_ADMIN_LISTEN";
/// The environment variable that overrides [`TelemetryConfig::log_filter`].
pub const ENV_LOG_FILTER: &str = "RUST_LOG";

pub use cache::CacheConfig;
use connection::deserialize_secret;
pub use connection::ConnectionConfig;
pub use error::ConfigError;
pub use limits::{LimitsConfig, ServerConfig};
pub use live::LiveConfig;
pub use mcp::McpConfig;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds to. Overridden by `MAJORDOMO_LISTEN`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// A second address serving only `/metrics`, `/healthz` and `/readyz` (e.g.
    /// `127.0.0.1:9090`), so they need not be exposed with the API. Unset: they are served
    /// on `listen` only. Overridden by `MAJORDOMO_ADMIN_LISTEN`.
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
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
    /// Traces, logs and the bounds of metric labels.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
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
    /// Which builds are deployments, and to which environment (`[[deployments]]` rules,
    /// tried in order). Without any, one rule that fits the usual conventions applies:
    /// jobs named `*deploy*`, the environment from an `ENVIRONMENT` (or `ENV`,
    /// `DEPLOY_ENV`, `TARGET_ENVIRONMENT`) parameter, a word of the job's name
    /// (`deploy-production`), or a `Deploy <Environment>` stage.
    #[serde(default = "deployments::default_rules")]
    pub deployments: Vec<DeploymentRule>,
    /// Subscriptions and the fleet page: how the shared pollers poll and buffer.
    #[serde(default)]
    pub live: LiveConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            admin_listen: None,
            cache: CacheConfig::default(),
            max_concurrent_queries: 0,
            limits: LimitsConfig::default(),
            server: ServerConfig::default(),
            telemetry: TelemetryConfig::default(),
            connections: Vec::new(),
            auth: AuthConfig::default(),
            cors: CorsConfig::default(),
            trusted_documents: TrustedDocumentsConfig::default(),
            introspection: true,
            mcp: McpConfig::default(),
            deployments: deployments::default_rules(),
            live: LiveConfig::default(),
        }
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
        self.cache.validate()?;
        self.server.validate()?;
        self.telemetry.validate()?;
        self.live.validate()?;
        self.mcp.validate()?;
        let names: HashSet<&str> = self.connections.iter().map(|c| c.name.as_str()).collect();
        access::validate(&mut self.auth, &self.cors, &self.trusted_documents, &names)?;
        deployments::validate(&self.deployments, &names)?;
        Ok(())
    }

    /// Applies the process environment. This is the only place that reads it.
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env_from(|name| std::env::var(name).ok())
    }

    /// Applies environment overrides taken from `lookup` (the process
    /// environment in production, a map in tests):
    /// - `MAJORDOMO_LISTEN` replaces `listen`, `MAJORDOMO_ADMIN_LISTEN` `admin_listen`;
    /// - `RUST_LOG` replaces `telemetry.log_filter`;
    /// - `JENKINS_TLS_REJECT_UNAUTHORIZED=false` (or `0`) turns TLS
    ///   verification off for every connection, with a loud warning;
    /// - each `token_env` is resolved into `token`, each API key's `key_env` into `key`,
    ///   `cache.redis_password_env` into the Redis password.
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
        if let Some(value) = lookup(ENV_ADMIN_LISTEN) {
            let addr = value
                .trim()
                .parse()
                .map_err(|_| ConfigError::InvalidAdminListen {
                    value: value.clone(),
                })?;
            self.admin_listen = Some(addr);
        }
        if let Some(value) = lookup(ENV_LOG_FILTER) {
            self.telemetry.log_filter = value;
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
        self.cache.apply_env(&lookup)?;
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

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_true() -> bool {
    true
}
