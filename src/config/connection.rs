//! One Jenkins controller (`[[connections]]`): where it is, how to authenticate, how hard
//! the gateway may press it.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{default_true, ConfigError, ConnectionAuth};

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
    /// Most requests in flight to this controller at once: the ceiling of its adaptive
    /// limit, which follows the controller's latency (it starts at 8, grows while latency
    /// holds, falls when latency rises or on 503, 429 and timeouts).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// The floor of the adaptive limit: however slow the controller gets, this many
    /// requests may still be in flight.
    #[serde(default = "default_min_concurrency")]
    pub min_concurrency: usize,
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
            min_concurrency: default_min_concurrency(),
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

    /// The same connection with another concurrency ceiling (and the floor under it).
    pub fn with_max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency;
        self.min_concurrency = self.min_concurrency.min(max_concurrency);
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
    pub(super) fn validate_and_read_file(&mut self) -> Result<(), ConfigError> {
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
            ("min_concurrency", self.min_concurrency as u64),
            ("max_request_bytes", self.max_request_bytes as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::InvalidValue {
                    field: format!("connections[{}].{field}", self.name),
                    reason: "must be greater than 0".into(),
                });
            }
        }
        if self.min_concurrency > self.max_concurrency {
            return Err(ConfigError::InvalidValue {
                field: format!("connections[{}].min_concurrency", self.name),
                reason: format!("must not exceed max_concurrency ({})", self.max_concurrency),
            });
        }
        Ok(())
    }
}

pub(super) fn deserialize_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    // secrecy's own serde support is behind a feature we do not enable; this
    // wraps the string at once so the tree never holds a plain token.
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.map(SecretString::from))
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_request_bytes() -> usize {
    8 * 1024
}

fn default_max_concurrency() -> usize {
    64
}

fn default_min_concurrency() -> usize {
    2
}
