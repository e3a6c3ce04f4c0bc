//! Majordomo: one GraphQL endpoint over many Jenkins controllers.
//!
//! Modules, in the order data flows up from Jenkins:
//! - [`config`]: the TOML configuration and its environment overrides.
//! - [`jenkins`]: the per-connection Jenkins client, wire types, errors and log processing.
//! - [`cache`]: the shared upstream cache (TTL by mutability, request coalescing).

pub mod cache;
pub mod config;
pub mod jenkins;
