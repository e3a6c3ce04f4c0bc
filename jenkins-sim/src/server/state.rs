//! What one simulated controller holds while it serves: the world, the faults in force,
//! the request log.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::http::Uri;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::faults::Faults;
use crate::world::World;

/// One request the simulator served.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path, as sent (percent-encoded).
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Status answered.
    pub status: u16,
}

/// What `/__sim/requests` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestLog {
    /// Number of requests since start or the last reset.
    pub count: usize,
    /// The requests, oldest first.
    pub requests: Vec<RequestRecord>,
}

/// Shared state of one simulated controller.
pub struct SimState {
    /// The world, moved on by live mode (which shares it).
    pub world: Arc<RwLock<World>>,
    /// Faults in force.
    pub faults: RwLock<Faults>,
    /// Requests served in the Jenkins URL space.
    pub requests: Mutex<Vec<RequestRecord>>,
    /// Absolute root URL, ending in `/`.
    pub root: String,
    /// Seed for generated logs and fault dice.
    pub seed: u64,
    /// When the controller started (for the start-up 503 window).
    pub started: Instant,
    pub(super) rng: Mutex<ChaCha8Rng>,
}

impl SimState {
    pub(super) fn roll(&self) -> f64 {
        self.rng.lock().map_or(0.0, |mut r| r.gen::<f64>())
    }

    pub(super) fn pick(&self, n: usize) -> usize {
        self.rng.lock().map_or(0, |mut r| r.gen_range(0..n.max(1)))
    }

    /// Log a request served in Jenkins' URL space.
    pub(super) fn record(&self, method: &str, uri: &Uri, status: u16) {
        if let Ok(mut r) = self.requests.lock() {
            r.push(RequestRecord {
                method: method.to_string(),
                path: uri.path().to_string(),
                query: uri.query().map(str::to_string),
                status,
            });
        }
    }
}
