//! Build pages go past Jenkins' newest-100 window, and only then use `allBuilds`.

mod gateway_common;

use gateway_common::{connection, Gateway, TOKEN, USER};
use jenkins_sim::{SimBuilder, World};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_pages_reach_past_the_100_build_window() {
    let sim = SimBuilder::new(World::demo(42, 0))
        .token(USER, TOKEN)
        .start()
        .await
        .expect("sim");
    let gateway = Gateway::start(vec![connection("ci-prod", &sim)]).await;
    let page = |before: Option<String>| {
        let gateway = &gateway;
        async move {
            let after = before.map_or(String::new(), |b| format!(", after: \"{b}\""));
            let q = format!(
                r#"{{ job(connection: "ci-prod", fullName: "platform/backend-service") {{
                    builds(first: 60{after}) {{ nodes {{ number result }} pageInfo {{ hasNextPage endCursor }} }} }} }}"#
            );
            let r: Value = gateway.query(&q).await;
            assert!(r["errors"].is_null(), "{r}");
            r["data"]["job"]["builds"].clone()
        }
    };
    let mut numbers = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor.clone()).await;
        numbers.extend(
            p["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["number"].as_i64().unwrap_or(0)),
        );
        if p["pageInfo"]["hasNextPage"] != true {
            break;
        }
        cursor = p["pageInfo"]["endCursor"].as_str().map(str::to_string);
        assert!(numbers.len() < 1000, "pagination terminates");
    }
    assert!(numbers.len() >= 150, "all {} builds reached", numbers.len());
    assert!(
        numbers.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let reqs: Vec<String> = sim
        .requests()
        .into_iter()
        .filter_map(|r| r.query)
        .map(|q| {
            percent_encoding::percent_decode_str(&q)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let all_builds: Vec<&String> = reqs.iter().filter(|q| q.contains("allBuilds")).collect();
    let windowed = reqs
        .iter()
        .filter(|q| q.contains("builds[") && !q.contains("allBuilds"))
        .count();
    assert!(
        windowed >= 1,
        "pages inside the window use builds: {reqs:?}"
    );
    assert!(
        !all_builds.is_empty(),
        "pages past 100 use allBuilds: {reqs:?}"
    );
    for q in all_builds {
        let range = q.rsplit('{').next().unwrap_or_default();
        let end: u32 = range
            .trim_end_matches('}')
            .split(',')
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(end > 100, "allBuilds only past the window: {q}");
    }
    gateway.stop().await;
}
