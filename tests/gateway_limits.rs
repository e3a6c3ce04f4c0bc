//! Nothing a client sends may crash the gateway, exhaust it, or turn it against Jenkins:
//! each test reproduces an attack first and checks the bound that must hold.

mod gateway_common;

use std::time::{Duration, Instant};

use gateway_common::{connection, errors, errors_with_code, recorded_sim, Gateway};
use serde_json::json;

/// The gateway still answers a real query.
async fn still_serving(gateway: &Gateway) {
    let data = gateway
        .data(r#"{ connection(name: "good") { status } }"#)
        .await;
    assert_eq!(data["connection"]["status"], "ONLINE");
    let (status, body) = gateway.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn deeply_nested_literals_are_refused_and_the_process_survives() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    // About 3 KB: a list literal nested 1,500 levels deep used to overflow a worker's stack.
    let depth = 1_500;
    for (open, close) in [("[", "]"), ("{connections:", "}")] {
        let query = format!(
            "{{ jobs(filter: {}\"x\"{}) {{ totalCount }} }}",
            open.repeat(depth),
            close.repeat(depth)
        );
        let (status, body) = gateway.post(json!({ "query": query })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            errors_with_code(&body, "NESTING_TOO_DEEP").len(),
            1,
            "{body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
    still_serving(&gateway).await;
    assert_eq!(
        good.request_count(),
        1,
        "only the final check reached Jenkins"
    );
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn fragment_doubling_is_refused_from_its_text() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    // 30 levels, each spreading the previous twice: 2^30 fields from about 1.5 KB.
    let mut query = String::from("{ connections { ...F0 } }\nfragment F0 on Connection { name }\n");
    for i in 1..=30 {
        query.push_str(&format!(
            "fragment F{i} on Connection {{ ...F{p} a: name ...F{p} }}\n",
            p = i - 1
        ));
    }
    let started = Instant::now();
    let (a, b) = tokio::join!(
        gateway.post(json!({ "query": query })),
        gateway.post(json!({ "query": query }))
    );
    for (status, body) in [a, b] {
        assert_eq!(status, 200, "{body}");
        let e = errors_with_code(&body, "TOO_MANY_FIELDS");
        assert_eq!(e.len(), 1, "{body}");
        assert_eq!(e[0]["extensions"]["limit"], 1500, "{body}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused without expanding ({:?})",
        started.elapsed()
    );
    still_serving(&gateway).await;
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn oversized_names_never_open_a_healthy_controllers_breaker() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let huge = "a".repeat(70_000);
    let query = r#"query($n: String!) { job(connection: "good", fullName: $n) { name } }"#;
    // The breaker opens after 5 consecutive failures; ten oversized names must not count.
    for _ in 0..10 {
        let body = gateway.query_vars(query, json!({ "n": huge })).await;
        let errs = errors(&body);
        assert_eq!(errs.len(), 1, "{body}");
        assert_ne!(errs[0]["extensions"]["code"], "UNREACHABLE", "{body}");
        assert_ne!(errs[0]["extensions"]["code"], "CIRCUIT_OPEN", "{body}");
        assert!(
            errs[0]["message"].as_str().unwrap_or("").len() < 1_000,
            "the name is not echoed back whole: {body}"
        );
    }
    assert_eq!(good.request_count(), 0, "nothing oversized reached Jenkins");
    let data = gateway
        .data(r#"{ job(connection: "good", fullName: "hello-freestyle") { name } }"#)
        .await;
    assert_eq!(data["job"]["name"], "hello-freestyle");
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_a_graphql_error() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let padding = " ".repeat(2 * 1024 * 1024);
    let (status, text) = gateway
        .post_raw(
            &format!(r#"{{"query": "{{ connections {{ name }} }}{padding}"}}"#),
            "application/json",
        )
        .await;
    assert_eq!(status, 413, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).expect("a JSON body");
    assert_eq!(
        errors_with_code(&body, "REQUEST_TOO_LARGE").len(),
        1,
        "{body}"
    );
    still_serving(&gateway).await;
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn a_declared_length_over_the_limit_gets_413_before_the_body_arrives() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    // 200 MB promised, 64 KiB sent, then nothing: the answer must not wait for the rest
    // (it used to wait for the body's idle timeout and answer 408).
    let addr = gateway.endpoint["http://".len()..].trim_end_matches("/graphql");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n\
                content-length: 209715200\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&vec![b' '; 64 * 1024]).await.unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("an answer before the idle timeout")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    still_serving(&gateway).await;
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn transport_and_validation_errors_carry_codes() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let (status, text) = gateway
        .post_raw(
            r#"[{"query": "{ connections { name } }"}]"#,
            "application/json",
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("BATCH_NOT_SUPPORTED"), "{text}");
    let (status, text) = gateway.post_raw("{ not json", "application/json").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("INVALID_REQUEST"), "{text}");
    for (query, code) in [
        ("{ connections { name ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let body = gateway.query(query).await;
        assert_eq!(errors_with_code(&body, code).len(), 1, "{query}: {body}");
    }
    let body = gateway
        .query_vars("query Q { connections { name } }", json!({}))
        .await;
    assert!(errors(&body).is_empty(), "{body}");
    let (_, body) = gateway
        .post(json!({ "query": "query Q { connections { name } }", "operationName": "Other" }))
        .await;
    assert_eq!(
        errors_with_code(&body, "GRAPHQL_VALIDATION_FAILED").len(),
        1,
        "{body}"
    );
    let huge_id = "x".repeat(1_000_000);
    let body = gateway
        .query_vars(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": huge_id }),
        )
        .await;
    let e = errors_with_code(&body, "BAD_ID");
    assert_eq!(e.len(), 1, "{body:.300}");
    assert!(
        e[0]["message"].as_str().unwrap_or("").len() < 200,
        "{:.300}",
        e[0]
    );
    gateway.stop().await;
    good.shutdown().await;
}

/// graphql-js' `getIntrospectionQuery()` as GraphiQL sends it (descriptions, deprecated
/// input values, `specifiedByURL`, repeatable directives).
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}"#;

#[tokio::test]
async fn the_default_limits_let_graphiql_and_the_examples_through() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let body = gateway.query(INTROSPECTION).await;
    assert!(errors(&body).is_empty(), "{body:.2000}");
    assert!(body["data"]["__schema"]["types"]
        .as_array()
        .is_some_and(|t| t.len() > 20));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/queries");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("examples") {
        let path = entry.expect("entry").path();
        let query = std::fs::read_to_string(&path).expect("example");
        let body = gateway.query(&query).await;
        let limited: Vec<_> = errors(&body)
            .into_iter()
            .filter(|e| {
                e["extensions"]["limit"].is_number()
                    || e["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
            })
            .collect();
        assert!(limited.is_empty(), "{}: {limited:?}", path.display());
        checked += 1;
    }
    assert!(checked >= 7, "{checked} examples");
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn the_amplification_query_is_refused_before_anything_reaches_jenkins() {
    let (a, b, c) = (
        recorded_sim().await,
        recorded_sim().await,
        recorded_sim().await,
    );
    let gateway = Gateway::start(vec![
        connection("a", &a),
        connection("b", &b),
        connection("c", &c),
    ])
    .await;
    // 80 bytes that became 17,429 requests to three controllers.
    let query =
        "{ jobs(first: 1000) { nodes { builds(first: 100) { nodes { stages { logTail } } } } } }";
    let body = gateway.query(query).await;
    let e = errors_with_code(&body, "QUERY_TOO_EXPENSIVE");
    assert_eq!(e.len(), 1, "{body}");
    let ext = &e[0]["extensions"];
    assert_eq!(ext["budget"], 10_000, "{body}");
    assert!(
        ext["estimate"].as_u64().is_some_and(|n| n > 10_000),
        "{body}"
    );
    assert!(body["data"].is_null(), "{body}");
    // Twenty aliases of a cheap query pass.
    let cheap: String = (0..20)
        .map(|i| format!("q{i}: job(connection: \"a\", fullName: \"hello-freestyle\") {{ name }} "))
        .collect();
    let body = gateway.query(&format!("{{ {cheap} }}")).await;
    assert!(errors(&body).is_empty(), "{body}");
    for sim in [&a, &b, &c] {
        assert!(
            sim.request_count() <= 1,
            "only the cheap query reached Jenkins"
        );
    }
    gateway.stop().await;
    for sim in [a, b, c] {
        sim.shutdown().await;
    }
}
