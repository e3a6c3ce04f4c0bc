//! [`ForwardedCredentials`]: a caller's own Jenkins credentials, sent instead of the
//! service account's to connections with `auth = "forward"`, so Jenkins' permissions
//! apply per user. Their cache scope is a keyed hash of the header, so users never share
//! each other's cached answers.

use reqwest::header::HeaderValue;

use crate::cache::forwarded_scope;

/// The `Authorization` value a caller sent for Jenkins, and its cache scope.
#[derive(Clone)]
pub(crate) struct ForwardedCredentials {
    header: HeaderValue,
    scope: u64,
}

impl std::fmt::Debug for ForwardedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForwardedCredentials([REDACTED])")
    }
}

impl ForwardedCredentials {
    /// Credentials from a request header's value (`Basic …`, `Bearer …`); `None` for an
    /// empty one.
    pub(crate) fn from_header(value: &HeaderValue) -> Option<Self> {
        if value.as_bytes().iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let mut header = value.clone();
        header.set_sensitive(true);
        Some(ForwardedCredentials {
            scope: forwarded_scope(header.as_bytes()),
            header,
        })
    }

    /// The value of the `Authorization` header to send.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// The cache scope of these credentials.
    pub(crate) fn scope(&self) -> u64 {
        self.scope
    }
}
