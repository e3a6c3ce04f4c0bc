//! Console log processing with bounded memory: strips console annotations,
//! normalises CRLF to LF, keeps a tail of N bytes, and searches line by line
//! with a ring of context lines. Everything works on chunks as they arrive,
//! so an annotation or a CRLF split across two chunks is handled.
//!
//! Jenkins ≥ 2.509 sends `progressiveText` raw, with hidden console notes
//! `ESC[8mha:<base64>ESC[0m` inside lines. Like Jenkins' own
//! `PlainTextConsoleOutputStream`, a note is recognised only within one line;
//! a preamble without a postamble before the end of the line is kept as text.

use std::collections::VecDeque;

const PREAMBLE: &[u8] = b"\x1b[8mha:";
const POSTAMBLE: &[u8] = b"\x1b[0m";
/// A note longer than this is not a note: the bytes are passed through, so a
/// stray preamble cannot make us buffer a whole log.
const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Lines longer than this are cut (for grep); the rest of the line is skipped.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteState {
    /// Ordinary text; `pending` holds the first bytes of a possible preamble.
    Text,
    /// Inside a note; `pending` holds the preamble and the note so far, in
    /// case the line ends without a postamble and it must be emitted after all.
    Note { postamble_matched: usize },
}

/// Streaming decoder of raw console bytes: annotation stripping plus CRLF → LF.
#[derive(Debug, Clone)]
pub struct ConsoleDecoder {
    state: NoteState,
    pending: Vec<u8>,
    pending_cr: bool,
}

impl Default for ConsoleDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleDecoder {
    /// A decoder at the start of a log.
    pub fn new() -> Self {
        ConsoleDecoder {
            state: NoteState::Text,
            pending: Vec::new(),
            pending_cr: false,
        }
    }

    /// Decodes one chunk, appending visible text to `out`. Bytes that may
    /// belong to a note or a CRLF continuing in the next chunk are held back.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                NoteState::Text if self.pending.is_empty() => {
                    // Fast path: copy up to the next byte that needs attention.
                    let rest = &input[i..];
                    let stop = rest
                        .iter()
                        .position(|&b| b == 0x1b || b == b'\r' || b == b'\n')
                        .unwrap_or(rest.len());
                    if self.pending_cr && stop > 0 {
                        out.push(b'\r');
                        self.pending_cr = false;
                    }
                    out.extend_from_slice(&rest[..stop]);
                    i += stop;
                    if let Some(&b) = input.get(i) {
                        if b == 0x1b {
                            self.pending.push(b);
                        } else {
                            self.emit(b, out);
                        }
                        i += 1;
                    }
                }
                NoteState::Text => {
                    let b = input[i];
                    let matched = self.pending.len();
                    if b == PREAMBLE[matched] {
                        self.pending.push(b);
                        if self.pending.len() == PREAMBLE.len() {
                            self.state = NoteState::Note {
                                postamble_matched: 0,
                            };
                        }
                        i += 1;
                    } else {
                        // Not a preamble after all: release the held bytes and
                        // look at `b` again from scratch (it may be a new ESC).
                        self.flush_pending(out);
                    }
                }
                NoteState::Note { postamble_matched } => {
                    let b = input[i];
                    i += 1;
                    if b == b'\n' {
                        // The line ended inside the "note": Jenkins keeps it as text.
                        self.flush_pending(out);
                        self.state = NoteState::Text;
                        self.emit(b, out);
                        continue;
                    }
                    self.pending.push(b);
                    let matched = if b == POSTAMBLE[postamble_matched] {
                        postamble_matched + 1
                    } else if b == POSTAMBLE[0] {
                        1
                    } else {
                        0
                    };
                    if matched == POSTAMBLE.len() {
                        self.pending.clear();
                        self.state = NoteState::Text;
                    } else if self.pending.len() > MAX_NOTE_BYTES {
                        self.flush_pending(out);
                        self.state = NoteState::Text;
                    } else {
                        self.state = NoteState::Note {
                            postamble_matched: matched,
                        };
                    }
                }
            }
        }
    }

    /// Ends the stream, releasing anything held back.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.flush_pending(out);
        self.state = NoteState::Text;
        if self.pending_cr {
            out.push(b'\r');
            self.pending_cr = false;
        }
    }

    fn flush_pending(&mut self, out: &mut Vec<u8>) {
        let pending = std::mem::take(&mut self.pending);
        for &b in &pending {
            self.emit(b, out);
        }
        // Keep the allocation for the next note.
        self.pending = pending;
        self.pending.clear();
    }

    /// Emits one visible byte, turning CRLF into LF (a lone CR is kept).
    fn emit(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            if b == b'\n' {
                out.push(b'\n');
                return;
            }
            out.push(b'\r');
        }
        if b == b'\r' {
            self.pending_cr = true;
        } else {
            out.push(b);
        }
    }
}

/// Decodes a whole buffer at once (annotations stripped, CRLF → LF).
pub fn decode_console(raw: &[u8]) -> String {
    let mut decoder = ConsoleDecoder::new();
    let mut out = Vec::with_capacity(raw.len());
    decoder.push(raw, &mut out);
    decoder.finish(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Keeps the last `cap` bytes of a stream, using at most about `2 * cap`.
#[derive(Debug, Clone)]
pub struct TailBuffer {
    buf: Vec<u8>,
    cap: usize,
    dropped: bool,
}

impl TailBuffer {
    /// A buffer keeping the last `cap` bytes.
    pub fn new(cap: usize) -> Self {
        TailBuffer {
            buf: Vec::new(),
            cap,
            dropped: false,
        }
    }

    /// Appends bytes, discarding the oldest beyond the bound.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > self.cap.saturating_mul(2).max(4096) {
            let excess = self.buf.len() - self.cap;
            self.buf.drain(..excess);
            self.dropped = true;
        }
    }

    /// The last `cap` bytes, and whether anything before them was dropped.
    pub fn into_tail(mut self) -> (Vec<u8>, bool) {
        if self.buf.len() > self.cap {
            let excess = self.buf.len() - self.cap;
            self.buf.drain(..excess);
            self.dropped = true;
        }
        (self.buf, self.dropped)
    }
}

/// Drops everything up to and including the first `\n` (a partial line).
/// Without a newline the whole text is partial and nothing is kept.
pub fn drop_partial_first_line(bytes: &mut Vec<u8>) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(pos) => {
            bytes.drain(..=pos);
        }
        None => bytes.clear(),
    }
}

/// The end of a log: what [`crate::jenkins::JenkinsClient::log_tail`] returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogTail {
    /// Visible text (annotations stripped, LF line endings), whole lines only
    /// unless the log starts within the window.
    pub text: String,
    /// Size of the raw log in bytes (`X-Text-Size`).
    pub total_bytes: u64,
    /// Whether `text` starts after the beginning of the log.
    pub truncated: bool,
    /// Whether the build is still writing to the log (`X-More-Data: true`).
    pub more_data: bool,
}

/// One grep hit with its context.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrepMatch {
    /// 1-based line number in the visible log.
    pub line_number: u64,
    /// The matching line.
    pub line: String,
    /// Up to `context` lines before it (the first is `line_number - before.len()`).
    pub before: Vec<String>,
    /// Up to `context` lines after it.
    pub after: Vec<String>,
}

/// What [`crate::jenkins::JenkinsClient::log_grep`] returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogGrep {
    /// Matches in log order.
    pub matches: Vec<GrepMatch>,
    /// Lines read (all of them unless `limit_reached`).
    pub lines_scanned: u64,
    /// Size of the raw log in bytes (`X-Text-Size`) when the search began.
    pub total_bytes: u64,
    /// Whether the search stopped at `max_matches` (more may exist).
    pub limit_reached: bool,
    /// Whether the build is still writing to the log.
    pub more_data: bool,
}

/// What to look for in a log: a plain, case-sensitive substring, the lines of context
/// each side, how many matches, and whether the first or the last ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogSearch {
    /// The text a line must contain.
    pub pattern: String,
    /// Lines of context each side of a match.
    pub context: usize,
    /// Most matches returned.
    pub max_matches: usize,
    /// Keep the last matches instead of the first.
    pub from_end: bool,
}

/// Streaming substring search over decoded console bytes, keeping the first matches or,
/// from the end, the last ones (the error is usually near the end of a log); either way
/// at most `max_matches` are held.
#[derive(Debug)]
pub struct LogSearcher {
    pattern: String,
    context: usize,
    max_matches: usize,
    from_end: bool,
    line: Vec<u8>,
    line_cut: bool,
    line_number: u64,
    before: VecDeque<String>,
    matches: VecDeque<GrepMatch>,
    /// Index of the first match that still wants `after` lines.
    open_from: usize,
    /// Whether matches were left out (past the limit, or dropped from the front).
    dropped: bool,
}

impl LogSearcher {
    /// A searcher for `search`.
    pub fn new(search: &LogSearch) -> Self {
        let context = search.context;
        LogSearcher {
            pattern: search.pattern.clone(),
            context,
            max_matches: search.max_matches.max(1),
            from_end: search.from_end,
            line: Vec::new(),
            line_cut: false,
            line_number: 0,
            before: VecDeque::with_capacity(context + 1),
            matches: VecDeque::new(),
            open_from: 0,
            dropped: false,
        }
    }

    /// Whether enough matches (with their after-context) are collected: never, when the
    /// last matches are wanted.
    pub fn is_done(&self) -> bool {
        !self.from_end
            && self.matches.len() >= self.max_matches
            && self.open_from >= self.matches.len()
    }

    /// Feeds decoded bytes (from [`ConsoleDecoder`]).
    pub fn push(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() && !self.is_done() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    self.append(&rest[..pos]);
                    rest = &rest[pos + 1..];
                    self.end_line();
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
    }

    /// Ends the stream (a last line without `\n` still counts).
    pub fn finish(mut self, total_bytes: u64, more_data: bool) -> LogGrep {
        if !self.is_done() && (!self.line.is_empty() || self.line_cut) {
            self.end_line();
        }
        LogGrep {
            limit_reached: self.dropped
                || (!self.from_end && self.matches.len() >= self.max_matches),
            matches: self.matches.into(),
            lines_scanned: self.line_number,
            total_bytes,
            more_data,
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.line.len());
        if bytes.len() > room {
            self.line.extend_from_slice(&bytes[..room]);
            self.line_cut = true;
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) {
        self.line_number += 1;
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        self.line_cut = false;

        for m in self.matches.range_mut(self.open_from..) {
            m.after.push(text.clone());
        }
        while self
            .matches
            .get(self.open_from)
            .is_some_and(|m| m.after.len() >= self.context)
        {
            self.open_from += 1;
        }

        let wanted = text.contains(&self.pattern);
        if wanted && self.from_end && self.matches.len() == self.max_matches {
            self.matches.pop_front();
            self.open_from = self.open_from.saturating_sub(1);
            self.dropped = true;
        }
        if wanted && self.matches.len() < self.max_matches {
            self.matches.push_back(GrepMatch {
                line_number: self.line_number,
                line: text.clone(),
                before: self.before.iter().cloned().collect(),
                after: Vec::new(),
            });
            if self.context == 0 {
                self.open_from = self.matches.len();
            }
        }

        if self.context > 0 {
            if self.before.len() == self.context {
                self.before.pop_front();
            }
            self.before.push_back(text);
        }
    }
}

/// Remove tags and decode entities of the Pipeline REST API's HTML step logs.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        // The timestamper plugin hides a second timestamp in a display:none span.
        let hidden = rest[i..].starts_with("<span style=\"display: none\">");
        match rest[i..].find('>') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
                break;
            }
        }
        if hidden {
            if let Some(k) = rest.find("</span>") {
                rest = &rest[k + "</span>".len()..];
            }
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_chunks(raw: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut decoder = ConsoleDecoder::new();
        let mut out = Vec::new();
        let mut rest = raw;
        let mut k = 0;
        while !rest.is_empty() {
            let n = sizes[k % sizes.len()].min(rest.len()).max(1);
            decoder.push(&rest[..n], &mut out);
            rest = &rest[n..];
            k += 1;
        }
        decoder.finish(&mut out);
        out
    }

    const RAW: &[u8] = b"Started by user \x1b[8mha:////4Nmh6oaa+/=\x1b[0madmin\r\n\
\x1b[8mha:////4Hl\x1b[0m[Pipeline] node\r\nplain \x1b[31mred\x1b[0m\r\nlone\rcr\r\n";
    const VISIBLE: &[u8] =
        b"Started by user admin\n[Pipeline] node\nplain \x1b[31mred\x1b[0m\nlone\rcr\n";

    #[test]
    fn strips_annotations_and_crlf() {
        assert_eq!(decode_console(RAW).as_bytes(), VISIBLE);
    }

    #[test]
    fn stripping_survives_every_chunk_boundary() {
        for split in 0..=RAW.len() {
            let mut decoder = ConsoleDecoder::new();
            let mut out = Vec::new();
            decoder.push(&RAW[..split], &mut out);
            decoder.push(&RAW[split..], &mut out);
            decoder.finish(&mut out);
            assert_eq!(out, VISIBLE, "split at {split}");
        }
        for size in 1..8 {
            assert_eq!(decode_in_chunks(RAW, &[size]), VISIBLE, "chunks of {size}");
        }
        assert_eq!(decode_in_chunks(RAW, &[1, 3, 2, 7]), VISIBLE);
    }

    #[test]
    fn unterminated_note_is_kept_as_text() {
        let raw = b"a\x1b[8mha:xyz\nb\n";
        assert_eq!(decode_console(raw), "a\x1b[8mha:xyz\nb\n");
        // A partial preamble at the very end is released by finish().
        assert_eq!(decode_console(b"x\x1b[8m"), "x\x1b[8m");
        assert_eq!(decode_console(b"x\r"), "x\r");
        // ESC ESC: the second one may start the preamble.
        assert_eq!(decode_console(b"\x1b\x1b[8mha:n\x1b[0mz"), "\x1bz");
    }

    #[test]
    fn tail_buffer_keeps_the_end() {
        let mut tail = TailBuffer::new(10);
        for i in 0..10_000u32 {
            tail.push(format!("{i}\n").as_bytes());
        }
        let (bytes, dropped) = tail.into_tail();
        assert!(dropped);
        assert_eq!(bytes, b"9998\n9999\n");
        let mut v = b"partial\nwhole\n".to_vec();
        drop_partial_first_line(&mut v);
        assert_eq!(v, b"whole\n");
    }

    #[test]
    fn grep_with_context() {
        let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let mut s = LogSearcher::new(&LogSearch {
            pattern: "line 1".into(),
            context: 2,
            max_matches: 100,
            from_end: false,
        });
        for chunk in text.as_bytes().chunks(3) {
            s.push(chunk);
        }
        let r = s.finish(0, false);
        let numbers: Vec<u64> = r.matches.iter().map(|m| m.line_number).collect();
        assert_eq!(numbers, vec![1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        assert!(r.matches[0].before.is_empty());
        assert_eq!(r.matches[0].after, vec!["line 2", "line 3"]);
        assert_eq!(r.matches[1].before, vec!["line 8", "line 9"]);
        assert_eq!(r.matches[10].after, vec!["line 20"]);
        assert_eq!(r.lines_scanned, 20);
        assert!(!r.limit_reached);

        let mut s = LogSearcher::new(&LogSearch {
            pattern: "line".into(),
            context: 1,
            max_matches: 2,
            from_end: false,
        });
        s.push(text.as_bytes());
        assert!(s.is_done());
        let r = s.finish(0, false);
        assert_eq!(r.matches.len(), 2);
        assert_eq!(r.matches[1].after, vec!["line 3"]);
        assert!(r.limit_reached);
        assert_eq!(r.lines_scanned, 3);
    }

    #[test]
    fn grep_last_line_without_newline_and_long_lines() {
        let mut s = LogSearcher::new(&LogSearch {
            pattern: "needle".into(),
            context: 0,
            max_matches: 10,
            from_end: false,
        });
        let long = "x".repeat(MAX_LINE_BYTES * 2);
        s.push(format!("{long}\nhay\nfinal needle").as_bytes());
        let r = s.finish(0, false);
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].line_number, 3);
        assert_eq!(r.matches[0].line, "final needle");
    }

    #[test]
    fn html_step_logs_become_text() {
        let html = "<span class=\"timestamp\"><b>21:36:11</b> </span><span style=\"display: none\">[2026-11-21T21:36:11.184Z]</span> + echo a &amp; b\n";
        assert_eq!(strip_html(html), "21:36:11  + echo a & b\n");
    }

    #[test]
    fn from_the_end_keeps_the_last_matches_with_their_context() {
        let mut s = LogSearcher::new(&LogSearch {
            pattern: "ERROR".into(),
            context: 1,
            max_matches: 2,
            from_end: true,
        });
        let log: String = (1..=100)
            .map(|i| {
                if i % 10 == 0 {
                    format!("ERROR {i}\n")
                } else {
                    format!("line {i}\n")
                }
            })
            .collect();
        s.push(log.as_bytes());
        assert!(!s.is_done(), "the last matches need the whole log");
        let r = s.finish(0, false);
        let lines: Vec<u64> = r.matches.iter().map(|m| m.line_number).collect();
        assert_eq!(lines, vec![90, 100]);
        assert_eq!(r.matches[0].before, vec!["line 89"]);
        assert_eq!(r.matches[0].after, vec!["line 91"]);
        assert!(r.limit_reached, "earlier matches were left out");
    }
}
