//! The Jenkins client layer: one [`JenkinsClient`] per connection, the wire
//! types it parses ([`wire`]), its error type ([`JenkinsError`]), URL paths
//! ([`path`]), console log processing ([`log`]) and the circuit breaker.
//!
//! Callers above this layer (loaders, planner) never see reqwest.

pub mod breaker;
pub mod client;
pub mod error;
pub mod log;
pub mod path;
pub mod tree;
pub mod wire;

#[cfg(test)]
mod tests;

pub use breaker::CircuitState;
pub use client::{ClientTuning, JenkinsClient};
pub use error::JenkinsError;
pub use log::{GrepMatch, LogGrep, LogTail};
pub use tree::Tree;
