//! The HTTP transport: `/graphql` (POST, GET, GraphiQL; WebSocket in `ws`, Server-Sent
//! Events in `sse`), `/graphiql/*` (its assets), the fleet page (`/`, `/fleet`, `/fleet/*`),
//! `/healthz`, `/readyz`, `/metrics` (the admin routes, on a listener of their own when
//! `admin_listen` is set); and [`run`] / [`serve`], which serve them with bounded
//! connections (`accept`, `connection`, `overload`, `limits`) and stop cleanly.
//! Who may ask is decided in `access` before a request body is read; CORS answers only
//! the origins `[cors]` lists.

mod accept;
pub(crate) mod access;
mod connection;
mod graphql_http;
mod limits;
mod overload;
mod sse;
mod ws;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Extension, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::BytesMut;
use futures::FutureExt as _;
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::error::GatewayError;
use crate::execute::Executor;
use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use crate::guard::trusted::DOCUMENT_ID;
use crate::guard::ReadOnly;
use access::{admit, check_get_preflight, check_post_type, reject};
use connection::Draining;
use graphql_http::Media;

/// What the HTTP handlers share.
#[derive(Clone)]
struct AppState {
    /// The gateway.
    gateway: GatewayState,
    /// The schema over it, and the admission of its queries.
    executor: Executor,
    /// Whether every listener is bound and serving (`/readyz`).
    ready: Arc<AtomicBool>,
}

impl AppState {
    /// The state of a gateway, not ready until [`serve`] has bound its listeners.
    fn new(gateway: GatewayState) -> Self {
        AppState {
            executor: Executor::new(gateway.clone()),
            gateway,
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

/// The API: `/graphql`, GraphiQL, the fleet page, `/healthz`, `/mcp` when enabled; and the
/// admin routes too, unless they have a listener of their own.
fn api(state: AppState) -> Router {
    let gateway = state.gateway.clone();
    let router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/", get(crate::fleet::page))
        .route("/fleet", get(crate::fleet::page))
        .route("/fleet/{file}", get(crate::fleet::asset));
    let mut router = match gateway.config().admin_listen {
        None => router.merge(admin_routes(&gateway)),
        // Liveness stays here too: `majordomo health` and the container check use it.
        Some(_) => router.route("/healthz", get(healthz)),
    };
    if gateway.config().mcp.enabled {
        // Its own router, so that only /mcp is behind this layer.
        let mcp = Router::new()
            .route_service("/mcp", crate::mcp::http_service(state.executor.clone()))
            .route_layer(axum::middleware::from_fn_with_state(
                std::sync::Arc::clone(gateway.access()),
                access::authenticate_mcp,
            ));
        router = router.merge(mcp);
    }
    if let Some(cors) = crate::guard::cors::layer(&gateway.config().cors) {
        router = router.layer(cors);
    }
    router
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// The admin routes, in one place so that what guards them (an admin key, see
/// `access::admin_only`) applies on either listener: liveness (always open), readiness and
/// the metrics.
fn admin_routes(gateway: &GatewayState) -> Router<AppState> {
    let guarded = Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(access::admin_only(guarded, gateway))
}

/// The admin listener's app.
fn admin(state: AppState) -> Router {
    admin_routes(&state.gateway)
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
    log_access(&gateway, listener.local_addr().ok());
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

/// What the gateway lets in, at start; loudly when anyone who reaches a non-loopback
/// address may read every controller.
fn log_access(gateway: &GatewayState, addr: Option<std::net::SocketAddr>) {
    let access = gateway.access();
    let (keys, jwt) = access.summary();
    let config = gateway.config();
    tracing::info!(
        api_keys = keys,
        jwt,
        cors_origins = config.cors.allow_origins.len(),
        trusted_documents = ?config.trusted_documents.mode,
        introspection = config.introspection,
        "access"
    );
    if !access.is_required() && addr.is_some_and(|a| !a.ip().is_loopback()) {
        tracing::warn!(
            "no API key or [auth.jwt] is configured and the gateway listens beyond loopback: \
             anyone who reaches it reads what every connection's service account can"
        );
    }
}

/// Most connections the admin listener serves at once: scrapers and probes, not clients.
const ADMIN_CONNECTIONS: usize = 64;

/// Run one GraphQL request for `caller` (see [`Executor::run`]); the answer goes out as
/// `media`.
async fn execute(
    app: &AppState,
    req: async_graphql::Request,
    caller: Caller,
    headers: &HeaderMap,
    media: Media,
) -> Response {
    let (response, finish) = app.executor.run(req, caller, headers).await;
    // A GET that runs anything but a query (the only way to get this code).
    let not_a_query = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("METHOD_NOT_ALLOWED"))
    });
    let (mut http, size) = graphql_http::respond(media, &response);
    if not_a_query {
        *http.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    }
    finish.done(&app.gateway, &response, size);
    http
}
/// The body of a POST, read up to the limit: beyond it the client gets 413 and the rest
/// of the body is never read; a body whose declared length (`Content-Length`) is over the
/// limit gets 413 before any of it is read, so a client cannot hold the connection by
/// promising a large body and sending it slowly. A body that stops arriving for `stall`
/// gets 408: a request in flight is never closed as idle, so without this a client could
/// hold a connection (and one of `max_connections`) by sending headers and never the body.
async fn read_body(body: Body, limit: usize, stall: Duration) -> Result<Bytes, GatewayError> {
    if axum::body::HttpBody::size_hint(&body).lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(GatewayError::RequestTooLarge { limit });
    }
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

/// GraphQL over HTTP's `documentId`, which async-graphql's request does not read.
#[derive(serde::Deserialize)]
struct DocumentIdField {
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

/// A POST body as one GraphQL request; a `documentId` goes where the trusted documents
/// look for it.
fn parse_post(body: &[u8]) -> Result<async_graphql::Request, GatewayError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(GatewayError::BatchNotSupported);
    }
    let mut request: async_graphql::Request = serde_json::from_slice(body).map_err(|e| {
        GatewayError::InvalidRequest(format!("the body is not a GraphQL request: {e}"))
    })?;
    if body
        .windows(DOCUMENT_ID.len())
        .any(|w| w == DOCUMENT_ID.as_bytes())
    {
        if let Ok(DocumentIdField {
            document_id: Some(id),
        }) = serde_json::from_slice(body)
        {
            request
                .extensions
                .0
                .insert(DOCUMENT_ID.into(), async_graphql::Value::from(id));
        }
    }
    Ok(request)
}

async fn graphql_post(
    State(app): State<AppState>,
    headers: HeaderMap,
    draining: Option<Extension<Draining>>,
    body: Body,
) -> Response {
    let stream = sse::wanted(&headers);
    let media = graphql_http::negotiate(&headers);
    if media.is_none() && !stream {
        return graphql_http::not_acceptable();
    }
    let caller = match admit(app.gateway.access(), &headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Err(e) = check_post_type(&headers) {
        return reject(&e);
    }
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
    match media {
        Some(media) if !stream => execute(&app, request, caller, &headers, media).await,
        _ => sse::respond(&app, request, caller, draining.map(|d| d.0)),
    }
}

/// GET with `?query=` (or a persisted query's `extensions=`) runs a query, once the
/// request shows a preflight happened (as an event stream when it accepts one); an upgrade
/// becomes a GraphQL WebSocket; a browser's plain GET gets GraphiQL. A GET never runs a
/// mutation (405).
async fn graphql_get(
    State(app): State<AppState>,
    headers: HeaderMap,
    draining: Option<Extension<Draining>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let draining = draining.map(|d| d.0);
    if ws::is_upgrade(&headers) {
        return match upgrade {
            Ok(upgrade) => ws::upgrade(app, headers, upgrade, draining).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let has_query = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p.starts_with("query=") || p.starts_with("extensions="))
    });
    if !has_query {
        return crate::graphiql::page("/graphql").into_response();
    }
    let stream = sse::wanted(&headers);
    let media = graphql_http::negotiate(&headers);
    if media.is_none() && !stream {
        return graphql_http::not_acceptable();
    }
    let caller = match admit(app.gateway.access(), &headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Err(e) = check_get_preflight(&headers) {
        return reject(&e);
    }
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) => request.data(ReadOnly),
        Err(e) => {
            return reject(&GatewayError::InvalidRequest(format!(
                "bad GraphQL GET request: {e}"
            )))
        }
    };
    let Some(media) = media.filter(|_| !stream) else {
        return sse::respond(&app, request, caller, draining);
    };
    execute(&app, request, caller, &headers, media).await
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
