//! Console logs: `consoleText`, `progressiveText` and `progressiveHtml`, streamed.

use axum::body::{Body, Bytes};

use super::pages::{self, Resp};
use super::request::Req;
use crate::html::escape;
use crate::log::{crlf, strip_notes, LogSource};
use crate::world::{Build, ControllerInfo};

const CHUNK: u64 = 64 * 1024;

/// Stream `[start, end)` of a log in chunks, transformed per chunk.
fn stream_log(
    src: LogSource,
    start: u64,
    end: u64,
    annotate: fn(&[u8], &mut u8) -> Vec<u8>,
) -> Body {
    let stream =
        futures::stream::unfold((src, start, 0u8), move |(src, pos, mut prev)| async move {
            if pos >= end {
                return None;
            }
            let to = (pos + CHUNK).min(end);
            let raw = src.read(pos, to);
            let out = annotate(&raw, &mut prev);
            Some((
                Ok::<Bytes, std::io::Error>(Bytes::from(out)),
                (src, to, prev),
            ))
        });
    Body::from_stream(stream)
}

fn plain_chunk(raw: &[u8], _prev: &mut u8) -> Vec<u8> {
    strip_notes(raw)
}

fn crlf_chunk(raw: &[u8], prev: &mut u8) -> Vec<u8> {
    let mut out = if raw.first() == Some(&b'\n') && *prev == b'\r' {
        let mut v = vec![b'\n'];
        v.extend(crlf(&raw[1..]));
        v
    } else {
        crlf(raw)
    };
    if let Some(&last) = raw.last() {
        *prev = last;
    }
    out.shrink_to_fit();
    out
}

pub(super) fn console_text(src: LogSource) -> Resp {
    let len = src.len();
    // Annotations never straddle our chunks in generated logs, and literal logs are small.
    pages::text(stream_log(src, 0, len, plain_chunk))
}

fn progressive_start(r: &Req, len: u64) -> Result<u64, ()> {
    match r.param("start") {
        None | Some("") => Ok(0),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n < 0 => Err(()),
            Ok(n) if n as u64 > len => Ok(0),
            Ok(n) => Ok(n as u64),
            Err(_) => Err(()),
        },
    }
}

pub(super) fn progressive_text(c: &ControllerInfo, r: &Req, b: &Build, seed: u64) -> Resp {
    let Some((src, start, len)) = progressive(r, b, seed) else {
        return past_end(c);
    };
    let mut resp = pages::text(stream_log(src, start, len, crlf_chunk));
    size_headers(&mut resp, len, b);
    // X-Text-Size belongs before Content-Type, as Jenkins writes it.
    let h = resp.headers_mut();
    if let Some(ct) = h.remove("content-type") {
        h.insert("content-type", ct);
    }
    resp
}

pub(super) fn progressive_html(c: &ControllerInfo, r: &Req, b: &Build, seed: u64) -> Resp {
    let Some((src, start, len)) = progressive(r, b, seed) else {
        return past_end(c);
    };
    let raw = src.read(start, len.min(start + 8 * 1024 * 1024));
    let text = String::from_utf8_lossy(&strip_notes(&raw)).into_owned();
    let html: String = text
        .split_inclusive('\n')
        .map(|line| html_log_line(line, c.timestamper))
        .collect();
    // The HTML goes through the same line-end normalisation as progressiveText.
    let html = String::from_utf8_lossy(&crlf(html.as_bytes())).into_owned();
    let mut resp = pages::text(html);
    resp.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    size_headers(&mut resp, len, b);
    resp
}

/// The log of a progressive request, where to start in it, and its length; `None` when
/// Jenkins cannot read from that start.
fn progressive(r: &Req, b: &Build, seed: u64) -> Option<(LogSource, u64, u64)> {
    let src = LogSource::of(b, seed);
    let len = src.len();
    let start = progressive_start(r, len).ok()?;
    Some((src, start, len))
}

/// The 500 of a start Jenkins cannot read from.
fn past_end(c: &ControllerInfo) -> Resp {
    pages::oops(
        c,
        "java.io.EOFException: Attempted to read past the end of the log",
    )
}

/// `X-Text-Size`, and `X-More-Data` while the build runs.
fn size_headers(resp: &mut Resp, len: u64, b: &Build) {
    let h = resp.headers_mut();
    if let Ok(v) = len.to_string().parse() {
        h.insert("X-Text-Size", v);
    }
    if b.building() {
        h.insert("X-More-Data", axum::http::HeaderValue::from_static("true"));
    }
}

/// One console line as HTML. With the timestamper plugin a pipeline line that starts with
/// its `[2026-11-21T21:36:10.920Z] ` stamp shows the time of day and keeps the stamp hidden,
/// as recording 68 shows.
fn html_log_line(line: &str, timestamper: bool) -> String {
    let b = line.as_bytes();
    let stamped = timestamper
        && b.len() >= 27
        && b[0] == b'['
        && b[11] == b'T'
        && b[24] == b'Z'
        && &b[25..27] == b"] "
        && b[1..11].iter().all(|c| c.is_ascii_digit() || *c == b'-');
    if !stamped {
        return escape(line);
    }
    format!(
        "<span class=\"timestamp\"><b>{}</b> </span><span style=\"display: none\">{}</span>{}",
        &line[12..20],
        &line[..26],
        escape(&line[26..])
    )
}
