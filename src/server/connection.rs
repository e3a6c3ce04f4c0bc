//! One client connection: hyper (HTTP/1.1 or HTTP/2) serving the router, with its requests
//! in flight counted so that only a connection with none and no bytes moving counts as idle;
//! closed when idle or silent, drained when the server stops.
//!
//! Two timers bound a connection. hyper's `header_read_timeout` cuts an HTTP/1.1 request
//! whose head does not arrive in time (it runs whenever hyper waits for a head, so it also
//! ends an HTTP/1.1 keep-alive connection that waits that long for its next request). The
//! watcher here closes a connection with no request in flight and no bytes moving for
//! `idle_timeout` (HTTP/2 included), and one whose first request has not begun within
//! `header_read_timeout` (hyper's timer only starts once the protocol is known, so a
//! connection that never sends a byte would otherwise stay open).
//!
//! A connection may be upgraded (a WebSocket): hyper then hands the socket to the
//! handler's own task, and this one waits until that socket is dropped, so an upgraded
//! socket still counts against `max_connections` for as long as it is open. Long-lived
//! answers (a WebSocket, an event stream) learn that the server is stopping through the
//! [`Draining`] each request carries, and close themselves.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::limits::ConnectionLimits;

/// The hyper connection builder every client connection is served with.
pub(crate) fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

/// On every request: changes (or closes) when the server starts to stop.
#[derive(Clone)]
pub(crate) struct Draining(pub(crate) watch::Receiver<()>);

/// Serve one connection until the client closes it, it is idle or silent too long, or
/// (after `stop` changes) its requests in flight are done; an upgraded one until its
/// socket is dropped.
pub(crate) async fn serve(
    stream: TcpStream,
    builder: Arc<auto::Builder<TokioExecutor>>,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    let (closed, socket_gone) = oneshot::channel::<()>();
    let io = TokioIo::new(TrackedIo {
        stream,
        activity: activity.clone(),
        _closed: closed,
    });
    let service = TowerToHyperService::new(CountedRouter {
        router,
        activity: activity.clone(),
        draining: Draining(stop.clone()),
    });
    let mut conn = Box::pin(builder.serve_connection_with_upgrades(io, service));
    let mut draining = false;
    let mut check_at = activity.opened;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            // A closed channel means the server is gone: drain too.
            _ = stop.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(check_at), if !draining => {
                match activity.next_check(&limits, Instant::now()) {
                    Ok(at) => check_at = at,
                    Err(reason) => {
                        // Nothing is in flight: dropping the connection closes the socket.
                        tracing::debug!(reason, "closing connection");
                        return;
                    }
                }
            }
        }
    }
    // Dropping the connection drops the socket, unless it was upgraded: then the socket
    // lives on in its handler's task, and this task (so the connection count) waits for it.
    drop(conn);
    let _ = socket_gone.await;
}

/// What a connection has done, shared by its socket, its requests and its watcher.
struct Activity {
    /// When the connection was accepted.
    opened: Instant,
    /// When bytes last moved or a request last finished, in ms after `opened`.
    last_ms: AtomicU64,
    /// Requests whose responses are not yet fully sent.
    in_flight: AtomicUsize,
    /// Requests begun so far.
    started: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            started: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// When to look again, or why the connection must close now.
    fn next_check(&self, limits: &ConnectionLimits, now: Instant) -> Result<Instant, &'static str> {
        let first_request_by = (self.started.load(Ordering::Acquire) == 0)
            .then(|| self.opened + limits.header_read_timeout);
        if first_request_by.is_some_and(|by| now >= by) {
            return Err("no request began within header_read_timeout");
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            // A request in flight is never cut; its end touches the clock.
            return Ok(now + limits.idle_timeout);
        }
        let last =
            self.opened + std::time::Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        let idle_until = last + limits.idle_timeout;
        if now >= idle_until {
            return Err("idle for idle_timeout");
        }
        Ok(first_request_by.map_or(idle_until, |by| by.min(idle_until)))
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::AcqRel);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }
}

/// A request in flight, from its head until its response body is sent (or dropped).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The socket, noting every read or write that moves bytes; dropping it (the connection
/// ended, or an upgraded socket closed) tells the connection's task.
struct TrackedIo {
    stream: TcpStream,
    activity: Arc<Activity>,
    _closed: oneshot::Sender<()>,
}

impl TrackedIo {
    fn moved<T>(
        &self,
        polled: Poll<std::io::Result<T>>,
        bytes: impl Fn(&T) -> usize,
    ) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Ok(done)) = &polled {
            if bytes(done) > 0 {
                self.activity.touch();
            }
        }
        polled
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.moved(polled, |n| *n)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.moved(polled, |n| *n)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The router, counting each request in flight until its response body is done.
#[derive(Clone)]
struct CountedRouter {
    router: Router,
    activity: Arc<Activity>,
    draining: Draining,
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl tower_service::Service<Request<Incoming>> for CountedRouter {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        tower_service::Service::<Request<Incoming>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> ResponseFuture {
        let in_flight = self.activity.begin();
        request.extensions_mut().insert(self.draining.clone());
        let response = self.router.call(request);
        Box::pin(async move {
            let response = response.await?;
            // The body owns the guard: the request stays in flight until hyper has sent
            // (or dropped) the last byte.
            Ok(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _held = &in_flight;
                    frame
                }))
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1,
            shutdown_grace: Duration::from_secs(30),
        }
    }

    #[test]
    fn a_connection_without_a_request_closes_after_the_header_read_timeout() {
        let activity = Activity::new();
        let at = activity
            .next_check(&limits(), activity.opened)
            .expect("open");
        assert_eq!(at, activity.opened + Duration::from_secs(10));
        assert!(activity.next_check(&limits(), at).is_err());
    }

    #[test]
    fn a_request_in_flight_is_never_idle() {
        let activity = Arc::new(Activity::new());
        let request = activity.begin();
        let hour_later = activity.opened + Duration::from_secs(3600);
        assert!(activity.next_check(&limits(), hour_later).is_ok());
        drop(request);
        let at = activity
            .next_check(&limits(), Instant::now())
            .expect("just finished");
        assert!(at >= activity.opened + Duration::from_secs(60), "{at:?}");
        assert!(activity.next_check(&limits(), at).is_err());
    }
}
