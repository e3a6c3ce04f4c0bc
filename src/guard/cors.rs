//! Browsers: which origins may read answers (CORS), closed unless `[cors]` lists some.
//! Without a list no `access-control-*` header is ever sent, so a page of another origin
//! cannot read an answer, and its preflight is not approved. With a list, an allowed
//! origin gets exactly itself back (never `*`), for `GET` and `POST` with the listed
//! headers.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::CorsConfig;

/// The CORS layer of `config`, or `None` when no origin is allowed.
pub(crate) fn layer(config: &CorsConfig) -> Option<CorsLayer> {
    if config.allow_origins.is_empty() {
        return None;
    }
    // The config was validated: every origin and header parses.
    let origins: Vec<HeaderValue> = config
        .allow_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let headers: Vec<HeaderName> = config
        .allow_headers
        .iter()
        .filter_map(|h| HeaderName::from_bytes(h.as_bytes()).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .max_age(Duration::from_secs(config.max_age_s)),
    )
}
