//! Every query in `examples/queries/` runs against the demo world (standing still) and
//! answers its question; each also stays within its upstream budget, cold and warm. The
//! budgets are counted from the simulated world, never from the answer being checked.

mod gateway_common;

use std::collections::HashMap;

use gateway_common::{DemoFleet, Gateway};
use jenkins_sim::world::{Build, BuildResult, Item, JobKind, World};
use serde_json::Value;

/// The newest completed build of a job.
fn last_completed(builds: &[Build]) -> Option<&Build> {
    builds.iter().rev().find(|b| !b.building())
}

/// Pipeline jobs whose status is FAILURE (their last completed build failed, and they
/// are enabled): each costs one `wfapi/describe` of its last failed build.
fn failing_pipelines(world: &World) -> usize {
    world
        .jobs()
        .iter()
        .filter(|(_, kind, job)| {
            *kind == JobKind::Pipeline
                && !job.disabled
                && last_completed(&job.builds).and_then(|b| b.result) == Some(BuildResult::Failure)
        })
        .count()
}

/// Pipeline jobs with a build at the top of a controller or one folder down: what the
/// dashboard asks stages of, one `wfapi/describe` each.
fn dashboard_runs(world: &World) -> usize {
    let built_pipeline = |item: &Item| {
        item.as_job()
            .is_some_and(|(kind, job)| kind == JobKind::Pipeline && !job.builds.is_empty())
    };
    world
        .items
        .iter()
        .map(|item| match item.as_folder() {
            Some((_, folder)) => folder.items.iter().filter(|c| built_pipeline(c)).count(),
            None => usize::from(built_pipeline(item)),
        })
        .sum()
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
async fn cold_and_warm(h: &DemoFleet, query: &str) -> (Value, HashMap<String, Vec<String>>, usize) {
    h.reset_counts();
    let resp = h.gateway.query(query).await;
    let cold = h.counts();
    h.reset_counts();
    let again = h.gateway.query(query).await;
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
    let h = DemoFleet::start().await;

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
        let runs = h.world(conn, failing_pipelines);
        assert!(runs > 0, "{conn}: the demo world has failing pipelines");
        assert_eq!(
            wfapi_calls(reqs),
            runs,
            "{conn}: one wfapi/describe per failing pipeline's last failed build: {reqs:?}"
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
    let h = DemoFleet::start().await;
    let (r, cold, warm) = cold_and_warm(&h, &example("07-dashboard.graphql")).await;
    assert_expected_errors(&r);
    let conns = r["data"]["connections"].as_array().expect("connections");
    assert_eq!(conns[0]["status"], "ONLINE");
    assert_eq!(conns[2]["status"], "UNAUTHORIZED");
    assert!(conns[2]["error"]["hint"]
        .as_str()
        .is_some_and(|h| h.contains("token")));
    for conn in ["ci-prod", "ci-staging"] {
        let reqs = &cold[conn];
        let runs = h.world(conn, dashboard_runs);
        assert!(runs > 0, "{conn}: the demo world has pipeline runs");
        assert_eq!(wfapi_calls(reqs), runs, "{conn}: {reqs:?}");
        // The status probe rides on the root listing: one request for every folder level.
        assert_eq!(reqs.len() - runs, 1, "{conn}: one listing: {reqs:?}");
    }
    assert_eq!(warm, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_identical_concurrent_queries_cost_the_upstream_calls_of_one() {
    // Lifetimes long enough that a slow machine cannot see a running build's stages expire
    // between the first and the fiftieth query.
    let long_lived = |c: &mut majordomo::config::Config| {
        c.cache.volatile_ttl_ms = 600_000;
        c.cache.listing_ttl_ms = 600_000;
    };
    let h = DemoFleet::start_with(long_lived).await;
    let query = example("07-dashboard.graphql");
    // What one dashboard costs, cold, on a second gateway over the same controllers.
    let single = {
        let mut config = h.demo.config.clone();
        long_lived(&mut config);
        let second = Gateway::start_config(config).await;
        h.reset_counts();
        let r = second.query(&query).await;
        assert!(r["data"]["connections"].is_array());
        second.stop().await;
        h.counts()["ci-prod"].len()
    };
    h.reset_counts();
    let all = futures::future::join_all((0..50).map(|_| h.gateway.query(&query))).await;
    assert!(all
        .iter()
        .all(|r| stable(&r["data"]) == stable(&all[0]["data"])));
    assert_eq!(
        h.counts()["ci-prod"].len(),
        single,
        "50 concurrent dashboards cost what one costs"
    );
}
