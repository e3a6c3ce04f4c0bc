//! Loaders batch: sibling jobs asked for separately in one query cost one request on
//! their folder, a build's stages are fetched once however often the query names them,
//! `max_concurrent_queries` makes queries take turns, and so does
//! `limits.max_concurrent_heavy_queries` for heavy ones only.

mod gateway_common;

use gateway_common::{connection, Gateway, TOKEN, USER};
use jenkins_sim::{Faults, SimBuilder, SimHandle, World};
use majordomo::config::{Config, LimitsConfig};
use serde_json::Value;

async fn demo_sim() -> SimHandle {
    SimBuilder::new(World::demo(42, 0))
        .token(USER, TOKEN)
        .start()
        .await
        .expect("sim")
}

/// The recorded world, every answer 200 ms late.
async fn slow_sim() -> SimHandle {
    SimBuilder::new(World::recorded())
        .token(USER, TOKEN)
        .faults(Faults {
            latency_ms: 200,
            ..Default::default()
        })
        .start()
        .await
        .expect("sim")
}

/// Three cold queries, one job each, of connection `c` on the recorded world.
fn three_job_queries() -> Vec<String> {
    ["hello-freestyle", "fail-freestyle", "git-freestyle"]
        .iter()
        .map(|job| format!(r#"{{ job(connection: "c", fullName: "{job}") {{ status }} }}"#))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sibling_jobs_cost_one_request_on_their_folder() {
    let sim = demo_sim().await;
    let gateway = Gateway::start(vec![connection("ci-prod", &sim)]).await;
    let r = gateway
        .query(
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
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_is_described_once_per_query() {
    let sim = demo_sim().await;
    let gateway = Gateway::start(vec![connection("ci-prod", &sim)]).await;
    let r = gateway
        .query(
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
    gateway.stop().await;
}

/// With `max_concurrent_queries = 1`, queries take turns: three cold queries of 200 ms
/// each cannot finish in less than 600 ms (without the limit they overlap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_limits_concurrent_queries() {
    let sim = slow_sim().await;
    let gateway = Gateway::start_config(Config {
        max_concurrent_queries: 1,
        ..Config::with_connections(vec![connection("c", &sim)])
    })
    .await;
    let queries = three_job_queries();
    let started = std::time::Instant::now();
    let answers = futures::future::join_all(queries.iter().map(|q| gateway.query(q))).await;
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
    gateway.stop().await;
}

/// With `max_concurrent_heavy_queries = 1` and every query that costs Jenkins a request
/// heavy (`heavy_query_estimate = 1`), three cold job queries of 200 ms each take turns
/// (600 ms at least), while a query that costs nothing upstream (`connections { name }`,
/// estimated at 0) does not wait for them: it is answered before the last of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_queries_take_turns_and_light_ones_do_not_wait() {
    let sim = slow_sim().await;
    let gateway = Gateway::start_config(Config {
        limits: LimitsConfig {
            heavy_query_estimate: 1,
            max_concurrent_heavy_queries: Some(1),
            ..LimitsConfig::default()
        },
        ..Config::with_connections(vec![connection("c", &sim)])
    })
    .await;
    let heavy = three_job_queries();
    let started = std::time::Instant::now();
    let timed = |q: &str| {
        let q = q.to_string();
        let gateway = &gateway;
        async move {
            let answer = gateway.query(&q).await;
            (answer, started.elapsed())
        }
    };
    let (heavy, light) = tokio::join!(
        futures::future::join_all(heavy.iter().map(|q| timed(q))),
        timed("{ connections { name } }"),
    );
    assert!(
        heavy
            .iter()
            .all(|(a, _)| a["errors"].is_null() && a["data"]["job"]["status"].is_string()),
        "{heavy:?}"
    );
    let last = heavy.iter().map(|(_, t)| *t).max().expect("three answers");
    assert!(
        last >= std::time::Duration::from_millis(600),
        "heavy queries overlapped: {last:?}"
    );
    assert_eq!(
        light.0["data"]["connections"][0]["name"], "c",
        "{}",
        light.0
    );
    assert!(
        light.1 < last,
        "the light query waited: {:?} vs {last:?}",
        light.1
    );
    gateway.stop().await;
}
