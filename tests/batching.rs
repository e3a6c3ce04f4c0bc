//! Loaders batch: sibling jobs asked for separately in one query cost one request on
//! their folder, and a build's stages are fetched once however often the query names them.

use jenkins_sim::{SimBuilder, World};
use majordomo::config::{Config, ConnectionConfig};
use majordomo::gateway::GatewayState;
use serde_json::{json, Value};

async fn gateway_over(
    sim: &jenkins_sim::SimHandle,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = Config::with_connections(vec![
        ConnectionConfig::new("ci-prod", sim.url()).with_credentials("admin", "t")
    ]);
    let gateway = GatewayState::new(config).expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(majordomo::server::run(listener, gateway, async {
        let _ = rx.await;
    }));
    (addr, stop)
}

async fn query(addr: std::net::SocketAddr, q: &str) -> Value {
    reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": q }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sibling_jobs_cost_one_request_on_their_folder() {
    let sim = SimBuilder::new(World::demo(42, 0))
        .token("admin", "t")
        .start()
        .await
        .expect("sim");
    let (addr, stop) = gateway_over(&sim).await;
    let r = query(
        addr,
        r#"{
          a: job(connection: "ci-prod", fullName: "platform/api-server") { fullName status }
          b: job(connection: "ci-prod", fullName: "platform/auth-service") { fullName status }
          c: job(connection: "ci-prod", fullName: "platform/web-frontend") { fullName status }
          d: job(connection: "ci-prod", fullName: "platform/no-such-job") { fullName }
        }"#,
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["a"]["fullName"], "platform/api-server");
    assert_eq!(r["data"]["c"]["fullName"], "platform/web-frontend");
    assert_eq!(r["data"]["d"], Value::Null, "a missing sibling is null");
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].path, "/job/platform/api/json");
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_is_described_once_per_query() {
    let sim = SimBuilder::new(World::demo(42, 0))
        .token("admin", "t")
        .start()
        .await
        .expect("sim");
    let (addr, stop) = gateway_over(&sim).await;
    let r = query(
        addr,
        r#"{
          job(connection: "ci-prod", fullName: "release/release-pipeline") {
            lastBuild { number stages { name } }
            lastSuccessfulBuild { number stages { name status } }
            lastCompletedBuild { number stages { duration } }
          }
        }"#,
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    let job = &r["data"]["job"];
    assert_eq!(
        job["lastBuild"]["number"], job["lastSuccessfulBuild"]["number"],
        "{r}"
    );
    let describes = sim
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/wfapi/describe"))
        .count();
    assert_eq!(describes, 1, "{:?}", sim.requests());
    let _ = stop.send(());
}

/// With `max_concurrent_queries = 1`, queries take turns: three cold queries of 200 ms
/// each cannot finish in less than 600 ms (without the limit they overlap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_limits_concurrent_queries() {
    let sim = SimBuilder::new(World::recorded())
        .token("admin", "t")
        .faults(jenkins_sim::Faults {
            latency_ms: 200,
            ..Default::default()
        })
        .start()
        .await
        .expect("sim");
    let mut config = Config::with_connections(vec![
        ConnectionConfig::new("c", sim.url()).with_credentials("admin", "t")
    ]);
    config.max_concurrent_queries = 1;
    let gateway = GatewayState::new(config).expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(majordomo::server::run(listener, gateway, async {
        let _ = rx.await;
    }));
    let started = std::time::Instant::now();
    let queries: Vec<String> = ["hello-freestyle", "fail-freestyle", "git-freestyle"]
        .iter()
        .map(|job| format!(r#"{{ job(connection: "c", fullName: "{job}") {{ status }} }}"#))
        .collect();
    let answers = futures::future::join_all(queries.iter().map(|q| query(addr, q))).await;
    let elapsed = started.elapsed();
    assert!(
        answers
            .iter()
            .all(|a| a["errors"].is_null() && a["data"]["job"]["status"].is_string()),
        "{answers:?}"
    );
    assert!(
        elapsed >= std::time::Duration::from_millis(600),
        "queries overlapped: {elapsed:?}"
    );
    let _ = stop.send(());
}
