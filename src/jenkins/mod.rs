//! The Jenkins client layer: one [`JenkinsClient`] per connection, the wire
//! types it parses ([`wire`]), its error type ([`JenkinsError`]), URL paths
//! ([`path`]), console log processing ([`log`]), the circuit breaker, what a query may
//! spend ([`budget`]), a caller's own credentials ([`forward`]) and the adaptive
//! concurrency limit per controller ([`limit`]).
//!
//! Callers above this layer (loaders, planner) never see reqwest.

pub(crate) mod breaker;
pub(crate) mod budget;
pub(crate) mod client;
pub mod error;
pub(crate) mod forward;
pub(crate) mod limit;
pub mod log;
pub(crate) mod path;
pub(crate) mod tree;
pub mod wire;

#[cfg(test)]
mod tests;

pub(crate) use budget::{upstream_limiter, QueryBudget, UpstreamRate};
pub(crate) use client::JenkinsClient;
pub use error::JenkinsError;
pub(crate) use forward::ForwardedCredentials;
pub use log::{GrepMatch, LogGrep, LogTail};
pub(crate) use tree::Tree;
