//! Redis as the shared second-level cache, against a real redis-server (installed by
//! `.ci/install-tools redis`, started on a free loopback port): one gateway's answers serve
//! another; a restart re-asks Jenkins only for listings and running builds; three replicas
//! on one cold dashboard cost Jenkins about what one does; Redis dying or being flushed
//! never fails a query.
//!
//! Expected upstream requests come from the demo's simulated worlds (which pipeline runs
//! the dashboard reaches, which of them are still running), counted by jenkins-sim.

mod gateway_common;
mod redis_common;

use std::collections::HashMap;
use std::time::Duration;

use gateway_common::{captured_logs, errors, Gateway, TOKEN};
use jenkins_sim::world::JobKind;
use majordomo::config::Config;
use majordomo::demo::Demo;
use redis_common::RedisServer;
use serde_json::{json, Value};

const DASHBOARD: &str = include_str!("../examples/queries/07-dashboard.graphql");

/// The dashboard without durations, which grow while builds run, so answers compare equal.
fn dashboard_query() -> String {
    let query = DASHBOARD.replace("number result duration", "number result");
    assert_ne!(query, DASHBOARD);
    query
}
/// Listings and volatile answers live briefly here, so a restart finds them expired.
const LISTING_TTL_MS: u64 = 300;
const VOLATILE_TTL_MS: u64 = 100;

/// The demo's controllers (standing still) and the config of a gateway over them that
/// uses `redis`.
async fn demo_with(redis: &RedisServer) -> (Demo, Config) {
    let demo = majordomo::demo::start_with(42, false)
        .await
        .expect("demo controllers start");
    let mut config = demo.config.clone();
    config.cache.redis_url = Some(redis.url());
    config.cache.listing_ttl_ms = LISTING_TTL_MS;
    config.cache.volatile_ttl_ms = VOLATILE_TTL_MS;
    (demo, config)
}

fn reset(demo: &Demo) {
    for (_, sim) in &demo.controllers {
        sim.reset_requests();
    }
}

/// Requests each controller served since the last reset (`path?query`).
fn requests(demo: &Demo) -> HashMap<String, Vec<String>> {
    demo.controllers
        .iter()
        .map(|(name, sim)| {
            let list = sim
                .requests()
                .into_iter()
                .map(|r| match r.query {
                    Some(q) => format!("{}?{q}", r.path),
                    None => r.path,
                })
                .collect();
            (name.clone(), list)
        })
        .collect()
}

fn total(requests: &HashMap<String, Vec<String>>) -> usize {
    requests.values().map(Vec::len).sum()
}

/// Whether a request is about one build (`…/job/NAME/NUMBER/…`): anything else is a
/// listing (the root, folders, whoAmI).
fn is_build_request(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .windows(3)
        .any(|w| w[0] == "job" && !w[2].is_empty() && w[2].bytes().all(|b| b.is_ascii_digit()))
}

/// Pipeline runs the dashboard shows stages of, per controller, from the world: the last
/// build of every pipeline job at the root or one folder down; `(all, running)`.
fn dashboard_runs(demo: &Demo, connection: &str) -> (usize, usize) {
    let (_, sim) = demo
        .controllers
        .iter()
        .find(|(n, _)| n == connection)
        .expect("controller");
    sim.with_world(|world| {
        let mut all = 0;
        let mut running = 0;
        for (full_name, kind, job) in world.jobs() {
            if kind != JobKind::Pipeline || full_name.matches('/').count() > 1 {
                continue;
            }
            if let Some(last) = job.permalink("lastBuild") {
                all += 1;
                running += usize::from(last.building());
            }
        }
        (all, running)
    })
}

fn describes(list: &[String]) -> usize {
    list.iter().filter(|r| r.contains("wfapi/describe")).count()
}

/// The dashboard's data and error codes; any error other than the revoked controller's
/// fails the test.
async fn dashboard(gateway: &Gateway) -> Value {
    let (status, body) = gateway.post(json!({ "query": dashboard_query() })).await;
    assert_eq!(status, 200, "{body}");
    for error in errors(&body) {
        let connection = error["extensions"]["connection"].as_str();
        assert_eq!(connection, Some("ci-legacy"), "unexpected error: {error}");
    }
    body["data"].clone()
}

/// Where two answers first differ (a JSON pointer), if they do.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.iter().find_map(|(k, v)| {
            first_difference(v, y.get(k).unwrap_or(&Value::Null), format!("{at}/{k}"))
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} against {b}")),
    }
}

#[tokio::test]
async fn a_value_written_by_one_gateway_is_read_by_another() {
    let redis = RedisServer::start();
    let (demo, config) = demo_with(&redis).await;
    let first = Gateway::start_config(config.clone()).await;
    let second = Gateway::start_config(config).await;
    let (job, number) = demo.controllers[0].1.with_world(|world| {
        let (name, _, job) = world
            .jobs()
            .into_iter()
            .find(|(_, kind, job)| {
                *kind == JobKind::Pipeline
                    && job.permalink("lastBuild").is_some_and(|b| !b.building())
            })
            .expect("a finished pipeline run");
        (name, job.permalink("lastBuild").expect("last").number)
    });
    let query = format!(
        r#"{{ build(connection: "ci-prod", job: "{job}", number: {number}) {{ number result duration stages {{ name status }} }} }}"#
    );
    let from_first = first.data(&query).await;
    assert_eq!(from_first["build"]["number"], json!(number));
    reset(&demo);
    let from_second = second.data(&query).await;
    assert_eq!(from_second, from_first);
    let prod = &requests(&demo)["ci-prod"];
    let build_requests: Vec<_> = prod.iter().filter(|r| is_build_request(r)).collect();
    assert!(
        build_requests.is_empty(),
        "the second gateway asked Jenkins for the build: {build_requests:?}"
    );
    let keys = redis.keys();
    assert!(
        keys.iter().any(|k| k.starts_with("majordomo:v1:ci-prod:")),
        "{keys:?}"
    );
    assert!(keys.iter().all(|k| !k.contains(TOKEN)));
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn a_restarted_gateway_asks_only_for_listings_and_running_builds() {
    let redis = RedisServer::start();
    let (demo, config) = demo_with(&redis).await;
    let before = Gateway::start_config(config.clone()).await;
    let cold_data = dashboard(&before).await;
    let cold = requests(&demo);
    before.stop().await;
    for connection in ["ci-prod", "ci-staging"] {
        let (all, _) = dashboard_runs(&demo, connection);
        assert!(all > 0, "the dashboard shows runs of {connection}");
        assert_eq!(describes(&cold[connection]), all, "{connection} cold");
    }

    // Past every listing's lifetime, a new process with an empty in-process cache.
    tokio::time::sleep(Duration::from_millis(LISTING_TTL_MS * 2)).await;
    reset(&demo);
    let after = Gateway::start_config(config).await;
    let warm_data = dashboard(&after).await;
    assert!(
        warm_data == cold_data,
        "the restarted gateway answers alike"
    );
    let warm = requests(&demo);
    for (connection, list) in &warm {
        let (_, running) = dashboard_runs(&demo, connection);
        let builds: Vec<&String> = list.iter().filter(|r| is_build_request(r)).collect();
        let running_describes = if connection == "ci-legacy" {
            0
        } else {
            running
        };
        assert_eq!(
            builds.len(),
            running_describes,
            "{connection}: only running builds' describes, got {builds:?}"
        );
        assert_eq!(describes(list), running_describes, "{connection}");
        let listings = |l: &[String]| l.iter().filter(|r| !is_build_request(r)).count();
        assert_eq!(
            listings(list),
            listings(&cold[connection]),
            "{connection}: the same listings again"
        );
    }
    after.stop().await;
}

#[tokio::test]
async fn three_gateways_on_one_cold_dashboard_cost_about_one() {
    let redis = RedisServer::start();
    let (demo, config) = demo_with(&redis).await;
    let one = Gateway::start_config(config.clone()).await;
    dashboard(&one).await;
    let single = requests(&demo);
    one.stop().await;

    redis.flush();
    tokio::time::sleep(Duration::from_millis(LISTING_TTL_MS * 2)).await;
    reset(&demo);
    let mut gateways = Vec::new();
    for _ in 0..3 {
        gateways.push(Gateway::start_config(config.clone()).await);
    }
    let answers = futures::future::join_all(gateways.iter().map(dashboard)).await;
    for answer in &answers[1..] {
        if let Some(path) = first_difference(&answers[0], answer, String::new()) {
            panic!("the gateways' answers differ at {path}");
        }
    }
    let three = requests(&demo);
    // Errors are never stored, so each replica asks the controller that refuses its
    // token for itself: once each, as one gateway does.
    assert_eq!(three["ci-legacy"].len(), 3 * single["ci-legacy"].len());
    let healthy = |r: &HashMap<String, Vec<String>>| total(r) - r["ci-legacy"].len();
    let (one_healthy, three_healthy) = (healthy(&single), healthy(&three));
    assert!(
        three_healthy * 10 <= one_healthy * 11,
        "three gateways made {three_healthy} upstream requests to the healthy controllers, \
         one made {one_healthy}: {three:#?}"
    );
    for gateway in gateways {
        gateway.stop().await;
    }
}

#[tokio::test]
async fn redis_dying_fails_no_query_and_a_flushed_redis_refills() {
    let logs = captured_logs();
    let mut redis = RedisServer::start();
    let (demo, config) = demo_with(&redis).await;
    let gateway = Gateway::start_config(config.clone()).await;
    let expected = dashboard(&gateway).await;
    let stored = redis.keys().len();
    assert!(stored > 0);

    // Kill Redis while dashboards are being answered by fresh gateways (cold in-process).
    let mut queries = Vec::new();
    for _ in 0..3 {
        queries.push(Gateway::start_config(config.clone()).await);
    }
    let answering = futures::future::join_all(queries.iter().map(dashboard));
    let killing = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        redis.kill();
    };
    let (answers, ()) = tokio::join!(answering, killing);
    for answer in answers {
        assert!(answer == expected, "the same answer with Redis dying");
    }
    // Redis stays dead: still no failed query, and the failure was logged once.
    let later = Gateway::start_config(config.clone()).await;
    assert!(
        dashboard(&later).await == expected,
        "the same answer without Redis"
    );
    let (_, metrics) = later.get("/metrics").await;
    assert!(metrics.contains("majordomo_redis_down 1"), "{metrics}");
    let warnings = logs.text().matches("Redis failed").count();
    assert!(
        (1..=5).contains(&warnings),
        "one warning per gateway at most: {warnings}"
    );
    assert!(!logs.text().contains(TOKEN));

    // A new, empty Redis (as after a flush or a failover) is refilled by the next loads.
    redis.restart();
    assert!(redis.keys().is_empty());
    tokio::time::sleep(Duration::from_millis(1_200)).await; // the once-a-second retry
    tokio::time::sleep(Duration::from_millis(LISTING_TTL_MS)).await;
    let fresh = Gateway::start_config(config.clone()).await;
    assert!(
        dashboard(&fresh).await == expected,
        "the same answer after the refill"
    );
    let refilled = redis.keys().len();
    assert!(
        refilled * 10 >= stored * 9,
        "{refilled} keys after the refill, {stored} before"
    );
    // Past the running builds' lifetime, so they are asked for again.
    tokio::time::sleep(Duration::from_millis(VOLATILE_TTL_MS * 3)).await;
    reset(&demo);
    let last = Gateway::start_config(config).await;
    assert!(
        dashboard(&last).await == expected,
        "the same answer from Redis"
    );
    let warm = requests(&demo);
    for (connection, list) in &warm {
        let (_, running) = dashboard_runs(&demo, connection);
        let running = if connection == "ci-legacy" {
            0
        } else {
            running
        };
        assert_eq!(describes(list), running, "{connection} after the refill");
    }
    for g in queries.into_iter().chain([gateway, later, fresh, last]) {
        g.stop().await;
    }
}
