//! The HTTP side: one simulated controller per listener, its fault injection and request log.
//!
//! Jenkins' URL space is served by `jenkins` (GETs, with `request`, `auth`, `console`,
//! `config_xml` and [`wfapi`]) and `post` (triggers and cancellation), behind `inject`,
//! which logs every request and injects the [`Faults`] in force. Everything under
//! `/__sim/` is the simulator's own control surface (request log, reset, faults) and is
//! neither counted nor faulted.

mod auth;
mod config_xml;
mod console;
mod faults;
mod guard;
mod inject;
mod jenkins;
mod limits;
pub mod pages;
mod post;
mod request;
mod state;
pub mod wfapi;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use self::faults::Faults;
use self::guard::GuardedListener;
pub use self::limits::{Container, HeadLimit, DEFAULT_HEAD_BYTES};
pub use self::state::{RequestLog, RequestRecord, SimState};
use crate::live::LiveConfig;
use crate::world::World;

/// Builds and starts one simulated controller.
pub struct SimBuilder {
    world: World,
    faults: Faults,
    seed: u64,
    listen: SocketAddr,
    live: Option<LiveConfig>,
    head_limit: HeadLimit,
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
            head_limit: HeadLimit::default(),
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

    /// Refuse request heads (request line and headers, as sent) over `bytes`, as the
    /// container in front of Jenkins does; 8 KiB by default, like Jetty's
    /// `--requestHeaderSize`.
    pub fn request_header_size(mut self, bytes: usize) -> Self {
        self.head_limit.max_bytes = Some(bytes);
        self
    }

    /// Accept request heads of any size (up to what hyper itself takes).
    pub fn no_request_header_limit(mut self) -> Self {
        self.head_limit.max_bytes = None;
        self
    }

    /// Answer over-long heads as this container does (Jetty by default).
    pub fn container(mut self, container: Container) -> Self {
        self.head_limit.container = container;
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
            world: Arc::new(RwLock::new(self.world)),
            faults: RwLock::new(self.faults),
            requests: Mutex::new(Vec::new()),
            root: format!("http://{addr}/"),
            seed: self.seed,
            started: Instant::now(),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(self.seed)),
            rejected: Mutex::new(HashMap::new()),
            next_rejected: AtomicU64::new(1),
        });
        let listener = GuardedListener::new(listener, state.clone(), self.head_limit);
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
            .map(|cfg| tokio::spawn(crate::live::run(state.world.clone(), self.seed, cfg)));
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
        .route("/__sim/rejected/{id}", get(sim_rejected))
        .with_state(state.clone());
    let jenkins = Router::new()
        .fallback(jenkins::handle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            inject::count_and_fault,
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

/// The stand-in of a request whose head was over the limit: logged as it was sent, and
/// answered as the container answers it.
async fn sim_rejected(State(s): State<Arc<SimState>>, Path(id): Path<u64>) -> pages::Resp {
    match s.take_rejected(id) {
        Some(r) => pages::head_too_large(
            r.container,
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
