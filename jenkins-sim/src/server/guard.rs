//! The head guard: the bytes of every connection pass through it on their way to hyper,
//! so it sees each request head whole, before hyper parses it, and holds it against the
//! controller's [`HeadLimit`].
//!
//! Checking in a middleware would be too late: hyper itself refuses a request target over
//! 64 KiB (`414`) and more than 100 headers (`431`), and those requests would never reach
//! the request log. A head over the limit is replaced, for hyper, by a request for
//! `/__sim/rejected/ID`, whose handler logs the request as it was sent and answers as the
//! container would; like Jetty, the connection is then closed. A head within the limit
//! goes to hyper unchanged, then as many body bytes as `Content-Length` says, and the
//! guard waits for the next head. A chunked body is passed on as is and ends the guarding
//! of that connection (clients of Jenkins' API do not send one).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::limits::{find, head_size, request_line, HeadLimit};
use super::state::{Rejected, SimState};

/// The most head bytes read before judging: enough to log any target a client sends.
const MAX_HEAD_READ: usize = 1024 * 1024;

/// A listener whose connections go through a [`HeadGuard`].
pub(super) struct GuardedListener {
    inner: TcpListener,
    state: Arc<SimState>,
    limit: HeadLimit,
}

impl GuardedListener {
    pub(super) fn new(inner: TcpListener, state: Arc<SimState>, limit: HeadLimit) -> Self {
        GuardedListener {
            inner,
            state,
            limit,
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = HeadGuard;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (HeadGuard, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((io, addr)) => {
                    let phase = match self.limit.max_bytes {
                        Some(_) => Phase::Head,
                        None => Phase::Through,
                    };
                    let guard = HeadGuard {
                        io,
                        limit: self.limit,
                        state: self.state.clone(),
                        phase,
                        buf: Vec::new(),
                        ready: 0,
                    };
                    return (guard, addr);
                }
                // Out of file descriptors and the like: wait and accept again, as axum does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Where in the byte stream the guard is.
enum Phase {
    /// At the start of a request: its head is checked before hyper sees it.
    Head,
    /// Inside a body: this many bytes pass before the next head.
    Body(u64),
    /// Everything passes unchecked (no limit, a chunked body, or the connection's end).
    Through,
    /// A rejected head was handed on; nothing more is read from this connection.
    Closed,
}

/// One connection's bytes, checked a request head at a time.
pub(super) struct HeadGuard {
    io: TcpStream,
    limit: HeadLimit,
    state: Arc<SimState>,
    phase: Phase,
    /// Bytes read from the connection that hyper has not taken yet.
    buf: Vec<u8>,
    /// How many bytes at the front of `buf` are checked and may go to hyper.
    ready: usize,
}

impl HeadGuard {
    /// Decide what the next bytes of `buf` are; `false` when more must be read first.
    fn advance(&mut self) -> bool {
        match self.phase {
            Phase::Through if !self.buf.is_empty() => self.ready = self.buf.len(),
            Phase::Body(left) if !self.buf.is_empty() => {
                let take = usize::try_from(left).map_or(self.buf.len(), |l| l.min(self.buf.len()));
                self.ready = take;
                let left = left - take as u64;
                self.phase = if left == 0 {
                    Phase::Head
                } else {
                    Phase::Body(left)
                };
            }
            Phase::Head if !self.buf.is_empty() => return self.judge_head(),
            _ => return false,
        }
        true
    }

    /// Pass a whole head within the limit, or replace one over it; `false` while the head
    /// is still arriving.
    fn judge_head(&mut self) -> bool {
        // Empty lines before a request line are allowed; hyper skips them.
        let blank = self
            .buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        if blank > 0 {
            self.ready = blank;
            return true;
        }
        // Not HTTP (a TLS handshake, say): hyper answers it as before, unguarded.
        if !starts_like_http(&self.buf) {
            self.phase = Phase::Through;
            self.ready = self.buf.len();
            return true;
        }
        let end = find(&self.buf, b"\r\n\r\n").map(|i| i + 4);
        let Some(end) = end.or((self.buf.len() >= MAX_HEAD_READ).then_some(self.buf.len())) else {
            return false;
        };
        let head = &self.buf[..end];
        match self.limit.verdict(head_size(head)) {
            None => {
                self.phase = body_of(head);
                self.ready = end;
            }
            Some(status) => {
                let id = self
                    .state
                    .reject(rejected(head, status.as_u16(), self.limit));
                let stand_in = format!(
                    "GET /__sim/rejected/{id} HTTP/1.1\r\nHost: jenkins-sim\r\nConnection: close\r\n\r\n"
                );
                self.buf = stand_in.into_bytes();
                self.ready = self.buf.len();
                self.phase = Phase::Closed;
            }
        }
        true
    }
}

/// Whether these first bytes of a head can start a request line: a method (an HTTP
/// token, not long) and its space, or the beginning of one.
fn starts_like_http(bytes: &[u8]) -> bool {
    const LONGEST_METHOD: usize = 32;
    let method = bytes
        .iter()
        .take_while(|b| **b != b' ')
        .take(LONGEST_METHOD + 1);
    let mut len = 0;
    for &b in method {
        len += 1;
        if !(b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return false;
        }
    }
    len > 0 && len <= LONGEST_METHOD
}

/// What follows a head within the limit: its body, by `Content-Length`, or everything
/// unchecked after a chunked one.
fn body_of(head: &[u8]) -> Phase {
    let text = String::from_utf8_lossy(head);
    let mut length = 0u64;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Phase::Through;
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    if length > 0 {
        Phase::Body(length)
    } else {
        Phase::Head
    }
}

/// The request a rejected head made, as the request log shows it.
fn rejected(head: &[u8], status: u16, limit: HeadLimit) -> Rejected {
    let line_end = find(head, b"\r\n").unwrap_or(head.len());
    let line = request_line(&head[..line_end]);
    // An absolute-form target (`http://host/path`) is logged by its path, as hyper would.
    let target = match line.target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => line.target,
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    Rejected {
        method: line.method.to_string(),
        path: path.to_string(),
        query,
        status,
        container: limit.container,
    }
}

impl AsyncRead for HeadGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.ready > 0 {
                let n = this.ready.min(out.remaining());
                out.put_slice(&this.buf[..n]);
                this.buf.drain(..n);
                this.ready -= n;
                return Poll::Ready(Ok(()));
            }
            match this.phase {
                // hyper closes the connection after answering the stand-in.
                Phase::Closed => return Poll::Pending,
                Phase::Through if this.buf.is_empty() => {
                    return Pin::new(&mut this.io).poll_read(cx, out);
                }
                _ => {}
            }
            if this.advance() {
                continue;
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                // The peer is done: hand on what is left, then the end.
                this.phase = Phase::Through;
                if this.buf.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            this.buf.extend_from_slice(read.filled());
        }
    }
}

impl AsyncWrite for HeadGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
