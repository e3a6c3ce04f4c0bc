//! What one query may cost Jenkins, and for how long: the query's deadline, the
//! per-exchange timeout over whole bodies, the upstream request and log-byte caps, a
//! breaker that counts bodies that trickle, and a query whose client went away.

mod gateway_common;

use std::time::{Duration, Instant};

use gateway_common::{connection, errors, errors_with_code, recorded_builder, Gateway};
use jenkins_sim::{Faults, SimBuilder, World};
use majordomo::config::Config;
use serde_json::json;

fn config(connections: Vec<majordomo::config::ConnectionConfig>) -> Config {
    Config {
        connections,
        ..Config::default()
    }
}

#[tokio::test]
async fn the_query_deadline_sends_what_arrived_and_times_out_the_rest() {
    let good = recorded_builder().start().await.expect("sim");
    let slow = recorded_builder()
        .faults(Faults {
            latency_ms: 5_000,
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let mut cfg = config(vec![connection("good", &good), connection("slow", &slow)]);
    cfg.limits.query_timeout_ms = 800;
    let gateway = Gateway::start_config(cfg).await;
    let started = Instant::now();
    let body = gateway
        .query(
            r#"{ a: job(connection: "good", fullName: "hello-freestyle") { name }
                 b: job(connection: "slow", fullName: "hello-freestyle") { name } }"#,
        )
        .await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(4_000),
        "answered at the deadline, not the controller's pace: {took:?}"
    );
    assert_eq!(body["data"]["a"]["name"], "hello-freestyle", "{body}");
    assert!(body["data"]["b"].is_null(), "{body}");
    let e = errors_with_code(&body, "TIMEOUT");
    assert_eq!(e.len(), 1, "{body}");
    assert_eq!(e[0]["path"], json!(["b"]));
    assert_eq!(e[0]["extensions"]["connection"], "slow");
    gateway.stop().await;
    good.shutdown().await;
    slow.shutdown().await;
}

#[tokio::test]
async fn a_trickling_body_times_out_and_opens_the_breaker() {
    let trickle = recorded_builder()
        .faults(Faults {
            slow_body_bps: Some(50),
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let conn = connection("trickle", &trickle).with_timeout(Duration::from_millis(300));
    let gateway = Gateway::start(vec![conn]).await;
    let query =
        r#"{ job(connection: "trickle", fullName: "hello-freestyle") { name description } }"#;
    for i in 0..5 {
        let started = Instant::now();
        let body = gateway.query(query).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "bounded by timeout_ms"
        );
        assert_eq!(
            errors_with_code(&body, "TIMEOUT").len(),
            1,
            "query {i}: {body}"
        );
    }
    // Five consecutive failures: the circuit is open, and says why.
    let body = gateway.query(query).await;
    let e = errors_with_code(&body, "CIRCUIT_OPEN");
    assert_eq!(e.len(), 1, "{body}");
    assert!(
        e[0]["message"].as_str().unwrap_or("").contains("TIMEOUT"),
        "{body}"
    );
    gateway.stop().await;
    trickle.shutdown().await;
}

#[tokio::test]
async fn the_upstream_request_cap_stops_a_query_and_says_so() {
    let good = recorded_builder().start().await.expect("sim");
    let mut cfg = config(vec![connection("good", &good)]);
    cfg.limits.max_upstream_requests = 2;
    let gateway = Gateway::start_config(cfg).await;
    let body = gateway
        .query(
            r#"{ a: build(connection: "good", job: "hello-freestyle", number: 1) { number }
                 b: build(connection: "good", job: "pipeline-failing", number: 1) { number }
                 c: build(connection: "good", job: "param-freestyle", number: 1) { number }
                 d: build(connection: "good", job: "param-freestyle", number: 2) { number } }"#,
        )
        .await;
    let over = errors_with_code(&body, "UPSTREAM_BUDGET_EXCEEDED");
    assert_eq!(over.len(), 2, "{body}");
    let answered = ["a", "b", "c", "d"]
        .iter()
        .filter(|k| body["data"][**k]["number"].is_number())
        .count();
    assert_eq!(answered, 2, "{body}");
    assert_eq!(
        good.request_count(),
        2,
        "nothing past the cap reached Jenkins"
    );
    // The next query has a budget of its own.
    let data = gateway
        .data(r#"{ build(connection: "good", job: "param-freestyle", number: 1) { number } }"#)
        .await;
    assert_eq!(data["build"]["number"], 1);
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn log_streaming_is_capped_per_query() {
    let prod = SimBuilder::new(World::demo(42, 0))
        .token(gateway_common::USER, gateway_common::TOKEN)
        .start()
        .await
        .expect("sim");
    let mut cfg = config(vec![connection("prod", &prod)]);
    cfg.limits.max_log_bytes = 2 * 1024 * 1024;
    let gateway = Gateway::start_config(cfg).await;
    // The last failed build of api-server has a 128 MiB log; a pattern that never
    // matches would stream all of it.
    let body = gateway
        .query(
            r#"{ job(connection: "prod", fullName: "platform/api-server") {
                   lastFailedBuild { log(grep: "a line nobody ever wrote") { matches { line } } } } }"#,
        )
        .await;
    let e = errors_with_code(&body, "UPSTREAM_BUDGET_EXCEEDED");
    assert_eq!(e.len(), 1, "{body}");
    assert!(
        e[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("bytes of logs"),
        "{body}"
    );
    assert!(
        body["data"]["job"]["lastFailedBuild"]["log"].is_null(),
        "{body}"
    );
    gateway.stop().await;
    prod.shutdown().await;
}

#[tokio::test]
async fn a_slow_log_stream_stops_at_the_query_deadline() {
    let slow = recorded_builder()
        .faults(Faults {
            slow_body_bps: Some(200),
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let mut cfg = config(vec![connection("slow", &slow)]);
    cfg.limits.query_timeout_ms = 1_500;
    let gateway = Gateway::start_config(cfg).await;
    let started = Instant::now();
    let body = gateway
        .query(
            r#"{ build(connection: "slow", job: "pipeline-failing", number: 1) { log { text } } }"#,
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "bounded by the deadline: {:?}",
        started.elapsed()
    );
    assert!(!errors(&body).is_empty(), "{body}");
    assert!(
        errors(&body)
            .iter()
            .all(|e| e["extensions"]["code"] == "TIMEOUT"),
        "{body}"
    );
    gateway.stop().await;
    slow.shutdown().await;
}

#[tokio::test]
async fn a_query_whose_client_went_away_stops_asking_jenkins() {
    let slow = recorded_builder()
        .faults(Faults {
            latency_ms: 300,
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let gateway = Gateway::start(vec![connection("slow", &slow)]).await;
    // A chain of dependent requests: the job, its build, the run's stages, each stage's
    // node and its step logs: a dozen round trips of 300 ms, one after another.
    let query = r#"{ job(connection: "slow", fullName: "pipeline-failing") {
        lastBuild { stages { name logTail } } } }"#;
    let client = reqwest::Client::new();
    let send = client
        .post(&gateway.endpoint)
        .json(&json!({ "query": query }))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(send.is_err(), "the client gave up");
    // Requests already sent may finish; no new ones start.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after_abort = slow.request_count();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        slow.request_count(),
        after_abort,
        "no upstream request after the client went away"
    );
    // The chain, run to the end by a patient client, takes more requests than that.
    slow.reset_requests();
    let body = gateway.query(query).await;
    assert!(errors(&body).is_empty(), "{body}");
    assert!(
        slow.request_count() > after_abort,
        "{} vs {after_abort}",
        slow.request_count()
    );
    gateway.stop().await;
    slow.shutdown().await;
}
