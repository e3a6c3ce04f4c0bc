//! The HTTP transport: `/graphql` (POST, GET, GraphiQL), `/graphiql/*` (its assets),
//! `/healthz`, `/readyz`, `/metrics`; and [`run`], which serves them with bounded
//! connections (`accept`, `connection`, `overload`, `limits`) and stops cleanly.

mod accept;
mod connection;
mod limits;
mod overload;

use std::future::Future;
use std::time::Duration;

use async_graphql_axum::GraphQLResponse;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::BytesMut;
use http_body_util::BodyExt;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::cors::CorsLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::GatewayError;
use crate::gateway::GatewayState;
use crate::guard::server_error;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema};

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The gateway.
    pub gateway: GatewayState,
    /// The schema over it.
    pub schema: MajordomoSchema,
    /// Admission of queries (`max_concurrent_queries`), when limited.
    pub admission: Option<Arc<Semaphore>>,
}

/// The axum app of a gateway.
pub fn app(gateway: GatewayState) -> Router {
    let schema = build_schema(gateway.clone());
    let limit = gateway.config().max_concurrent_queries;
    let admission = (limit > 0).then(|| Arc::new(Semaphore::new(limit)));
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(CorsLayer::permissive())
        // One line per request: method, path, status, latency (never headers: they may carry tokens).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(AppState {
            gateway,
            schema,
            admission,
        })
}

/// Serve on `listener` until `shutdown` resolves, within the `[server]` limits (with
/// `max_connections` capped by the descriptor budget); then stop accepting, let requests in
/// flight finish within `shutdown_grace_ms`, and cut the connections still open.
pub async fn run(
    listener: TcpListener,
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
    accept::serve(listener, app(gateway), limits, shutdown).await;
    Ok(())
}

async fn execute(app: &AppState, req: async_graphql::Request) -> GraphQLResponse {
    // The semaphore is never closed, so acquiring only fails if it were.
    let _permit = match &app.admission {
        Some(s) => s.clone().acquire_owned().await.ok(),
        None => None,
    };
    let req = req.data(Loaders::for_query(&app.gateway));
    app.schema.execute(req).await.into()
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

async fn graphql_post(State(app): State<AppState>, body: Body) -> Response {
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
    execute(&app, request).await.into_response()
}

/// GET with `?query=` executes; a browser's plain GET gets GraphiQL.
async fn graphql_get(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let has_query = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return crate::graphiql::page("/graphql").into_response();
    }
    match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(req) => execute(&app, req).await.into_response(),
        Err(e) => reject(&GatewayError::InvalidRequest(format!(
            "bad GraphQL GET request: {e}"
        ))),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready once serving: controllers that are down give partial answers, not an unready gateway.
async fn readyz(State(app): State<AppState>) -> Json<serde_json::Value> {
    let connections: Vec<_> = app
        .gateway
        .upstreams()
        .iter()
        .map(|u| serde_json::json!({ "name": &*u.name, "circuit": format!("{:?}", u.client.circuit_state()) }))
        .collect();
    Json(serde_json::json!({ "ready": true, "connections": connections }))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::render_metrics(&app.gateway),
    )
}
