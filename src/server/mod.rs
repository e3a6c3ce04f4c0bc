//! The HTTP transport: `/graphql` (POST, GET, GraphiQL), `/graphiql/*` (its assets),
//! `/healthz`, `/readyz`, `/metrics` (the admin routes, on a listener of their own when
//! `admin_listen` is set); and [`run`] / [`serve`], which serve them with bounded
//! connections (`accept`, `connection`, `overload`, `limits`) and stop cleanly.

mod accept;
mod connection;
mod limits;
mod overload;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::BytesMut;
use futures::FutureExt as _;
use http_body_util::BodyExt;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::cors::CorsLayer;
use tracing::Instrument as _;

use crate::error::GatewayError;
use crate::gateway::GatewayState;
use crate::guard::server_error;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema};
use crate::telemetry::graphql::QueryTelemetry;

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The gateway.
    pub gateway: GatewayState,
    /// The schema over it.
    pub schema: MajordomoSchema,
    /// Admission of queries (`max_concurrent_queries`), when limited.
    pub admission: Option<Arc<Semaphore>>,
    /// Whether every listener is bound and serving (`/readyz`).
    pub ready: Arc<AtomicBool>,
}

impl AppState {
    /// The state of a gateway, not ready until [`serve`] has bound its listeners.
    pub fn new(gateway: GatewayState) -> Self {
        let schema = build_schema(gateway.clone());
        let limit = gateway.config().max_concurrent_queries;
        AppState {
            admission: (limit > 0).then(|| Arc::new(Semaphore::new(limit))),
            gateway,
            schema,
            ready: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The axum app of a gateway, ready at once (for callers that serve it themselves).
pub fn app(gateway: GatewayState) -> Router {
    let state = AppState::new(gateway);
    state.ready.store(true, Ordering::Relaxed);
    api(state)
}

/// The API: `/graphql`, GraphiQL, `/healthz`; and the admin routes too, unless they have a
/// listener of their own.
fn api(state: AppState) -> Router {
    let router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphiql/{file}", get(crate::graphiql::asset));
    let router = match state.gateway.config().admin_listen {
        None => router.merge(admin_routes()),
        // Liveness stays here too: `majordomo health` and the container check use it.
        Some(_) => router.route("/healthz", get(healthz)),
    };
    router
        .layer(CorsLayer::permissive())
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// The admin routes, in one place so that whatever guards them (an admin key) applies on
/// either listener: liveness, readiness and the metrics.
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The admin listener's app.
fn admin(state: AppState) -> Router {
    admin_routes()
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// One line per request: method, path (never its query, which may hold a GraphQL
/// document's variables), status and latency. Never headers: they may carry tokens.
async fn access_log(request: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "majordomo::access", tracing::Level::INFO) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "majordomo::access",
        %method,
        path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Serve on `listener` until `shutdown` resolves (see [`serve`]).
pub async fn run(
    listener: TcpListener,
    gateway: GatewayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, None, gateway, shutdown).await
}

/// Serve the API on `listener` and the admin routes on `admin` (when given) until
/// `shutdown` resolves, within the `[server]` limits (with `max_connections` capped by the
/// descriptor budget); then stop accepting, let requests in flight finish within
/// `shutdown_grace_ms`, and cut the connections still open. `/readyz` answers 200 from
/// when both listeners serve until the shutdown starts.
pub async fn serve(
    listener: TcpListener,
    admin_listener: Option<TcpListener>,
    gateway: GatewayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = limits::ConnectionLimits::from_config(gateway.config());
    tracing::info!(
        max_connections = limits.max_connections,
        header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
        idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
        shutdown_grace_ms = limits.shutdown_grace.as_millis() as u64,
        "connection limits"
    );
    let state = AppState::new(gateway);
    let ready = Arc::clone(&state.ready);
    let shutdown = shutdown
        .map(move |()| ready.store(false, Ordering::Relaxed))
        .shared();
    let admin_server = admin_listener.map(|l| {
        let mut admin_limits = limits;
        admin_limits.max_connections = limits.max_connections.min(ADMIN_CONNECTIONS);
        tokio::spawn(accept::serve(
            l,
            admin(state.clone()),
            admin_limits,
            shutdown.clone(),
        ))
    });
    state.ready.store(true, Ordering::Relaxed);
    accept::serve(listener, api(state), limits, shutdown).await;
    if let Some(admin) = admin_server {
        // The admin loop stops on the same signal; a panic there was logged already.
        let _ = admin.await;
    }
    Ok(())
}

/// Most connections the admin listener serves at once: scrapers and probes, not clients.
const ADMIN_CONNECTIONS: usize = 64;

async fn execute(app: &AppState, req: async_graphql::Request, headers: &HeaderMap) -> Response {
    // The semaphore is never closed, so acquiring only fails if it were.
    let _permit = match &app.admission {
        Some(s) => s.clone().acquire_owned().await.ok(),
        None => None,
    };
    let config = &app.gateway.config().telemetry;
    let telemetry = QueryTelemetry::start(headers, &req.variables, config);
    let span = telemetry.span().clone();
    let loaders = Loaders::for_query(&app.gateway, span.clone(), telemetry.forwarded().clone());
    let budget = loaders.budget();
    let req = req.data(loaders).data(Arc::clone(&telemetry));
    let response = app.schema.execute(req).instrument(span).await;
    let body = serde_json::to_vec(&response).unwrap_or_default();
    telemetry.finish(
        app.gateway.metrics(),
        config,
        &response,
        body.len(),
        &budget,
    );
    graphql_response(response, body)
}

/// The HTTP response of a GraphQL answer (what `async-graphql-axum` sends, from a body
/// serialized once, so its size can be counted).
fn graphql_response(response: async_graphql::Response, body: Vec<u8>) -> Response {
    let mut http = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/graphql-response+json"),
        )],
        body,
    )
        .into_response();
    if response.is_ok() {
        if let Some(cache_control) = response.cache_control.value() {
            if let Ok(value) = HeaderValue::from_str(&cache_control) {
                http.headers_mut().insert(header::CACHE_CONTROL, value);
            }
        }
    }
    http.headers_mut().extend(response.http_headers);
    http
}

/// A request refused before the schema saw it, as a GraphQL response with its status.
fn reject(e: &GatewayError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "errors": [server_error(e)] });
    (status, Json(body)).into_response()
}

/// The body of a POST, read up to the limit: beyond it the client gets 413 and the rest
/// of the body is never read. A body that stops arriving for `stall` gets 408: a request in
/// flight is never closed as idle, so without this a client could hold a connection (and
/// one of `max_connections`) by sending headers and never the body.
async fn read_body(body: Body, limit: usize, stall: Duration) -> Result<Bytes, GatewayError> {
    let mut body = http_body_util::Limited::new(body, limit);
    let mut read = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Err(_) => {
                let idle_ms = u64::try_from(stall.as_millis()).unwrap_or(u64::MAX);
                return Err(GatewayError::RequestTimeout { idle_ms });
            }
            Ok(None) => return Ok(read.freeze()),
            Ok(Some(Err(e))) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(GatewayError::RequestTooLarge { limit })
            }
            Ok(Some(Err(e))) => {
                return Err(GatewayError::InvalidRequest(format!(
                    "the request body could not be read: {e}"
                )))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            read.extend_from_slice(&data);
        }
    }
}

/// A POST body as one GraphQL request.
fn parse_post(body: &[u8]) -> Result<async_graphql::Request, GatewayError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(GatewayError::BatchNotSupported);
    }
    serde_json::from_slice(body).map_err(|e| {
        GatewayError::InvalidRequest(format!("the body is not a GraphQL request: {e}"))
    })
}

async fn graphql_post(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let config = app.gateway.config();
    let (limit, stall) = (
        config.limits.max_request_bytes,
        config.server.idle_timeout(),
    );
    let request = match read_body(body, limit, stall)
        .await
        .and_then(|b| parse_post(&b))
    {
        Ok(request) => request,
        Err(e) => return reject(&e),
    };
    execute(&app, request, &headers).await
}

/// GET with `?query=` executes; a browser's plain GET gets GraphiQL.
async fn graphql_get(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let has_query = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return crate::graphiql::page("/graphql").into_response();
    }
    match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(req) => execute(&app, req, &headers).await,
        Err(e) => reject(&GatewayError::InvalidRequest(format!(
            "bad GraphQL GET request: {e}"
        ))),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready once every listener serves, and until the shutdown starts (503 otherwise); with
/// each connection's latest status and breaker state. Controllers that are down give
/// partial answers, not an unready gateway.
async fn readyz(State(app): State<AppState>) -> Response {
    let ready = app.ready.load(Ordering::Relaxed);
    let fleet = &app.gateway.metrics().fleet;
    let connections: Vec<_> = app
        .gateway
        .upstreams()
        .iter()
        .map(|u| {
            serde_json::json!({
                "name": &*u.name,
                "status": fleet.status_of(&u.name),
                "circuit": u.client.circuit_state().label(),
            })
        })
        .collect();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "connections": connections });
    (status, Json(body)).into_response()
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            crate::telemetry::metrics::CONTENT_TYPE,
        )],
        app.gateway.metrics_text(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ConnectionConfig};

    /// `/readyz` is 503 until `serve` has bound its listeners (and again once a shutdown
    /// starts), and names each connection's status and breaker state either way.
    #[tokio::test]
    async fn readyz_answers_503_until_ready() {
        let config =
            Config::with_connections(vec![ConnectionConfig::new("ci", "http://127.0.0.1:9/")]);
        let state = AppState::new(GatewayState::new(config).expect("gateway"));
        let not_yet = readyz(State(state.clone())).await;
        assert_eq!(not_yet.status(), StatusCode::SERVICE_UNAVAILABLE);
        state.ready.store(true, Ordering::Relaxed);
        let ready = readyz(State(state)).await;
        assert_eq!(ready.status(), StatusCode::OK);
        let body = ready.into_body().collect().await.expect("body").to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "ready": true,
                "connections": [{ "name": "ci", "status": "UNKNOWN", "circuit": "closed" }]
            })
        );
    }
}
