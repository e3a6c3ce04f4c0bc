//! Majordomo: one GraphQL endpoint over many Jenkins controllers.
//!
//! Modules, in the order data flows up from Jenkins:
//! - [`config`]: the TOML configuration and its environment overrides.
//! - [`jenkins`]: the per-connection Jenkins client, wire types, errors and log processing.
//! - [`cache`]: the shared upstream cache (TTL by mutability, request coalescing).
//! - [`error`]: [`error::GatewayError`], and where every error gets its GraphQL extensions.
//! - `guard`: what a request may cost (document limits), before the schema runs it.
//! - [`gateway`]: [`gateway::GatewayState`], the connections and cache every request shares.
//! - [`planner`]: GraphQL selections → the fewest Jenkins `tree=` requests.
//! - [`loaders`]: per-request DataLoaders that batch and de-duplicate upstream fetches.
//! - [`schema`]: the GraphQL types and resolvers (the public contract).
//! - [`server`]: the axum transport (`/graphql`, GraphiQL, `/healthz`, `/readyz`, `/metrics`).
//! - [`graphiql`]: GraphiQL compiled in, for air-gapped networks.
//! - [`cli`], [`demo`], [`telemetry`]: what the binary needs.

#![warn(unreachable_pub)]

pub(crate) mod cache;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod gateway;
pub(crate) mod graphiql;
mod guard;
pub mod jenkins;
pub(crate) mod loaders;
pub(crate) mod planner;
pub mod schema;
pub mod server;
pub mod telemetry;
