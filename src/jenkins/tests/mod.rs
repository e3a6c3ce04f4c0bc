//! Client behaviour over real HTTP against a tiny fake Jenkins (axum on
//! 127.0.0.1:0, stopped when the test ends): auth, paths, caching, error
//! mapping, retries, timeouts, circuit breaker, concurrency limit, and the
//! streaming log tail and grep.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use tokio::sync::oneshot;

use super::breaker::CircuitState;
use super::budget::QueryBudget;
use super::client::{ClientTuning, JenkinsClient};
use super::error::JenkinsError;
use super::log::decode_console;
use super::tree::Tree;
use crate::cache::UpstreamCache;
use crate::config::ConnectionConfig;

pub(super) const TOKEN: &str = "s3cr3t-api-token";

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) method: Method,
    /// Raw (still percent-encoded) path.
    pub(super) path: String,
    /// Decoded query parameters.
    pub(super) query: HashMap<String, String>,
    pub(super) auth: Option<String>,
    pub(super) accept_encoding: Option<String>,
}

/// What the handler wants: an optional delay, then a response.
pub(super) struct Reply {
    pub(super) delay: Option<Duration>,
    pub(super) response: Response,
}

impl Reply {
    pub(super) fn now(response: impl IntoResponse) -> Self {
        Reply {
            delay: None,
            response: response.into_response(),
        }
    }

    pub(super) fn after(delay: Duration, response: impl IntoResponse) -> Self {
        Reply {
            delay: Some(delay),
            response: response.into_response(),
        }
    }
}

pub(super) type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub(super) struct FakeState {
    pub(super) handler: Box<Handler>,
    pub(super) log: Mutex<Vec<Seen>>,
    pub(super) in_flight: AtomicUsize,
    pub(super) max_in_flight: AtomicUsize,
}

/// A fake Jenkins; the handler gets each request and how many times its
/// path+query was seen before.
pub(super) struct FakeJenkins {
    pub(super) addr: SocketAddr,
    pub(super) state: Arc<FakeState>,
    pub(super) shutdown: Option<oneshot::Sender<()>>,
}

impl FakeJenkins {
    pub(super) async fn start(
        handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(FakeState {
            handler: Box::new(handler),
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new().fallback(serve).with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        FakeJenkins {
            addr,
            state,
            shutdown: Some(tx),
        }
    }

    pub(super) fn url(&self, context: &str) -> String {
        format!("http://{}{}", self.addr, context)
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }

    pub(super) fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

impl Drop for FakeJenkins {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(super) async fn serve(State(state): State<Arc<FakeState>>, request: Request) -> Response {
    let query = Query::<HashMap<String, String>>::try_from_uri(request.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let seen = Seen {
        method: request.method().clone(),
        path: request.uri().path().to_string(),
        query,
        auth: request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        accept_encoding: request
            .headers()
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let previous = {
        let mut log = state.log.lock().unwrap();
        let previous = log
            .iter()
            .filter(|s| s.path == seen.path && s.query == seen.query)
            .count();
        log.push(seen.clone());
        previous
    };
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = (state.handler)(&seen, previous);
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    reply.response
}

pub(super) fn json(body: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    headers.insert("x-jenkins", HeaderValue::from_static("2.516.2"));
    (StatusCode::OK, headers, body.to_string()).into_response()
}

pub(super) fn status(code: u16) -> Response {
    let code = StatusCode::from_u16(code).expect("status");
    (code, format!("<html><body>HTTP {code}</body></html>")).into_response()
}

pub(super) fn tuning() -> ClientTuning {
    ClientTuning {
        retry_backoff: Duration::from_millis(10),
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_millis(300),
        ..ClientTuning::default()
    }
}

pub(super) fn cache() -> Arc<UpstreamCache> {
    Arc::new(UpstreamCache::with_limits(
        64 << 20,
        Duration::from_secs(5),
        Duration::from_millis(50),
    ))
}

pub(super) fn connection(url: String) -> ConnectionConfig {
    ConnectionConfig::new("ci", url)
        .with_credentials("admin", TOKEN)
        .with_timeout(Duration::from_millis(1_000))
}

pub(super) fn client_for(config: ConnectionConfig) -> JenkinsClient {
    JenkinsClient::with_tuning(&config, cache(), tuning()).expect("client")
}

pub(super) fn assert_no_secret(error: &JenkinsError) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(TOKEN) && !text.contains("Basic "), "{text}");
}

mod logs;
mod requests;
