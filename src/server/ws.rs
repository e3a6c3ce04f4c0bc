//! GraphQL over WebSocket: `graphql-transport-ws` (the `graphql-ws` library's protocol)
//! and the older `graphql-ws`, on `GET /graphql` with an upgrade. The socket is served by
//! the connection that upgraded (see `connection.rs`), so it counts against
//! `max_connections` until it closes, and it is closed (1001) when the server stops.
//!
//! A browser page may open one only from the gateway's own origin or one `[cors]` lists
//! (WebSockets are not bound by CORS). Who asks is decided like for any request: the upgrade's `Authorization` header, or,
//! since browsers cannot set headers on a WebSocket, an `Authorization` field of the
//! `connection_init` payload (a refusal closes the socket with 4403). Every operation then
//! runs the same schema, with the same guard and the caller's own loaders.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use async_graphql::futures_util::stream::BoxStream;
use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::{SinkExt, StreamExt};

use super::access::{admit, reject};
use super::connection::Draining;
use super::AppState;
use crate::error::GatewayError;
use crate::guard::auth::Caller;
use crate::guard::server_error;

/// Whether a request asks to become a WebSocket.
pub(super) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The subprotocol a client offers that we speak.
fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// A browser's WebSocket is not bound by CORS, so a page of any origin could open one to a
/// gateway on loopback without keys and read everything: only the gateway's own origin (its
/// pages) and the origins `[cors]` lists may. Clients that are not browsers send no
/// `Origin` and are not concerned.
fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), GatewayError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = !host.is_empty()
        && origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host));
    if own || allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(GatewayError::OriginNotAllowed(origin.to_string()))
    }
}

/// Accept the upgrade: who asks is known now (a header) or at `connection_init`.
pub(super) async fn upgrade(
    app: AppState,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
    draining: Option<Draining>,
) -> HttpResponse {
    let Some(protocol) = protocol(&headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws",
        )
            .into_response();
    };
    if let Err(e) = check_origin(&headers, &app.gateway.config().cors.allow_origins) {
        return reject(&e);
    }
    let caller = Arc::new(OnceLock::new());
    if headers.contains_key(header::AUTHORIZATION) || !app.gateway.access().is_required() {
        match admit(app.gateway.access(), &headers).await {
            Ok(c) => {
                let _ = caller.set(c);
            }
            Err(refused) => return refused,
        }
    }
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(app, socket, protocol, caller, draining))
}

/// Runs every operation of one socket as its caller.
#[derive(Clone)]
struct SessionExecutor {
    app: AppState,
    caller: Arc<OnceLock<Caller>>,
}

impl SessionExecutor {
    fn refused() -> Response {
        Response::from_errors(vec![server_error(&GatewayError::Unauthenticated(
            "authenticate in connection_init first",
        ))])
    }
}

impl Executor for SessionExecutor {
    async fn execute(&self, request: Request) -> Response {
        match self.caller.get() {
            Some(caller) => self.app.executor.execute(request, caller.clone()).await,
            None => Self::refused(),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let Some(caller) = self.caller.get().cloned() else {
            return futures::stream::once(async { Self::refused() }).boxed();
        };
        self.app
            .executor
            .stream(request, caller, session_data.unwrap_or_default())
    }
}

/// The `Authorization` value of a `connection_init` payload, as headers.
fn init_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k)?.as_str());
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::AUTHORIZATION, v);
    }
    headers
}

async fn serve(
    app: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    caller: Arc<OnceLock<Caller>>,
    draining: Option<Draining>,
) {
    let keepalive = app.gateway.config().live.keepalive();
    let access = Arc::clone(app.gateway.access());
    let refused = Arc::new(OnceLock::new());
    let (slot, refusal) = (Arc::clone(&caller), Arc::clone(&refused));
    let init = move |payload: serde_json::Value| async move {
        if slot.get().is_some() {
            return Ok(Data::default());
        }
        match access.authenticate(&init_headers(&payload)).await {
            Ok(c) => {
                let _ = slot.set(c);
                Ok(Data::default())
            }
            Err(_) => {
                let _ = refusal.set(());
                Err(async_graphql::Error::new(
                    "Forbidden: the API key or token is missing or not valid",
                ))
            }
        }
    };
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|m| futures::future::ready(m.is_ok()))
        .filter_map(|m| {
            futures::future::ready(match m {
                Ok(Message::Text(t)) => Some(t.as_bytes().to_vec()),
                Ok(Message::Binary(b)) => Some(b.to_vec()),
                _ => None,
            })
        });
    let executor = SessionExecutor { app, caller };
    let mut out =
        async_graphql::http::WebSocket::new(executor, input, protocol).on_connection_init(init);
    let mut draining = draining.map(|d| d.0);
    let mut ping = tokio::time::interval(keepalive);
    ping.tick().await;
    loop {
        let message = tokio::select! {
            message = out.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => {
                    // A refused connection_init is a 4403, as graphql-transport-ws says.
                    let code = if refused.get().is_some() { 4403 } else { code };
                    let _ = sink.send(close(code, &reason)).await;
                    return;
                }
                None => return,
            },
            () = super::sse::stopping(&mut draining) => {
                let _ = sink.send(close(1001, "the server is shutting down")).await;
                return;
            }
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        if sink.send(message).await.is_err() {
            return;
        }
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_string().into(),
    }))
}
