//! Who may use the HTTP endpoints, decided before a body is read: the caller of a GraphQL
//! request ([`admit`]), the admin endpoints ([`require_admin`], a middleware any router can
//! put in front of `/metrics` and `/readyz`, on the main listener or an admin one), and the
//! browser rules: a POST's content type and a GET's proof that a preflight happened.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::GatewayError;
use crate::guard::auth::{Access, Caller, Denied};
use crate::guard::server_error;

/// Media types a POST body may have: GraphQL over HTTP's, which no browser sends
/// cross-site without a preflight.
const POST_TYPES: [&str; 2] = ["application/json", "application/graphql-response+json"];

/// Headers that prove a browser asked first (a preflight), as Apollo's CSRF prevention
/// accepts them; `authorization` and a JSON content type do too.
const PREFLIGHT_HEADERS: [&str; 3] = [
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "x-requested-with",
];

/// A request refused before the schema saw it, as a GraphQL response with its status.
pub(crate) fn reject(e: &GatewayError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "errors": [server_error(e)] });
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    match e {
        GatewayError::Unauthenticated(_) => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        GatewayError::RateLimited { retry_after_s } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
        }
        _ => {}
    }
    response
}

/// The error a refusal is answered with.
fn refusal(denied: Denied) -> GatewayError {
    match denied {
        Denied::Missing => GatewayError::Unauthenticated(
            "authentication required: send Authorization: Bearer <API key or token>",
        ),
        Denied::Invalid(_) => GatewayError::Unauthenticated("the API key or token is not valid"),
        Denied::Unavailable => GatewayError::AuthUnavailable,
        Denied::RateLimited(wait) => GatewayError::RateLimited {
            retry_after_s: whole_seconds(wait),
        },
        Denied::NotAdmin => GatewayError::Forbidden,
    }
}

/// `Retry-After` counts whole seconds: round up, and never say 0.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The caller of a GraphQL request, or the response that refuses it.
pub(crate) async fn admit(access: &Access, headers: &HeaderMap) -> Result<Caller, Response> {
    access
        .authenticate(headers)
        .await
        .map_err(|d| reject(&refusal(d)))
}

/// Middleware of `/mcp`: the caller, authenticated as for `/graphql` (same keys, tokens,
/// scopes and rate limits, the same 401 and 429), put on the request for the MCP server.
pub(crate) async fn authenticate_mcp(
    State(access): State<Arc<Access>>,
    mut request: Request,
    next: Next,
) -> Response {
    match admit(&access, request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refused) => refused,
    }
}

/// `router` behind [`require_admin`]: how `/metrics` and `/readyz` are served, on the
/// main listener or any other.
pub(crate) fn admin_only<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    gateway: &crate::gateway::GatewayState,
) -> axum::Router<S> {
    router.route_layer(axum::middleware::from_fn_with_state(
        Arc::clone(gateway.access()),
        require_admin,
    ))
}

/// Middleware of `/metrics` and `/readyz`: a key with `admin = true`, unless
/// authentication is off or `auth.admin_endpoints = "open"`.
pub(crate) async fn require_admin(
    State(access): State<Arc<Access>>,
    request: Request,
    next: Next,
) -> Response {
    match access.authorize_admin(request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(denied) => reject(&refusal(denied)),
    }
}

/// The media type of a request, lowercase, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or("").trim();
    Some(essence.to_ascii_lowercase())
}

/// A POST must be JSON: `text/plain` and forms are what a page of another origin can send
/// without a preflight.
pub(crate) fn check_post_type(headers: &HeaderMap) -> Result<(), GatewayError> {
    match media_type(headers) {
        Some(t) if POST_TYPES.contains(&t.as_str()) => Ok(()),
        Some(t) => Err(GatewayError::UnsupportedMediaType(t)),
        None => Err(GatewayError::UnsupportedMediaType("none".into())),
    }
}

/// A GET runs only with a header that a browser sends cross-site only after a preflight,
/// so a page of another origin cannot make a visitor's browser run it.
pub(crate) fn check_get_preflight(headers: &HeaderMap) -> Result<(), GatewayError> {
    let json = media_type(headers).is_some_and(|t| POST_TYPES.contains(&t.as_str()));
    let proof = headers.contains_key(header::AUTHORIZATION)
        || PREFLIGHT_HEADERS
            .iter()
            .any(|h| headers.get(*h).is_some_and(|v| !v.is_empty()));
    if json || proof {
        Ok(())
    } else {
        Err(GatewayError::PreflightRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_json_posts_and_preflighted_gets() {
        assert!(check_post_type(&with("content-type", "application/json; charset=utf-8")).is_ok());
        assert!(
            check_post_type(&with("content-type", "Application/GraphQL-Response+JSON")).is_ok()
        );
        for simple in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let e = check_post_type(&with("content-type", simple)).expect_err(simple);
            assert_eq!(e.http_status(), 415);
        }
        assert!(check_post_type(&HeaderMap::new()).is_err());
        assert!(check_get_preflight(&HeaderMap::new()).is_err());
        assert!(check_get_preflight(&with("content-type", "text/plain")).is_err());
        assert!(check_get_preflight(&with("apollo-require-preflight", "true")).is_ok());
        assert!(check_get_preflight(&with("content-type", "application/json")).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
    }
}
