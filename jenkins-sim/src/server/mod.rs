//! The HTTP side: one simulated controller per listener, its fault injection and request log.
//!
//! Jenkins' URL space is served by [`jenkins`]; everything under `/__sim/` is the
//! simulator's own control surface (request log, reset, faults) and is neither counted
//! nor faulted.

mod jenkins;
pub mod pages;
pub mod wfapi;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::live::LiveConfig;
use crate::world::World;

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
    /// The world, moved on by live mode.
    pub world: RwLock<World>,
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
    rng: Mutex<ChaCha8Rng>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl SimState {
    fn roll(&self) -> f64 {
        self.rng.lock().map_or(0.0, |mut r| r.gen::<f64>())
    }

    fn pick(&self, n: usize) -> usize {
        self.rng.lock().map_or(0, |mut r| r.gen_range(0..n.max(1)))
    }
}

/// Builds and starts one simulated controller.
pub struct SimBuilder {
    world: World,
    faults: Faults,
    seed: u64,
    listen: SocketAddr,
    live: Option<LiveConfig>,
}

impl SimBuilder {
    /// A controller serving this world on `127.0.0.1:0`, no faults, not live.
    pub fn new(mut world: World) -> Self {
        world.normalize();
        SimBuilder {
            world,
            faults: Faults::default(),
            seed: 1,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            live: None,
        }
    }

    /// Listen on this address instead of an ephemeral loopback port.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Seed for generated logs, fault dice and live mode.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Inject these faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Give a user this API token (the user is created as an admin if missing).
    pub fn token(mut self, user: &str, token: &str) -> Self {
        match self.world.users.iter_mut().find(|u| u.id == user) {
            Some(u) => u.token = Some(token.to_string()),
            None => self.world.users.push(crate::world::User {
                id: user.to_string(),
                full_name: None,
                password: None,
                token: Some(token.to_string()),
                permission: crate::world::Permission::Admin,
            }),
        }
        self
    }

    /// Serve the controller without the Pipeline REST API plugin.
    pub fn without_wfapi(mut self) -> Self {
        self.world.controller.wfapi = false;
        self
    }

    /// Make the world move on its own.
    pub fn live(mut self, config: LiveConfig) -> Self {
        self.live = Some(config);
        self
    }

    /// Bind and serve until the handle is shut down or dropped.
    pub async fn start(self) -> std::io::Result<SimHandle> {
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState {
            world: RwLock::new(self.world),
            faults: RwLock::new(self.faults),
            requests: Mutex::new(Vec::new()),
            root: format!("http://{addr}/"),
            seed: self.seed,
            started: Instant::now(),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(self.seed)),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        let live = self
            .live
            .map(|cfg| tokio::spawn(crate::live::run(state.clone(), cfg)));
        Ok(SimHandle {
            addr,
            state,
            shutdown: Some(tx),
            server: Some(server),
            live,
        })
    }
}

/// A running simulated controller. Dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    live: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    /// The controller's root URL, ending in `/`.
    pub fn url(&self) -> String {
        self.state.root.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (world, faults, request log).
    pub fn state(&self) -> &Arc<SimState> {
        &self.state
    }

    /// Requests served since start or the last reset.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// How many requests were served since start or the last reset.
    pub fn request_count(&self) -> usize {
        self.state.requests.lock().map_or(0, |r| r.len())
    }

    /// Forget the request log.
    pub fn reset_requests(&self) {
        if let Ok(mut r) = self.state.requests.lock() {
            r.clear();
        }
    }

    /// Replace the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.state.faults.write() {
            *f = faults;
        }
    }

    /// Change the world in place (e.g. finish a build in a test).
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut w = self.state.world.write().unwrap_or_else(|e| e.into_inner());
        f(&mut w)
    }

    /// Stop serving and wait for the server to finish.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    fn stop(&mut self) {
        if let Some(l) = self.live.take() {
            l.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}

/// The axum app of one controller.
pub fn router(state: Arc<SimState>) -> Router {
    let sim = Router::new()
        .route("/__sim/requests", get(sim_requests))
        .route("/__sim/reset", post(sim_reset))
        .route("/__sim/faults", get(sim_get_faults).put(sim_put_faults))
        .with_state(state.clone());
    let jenkins = Router::new()
        .fallback(jenkins::handle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_and_fault,
        ))
        .with_state(state);
    sim.merge(jenkins)
}

async fn sim_requests(State(s): State<Arc<SimState>>) -> Json<RequestLog> {
    let requests = s.requests.lock().map(|r| r.clone()).unwrap_or_default();
    Json(RequestLog {
        count: requests.len(),
        requests,
    })
}

async fn sim_reset(State(s): State<Arc<SimState>>) -> StatusCode {
    if let Ok(mut r) = s.requests.lock() {
        r.clear();
    }
    StatusCode::NO_CONTENT
}

async fn sim_get_faults(State(s): State<Arc<SimState>>) -> Json<Faults> {
    Json(s.faults.read().map(|f| f.clone()).unwrap_or_default())
}

async fn sim_put_faults(State(s): State<Arc<SimState>>, Json(f): Json<Faults>) -> StatusCode {
    if let Ok(mut cur) = s.faults.write() {
        *cur = f;
    }
    StatusCode::NO_CONTENT
}

fn record(s: &SimState, method: &str, uri: &Uri, status: u16) {
    if let Ok(mut r) = s.requests.lock() {
        r.push(RequestRecord {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            status,
        });
    }
}

async fn count_and_fault(State(s): State<Arc<SimState>>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let uri = req.uri().clone();
    let faults = s.faults.read().map(|f| f.clone()).unwrap_or_default();
    let controller = s
        .world
        .read()
        .map(|w| w.controller.clone())
        .unwrap_or_default();

    let mut delay = faults.latency_ms;
    if faults.jitter_ms > 0 {
        delay += (s.roll() * (faults.jitter_ms as f64 + 1.0)) as u64;
    }
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if faults.hang {
        record(&s, &method, &uri, 0);
        futures::future::pending::<()>().await;
    }
    if s.started.elapsed() < Duration::from_millis(faults.startup_ms) {
        record(&s, &method, &uri, 503);
        return pages::starting(&controller);
    }
    if faults.error_rate > 0.0 && s.roll() < faults.error_rate && !faults.error_statuses.is_empty()
    {
        let code = faults.error_statuses[s.pick(faults.error_statuses.len())];
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        record(&s, &method, &uri, status.as_u16());
        return pages::injected(&controller, status);
    }
    if faults.reject_credentials && req.headers().contains_key("authorization") {
        record(&s, &method, &uri, 401);
        return pages::unauthorized();
    }

    let resp = next.run(req).await;
    record(&s, &method, &uri, resp.status().as_u16());
    let is_json = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));

    if faults.reset {
        let (parts, _) = resp.into_parts();
        let broken = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by simulated fault",
            ))
        });
        return Response::from_parts(parts, Body::from_stream(broken));
    }
    if is_json && (faults.truncate_json || faults.invalid_json) {
        let (mut parts, body) = resp.into_parts();
        parts.headers.remove("content-length");
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let out = if faults.invalid_json {
            Bytes::from_static(b"<html><body>Please sign in to continue</body></html>")
        } else {
            bytes.slice(..bytes.len() / 2)
        };
        return Response::from_parts(parts, Body::from(out));
    }
    if let Some(bps) = faults.slow_body_bps.filter(|b| *b > 0) {
        let (mut parts, body) = resp.into_parts();
        parts.headers.remove("content-length");
        let chunk = (bps / 10).max(1) as usize;
        let stream = body.into_data_stream().flat_map(move |item| {
            let pieces: Vec<Result<Bytes, axum::Error>> = match item {
                Ok(b) => (0..b.len())
                    .step_by(chunk)
                    .map(|i| Ok(b.slice(i..(i + chunk).min(b.len()))))
                    .collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(pieces).then(|p| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                p
            })
        });
        return Response::from_parts(parts, Body::from_stream(stream));
    }
    resp.into_response()
}
