//! GraphQL over HTTP (the GraphQL Foundation's draft): which media type an answer is
//! sent as, and with which status.
//!
//! A client that accepts `application/graphql-response+json` gets it, with a 4xx status
//! when the request failed before execution (a document that does not parse or validate:
//! the answer then has no `data`), and 200 once execution began, partial data included.
//! Other clients get `application/json` and 200 for every well-formed GraphQL answer, as
//! the draft asks for compatibility. A client that accepts neither gets 406.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The media type of the draft's GraphQL response.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// The legacy media type.
const JSON: &str = "application/json";

/// The media type an answer is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// What the client's `Accept` asks for: the first supported type in its order of
/// preference (`q`), `application/json` when it does not say, `None` when it accepts
/// nothing we send.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut offers: Vec<(f32, usize, Media)> = Vec::new();
    for (i, part) in accept.split(',').enumerate() {
        let mut params = part.split(';');
        let media = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = params
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let kind = match media.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            JSON | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if q > 0.0 {
            offers.push((q, i, kind));
        }
    }
    offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    offers.first().map(|(_, _, m)| *m)
}

/// Whether the request failed before execution began: no data, and no error belongs to
/// a field.
fn failed_before_execution(resp: &async_graphql::Response) -> bool {
    resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty())
}

/// A GraphQL answer as the client asked for it, and the size of its body. The response is
/// written straight to bytes: a large answer is never copied into a second tree first.
pub(super) fn respond(media: Media, resp: &async_graphql::Response) -> (Response, usize) {
    let request_error = failed_before_execution(resp);
    let body = if request_error {
        // The spec: an error raised before execution leaves no `data` entry.
        serde_json::to_vec(&WithoutData {
            extensions: &resp.extensions,
            errors: &resp.errors,
        })
    } else {
        serde_json::to_vec(resp)
    }
    .unwrap_or_else(|_| b"{}".to_vec());
    let status = match media {
        Media::GraphqlResponse if request_error => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let size = body.len();
    let mut http = (status, body).into_response();
    http.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    (http, size)
}

/// A response that failed before execution, as async-graphql writes one, without `data`.
#[derive(serde::Serialize)]
struct WithoutData<'a> {
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
}

/// The answer to a client that accepts no media type we send.
pub(super) fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "send Accept: application/graphql-response+json or application/json\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<Media> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).expect("header"));
        negotiate(&h)
    }

    #[test]
    fn negotiation_follows_the_clients_preference() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accept(GRAPHQL_RESPONSE), Some(Media::GraphqlResponse));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.5"),
            Some(Media::Json)
        );
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("text/html"), None);
    }
}
