//! The `[mcp]` section: the Model Context Protocol server at `/mcp` and `majordomo mcp`,
//! and how large its answers may be.

use serde::Deserialize;

use super::ConfigError;

/// Smallest result budget accepted: below it a job's details no longer fit.
const MIN_RESULT_BYTES: usize = 2 * 1024;
/// Largest result budget accepted; a log tail never exceeds the client's 8 MiB either.
const MAX_RESULT_BYTES: usize = 1024 * 1024;
/// Largest resource read accepted (a log's tail as a resource).
const MAX_RESOURCE_BYTES: usize = 8 * 1024 * 1024;

/// The MCP server. Its tools run GraphQL documents through the same guard, scopes, limits
/// and cache as `/graphql`; this section only sizes what they send back to a model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpConfig {
    /// Serve MCP (Streamable HTTP) at `/mcp` on the main listener.
    pub enabled: bool,
    /// Most bytes of text one tool result may hold (default 16 KiB, about 4,000 tokens:
    /// a few results fit in any common context window). A result that would be larger
    /// is cut, says so, and says how to ask for the rest. A call may ask for less.
    pub max_result_bytes: usize,
    /// Most bytes one resource read (a build log) may return (default 256 KiB).
    pub max_resource_bytes: usize,
    /// `Host` header values `/mcp` accepts (`name` or `name:port`), against DNS
    /// rebinding. Empty (the default): loopback names only while no key or `[auth.jwt]`
    /// is configured, any host once callers must authenticate.
    pub allowed_hosts: Vec<String>,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            enabled: true,
            max_result_bytes: 16 * 1024,
            max_resource_bytes: 256 * 1024,
            allowed_hosts: Vec::new(),
        }
    }
}

impl McpConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let checks = [
            (
                "mcp.max_result_bytes",
                self.max_result_bytes,
                MIN_RESULT_BYTES,
                MAX_RESULT_BYTES,
            ),
            (
                "mcp.max_resource_bytes",
                self.max_resource_bytes,
                MIN_RESULT_BYTES,
                MAX_RESOURCE_BYTES,
            ),
        ];
        for (field, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::InvalidValue {
                    field: field.into(),
                    reason: format!("must be between {min} and {max}"),
                });
            }
        }
        Ok(())
    }
}
