//! What a connection beyond `max_connections` gets: its request read (briefly), a 503 with
//! `Retry-After` and a GraphQL error `OVERLOADED`, and the connection closed.

use std::convert::Infallible;
use std::sync::Arc;

use axum::http::{header, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;

use super::limits::{ConnectionLimits, REJECT_TIMEOUT};
use crate::error::GatewayError;
use crate::guard::server_error;

/// How long a refused client is told to wait, in seconds.
const RETRY_AFTER_SECS: &str = "1";

/// Most request body bytes read from a refused client, so that it reads the 503 rather than
/// a reset from unread bytes.
const DRAIN_BYTES: usize = 64 * 1024;

/// Answers connections beyond the limit: one hyper builder without keep-alive (so HTTP/1.1
/// answers say `Connection: close`), one body.
pub(crate) struct Refuser {
    builder: auto::Builder<TokioExecutor>,
    body: Bytes,
}

impl Refuser {
    pub(crate) fn new(limits: &ConnectionLimits) -> Arc<Self> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout.min(REJECT_TIMEOUT))
            .keep_alive(false);
        builder.http2().timer(TokioTimer::new());
        let error = server_error(&GatewayError::Overloaded("connections"));
        let body = serde_json::to_vec(&serde_json::json!({ "errors": [error] }))
            .unwrap_or_else(|_| br#"{"errors":[{"message":"overloaded"}]}"#.to_vec());
        Arc::new(Refuser {
            builder,
            body: Bytes::from(body),
        })
    }

    /// Answer every request on `stream` with 503 for at most [`REJECT_TIMEOUT`], then close.
    pub(crate) async fn refuse(self: Arc<Self>, stream: TcpStream) {
        let body = self.body.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let body = body.clone();
            async move {
                let _ = Limited::new(request.into_body(), DRAIN_BYTES)
                    .collect()
                    .await;
                Ok::<_, Infallible>(overloaded(body))
            }
        });
        let conn = self.builder.serve_connection(TokioIo::new(stream), service);
        let _ = tokio::time::timeout(REJECT_TIMEOUT, conn).await;
    }
}

fn overloaded(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
}
