//! jenkins-sim: a faithful Jenkins REST API simulator.
//!
//! Tests, the demo and the benchmarks of Majordomo stand on it. Modules, in the order
//! a request flows through them:
//!
//! - [`server`]: one controller per listener ([`SimBuilder`] → [`SimHandle`]); auth,
//!   Stapler-style URL resolution, fault injection, and the request log under `/__sim/`.
//! - [`model`]: Jenkins' exported views of the world (the beans `api/json` serves).
//! - [`export`]: Stapler's exported-bean model: the `tree=` parser, `depth=` pruning,
//!   and the JSON / XML writers with Jenkins' key order and `_class` rules.
//! - [`log`]: console logs, literal or generated lazily to any size.
//! - [`world`]: the data of a world, its file format and the seeded generators.
//! - [`live`]: live mode, where builds are queued, run and finish on their own.
//! - [`clock`] and `html`: leaves the others share (now and calendar fields; HTML
//!   escaping).
pub mod clock;
pub mod export;
mod html;
pub mod live;
pub mod log;
pub mod model;
pub mod server;
pub mod world;

pub use live::LiveConfig;
pub use server::{Faults, RequestLog, RequestRecord, SimBuilder, SimHandle};
pub use world::World;
