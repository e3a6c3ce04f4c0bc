//! Console logs in bounded memory: the tail from near the end, or a search that streams
//! the whole log once.

use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::Method;

use super::transport::Upstream;
use super::{
    finished_class, Endpoint, JenkinsClient, MAX_GREP_CONTEXT, MAX_GREP_MATCHES, MAX_TAIL_BYTES,
};
use crate::cache::Loaded;
use crate::jenkins::budget::QueryBudget;
use crate::jenkins::error::JenkinsError;
use crate::jenkins::log::{
    drop_partial_first_line, ConsoleDecoder, LogGrep, LogSearch, LogSearcher, LogTail, TailBuffer,
};
use crate::jenkins::path::encode_query_value;

/// A read of a console log from a byte offset (`progressiveText?start=N`), decoded as it
/// streams; the decoder carries over from one read to the next, so a note or a CRLF split
/// between two reads of a growing log is handled.
pub(crate) struct ProgressiveRead {
    upstream: Option<Upstream>,
    decoder: ConsoleDecoder,
    size: Option<u64>,
    more: bool,
}

impl ProgressiveRead {
    /// `X-Text-Size`: where the next read starts.
    pub(crate) fn size(&self) -> Option<u64> {
        self.size
    }

    /// Whether the build still writes to the log (`X-More-Data: true`).
    pub(crate) fn more(&self) -> bool {
        self.more
    }

    /// The decoder, to carry on with the next read.
    pub(crate) fn into_decoder(self) -> ConsoleDecoder {
        self.decoder
    }
}

impl JenkinsClient {
    /// Start reading a build's console log from raw byte `start`, decoding with `decoder`
    /// (a fresh one at 0). Never cached: each offset is read once, by one poller.
    pub(crate) async fn progressive(
        &self,
        full_name: &str,
        number: u32,
        start: u64,
        decoder: ConsoleDecoder,
        budget: &QueryBudget,
    ) -> Result<ProgressiveRead, JenkinsError> {
        let path = format!(
            "{}logText/progressiveText?start={start}",
            self.build_path(full_name, number)?
        );
        let upstream = self.send(Method::GET, &path, Endpoint::Log, budget).await?;
        let (size, more) = log_headers(upstream.response.headers());
        Ok(ProgressiveRead {
            upstream: Some(upstream),
            decoder,
            size,
            more,
        })
    }

    /// The next decoded bytes of `read`, or `None` once it is over; a complete log's last
    /// bytes come out at its end, when the decoder is flushed.
    pub(crate) async fn progressive_next(
        &self,
        read: &mut ProgressiveRead,
        budget: &QueryBudget,
    ) -> Result<Option<Vec<u8>>, JenkinsError> {
        let Some(upstream) = read.upstream.as_mut() else {
            return Ok(None);
        };
        let mut out = Vec::new();
        match upstream.chunk().await {
            Ok(Some(chunk)) => {
                budget.spend_log_bytes(self.name(), chunk.len())?;
                read.decoder.push(&chunk, &mut out);
                Ok(Some(out))
            }
            Ok(None) => {
                if let Some(upstream) = read.upstream.take() {
                    self.body_read(upstream);
                }
                if read.more {
                    return Ok(None);
                }
                read.decoder.finish(&mut out);
                Ok(Some(out))
            }
            Err(e) => {
                let error = self.body_failed(upstream, e, budget);
                read.upstream = None;
                Err(error)
            }
        }
    }

    /// The end of a build's console log: at most `max_bytes` of visible text,
    /// whole lines, annotations stripped, LF line endings. Reads only the end:
    /// a HEAD learns the size (`X-Text-Size`), then a GET streams from near
    /// the end. Class: immutable once the log is complete, else volatile.
    pub(crate) async fn log_tail(
        &self,
        full_name: &str,
        number: u32,
        max_bytes: usize,
        budget: &QueryBudget,
    ) -> Result<Arc<LogTail>, JenkinsError> {
        let max_bytes = max_bytes.clamp(1, MAX_TAIL_BYTES);
        let base = format!(
            "{}logText/progressiveText",
            self.build_path(full_name, number)?
        );
        let (key, shared_key) = self.keys::<LogTail>(format!("{base}#tail={max_bytes}"), budget);
        let path = base.as_str();
        self.cached(
            key,
            shared_key,
            &base,
            Endpoint::Log,
            budget,
            move || async move {
                let tail = self.load_log_tail(path, max_bytes, budget).await?;
                Ok(Loaded {
                    weight: tail.text.len(),
                    class: finished_class(!tail.more_data),
                    body: self.shared_body(&tail),
                    value: tail,
                })
            },
        )
        .await
    }

    /// Searches a build's whole console log for lines containing `pattern`
    /// (plain, case-sensitive), streaming it chunk by chunk with bounded memory.
    /// Returns up to `max_matches` matches with `context` lines each side: the first
    /// ones, or the last ones when `from_end`.
    pub(crate) async fn log_grep(
        &self,
        full_name: &str,
        number: u32,
        search: &LogSearch,
        budget: &QueryBudget,
    ) -> Result<Arc<LogGrep>, JenkinsError> {
        if search.pattern.is_empty() {
            return Err(self.bad_request("the search pattern is empty"));
        }
        let search = LogSearch {
            context: search.context.min(MAX_GREP_CONTEXT),
            max_matches: search.max_matches.clamp(1, MAX_GREP_MATCHES),
            ..search.clone()
        };
        let base = format!(
            "{}logText/progressiveText",
            self.build_path(full_name, number)?
        );
        let (key, shared_key) = self.keys::<LogGrep>(
            format!(
                "{base}#grep={}&context={}&max={}&from_end={}",
                encode_query_value(&search.pattern),
                search.context,
                search.max_matches,
                search.from_end
            ),
            budget,
        );
        let (path, search) = (base.as_str(), &search);
        self.cached(
            key,
            shared_key,
            &base,
            Endpoint::Log,
            budget,
            move || async move {
                let grep = self.load_log_grep(path, search, budget).await?;
                let weight = grep
                    .matches
                    .iter()
                    .map(|m| {
                        m.line.len()
                            + m.before
                                .iter()
                                .chain(&m.after)
                                .map(String::len)
                                .sum::<usize>()
                    })
                    .sum::<usize>()
                    + 64;
                Ok(Loaded {
                    weight,
                    class: finished_class(!grep.more_data),
                    body: self.shared_body(&grep),
                    value: grep,
                })
            },
        )
        .await
    }

    async fn load_log_tail(
        &self,
        base: &str,
        max_bytes: usize,
        budget: &QueryBudget,
    ) -> Result<LogTail, JenkinsError> {
        // Annotations can make up most of a pipeline log's bytes, so read a
        // raw window twice the size of the visible text we keep.
        let window = (max_bytes as u64).saturating_mul(2);
        let size = self.log_size(base, budget).await?;
        let start = size.map_or(0, |size| size.saturating_sub(window));
        // Start one byte early: if that byte is '\n', the line at `start` is
        // whole. `start` never exceeds the size, since Jenkins would answer a
        // start beyond the end with the whole log.
        let fetch_from = start.saturating_sub(1);
        let upstream = self
            .send(
                Method::GET,
                &format!("{base}?start={fetch_from}"),
                Endpoint::Log,
                budget,
            )
            .await?;
        let (total, more_data) = log_headers(upstream.response.headers());
        let mut tail = TailBuffer::new(max_bytes + 1);
        self.stream_log(upstream, budget, |text| {
            tail.push(text);
            true
        })
        .await?;
        let (mut bytes, dropped) = tail.into_tail();
        let mut truncated = fetch_from > 0 || dropped;
        if truncated {
            drop_partial_first_line(&mut bytes);
        }
        if bytes.len() > max_bytes {
            bytes.drain(..bytes.len() - max_bytes);
            drop_partial_first_line(&mut bytes);
            truncated = true;
        }
        Ok(LogTail {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            total_bytes: total.or(size).unwrap_or(0),
            truncated,
            more_data,
        })
    }

    /// `X-Text-Size` of a log, from a HEAD (the body is never transferred).
    async fn log_size(
        &self,
        base: &str,
        budget: &QueryBudget,
    ) -> Result<Option<u64>, JenkinsError> {
        let path = format!("{base}?start=0");
        match self.send(Method::HEAD, &path, Endpoint::Log, budget).await {
            Ok(upstream) => {
                let size = log_headers(upstream.response.headers()).0;
                self.body_read(upstream);
                Ok(size)
            }
            // Some proxies refuse HEAD: read the headers of a GET and drop the body.
            Err(JenkinsError::BadRequest {
                status: Some(405 | 501),
                ..
            }) => {
                let upstream = self.send(Method::GET, &path, Endpoint::Log, budget).await?;
                Ok(log_headers(upstream.response.headers()).0)
            }
            Err(e) => Err(e),
        }
    }

    async fn load_log_grep(
        &self,
        base: &str,
        search: &LogSearch,
        budget: &QueryBudget,
    ) -> Result<LogGrep, JenkinsError> {
        // One request from the start: `X-Text-Size` cannot be used to page a
        // running build's log (Jenkins may send fewer lines than that size
        // covers), and a finished build's log comes whole.
        let upstream = self
            .send(
                Method::GET,
                &format!("{base}?start=0"),
                Endpoint::Log,
                budget,
            )
            .await?;
        let (size, more_data) = log_headers(upstream.response.headers());
        let mut searcher = LogSearcher::new(search);
        self.stream_log(upstream, budget, |text| {
            searcher.push(text);
            !searcher.is_done()
        })
        .await?;
        Ok(searcher.finish(size.unwrap_or(0), more_data))
    }

    /// Stream a log body through the console decoder into `sink` (annotations stripped,
    /// LF line endings) until it ends or `sink` says it has enough. Every byte read is
    /// taken from the query's log budget; the exchange stays bounded by the timeout.
    async fn stream_log(
        &self,
        mut upstream: Upstream,
        budget: &QueryBudget,
        mut sink: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), JenkinsError> {
        let mut decoder = ConsoleDecoder::new();
        let mut scratch = Vec::new();
        loop {
            let chunk = match upstream.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Err(self.body_failed(&upstream, e, budget)),
            };
            budget.spend_log_bytes(self.name(), chunk.len())?;
            decoder.push(&chunk, &mut scratch);
            let more = sink(&scratch);
            scratch.clear();
            if !more {
                // Enough: dropping the response closes the stream.
                self.body_read(upstream);
                return Ok(());
            }
        }
        decoder.finish(&mut scratch);
        sink(&scratch);
        self.body_read(upstream);
        Ok(())
    }
}

/// `X-Text-Size` and whether `X-More-Data: true` is present.
fn log_headers(headers: &HeaderMap) -> (Option<u64>, bool) {
    let size = headers
        .get("x-text-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let more = headers
        .get("x-more-data")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    (size, more)
}
