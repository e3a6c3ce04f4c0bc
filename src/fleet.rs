//! The fleet page at `/` (and `/fleet`): every controller, what fails, what runs, the
//! queue, offline agents and a live build view, on one screen.
//!
//! Why this stack: a static HTML shell with one small hand-written script and stylesheet
//! (`assets/fleet/`, no framework, no build step), compiled into the binary like GraphiQL,
//! so it works on an air-gapped network and the project still builds with nothing but the
//! Rust toolchain. The page holds no data and no secret: the script reads `/graphql` like
//! any client (the same API keys and scopes) and stays live through subscriptions over
//! Server-Sent Events (`graphql-sse`'s distinct connections mode), which pass proxies that
//! block WebSockets and carry an `Authorization` header, unlike `EventSource`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

const FLEET_JS: &[u8] = include_bytes!("../assets/fleet/fleet.js");
const FLEET_CSS: &[u8] = include_bytes!("../assets/fleet/fleet.css");
const PAGE: &str = include_str!("../assets/fleet/index.html");

/// The page: a shell the script fills in.
pub(crate) async fn page() -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            // Nothing but our own script, styles and `/graphql`: no asset from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; \
                 connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                 form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        Html(PAGE),
    )
        .into_response()
}

/// `/fleet/{file}`: the compiled-in script and stylesheet.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "fleet.js" => (FLEET_JS, "text/javascript; charset=utf-8"),
        "fleet.css" => (FLEET_CSS, "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
