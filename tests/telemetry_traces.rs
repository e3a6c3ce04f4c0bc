//! The span tree of one dashboard query, as an OTLP collector receives it: the gateway
//! exports over OTLP/HTTP to a receiver in this process (on loopback), configured through
//! `[telemetry] endpoint` exactly as in production. The caller's `traceparent` is honoured
//! and sent on to Jenkins; there is one span per upstream request the controllers logged.
//! A caller's trace that is not sampled gets no span, and its `traceparent` still reaches
//! Jenkins as received. A warm query is one span: its cache hits are counted on it, and a
//! loader batch that never waits on Jenkins makes no span.
//!
//! One test in this binary: it installs the process's global subscriber.

mod gateway_common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use gateway_common::Gateway;
use majordomo::config::{ConnectionConfig, TelemetryConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::json;
use tokio::net::TcpListener;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const UNSAMPLED_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const WARM_TRACE_ID: &str = "5ce0e9a56015fec5aadfa328ae398115";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

type Spans = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP receiver: every span POSTed to `/v1/traces`.
async fn receiver() -> (String, Spans, tokio::task::JoinHandle<()>) {
    async fn traces(State(spans): State<Spans>, body: Bytes) -> &'static str {
        let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
        let mut all = spans.lock().expect("spans");
        for rs in request.resource_spans {
            for ss in rs.scope_spans {
                all.extend(ss.spans);
            }
        }
        ""
    }
    let spans = Spans::default();
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .with_state(spans.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), spans, server)
}

/// A controller with no jobs that remembers the `traceparent` of every request.
async fn recorder() -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = Router::new()
        .route(
            "/api/json",
            get(
                |State(seen): State<Arc<Mutex<Vec<String>>>>, headers: HeaderMap| async move {
                    let parent = headers
                        .get("traceparent")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    seen.lock().expect("seen").push(parent);
                    (
                        [
                            ("x-jenkins", "2.516.2"),
                            ("content-type", "application/json"),
                        ],
                        json!({ "_class": "hudson.model.Hudson", "jobs": [] }).to_string(),
                    )
                },
            ),
        )
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/"), seen, server)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attr(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?;
    match value.value.as_ref()?.value.as_ref()? {
        Any::StringValue(s) => Some(s.clone()),
        Any::IntValue(i) => Some(i.to_string()),
        Any::BoolValue(b) => Some(b.to_string()),
        Any::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

fn dashboard() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/queries/07-dashboard.graphql"
    );
    std::fs::read_to_string(path).expect("the dashboard example")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dashboard_query_is_one_trace_with_a_span_per_upstream_request() {
    let (collector, spans, collector_task) = receiver().await;
    let guard = majordomo::telemetry::init(&TelemetryConfig {
        endpoint: Some(collector),
        ..TelemetryConfig::default()
    })
    .expect("telemetry");
    let demo = majordomo::demo::start_with(42, false)
        .await
        .expect("demo controllers");
    let (recorder_url, traceparents, recorder_task) = recorder().await;
    let mut config = demo.config.clone();
    config
        .connections
        .push(ConnectionConfig::new("recorder", recorder_url));
    // The estimate assumes a large listing of a controller it knows nothing of.
    config.limits.max_estimated_requests = 1_000_000;
    let gateway = Gateway::start_config(config).await;
    for (_, sim) in &demo.controllers {
        sim.reset_requests();
    }

    let response = reqwest::Client::new()
        .post(&gateway.endpoint)
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .json(&json!({ "query": dashboard() }))
        .send()
        .await
        .expect("query");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body["data"]["connections"].is_array(), "{body}");
    let logged: HashMap<String, Vec<String>> = demo
        .controllers
        .iter()
        .map(|(name, sim)| {
            let paths = sim.requests().into_iter().map(|r| r.path).collect();
            (name.clone(), paths)
        })
        .collect();
    // A caller that does not sample: no span is made (none of its trace is exported, see
    // below) and its traceparent goes on to Jenkins as received.
    let unsampled = format!("00-{UNSAMPLED_TRACE_ID}-{CALLER_SPAN}-00");
    let response = reqwest::Client::new()
        .post(&gateway.endpoint)
        .header("traceparent", &unsampled)
        .json(&json!({ "query": "{ connections { name quietingDown } }" }))
        .send()
        .await
        .expect("query");
    assert_eq!(response.status(), 200);
    // A point query, asked untraced (it fills the cache), then traced: warm, it is one span.
    let point = r#"{ job(connection: "ci-prod", fullName: "release/deploy-production") { status lastBuild { number result } } }"#;
    for traceparent in [
        unsampled.clone(),
        format!("00-{WARM_TRACE_ID}-{CALLER_SPAN}-01"),
    ] {
        let response = reqwest::Client::new()
            .post(&gateway.endpoint)
            .header("traceparent", traceparent)
            .json(&json!({ "query": point }))
            .send()
            .await
            .expect("query");
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(
            body["data"]["job"]["lastBuild"]["number"].is_u64(),
            "{body}"
        );
    }
    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .expect("export");
    let all = spans.lock().expect("spans").clone();
    let (warm, spans): (Vec<Span>, Vec<Span>) = all
        .into_iter()
        .partition(|s| hex(&s.trace_id) == WARM_TRACE_ID);

    // Warm: the request's span alone, with the one answer it read from the cache.
    assert_eq!(warm.len(), 1, "{warm:#?}");
    assert_eq!(warm[0].kind, SpanKind::Server as i32);
    assert_eq!(attr(&warm[0], "majordomo.cache.hits").as_deref(), Some("1"));
    assert_eq!(
        attr(&warm[0], "majordomo.upstream_requests").as_deref(),
        Some("0")
    );

    // One trace, the caller's: the request span's parent is the caller's span.
    assert!(
        spans.iter().all(|s| hex(&s.trace_id) == TRACE_ID),
        "{spans:#?}"
    );
    let requests: Vec<&Span> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Server as i32)
        .collect();
    assert_eq!(requests.len(), 1, "one request span: {spans:#?}");
    let request = requests[0];
    assert_eq!(request.name, "query Dashboard");
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN);
    assert_eq!(
        attr(request, "graphql.operation.name").as_deref(),
        Some("Dashboard")
    );
    assert_eq!(
        attr(request, "graphql.operation.type").as_deref(),
        Some("query")
    );
    assert_eq!(
        attr(request, "majordomo.outcome").as_deref(),
        Some("partial")
    );
    assert!(
        attr(request, "graphql.variables").is_none(),
        "variables are not recorded"
    );
    let by_id: HashMap<String, &Span> = spans.iter().map(|s| (hex(&s.span_id), s)).collect();
    let parent = |s: &Span| by_id.get(&hex(&s.parent_span_id)).copied();

    // Loads under the request; fetches under loads; exchanges under fetches.
    let loads: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("load "))
        .collect();
    assert!(!loads.is_empty(), "{spans:#?}");
    for load in &loads {
        assert_eq!(
            parent(load).map(|p| p.span_id.clone()),
            Some(request.span_id.clone())
        );
    }
    let fetches: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("jenkins "))
        .collect();
    for fetch in &fetches {
        let p = parent(fetch).expect("a fetch has a parent");
        assert!(
            p.name.starts_with("load "),
            "{} under {}",
            fetch.name,
            p.name
        );
        assert_eq!(
            attr(fetch, "majordomo.cache").as_deref(),
            Some("miss"),
            "cold"
        );
    }
    let exchanges: Vec<&Span> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Client as i32)
        .collect();
    for exchange in &exchanges {
        let p = parent(exchange).expect("an exchange has a parent");
        assert!(
            p.name.starts_with("jenkins "),
            "{} under {}",
            exchange.name,
            p.name
        );
        assert_eq!(exchange.name, "GET");
        assert!(attr(exchange, "http.response.status_code").is_some());
    }

    // One exchange span per request each controller logged, on the same paths.
    for (connection, paths) in &logged {
        let mut spanned: Vec<String> = exchanges
            .iter()
            .filter(|s| attr(s, "majordomo.connection").as_deref() == Some(connection))
            .filter_map(|s| attr(s, "url.path"))
            .collect();
        let mut expected = paths.clone();
        spanned.sort();
        expected.sort();
        assert_eq!(spanned, expected, "{connection}");
        assert!(!expected.is_empty(), "{connection} was asked");
    }
    let legacy = exchanges
        .iter()
        .find(|s| attr(s, "majordomo.connection").as_deref() == Some("ci-legacy"))
        .expect("ci-legacy was asked");
    assert_eq!(
        attr(legacy, "http.response.status_code").as_deref(),
        Some("401")
    );

    // The trace goes on to Jenkins: the recorder got the traceparent of its exchange span.
    let sent = traceparents.lock().expect("seen").clone();
    let recorder_spans: Vec<String> = exchanges
        .iter()
        .filter(|s| attr(s, "majordomo.connection").as_deref() == Some("recorder"))
        .map(|s| hex(&s.span_id))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], format!("00-{TRACE_ID}-{}-01", recorder_spans[0]));
    assert_eq!(sent[1], unsampled);

    gateway.stop().await;
    for (_, sim) in demo.controllers {
        sim.shutdown().await;
    }
    collector_task.abort();
    recorder_task.abort();
}
