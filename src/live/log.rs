//! Tailing a build's log (`tail -f` across controllers): one poller per build someone
//! tails reads `progressiveText` from the last offset every interval and decodes it
//! (annotations stripped, LF line endings) into pieces; the last part of the text is kept
//! in a bounded ring so that subscribers who join late, or fall behind, pick up from it.
//! Text older than the ring is read again from the start of the log by the subscriber
//! that needs it, streamed, so memory stays bounded whatever the log's size.

use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, watch};

use super::cadence::Cadence;
use super::events::LogPiece;
use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::log::ConsoleDecoder;
use crate::jenkins::{ForwardedCredentials, JenkinsError, QueryBudget};

/// Text kept for late and lagging subscribers, bytes.
const RING_BYTES: usize = 256 * 1024;
/// Largest piece sent at once, bytes.
pub(crate) const PIECE_BYTES: usize = 16 * 1024;

/// The end of the log the poller has read so far.
#[derive(Debug, Default)]
struct Ring {
    /// Offset of `text` in the visible log.
    start: u64,
    text: String,
    /// Whether the whole log is in (the build finished).
    complete: bool,
    /// Whether the first read is done (before it, nobody is told anything).
    ready: bool,
    /// Why the log cannot be read at all.
    error: Option<JenkinsError>,
}

impl Ring {
    fn end(&self) -> u64 {
        self.start + self.text.len() as u64
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        if self.text.len() > 2 * RING_BYTES {
            let mut cut = self.text.len() - RING_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
            self.start += cut as u64;
        }
    }

    /// The text from `from` on, when the ring still holds it.
    fn since(&self, from: u64) -> Option<&str> {
        let at = usize::try_from(from.checked_sub(self.start)?).ok()?;
        self.text.get(at..)
    }
}

/// What a log poller shares with its subscribers.
pub(crate) struct LogFeed {
    events: broadcast::Sender<Arc<LogPiece>>,
    ring: Mutex<Ring>,
    ready: watch::Sender<bool>,
}

impl LogFeed {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add text read from the log; `complete` once the log ended.
    fn append(&self, text: &str, complete: bool) {
        let mut ring = self.lock();
        let mut rest = text;
        loop {
            let mut cut = rest.len().min(PIECE_BYTES);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (piece, after) = rest.split_at(cut);
            let offset = ring.end();
            ring.push(piece);
            let last = after.is_empty();
            if ring.ready && (!piece.is_empty() || (last && complete)) {
                let _ = self.events.send(Arc::new(LogPiece {
                    offset,
                    text: Arc::from(piece),
                    complete: last && complete,
                }));
            }
            if last {
                break;
            }
            rest = after;
        }
        if complete {
            ring.complete = true;
        }
    }

    fn set_ready(&self, error: Option<JenkinsError>) {
        {
            let mut ring = self.lock();
            ring.ready = true;
            ring.error = error;
        }
        self.ready.send_replace(true);
    }

    fn restart(&self) {
        *self.lock() = Ring::default();
    }
}

/// The poller behind a [`LogFeed`].
pub(crate) struct LogPoller {
    gateway: GatewayState,
    up: Arc<Upstream>,
    job: String,
    number: u32,
    forwarded: Option<ForwardedCredentials>,
    feed: Arc<LogFeed>,
    raw: u64,
    decoder: ConsoleDecoder,
    carry: Vec<u8>,
}

impl LogPoller {
    /// A feed and the poller that fills it.
    pub(crate) fn start(
        gateway: &GatewayState,
        up: Arc<Upstream>,
        job: String,
        number: u32,
        forwarded: Option<ForwardedCredentials>,
    ) -> (
        Arc<LogFeed>,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let feed = Arc::new(LogFeed {
            events: broadcast::channel(gateway.config().live.subscriber_buffer).0,
            ring: Mutex::new(Ring::default()),
            ready: watch::channel(false).0,
        });
        let poller = LogPoller {
            gateway: gateway.clone(),
            up,
            job,
            number,
            forwarded,
            feed: Arc::clone(&feed),
            raw: 0,
            decoder: ConsoleDecoder::new(),
            carry: Vec::new(),
        };
        (feed, poller.run())
    }

    async fn run(mut self) {
        let live = &self.gateway.config().live;
        let mut cadence = Cadence::new(live.log_interval(), live.max_backoff());
        loop {
            cadence.begin();
            let first = !self.feed.lock().ready;
            match self.read(first).await {
                Ok(true) => return,
                Ok(false) => {
                    if first {
                        self.feed.set_ready(None);
                    }
                    cadence.end(true);
                }
                Err(e) if first => {
                    // Nothing can be told of a log that cannot be read at all.
                    self.feed.set_ready(Some(e));
                    return;
                }
                Err(_) => {
                    cadence.end(false);
                }
            }
            cadence.sleep().await;
        }
    }

    /// Read what the log gained since the last read; whether it is complete. The first
    /// read streams into the ring as it goes (the log may be long); later ones are kept
    /// whole until they succeed, so a read that fails halfway is read again, not twice.
    async fn read(&mut self, first: bool) -> Result<bool, JenkinsError> {
        let budget = QueryBudget::for_poller(std::time::Duration::ZERO, self.forwarded.clone());
        let client = &self.up.client;
        let decoder = self.decoder.clone();
        let mut read = client
            .progressive(&self.job, self.number, self.raw, decoder, &budget)
            .await?;
        let mut carry = self.carry.clone();
        let mut kept = String::new();
        loop {
            match client.progressive_next(&mut read, &budget).await {
                Ok(Some(bytes)) => {
                    let text = take_utf8(&mut carry, &bytes);
                    if first {
                        self.feed.append(&text, false);
                    } else {
                        kept.push_str(&text);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if first {
                        self.feed.restart();
                    }
                    return Err(e);
                }
            }
        }
        let complete = !read.more();
        if complete && !carry.is_empty() {
            kept.push_str(&String::from_utf8_lossy(&carry));
            carry.clear();
        }
        self.raw = read.size().unwrap_or(self.raw);
        self.decoder = read.into_decoder();
        self.carry = carry;
        if complete {
            self.feed.set_ready(None);
        }
        self.feed.append(&kept, complete);
        Ok(complete)
    }
}

/// The valid UTF-8 text of `carry` followed by `bytes`; an incomplete character at the
/// end stays in `carry` for the next bytes.
fn take_utf8(carry: &mut Vec<u8>, bytes: &[u8]) -> String {
    carry.extend_from_slice(bytes);
    let valid = match std::str::from_utf8(carry) {
        Ok(_) => carry.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => carry.len(),
    };
    let rest = carry.split_off(valid);
    let text = String::from_utf8_lossy(carry).into_owned();
    *carry = rest;
    text
}

/// What a subscriber gets: text at an offset of the visible log.
#[derive(Debug, Clone)]
pub(crate) struct LogOut {
    /// Offset of `text` in the visible log, bytes.
    pub(crate) offset: u64,
    /// The text.
    pub(crate) text: String,
    /// Whether the log is complete after it (the last piece).
    pub(crate) complete: bool,
    /// Whether the subscriber fell behind before this piece (its text was read again).
    pub(crate) lagged: bool,
}

/// Where a subscriber starts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LogStart {
    /// At this offset of the visible log (0: the whole log).
    At(u64),
    /// The last whole lines within this many bytes, like `tail -f`.
    Tail(u64),
}

/// One subscriber's read of a tailed log.
pub(crate) struct LogSubscription<W> {
    feed: W,
    up: Arc<Upstream>,
    job: String,
    number: u32,
    forwarded: Option<ForwardedCredentials>,
    start: LogStart,
    rx: Option<broadcast::Receiver<Arc<LogPiece>>>,
    /// The next offset the subscriber needs.
    pos: u64,
    /// Text read again from the start of the log, up to the ring.
    catch_up: Option<mpsc::Receiver<Result<String, JenkinsError>>>,
    /// What follows the catch-up.
    queued: std::collections::VecDeque<LogOut>,
    lagged: bool,
    done: bool,
}

impl<W: std::ops::Deref<Target = LogFeed>> LogSubscription<W> {
    /// Follow `feed` (held by `feed`, whose drop leaves it), starting at `start`.
    pub(crate) fn new(
        feed: W,
        up: Arc<Upstream>,
        (job, number): (String, u32),
        forwarded: Option<ForwardedCredentials>,
        start: LogStart,
    ) -> Self {
        LogSubscription {
            feed,
            up,
            job,
            number,
            forwarded,
            start,
            rx: None,
            pos: 0,
            catch_up: None,
            queued: Default::default(),
            lagged: false,
            done: false,
        }
    }

    /// The next text, `None` once the log is complete and all of it was sent.
    pub(crate) async fn next(&mut self) -> Option<Result<LogOut, JenkinsError>> {
        loop {
            if let Some(rx) = &mut self.catch_up {
                match rx.recv().await {
                    Some(Ok(text)) => {
                        let offset = self.pos;
                        self.pos += text.len() as u64;
                        return Some(Ok(self.out(offset, text, false)));
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        self.catch_up = None;
                        return Some(Err(e));
                    }
                    None => self.catch_up = None,
                }
                continue;
            }
            if let Some(out) = self.queued.pop_front() {
                self.pos = out.offset + out.text.len() as u64;
                self.done |= out.complete;
                return Some(Ok(out));
            }
            if self.done {
                return None;
            }
            if self.rx.is_none() {
                if let Err(e) = self.join().await {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            }
            let piece = match self.rx.as_mut()?.recv().await {
                Ok(piece) => piece,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // What is still buffered is in the ring the resynchronisation reads.
                    self.rx = self.rx.as_ref().map(broadcast::Receiver::resubscribe);
                    self.lagged = true;
                    self.resync(None);
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => {
                    self.done = true;
                    continue;
                }
            };
            let end = piece.offset + piece.text.len() as u64;
            if end < self.pos || (end == self.pos && !piece.complete) {
                continue;
            }
            if piece.offset > self.pos {
                // A gap (it can only follow a lag): fill it, then this piece.
                self.resync(Some(piece));
                continue;
            }
            let skip = usize::try_from(self.pos - piece.offset).unwrap_or(0);
            let text = piece.text.get(skip..).unwrap_or_default().to_string();
            let offset = self.pos;
            self.pos = end;
            self.done |= piece.complete;
            return Some(Ok(self.out_complete(offset, text, piece.complete)));
        }
    }

    fn out(&mut self, offset: u64, text: String, complete: bool) -> LogOut {
        LogOut {
            offset,
            text,
            complete,
            lagged: std::mem::take(&mut self.lagged),
        }
    }

    fn out_complete(&mut self, offset: u64, text: String, complete: bool) -> LogOut {
        self.out(offset, text, complete)
    }

    /// Join the feed once its first read is done: subscribe, then take from the ring (and
    /// from the start of the log, when the ring no longer holds the start) what comes
    /// before the next piece.
    async fn join(&mut self) -> Result<(), JenkinsError> {
        let mut ready = self.feed.ready.subscribe();
        while !*ready.borrow_and_update() {
            if ready.changed().await.is_err() {
                break;
            }
        }
        let ring = self.feed.lock();
        if let Some(e) = &ring.error {
            return Err(e.clone());
        }
        self.rx = Some(self.feed.events.subscribe());
        let end = ring.end();
        self.pos = match self.start {
            LogStart::At(at) => at.min(end),
            LogStart::Tail(bytes) => {
                let from = end.saturating_sub(bytes);
                match ring.since(from.max(ring.start)) {
                    Some(text) if from > 0 => text
                        .find('\n')
                        .map_or(end, |i| from.max(ring.start) + i as u64 + 1),
                    _ => from,
                }
            }
        };
        drop(ring);
        self.resync(None);
        Ok(())
    }

    /// Queue what the subscriber misses up to the ring's end (read again from the start
    /// of the log when the ring no longer holds it), then `next`.
    fn resync(&mut self, next: Option<Arc<LogPiece>>) {
        let ring = self.feed.lock();
        let (start, end, complete) = (ring.start, ring.end(), ring.complete);
        let from = self.pos.max(start);
        let text = ring.since(from).unwrap_or_default().to_string();
        drop(ring);
        if self.pos < start {
            self.catch_up = Some(self.read_again(self.pos, start));
        }
        let lagged = std::mem::take(&mut self.lagged);
        let mut offset = from;
        let mut rest = text.as_str();
        while !rest.is_empty() || (complete && offset == end) {
            let mut cut = rest.len().min(PIECE_BYTES);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (piece, after) = rest.split_at(cut);
            self.queued.push_back(LogOut {
                offset,
                text: piece.to_string(),
                complete: complete && after.is_empty(),
                lagged: lagged && offset == from,
            });
            offset += piece.len() as u64;
            rest = after;
            if rest.is_empty() {
                break;
            }
        }
        if let Some(piece) = next.filter(|p| p.offset + p.text.len() as u64 > end) {
            let skip = usize::try_from(end.saturating_sub(piece.offset)).unwrap_or(0);
            self.queued.push_back(LogOut {
                offset: end.max(piece.offset),
                text: piece.text.get(skip..).unwrap_or_default().to_string(),
                complete: piece.complete,
                lagged: false,
            });
        }
    }

    /// Read the visible log `[from, until)` again from its start, streamed into a small
    /// channel (the subscriber drains it at its own pace).
    fn read_again(&self, from: u64, until: u64) -> mpsc::Receiver<Result<String, JenkinsError>> {
        let (tx, rx) = mpsc::channel(4);
        let up = Arc::clone(&self.up);
        let (job, number) = (self.job.clone(), self.number);
        let budget = QueryBudget::for_poller(std::time::Duration::ZERO, self.forwarded.clone());
        tokio::spawn(async move {
            let client = &up.client;
            let mut read = match client
                .progressive(&job, number, 0, ConsoleDecoder::new(), &budget)
                .await
            {
                Ok(read) => read,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let (mut at, mut carry) = (0u64, Vec::new());
            while at < until {
                let bytes = match client.progressive_next(&mut read, &budget).await {
                    Ok(Some(bytes)) => bytes,
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                let text = take_utf8(&mut carry, &bytes);
                let (lo, hi) = (at, at + text.len() as u64);
                at = hi;
                if hi <= from {
                    continue;
                }
                let a = usize::try_from(from.saturating_sub(lo)).unwrap_or(0);
                let b = usize::try_from(until.min(hi) - lo).unwrap_or(text.len());
                for piece in pieces(text.get(a..b).unwrap_or_default()) {
                    if tx.send(Ok(piece)).await.is_err() {
                        return;
                    }
                }
            }
        });
        rx
    }
}

/// `text` in pieces of at most [`PIECE_BYTES`], cut at character boundaries.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(PIECE_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, after) = rest.split_at(cut);
        out.push(piece.to_string());
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_end_and_its_offset() {
        let mut ring = Ring::default();
        ring.push(&"a".repeat(RING_BYTES));
        ring.push(&"b".repeat(RING_BYTES + 10));
        assert_eq!(ring.end(), 2 * RING_BYTES as u64 + 10);
        assert!(ring.text.len() <= 2 * RING_BYTES);
        assert_eq!(ring.since(ring.end() - 3), Some("bbb"));
        assert_eq!(ring.since(0), None, "the start is gone");
    }

    #[test]
    fn characters_split_between_reads_are_kept_whole() {
        let mut carry = Vec::new();
        let euro = "€".as_bytes();
        assert_eq!(take_utf8(&mut carry, &[b'a', euro[0]]), "a");
        assert_eq!(take_utf8(&mut carry, &euro[1..]), "€");
        assert!(carry.is_empty());
        assert_eq!(pieces(&"é".repeat(PIECE_BYTES)).len(), 2);
    }
}
