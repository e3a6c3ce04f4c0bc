//! Every query in `examples/queries/` runs against the demo world (standing still) and
//! answers its question; each also stays within its upstream budget, cold and warm.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use majordomo::demo;
use majordomo::gateway::GatewayState;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

struct Harness {
    demo: demo::Demo,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    client: reqwest::Client,
}

impl Harness {
    /// Demo controllers (not live) and a fresh gateway (cold cache).
    async fn start() -> Harness {
        let demo = demo::start_with(42, false)
            .await
            .expect("demo controllers start");
        let gateway = GatewayState::new(demo.config.clone()).expect("gateway config is valid");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, rx) = oneshot::channel::<()>();
        tokio::spawn(majordomo::server::run(listener, gateway, async {
            let _ = rx.await;
        }));
        Harness {
            demo,
            addr,
            stop: Some(stop),
            client: reqwest::Client::new(),
        }
    }

    async fn query(&self, query: &str) -> Value {
        let resp = self
            .client
            .post(format!("http://{}/graphql", self.addr))
            .timeout(Duration::from_secs(60))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("gateway answers");
        resp.json().await.expect("JSON response")
    }

    fn reset_counts(&self) {
        for (_, sim) in &self.demo.controllers {
            sim.reset_requests();
        }
    }

    /// Upstream requests per controller since the last reset.
    fn counts(&self) -> HashMap<String, Vec<String>> {
        self.demo
            .controllers
            .iter()
            .map(|(name, sim)| {
                let reqs = sim
                    .requests()
                    .into_iter()
                    .map(|r| match r.query {
                        Some(q) => format!("{} {}?{}", r.method, r.path, q),
                        None => format!("{} {}", r.method, r.path),
                    })
                    .collect();
                (name.clone(), reqs)
            })
            .collect()
    }
}

impl Harness {
    /// The `wfapi/describe` requests of the runs still going on a controller, as
    /// [`Harness::counts`] spells them.
    fn running_describes(&self, controller: &str) -> Vec<String> {
        let (_, sim) = self
            .demo
            .controllers
            .iter()
            .find(|(n, _)| n == controller)
            .expect("the controller");
        sim.with_world(|w| {
            w.jobs()
                .into_iter()
                .filter_map(|(full, _, j)| {
                    let b = j.builds.last().filter(|b| b.building())?;
                    let path = jenkins_sim::model::item_path(&full);
                    Some(format!("GET /{path}{}/wfapi/describe", b.number))
                })
                .collect()
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

fn example(name: &str) -> String {
    let path = format!("{}/examples/queries/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Error codes in a response.
fn codes(resp: &Value) -> Vec<String> {
    resp["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            e["extensions"]["code"]
                .as_str()
                .unwrap_or("(none)")
                .to_string()
        })
        .collect()
}

/// Only the expected errors: the revoked `ci-legacy` and freestyle jobs asked for stages.
fn assert_expected_errors(resp: &Value) {
    for c in codes(resp) {
        assert!(
            c == "UNAUTHORIZED" || c == "NOT_A_PIPELINE",
            "unexpected error {c}: {resp}"
        );
    }
}

/// The response without fields that move with the clock (waiting time, running durations).
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "waitingMs" | "duration"))
                .map(|(k, v)| (k.clone(), stable(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(stable).collect()),
        other => other.clone(),
    }
}

fn wfapi_calls(reqs: &[String]) -> usize {
    reqs.iter().filter(|r| r.contains("/wfapi/")).count()
}

/// Run a query cold, then warm; return (response, cold requests per controller, warm total).
async fn cold_and_warm(h: &Harness, query: &str) -> (Value, HashMap<String, Vec<String>>, usize) {
    h.reset_counts();
    let resp = h.query(query).await;
    let cold = h.counts();
    h.reset_counts();
    let again = h.query(query).await;
    assert_eq!(
        stable(&resp["data"]),
        stable(&again["data"]),
        "a warm answer equals the cold one"
    );
    let warm: usize = h
        .counts()
        .iter()
        .filter(|(n, _)| n.as_str() != "ci-legacy")
        .map(|(_, r)| r.len())
        .sum();
    (resp, cold, warm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_queries_answer_their_questions_within_budget() {
    let h = Harness::start().await;

    // 1. Status of the last build of deploy-production.
    let (r, cold, warm) = cold_and_warm(&h, &example("01-deploy-production-status.graphql")).await;
    assert_expected_errors(&r);
    let nodes = r["data"]["jobs"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 1, "{r}");
    assert_eq!(nodes[0]["fullName"], "release/deploy-production");
    assert_eq!(nodes[0]["lastBuild"]["result"], "SUCCESS");
    // One recursive listing per controller (folders nested into it).
    assert_eq!(cold["ci-prod"].len(), 1, "{:?}", cold["ci-prod"]);
    assert_eq!(cold["ci-staging"].len(), 1, "{:?}", cold["ci-staging"]);
    assert_eq!(warm, 0);

    // 2. The tail of the last failed build's log of api-server (a 128 MiB log).
    let (r, cold, warm) =
        cold_and_warm(&h, &example("02-api-server-last-failed-log.graphql")).await;
    assert_expected_errors(&r);
    let b = &r["data"]["job"]["lastFailedBuild"];
    assert_eq!(b["result"], "FAILURE");
    assert!(
        b["log"]["totalBytes"].as_f64().unwrap_or(0.0) >= 100.0 * 1024.0 * 1024.0,
        "{b}"
    );
    let text = b["log"]["text"].as_str().expect("text");
    assert!(text.ends_with("Finished: FAILURE\n"), "{text}");
    assert!(text.lines().count() <= 40 && !text.contains('\r') && !text.contains('\u{1b}'));
    let matches = b["errors"]["matches"].as_array().expect("matches");
    assert!(
        !matches.is_empty()
            && matches
                .iter()
                .all(|m| m["line"].as_str().unwrap_or("").contains("ERROR"))
    );
    // The job, then the tail: HEAD + GET near the end; grep streams the log once.
    let prod = &cold["ci-prod"];
    assert!(prod.len() <= 5, "{prod:?}");
    assert_eq!(warm, 0);

    // 3. Changes in backend-service #142.
    let (r, cold, warm) =
        cold_and_warm(&h, &example("03-backend-service-142-changes.graphql")).await;
    assert_expected_errors(&r);
    let changes = r["data"]["build"]["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 3, "{r}");
    let authors: std::collections::HashSet<_> =
        changes.iter().map(|c| c["author"].as_str()).collect();
    assert_eq!(authors.len(), 3);
    assert!(changes
        .iter()
        .all(|c| c["commitId"].as_str().is_some_and(|s| s.len() == 40)));
    assert_eq!(cold["ci-prod"].len(), 1, "{:?}", cold["ci-prod"]);
    assert_eq!(warm, 0);

    // 4. Stuck queue items, on any controller.
    let (r, cold, _) = cold_and_warm(&h, &example("04-stuck-queue.graphql")).await;
    assert_expected_errors(&r);
    let stuck = r["data"]["health"]["stuckQueueItems"]
        .as_array()
        .expect("stuck");
    assert!(
        stuck
            .iter()
            .any(|s| s["jobName"] == "gpu-training" && s["connection"]["name"] == "ci-prod"),
        "{r}"
    );
    // The queue is asked once per controller even though two fields read it.
    assert_eq!(cold["ci-prod"].len(), 1, "{:?}", cold["ci-prod"]);

    // 5. Stages of the latest release-pipeline run.
    let (r, cold, warm) = cold_and_warm(&h, &example("05-release-pipeline-stages.graphql")).await;
    assert_expected_errors(&r);
    let stages: Vec<&str> = r["data"]["job"]["lastBuild"]["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        stages,
        [
            "Checkout",
            "Build",
            "Unit Tests",
            "Integration Tests",
            "Package",
            "Deploy Staging",
            "Deploy Production"
        ]
    );
    assert_eq!(
        cold["ci-prod"].len(),
        2,
        "job + one wfapi/describe: {:?}",
        cold["ci-prod"]
    );
    assert_eq!(warm, 0);

    // 6. Failing jobs across controllers, with the failing stage.
    let (r, cold, warm) = cold_and_warm(&h, &example("06-failing-jobs.graphql")).await;
    assert_expected_errors(&r);
    let failing = r["data"]["jobs"]["nodes"].as_array().expect("nodes");
    assert!(failing
        .iter()
        .any(|j| j["fullName"] == "platform/api-server"));
    let pipelines: Vec<&Value> = failing.iter().filter(|j| j["kind"] == "PIPELINE").collect();
    assert!(!pipelines.is_empty());
    for p in &pipelines {
        let stages = p["lastFailedBuild"]["stages"]
            .as_array()
            .expect("pipeline stages");
        assert!(stages.iter().any(|s| s["status"] == "FAILED"), "{p}");
    }
    for (conn, reqs) in &cold {
        if conn == "ci-legacy" {
            continue;
        }
        let runs = pipelines
            .iter()
            .filter(|p| p["connection"]["name"] == conn.as_str())
            .count();
        assert_eq!(
            wfapi_calls(reqs),
            runs,
            "{conn}: one wfapi/describe per pipeline run: {reqs:?}"
        );
        assert_eq!(reqs.len() - runs, 1, "{conn}: one listing: {reqs:?}");
    }
    assert_eq!(warm, 0);
}

/// The dashboard on a cold gateway: one listing per controller (every folder level nested
/// in it, the status probe riding on it) and one wfapi/describe per pipeline last build;
/// warm, nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_costs_one_listing_per_controller_plus_one_describe_per_run() {
    let h = Harness::start().await;
    let (r, cold, warm) = cold_and_warm(&h, &example("07-dashboard.graphql")).await;
    assert_expected_errors(&r);
    let conns = r["data"]["connections"].as_array().expect("connections");
    assert_eq!(conns[0]["status"], "ONLINE");
    assert_eq!(conns[2]["status"], "UNAUTHORIZED");
    assert!(conns[2]["error"]["hint"]
        .as_str()
        .is_some_and(|h| h.contains("token")));
    for (i, conn) in ["ci-prod", "ci-staging"].iter().enumerate() {
        let reqs = &cold[*conn];
        let mut pipelines = 0;
        for item in conns[i]["root"]["items"].as_array().expect("items") {
            let jobs: Vec<&Value> = match item["items"].as_array() {
                Some(children) => children.iter().collect(),
                None => vec![item],
            };
            pipelines += jobs
                .iter()
                .filter(|j| j["lastBuild"]["stages"].is_array())
                .count();
        }
        assert_eq!(wfapi_calls(reqs), pipelines, "{conn}: {reqs:?}");
        // The status probe rides on the root listing: one request for every folder level.
        assert_eq!(reqs.len() - pipelines, 1, "{conn}: one listing: {reqs:?}");
    }
    assert_eq!(warm, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_identical_concurrent_queries_cost_the_upstream_calls_of_one() {
    let h = Harness::start().await;
    let query = example("07-dashboard.graphql");
    // What one dashboard costs, cold, on a second gateway over the same controllers.
    let single = {
        let gateway = GatewayState::new(h.demo.config.clone()).expect("gateway");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, rx) = oneshot::channel::<()>();
        tokio::spawn(majordomo::server::run(listener, gateway, async {
            let _ = rx.await;
        }));
        h.reset_counts();
        let r: Value = h
            .client
            .post(format!("http://{addr}/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert!(r["data"]["connections"].is_array());
        let _ = stop.send(());
        h.counts()["ci-prod"].clone()
    };
    h.reset_counts();
    let all = futures::future::join_all((0..50).map(|_| h.query(&query))).await;
    assert!(all
        .iter()
        .all(|r| stable(&r["data"]) == stable(&all[0]["data"])));
    // Runs still going (one paused at an input among them) are cached for a second only,
    // and fifty dashboards on a busy machine can take longer: their describes may be
    // asked again. Which runs those are comes from the world.
    let running = h.running_describes("ci-prod");
    let settled = |reqs: &[String]| reqs.iter().filter(|r| !running.contains(r)).count();
    assert_eq!(
        settled(&h.counts()["ci-prod"]),
        settled(&single),
        "50 concurrent dashboards cost what one costs"
    );
}
