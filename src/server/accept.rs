//! The accept loop: one task per connection up to `max_connections`, a 503 beyond it,
//! backing off (never spinning) when accepting fails, and the shutdown: stop accepting at
//! once, let requests in flight finish within the grace period, cut what is left.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
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
    let builder = Arc::new(connection::builder(&limits));
    let refuser = Refuser::new(&limits);
    let (stop, stopped) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut refusals = JoinSet::new();
    let mut failures = Burst::default();
    let mut overload = Burst::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = connections.join_next() => log_panic(ended),
            Some(ended) = refusals.join_next() => log_panic(ended),
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) if is_about_one_connection(&e) => continue,
                    Err(e) => {
                        if failures.start() {
                            tracing::warn!(error = %e, backoff_ms = ACCEPT_BACKOFF.as_millis() as u64,
                                "cannot accept connections; backing off until it recovers");
                        }
                        tokio::select! {
                            biased;
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                        }
                    }
                };
                if let Some(failed) = failures.end() {
                    tracing::info!(failed, "accepting connections again");
                }
                let _ = stream.set_nodelay(true);
                if connections.len() < limits.max_connections {
                    if let Some(refused) = overload.end() {
                        tracing::info!(refused, "below max_connections again");
                    }
                    let serve = connection::serve(stream, builder.clone(), router.clone(), limits, stopped.clone());
                    connections.spawn(serve);
                    continue;
                }
                if overload.start() {
                    tracing::warn!(max_connections = limits.max_connections,
                        "at max_connections: new connections get 503 OVERLOADED");
                }
                // Beyond the refusal slots the stream is dropped: closed without an answer.
                if refusals.len() < REJECT_SLOTS {
                    refusals.spawn(refuser.clone().refuse(stream));
                }
            }
        }
    }
    // Closing the listener refuses new connections from here on.
    drop(listener);
    refusals.abort_all();
    drain(connections, stop, limits.shutdown_grace).await;
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
