//! jenkins-sim: a faithful Jenkins REST API simulator.
//!
//! - [`export`]: Stapler's exported-bean model: the `tree=` parser, `depth=` pruning,
//!   and the JSON / XML writers with Jenkins' key order and `_class` rules.
pub mod export;
