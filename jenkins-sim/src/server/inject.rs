//! The layer in front of Jenkins' URL space: it logs every request and injects the
//! faults in force (latency, hangs, start-up 503, error statuses, revoked credentials,
//! broken, cut, garbled and slow bodies).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::faults::Faults;
use super::pages;
use super::state::SimState;

/// Log the request and inject the faults in force: some refuse it before Jenkins sees it,
/// others damage the answer on its way out.
pub(super) async fn count_and_fault(
    State(s): State<Arc<SimState>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().to_string();
    let uri = req.uri().clone();
    let faults = s.faults.read().map(|f| f.clone()).unwrap_or_default();
    delay(&s, &faults).await;
    if faults.hang {
        // Logged with status 0: it never gets one.
        s.record(&method, &uri, 0);
        return futures::future::pending::<Response>().await;
    }
    if let Some(refused) = refuse(&s, &faults, req.headers().contains_key("authorization")) {
        s.record(&method, &uri, refused.status().as_u16());
        return refused;
    }
    let resp = next.run(req).await;
    s.record(&method, &uri, resp.status().as_u16());
    damage(&faults, resp).await
}

/// The fixed latency plus a random jitter.
async fn delay(s: &SimState, faults: &Faults) {
    let mut delay = faults.latency_ms;
    if faults.jitter_ms > 0 {
        delay += (s.roll() * (faults.jitter_ms as f64 + 1.0)) as u64;
    }
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
}

/// The answer given in Jenkins' stead, if a fault says so: start-up 503, an injected
/// error status, or 401 for revoked credentials.
fn refuse(s: &SimState, faults: &Faults, with_credentials: bool) -> Option<Response> {
    let controller = s
        .world
        .read()
        .map(|w| w.controller.clone())
        .unwrap_or_default();
    if s.started.elapsed() < Duration::from_millis(faults.startup_ms) {
        return Some(pages::starting(&controller));
    }
    if faults.error_rate > 0.0 && s.roll() < faults.error_rate && !faults.error_statuses.is_empty()
    {
        let code = faults.error_statuses[s.pick(faults.error_statuses.len())];
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Some(pages::injected(&controller, status));
    }
    if faults.reject_credentials && with_credentials {
        return Some(pages::unauthorized());
    }
    None
}

/// Jenkins' answer, broken (reset), cut or garbled (JSON only), or slowed down.
async fn damage(faults: &Faults, resp: Response) -> Response {
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
    match faults.slow_body_bps.filter(|b| *b > 0) {
        Some(bps) => slow(resp, bps),
        None => resp.into_response(),
    }
}

/// Send the body at about `bps` bytes per second, in tenths of a second.
fn slow(resp: Response, bps: u64) -> Response {
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
    Response::from_parts(parts, Body::from_stream(stream))
}
