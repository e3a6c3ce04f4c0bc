//! The accept loop: one task per connection up to `max_connections`, a 503 beyond it,
//! backing off (never spinning) when accepting fails, and the shutdown: stop accepting at
//! once, let requests in flight finish within the grace period, cut what is left.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::connection;
use super::limits::{ConnectionLimits, REJECT_SLOTS};
use super::overload::Refuser;

/// The pause after a failed accept that is not about one connection (EMFILE, ENFILE,
/// ENOBUFS): descriptors or memory free up as connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serve `router` on `listener` until `shutdown` resolves, then drain.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = watch::channel(());
    let mut admission = Admission::new(router, limits, stopped);
    let mut failures = Burst::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = admission.connections.join_next() => log_panic(ended),
            Some(ended) = admission.refusals.join_next() => log_panic(ended),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if let Some(failed) = failures.end() {
                        tracing::info!(failed, "accepting connections again");
                    }
                    admission.admit(stream);
                }
                Err(e) if is_about_one_connection(&e) => {}
                Err(e) => {
                    if failures.start() {
                        tracing::warn!(
                            error = %e,
                            backoff_ms = ACCEPT_BACKOFF.as_millis() as u64,
                            "cannot accept connections; backing off until it recovers"
                        );
                    }
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            },
        }
    }
    // Closing the listener refuses new connections from here on.
    drop(listener);
    admission.refusals.abort_all();
    drain(admission.connections, stop, limits.shutdown_grace).await;
}

/// Who gets served: the connections being served and those being refused.
struct Admission {
    builder: Arc<auto::Builder<TokioExecutor>>,
    refuser: Arc<Refuser>,
    router: Router,
    limits: ConnectionLimits,
    stopped: watch::Receiver<()>,
    connections: JoinSet<()>,
    refusals: JoinSet<()>,
    overload: Burst,
}

impl Admission {
    fn new(router: Router, limits: ConnectionLimits, stopped: watch::Receiver<()>) -> Self {
        Admission {
            builder: Arc::new(connection::builder(&limits)),
            refuser: Refuser::new(&limits),
            router,
            limits,
            stopped,
            connections: JoinSet::new(),
            refusals: JoinSet::new(),
            overload: Burst::default(),
        }
    }

    /// Serve `stream` when under `max_connections`, else refuse it with a 503 (or, beyond
    /// the refusal slots, close it without an answer).
    fn admit(&mut self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        if self.connections.len() < self.limits.max_connections {
            if let Some(refused) = self.overload.end() {
                tracing::info!(refused, "below max_connections again");
            }
            self.connections.spawn(connection::serve(
                stream,
                self.builder.clone(),
                self.router.clone(),
                self.limits,
                self.stopped.clone(),
            ));
            return;
        }
        if self.overload.start() {
            tracing::warn!(
                max_connections = self.limits.max_connections,
                "at max_connections: new connections get 503 OVERLOADED"
            );
        }
        if self.refusals.len() < REJECT_SLOTS {
            self.refusals.spawn(self.refuser.clone().refuse(stream));
        }
    }
}

/// Ask every connection to finish, wait up to `grace`, then cut what is left.
async fn drain(mut connections: JoinSet<()>, stop: watch::Sender<()>, grace: Duration) {
    let open = connections.len();
    tracing::info!(
        open,
        grace_ms = grace.as_millis() as u64,
        "shutting down: no longer accepting; requests in flight may finish"
    );
    // No receiver left means no connection left: nothing to tell.
    let _ = stop.send(());
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_closed).await.is_ok() {
        tracing::info!(open, cut = 0, "shut down: every connection closed");
        return;
    }
    let cut = connections.len();
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    tracing::warn!(
        open,
        cut,
        "shut down: grace period over, connections still open were cut"
    );
}

/// Failures of one connection (it was reset or aborted before it was accepted): the
/// next accept may well succeed.
fn is_about_one_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}

fn log_panic(ended: Result<(), tokio::task::JoinError>) {
    if let Err(e) = ended {
        if e.is_panic() {
            tracing::error!(error = %e, "a connection task panicked");
        }
    }
}

/// A run of like events (failed accepts, refused connections), logged once at its start
/// and once at its end with its count.
#[derive(Default)]
struct Burst {
    count: u64,
}

impl Burst {
    /// Count one; true for the first of a run.
    fn start(&mut self) -> bool {
        self.count += 1;
        self.count == 1
    }

    /// End the run: its count, if there was one.
    fn end(&mut self) -> Option<u64> {
        let count = std::mem::take(&mut self.count);
        (count > 0).then_some(count)
    }
}
