//! Browsers against a running gateway: CORS is closed unless origins are listed (a foreign
//! origin never gets `access-control-allow-origin`, an allowed one gets exactly itself);
//! `text/plain` and form POSTs, which a page may send cross-site without a preflight, are
//! refused before anything runs; a GET runs only a query and only with proof of a
//! preflight; introspection can be switched off.

mod gateway_common;

use gateway_common::{connection, recorded_sim, Gateway};
use majordomo::config::Config;
use reqwest::Method;

const QUERY_BODY: &str = r#"{"query":"{ connections { name } }"}"#;
const ALLOWED: &str = "https://dash.example.test";
const FOREIGN: &str = "https://evil.example.test";

fn preflight(origin: &str) -> Vec<(&str, &str)> {
    vec![
        ("origin", origin),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "content-type,authorization",
        ),
    ]
}

#[tokio::test]
async fn cors_is_closed_by_default_and_exact_when_configured() {
    let alpha = recorded_sim().await;
    let closed = Gateway::start(vec![connection("alpha", &alpha)]).await;
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.cors.allow_origins = vec![ALLOWED.to_string()];
    config.validate().expect("valid");
    let open = Gateway::start_config(config).await;

    for (gateway, origin) in [(&closed, ALLOWED), (&closed, FOREIGN), (&open, FOREIGN)] {
        let (_, headers, _) = gateway
            .send(Method::OPTIONS, "/graphql", &preflight(origin), None)
            .await;
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{origin}: the preflight was approved: {headers:?}"
        );
        let (status, headers, _) = gateway
            .send(
                Method::POST,
                "/graphql",
                &[("origin", origin), ("content-type", "application/json")],
                Some(QUERY_BODY.into()),
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{origin}: {headers:?}"
        );
    }
    let (_, headers, _) = open
        .send(Method::OPTIONS, "/graphql", &preflight(ALLOWED), None)
        .await;
    assert_eq!(headers["access-control-allow-origin"], ALLOWED);
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .expect("methods");
    assert!(methods.contains("POST"), "{methods}");
    let (_, headers, _) = open
        .send(
            Method::POST,
            "/graphql",
            &[("origin", ALLOWED), ("content-type", "application/json")],
            Some(QUERY_BODY.into()),
        )
        .await;
    assert_eq!(
        headers["access-control-allow-origin"], ALLOWED,
        "exactly itself, never *"
    );
    closed.stop().await;
    open.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn simple_posts_are_refused_and_gets_need_a_preflight() {
    let alpha = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("alpha", &alpha)]).await;
    alpha.reset_requests();
    let probe = r#"{"query":"{ connections { name status } }"}"#;
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("content-type", t))
            .into_iter()
            .collect();
        let (status, _, body) = gateway
            .send(Method::POST, "/graphql", &headers, Some(probe.into()))
            .await;
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert!(body.contains("UNSUPPORTED_MEDIA_TYPE"), "{body}");
        assert!(!body.contains("\"data\""), "{body}");
    }
    assert_eq!(alpha.request_count(), 0, "nothing ran");

    let get = "/graphql?query=%7B%20connections%20%7B%20name%20status%20%7D%20%7D";
    let (status, _, body) = gateway.send(Method::GET, get, &[], None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("PREFLIGHT_REQUIRED"), "{body}");
    assert_eq!(alpha.request_count(), 0, "a simple GET ran nothing");
    for proof in [
        ("apollo-require-preflight", "true"),
        ("content-type", "application/json"),
    ] {
        let (status, _, body) = gateway.send(Method::GET, get, &[proof], None).await;
        assert_eq!(status, 200, "{proof:?}: {body}");
        assert!(body.contains("\"name\":\"alpha\""), "{body}");
    }
    // GET runs queries only: no mutation exists, and none would run.
    let (status, _, body) = gateway
        .send(
            Method::GET,
            "/graphql?query=mutation%20%7B%20__typename%20%7D",
            &[("apollo-require-preflight", "true")],
            None,
        )
        .await;
    assert_eq!(status, 405, "{body}");
    assert!(body.contains("METHOD_NOT_ALLOWED"), "{body}");
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let alpha = recorded_sim().await;
    let on = Gateway::start(vec![connection("alpha", &alpha)]).await;
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.introspection = false;
    let off = Gateway::start_config(config).await;
    let query = "{ __schema { queryType { name } } }";
    assert_eq!(
        on.data(query).await["__schema"]["queryType"]["name"],
        "QueryRoot"
    );
    let body = off.query(query).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTROSPECTION_DISABLED",
        "{body}"
    );
    let hidden = off
        .query("{ ...F } fragment F on QueryRoot { __type(name: \"Job\") { name } }")
        .await;
    assert_eq!(
        hidden["errors"][0]["extensions"]["code"], "INTROSPECTION_DISABLED",
        "{hidden}"
    );
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert!(body["data"]["__schema"].is_null(), "{body}");
    // Queries still run.
    assert_eq!(
        off.data("{ connections { name } }").await["connections"][0]["name"],
        "alpha"
    );
    on.stop().await;
    off.stop().await;
    alpha.shutdown().await;
}
