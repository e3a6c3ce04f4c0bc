//! The HTTP transport: `/graphql` (POST, GET, GraphiQL), `/graphiql/*` (its assets),
//! `/healthz`, `/readyz`, `/metrics`; and [`run`], which serves them with bounded
//! connections (`accept`, `connection`, `overload`, `limits`) and stops cleanly.
//! Who may ask is decided in `access` before a request body is read; CORS answers only
//! the origins `[cors]` lists.

mod accept;
pub(crate) mod access;
mod connection;
mod graphql_http;
mod limits;
mod overload;

use std::future::Future;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::BytesMut;
use http_body_util::BodyExt;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::GatewayError;
use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use crate::guard::trusted::DOCUMENT_ID;
use crate::guard::ReadOnly;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema};
use access::{admit, check_get_preflight, check_post_type, reject};

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
    let admin = access::admin_only(
        Router::new()
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics)),
        &gateway,
    );
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/healthz", get(healthz))
        .merge(admin);
    if let Some(cors) = crate::guard::cors::layer(&gateway.config().cors) {
        router = router.layer(cors);
    }
    router
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
    log_access(&gateway, listener.local_addr().ok());
    accept::serve(listener, app(gateway), limits, shutdown).await;
    Ok(())
}

/// Run one GraphQL request for `caller`: only the connections it may see have loaders,
/// and its budget carries its upstream rate and forwarded credentials.
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

async fn execute(
    app: &AppState,
    req: async_graphql::Request,
    caller: Caller,
) -> async_graphql::Response {
    // The semaphore is never closed, so acquiring only fails if it were.
    let _permit = match &app.admission {
        Some(s) => s.clone().acquire_owned().await.ok(),
        None => None,
    };
    tracing::debug!(caller = caller.name(), "graphql request");
    let loaders = Loaders::for_query(
        &app.gateway,
        |name| caller.may_see(name),
        |budget| caller.budget(budget),
    );
    app.schema.execute(req.data(loaders).data(caller)).await
}

/// The body of a POST, read up to the limit: beyond it the client gets 413 and the rest
/// of the body is never read; a body whose declared length (`Content-Length`) is over the
/// limit gets 413 before any of it is read, so a client cannot hold the connection by
/// promising a large body and sending it slowly. A body that stops arriving for `stall` gets 408: a request in
/// flight is never closed as idle, so without this a client could hold a connection (and
/// one of `max_connections`) by sending headers and never the body.
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

async fn graphql_post(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = graphql_http::negotiate(&headers) else {
        return graphql_http::not_acceptable();
    };
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
    graphql_http::respond(media, execute(&app, request, caller).await)
}

/// GET with `?query=` (or a persisted query's `extensions=`) runs a query, once the
/// request shows a preflight happened; a browser's plain GET gets GraphiQL. A GET never
/// runs anything but a query (405).
async fn graphql_get(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let has_query = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p.starts_with("query=") || p.starts_with("extensions="))
    });
    if !has_query {
        return crate::graphiql::page("/graphql").into_response();
    }
    let Some(media) = graphql_http::negotiate(&headers) else {
        return graphql_http::not_acceptable();
    };
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
    let response = execute(&app, request, caller).await;
    let not_a_query = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("METHOD_NOT_ALLOWED"))
    });
    let mut http = graphql_http::respond(media, response);
    if not_a_query {
        *http.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    }
    http
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
