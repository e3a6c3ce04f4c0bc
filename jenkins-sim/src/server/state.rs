//! What one simulated controller holds while it serves: the world, the faults in force,
//! the request log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::http::Uri;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::faults::Faults;
use super::limits::Container;
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
    /// Requests whose heads were over the limit, until their stand-ins are answered.
    pub(super) rejected: Mutex<HashMap<u64, Rejected>>,
    pub(super) next_rejected: AtomicU64,
}

/// A request the container refused for its head's size, before Jenkins saw it.
#[derive(Debug, Clone)]
pub(super) struct Rejected {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Option<String>,
    pub(super) status: u16,
    pub(super) container: Container,
}

impl SimState {
    pub(super) fn roll(&self) -> f64 {
        self.rng.lock().map_or(0.0, |mut r| r.gen::<f64>())
    }

    pub(super) fn pick(&self, n: usize) -> usize {
        self.rng.lock().map_or(0, |mut r| r.gen_range(0..n.max(1)))
    }

    /// Keep a rejected request until its stand-in is answered; its id.
    pub(super) fn reject(&self, r: Rejected) -> u64 {
        let id = self.next_rejected.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.rejected.lock() {
            m.insert(id, r);
        }
        id
    }

    /// The rejected request `id`, logged as it was sent.
    pub(super) fn take_rejected(&self, id: u64) -> Option<Rejected> {
        let r = self.rejected.lock().ok()?.remove(&id)?;
        if let Ok(mut log) = self.requests.lock() {
            log.push(RequestRecord {
                method: r.method.clone(),
                path: r.path.clone(),
                query: r.query.clone(),
                status: r.status,
            });
        }
        Some(r)
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
