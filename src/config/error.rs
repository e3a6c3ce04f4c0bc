//! Why a configuration could not be loaded.

use std::path::PathBuf;

use super::ENV_LISTEN;

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
