//! How big a request head may be, and how the servlet container in front of Jenkins
//! answers one that is too big.
//!
//! Jenkins' own container (Jetty in Winstone) caps the request line and the headers
//! together at `--requestHeaderSize`, 8 KiB by default. Jetty counts the head's bytes as it
//! parses them: if it is still reading the request target when the count passes the limit
//! it answers `414 URI Too Long`, otherwise `431 Request Header Fields Too Large`. Tomcat
//! (`maxHttpHeaderSize`, also 8 KiB) answers `400 Bad Request` either way.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// The servlet container Jenkins runs in, as far as over-long request heads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// Jetty in Winstone, Jenkins' own: 414 for an over-long request line, else 431.
    #[default]
    Jetty,
    /// Tomcat: 400 for any over-long head.
    Tomcat,
}

/// The size limit of a request head (request line and headers, as sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadLimit {
    /// The most bytes a head may take; `None` for no limit.
    pub max_bytes: Option<usize>,
    /// Who answers a head over the limit.
    pub container: Container,
}

/// Jetty's default `requestHeaderSize` (and Tomcat's `maxHttpHeaderSize`).
pub const DEFAULT_HEAD_BYTES: usize = 8192;

impl Default for HeadLimit {
    fn default() -> Self {
        HeadLimit {
            max_bytes: Some(DEFAULT_HEAD_BYTES),
            container: Container::Jetty,
        }
    }
}

/// The sizes of one request head that the limit is held against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeadSize {
    /// `METHOD SP request-target`: what Jetty has read when it reaches the end of the target.
    pub(super) through_target: usize,
    /// The whole head: the request line, each header line and the blank line, with their
    /// CRLFs.
    pub(super) total: usize,
}

impl HeadLimit {
    /// The status the container answers a head of this size with, if it is too big.
    pub(super) fn verdict(&self, size: HeadSize) -> Option<StatusCode> {
        let max = self.max_bytes?;
        if size.total <= max {
            return None;
        }
        Some(match self.container {
            Container::Jetty if size.through_target > max => StatusCode::URI_TOO_LONG,
            Container::Jetty => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Container::Tomcat => StatusCode::BAD_REQUEST,
        })
    }
}

/// The request line of a head (`METHOD SP request-target SP HTTP/1.1`), split.
pub(super) struct RequestLine<'a> {
    pub(super) method: &'a str,
    pub(super) target: &'a str,
}

/// Split a request line; a line without spaces is all target (as Jetty would still be
/// reading it).
pub(super) fn request_line(line: &[u8]) -> RequestLine<'_> {
    let line = std::str::from_utf8(line).unwrap_or("");
    let (method, rest) = line.split_once(' ').unwrap_or(("", line));
    let target = rest.split_once(' ').map_or(rest, |(t, _)| t);
    RequestLine { method, target }
}

/// The size of a head whose bytes are `head`: complete (through the blank line) or, if
/// it never ended, as far as it was read.
pub(super) fn head_size(head: &[u8]) -> HeadSize {
    let line_end = find(head, b"\r\n").unwrap_or(head.len());
    let line = request_line(&head[..line_end]);
    let through_target = if line.method.is_empty() {
        line.target.len()
    } else {
        line.method.len() + 1 + line.target.len()
    };
    HeadSize {
        through_target,
        total: head.len(),
    }
}

/// Where `needle` first occurs in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(max: usize, container: Container) -> HeadLimit {
        HeadLimit {
            max_bytes: Some(max),
            container,
        }
    }

    #[test]
    fn a_head_within_the_limit_passes() {
        let head = b"GET /api/json HTTP/1.1\r\nHost: x\r\n\r\n";
        let size = head_size(head);
        assert_eq!(size.total, head.len());
        assert_eq!(size.through_target, "GET /api/json".len());
        assert_eq!(limit(head.len(), Container::Jetty).verdict(size), None);
    }

    #[test]
    fn jetty_tells_a_long_target_from_long_headers() {
        let jetty = limit(40, Container::Jetty);
        let long_target =
            head_size(b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n");
        assert_eq!(jetty.verdict(long_target), Some(StatusCode::URI_TOO_LONG));
        let long_headers =
            head_size(b"GET / HTTP/1.1\r\nCookie: aaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");
        assert_eq!(
            jetty.verdict(long_headers),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let tomcat = limit(40, Container::Tomcat);
        assert_eq!(tomcat.verdict(long_target), Some(StatusCode::BAD_REQUEST));
        assert_eq!(tomcat.verdict(long_headers), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn no_limit_passes_everything() {
        let off = HeadLimit {
            max_bytes: None,
            container: Container::Jetty,
        };
        assert_eq!(off.verdict(head_size(&[b'a'; 100_000])), None);
    }
}
