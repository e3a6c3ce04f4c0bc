//! Per-key rates against a running gateway: past `requests_per_second` a key gets 429
//! with `Retry-After`; under a burst of queries, the requests jenkins-sim logs never run
//! ahead of `upstream_requests_per_second`, and a query that cannot wait for its turn gets
//! `UPSTREAM_RATE_LIMITED`; other keys are not slowed.

mod gateway_common;

use std::time::{Duration, Instant};

use futures::future::join_all;
use gateway_common::{connection, recorded_sim, Gateway};
use majordomo::config::{ApiKeyConfig, Config};
use serde_json::json;

const SLOW_KEY: &str = "slow-key-0123456789abcdef";
const FREE_KEY: &str = "free-key-0123456789abcdef";
const RATE: u32 = 5;

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test]
async fn requests_past_the_rate_get_429_with_retry_after() {
    let alpha = recorded_sim().await;
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.auth.keys = vec![ApiKeyConfig::new("slow", SLOW_KEY).with_rates(Some(2), None)];
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    let query = json!({ "query": "{ connections { name } }" });
    let auth = bearer(SLOW_KEY);
    // A burst of 2 passes (the bucket holds as many as the rate); the third is refused.
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..3 {
        let (status, headers, body) = gateway
            .post_with_headers(query.clone(), &[("authorization", &auth)])
            .await;
        statuses.push(status);
        if status == 429 {
            refused = Some((headers, body));
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (headers, body) = refused.expect("a refusal");
    // At 2 per second the next request is at most half a second away: `Retry-After` says 1.
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body.get("data").is_none(), "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, _, _) = gateway
        .post_with_headers(query, &[("authorization", &auth)])
        .await;
    assert_eq!(status, 200, "after Retry-After the key may ask again");
    gateway.stop().await;
    alpha.shutdown().await;
}

/// A query that costs exactly one upstream request and is never answered from the cache:
/// a build that does not exist (errors are not cached).
fn missing_build(n: u32) -> serde_json::Value {
    json!({ "query": format!(
        "{{ build(connection: \"alpha\", job: \"hello-freestyle\", number: {}) {{ number }} }}",
        100_000 + n
    ) })
}

#[tokio::test]
async fn the_upstream_rate_holds_under_a_burst() {
    let alpha = recorded_sim().await;
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.auth.keys = vec![
        ApiKeyConfig::new("slow", SLOW_KEY).with_rates(None, Some(RATE)),
        ApiKeyConfig::new("free", FREE_KEY),
    ];
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    let (slow, free) = (bearer(SLOW_KEY), bearer(FREE_KEY));
    alpha.reset_requests();

    const BURST: u32 = 20;
    let started = Instant::now();
    let burst = join_all((0..BURST).map(|n| {
        let auth = slow.clone();
        let gateway = &gateway;
        async move {
            gateway
                .post_with_headers(missing_build(n), &[("authorization", &auth)])
                .await
        }
    }));
    // While the burst runs, sample jenkins-sim's request log: at no moment may it hold more
    // than the bucket (RATE) plus RATE per second elapsed.
    let sampler = async {
        let mut worst: f64 = f64::MIN;
        while started.elapsed() < Duration::from_secs(6) {
            let seen = alpha.request_count() as f64;
            let allowed = f64::from(RATE) + f64::from(RATE) * started.elapsed().as_secs_f64();
            worst = worst.max(seen - allowed);
            if alpha.request_count() >= BURST as usize {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worst
    };
    let (answers, worst) = futures::join!(burst, sampler);
    let took = started.elapsed();
    assert!(
        worst <= 1.0,
        "the log ran {worst:.1} requests ahead of the rate"
    );
    for (status, _, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body["data"]["build"].is_null(), "{body}");
    }
    assert_eq!(
        alpha.request_count(),
        BURST as usize,
        "every query sent its one request"
    );
    // The first RATE go at once, the other 15 at RATE per second: at least 3 s.
    let least = Duration::from_secs_f64(f64::from(BURST - RATE) / f64::from(RATE));
    assert!(
        took >= least - Duration::from_millis(100),
        "{BURST} at {RATE}/s took {took:?}"
    );

    // Another key is not slowed by the first key's rate.
    let started = Instant::now();
    let free_answers = join_all((100..110).map(|n| {
        let auth = free.clone();
        let gateway = &gateway;
        async move {
            gateway
                .post_with_headers(missing_build(n), &[("authorization", &auth)])
                .await
        }
    }))
    .await;
    assert!(free_answers.iter().all(|(s, _, _)| *s == 200));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn a_query_that_cannot_wait_gets_upstream_rate_limited() {
    let alpha = recorded_sim().await;
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.auth.keys = vec![ApiKeyConfig::new("slow", SLOW_KEY).with_rates(None, Some(1))];
    config.limits.query_timeout_ms = 500;
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    // Three builds in one query: the first request goes, the next turn is a second away,
    // past the half-second deadline.
    let query = r#"{ a: build(connection: "alpha", job: "hello-freestyle", number: 900001) { number }
                     b: build(connection: "alpha", job: "hello-freestyle", number: 900002) { number }
                     c: build(connection: "alpha", job: "hello-freestyle", number: 900003) { number } }"#;
    let (status, _, body) = gateway
        .post_with_headers(
            json!({ "query": query }),
            &[("authorization", &bearer(SLOW_KEY))],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "UPSTREAM_RATE_LIMITED")
            .count(),
        2,
        "{body}"
    );
    assert_eq!(alpha.request_count(), 1, "only the first request was sent");
    gateway.stop().await;
    alpha.shutdown().await;
}
