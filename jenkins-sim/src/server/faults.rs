//! The faults a simulated controller can inject into Jenkins' URL space.

use serde::{Deserialize, Serialize};

/// Faults a simulated controller injects into the Jenkins URL space.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fixed latency added before every response, ms.
    pub latency_ms: u64,
    /// Random extra latency, uniformly 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Fraction (0.0..=1.0) of requests answered with an error status.
    pub error_rate: f64,
    /// Statuses an injected error picks from.
    pub error_statuses: Vec<u16>,
    /// For this long after start, every request gets 503 "Jenkins is getting ready to work".
    pub startup_ms: u64,
    /// Never answer (the client must time out).
    pub hang: bool,
    /// Drop the connection before a complete response.
    pub reset: bool,
    /// Send bodies at this many bytes per second.
    pub slow_body_bps: Option<u64>,
    /// Cut JSON bodies in half.
    pub truncate_json: bool,
    /// Answer JSON requests with a body that is not JSON (a proxy's login page).
    pub invalid_json: bool,
    /// Reject every credential with 401, as after a token was revoked.
    pub reject_credentials: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            jitter_ms: 0,
            error_rate: 0.0,
            error_statuses: vec![500, 502, 503],
            startup_ms: 0,
            hang: false,
            reset: false,
            slow_body_bps: None,
            truncate_json: false,
            invalid_json: false,
            reject_credentials: false,
        }
    }
}
