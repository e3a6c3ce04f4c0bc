//! The Jenkins client layer: one [`JenkinsClient`] per connection, the wire
//! types it parses ([`wire`]), its error type ([`JenkinsError`]), URL paths
//! ([`path`]), console log processing ([`log`]) and the circuit breaker.
//!
//! Callers above this layer (loaders, planner) never see reqwest.

pub(crate) mod breaker;
pub(crate) mod budget;
pub(crate) mod client;
pub mod error;
pub mod log;
pub(crate) mod path;
pub(crate) mod tree;
pub mod wire;

#[cfg(test)]
mod tests;

pub(crate) use budget::QueryBudget;
pub(crate) use client::JenkinsClient;
pub use error::JenkinsError;
pub use log::{GrepMatch, LogGrep, LogTail};
pub(crate) use tree::Tree;
