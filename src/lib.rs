//! Majordomo: one GraphQL endpoint over many Jenkins controllers.
//!
//! The layers, top down (calls only go down; `ARCHITECTURE.md` says who owns what):
//! - [`server`]: the axum transport (`/graphql`, GraphiQL, `/healthz`, `/readyz`, `/metrics`,
//!   `/mcp`); [`mcp`]: the Model Context Protocol server (tools over the schema, HTTP and
//!   stdio); `execute`: running one GraphQL request for a caller, for every transport.
//! - `guard`: who may ask (API keys, tokens, scopes, rates, CORS, trusted documents) and
//!   what a request may cost (document limits), before the schema runs it.
//! - [`schema`]: the GraphQL types and resolvers (the public contract, `schema.graphql`).
//! - `loaders`: per-request DataLoaders that batch and de-duplicate upstream fetches.
//! - `planner`: the only layer that knows Jenkins' shape (selections → `tree=` requests).
//! - `cache`: the shared upstream cache (TTL by mutability, request coalescing).
//! - `live` (beside the loaders): pollers shared by every subscriber, turning successive
//!   states of each controller into events for subscriptions and the fleet page.
//! - [`jenkins`]: the per-connection client, wire types, errors and log processing.
//!
//! Beside them: [`config`] (the TOML tree and the environment), [`error`]
//! ([`error::GatewayError`] and where every error gets its GraphQL extensions),
//! [`gateway`] ([`gateway::GatewayState`], what every request shares), `graphiql`
//! (compiled in), the fleet page `fleet` (compiled in), what operators see ([`telemetry`]:
//! metrics, traces, logs), and what the binary needs: [`cli`], [`demo`].

#![warn(unreachable_pub)]

pub(crate) mod cache;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub(crate) mod execute;
pub(crate) mod fleet;
pub mod gateway;
pub(crate) mod graphiql;
mod guard;
pub mod jenkins;
pub(crate) mod live;
pub(crate) mod loaders;
pub mod mcp;
pub(crate) mod planner;
pub mod schema;
pub mod server;
pub mod telemetry;
