//! GraphQL over Server-Sent Events, as the `graphql-sse` protocol's distinct connections
//! mode says: a POST (or a GET with `?query=`) that accepts `text/event-stream` gets each
//! result as an `event: next`, then `event: complete`; errors before execution arrive as a
//! `next` with `errors`. For clients behind proxies that block WebSockets, and for the
//! fleet page. A comment every `live.keepalive_ms` keeps proxies from closing an idle
//! stream; the stream completes when the server stops.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::sync::watch;

use super::connection::Draining;
use super::AppState;
use crate::guard::auth::Caller;

/// Whether a request accepts an event stream.
pub(super) fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/event-stream"))
}

/// Resolves when the server starts to stop (never without a signal).
pub(super) async fn stopping(draining: &mut Option<watch::Receiver<()>>) {
    match draining {
        // A change, or the sender gone: either way the server is stopping.
        Some(rx) => {
            let _ = rx.changed().await;
        }
        None => std::future::pending::<()>().await,
    }
}

struct Events {
    results: BoxStream<'static, async_graphql::Response>,
    keepalive: tokio::time::Interval,
    draining: Option<watch::Receiver<()>>,
    done: bool,
}

fn next_event(response: &async_graphql::Response) -> Bytes {
    let json = serde_json::to_string(response).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: next\ndata: {json}\n\n"))
}

const COMPLETE: &[u8] = b"event: complete\n\n";

impl Events {
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        tokio::select! {
            result = self.results.next() => Some(match result {
                Some(response) => next_event(&response),
                None => {
                    self.done = true;
                    Bytes::from_static(COMPLETE)
                }
            }),
            _ = self.keepalive.tick() => Some(Bytes::from_static(b":\n\n")),
            () = stopping(&mut self.draining) => {
                self.done = true;
                Some(Bytes::from_static(COMPLETE))
            }
        }
    }
}

/// Run `request` for `caller` and stream its results.
pub(super) fn respond(
    app: &AppState,
    request: async_graphql::Request,
    caller: Caller,
    draining: Option<Draining>,
) -> Response {
    let results = app.executor.stream(request, caller, Arc::default());
    let period = app.gateway.config().live.keepalive();
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let events = Events {
        results,
        keepalive,
        draining: draining.map(|d| d.0),
        done: false,
    };
    let body = futures::stream::unfold(events, |mut e| async move {
        e.next().await.map(|b| (Ok::<_, Infallible>(b), e))
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx buffers responses unless told not to.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
