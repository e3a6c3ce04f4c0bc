//! The incident answers against the demo world (standing still): every example query of
//! `examples/queries/08-…` to `16-…` answers its question with values computed from the
//! simulated world, within an upstream budget counted from the world, cold and warm.

mod gateway_common;

use std::collections::{BTreeSet, HashMap};

use gateway_common::DemoFleet;
use jenkins_sim::world::{Build, BuildResult, JobKind, World};
use serde_json::{json, Value};

/// Connections of the demo that answer (`ci-legacy` has had its token revoked).
const LIVE: [&str; 2] = ["ci-prod", "ci-staging"];

fn example(name: &str) -> String {
    let path = format!("{}/examples/queries/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Error codes of a response.
fn codes(resp: &Value) -> Vec<String> {
    resp["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Only the revoked `ci-legacy` may fail.
fn assert_only_legacy_fails(resp: &Value) {
    for e in resp["errors"].as_array().into_iter().flatten() {
        assert_eq!(e["extensions"]["connection"], "ci-legacy", "{resp}");
    }
}

/// The response without fields that move with the clock.
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "waitingMs" | "duration" | "until" | "since")
                })
                .map(|(k, v)| (k.clone(), stable(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(stable).collect()),
        other => other.clone(),
    }
}

/// A demo fleet whose cache keeps listings and running builds for a minute, so that a
/// warm query is answered from the cache whatever the machine's speed.
async fn fleet() -> DemoFleet {
    DemoFleet::start_with(|c| {
        c.cache.listing_ttl_ms = 60_000;
        c.cache.volatile_ttl_ms = 60_000;
    })
    .await
}

/// Stop the gateway, then the controllers.
async fn stop(h: DemoFleet) {
    h.gateway.stop().await;
    for (_, sim) in h.demo.controllers {
        sim.shutdown().await;
    }
}

/// Run a query cold, then warm: (response, cold requests per controller, warm total).
async fn cold_and_warm(
    h: &DemoFleet,
    query: &str,
    vars: Value,
) -> (Value, HashMap<String, Vec<String>>, usize) {
    h.reset_counts();
    let resp = h.gateway.query_vars(query, vars.clone()).await;
    let cold = h.counts();
    h.reset_counts();
    let again = h.gateway.query_vars(query, vars).await;
    assert_eq!(stable(&resp["data"]), stable(&again["data"]), "warm = cold");
    let warm = LIVE.iter().map(|c| h.counts()[*c].len()).sum();
    (resp, cold, warm)
}

/// Requests that name one build (`…/job/x/12/…`): what listing-based answers never send.
fn per_build(reqs: &[String]) -> Vec<&String> {
    reqs.iter()
        .filter(|r| {
            r.split('?')
                .next()
                .unwrap_or("")
                .split('/')
                .any(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

fn wfapi(reqs: &[String]) -> usize {
    reqs.iter().filter(|r| r.contains("/wfapi/")).count()
}

fn result(b: &Build) -> Option<&'static str> {
    b.result.map(BuildResult::as_str)
}

/// Whether the stage `name` of `b` ran: it exists, was executed, and no stage before it
/// failed (Jenkins reports the stages after a failure FAILED too, though they ran nothing).
fn ran(b: &Build, name: &str) -> bool {
    let Some(i) = b.stages.iter().position(|s| s.name == name) else {
        return false;
    };
    b.stages[i].status != "NOT_EXECUTED" && !b.stages[..i].iter().any(|s| s.status == "FAILED")
}

/// The demo's production deployments on a controller, from its world: builds of jobs
/// whose own name matches `*deploy*` (the default rule) among each one's newest 50, to production by
/// their `ENVIRONMENT` parameter, a `production` word of the job's name, or, for
/// pipelines placed by neither, a `Deploy Production` stage that ran in one of the
/// newest ten runs (what `wfapi/runs` gives).
fn production_deployments(w: &World) -> (BTreeSet<(String, u64)>, usize) {
    let mut out = BTreeSet::new();
    let mut stage_jobs = 0;
    for (full, kind, job) in w.jobs() {
        let short = full.rsplit('/').next().unwrap_or(&full).to_lowercase();
        if !short.contains("deploy") {
            continue;
        }
        let named = short
            .split(['-', '_', '.'])
            .any(|w| w == "production" || w == "prod");
        let newest: Vec<&Build> = job.builds.iter().rev().take(50).collect();
        let unplaced = newest
            .iter()
            .any(|b| b.parameter("ENVIRONMENT").is_none() && !named);
        if unplaced && kind == JobKind::Pipeline {
            stage_jobs += 1;
        }
        for (i, b) in newest.iter().enumerate() {
            let to_prod = match b.parameter("ENVIRONMENT") {
                Some(env) => env == "production",
                None if named => true,
                None => kind == JobKind::Pipeline && i < 10 && ran(b, "Deploy Production"),
            };
            if to_prod {
                out.insert((full.clone(), b.number));
            }
        }
    }
    (out, stage_jobs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_to_production_across_controllers() {
    let h = fleet().await;
    let q = example("09-production-deployments.graphql").replace("first: 20", "first: 500");
    let (r, cold, warm) = cold_and_warm(&h, &q, json!({})).await;
    assert_only_legacy_fails(&r);
    assert_eq!(codes(&r), ["UNAUTHORIZED"], "{r}");
    let list = r["data"]["deployments"].as_array().expect("deployments");
    let mut got = BTreeSet::new();
    let mut last_ts = i64::MAX;
    for d in list {
        let conn = d["connection"]["name"].as_str().expect("connection");
        let job = d["jobName"].as_str().expect("job").to_string();
        let number = d["build"]["number"].as_u64().expect("number");
        assert_eq!(d["environment"], "production", "{d}");
        let b = h.world(conn, |w| w.job(&job).and_then(|j| j.build(number)).cloned());
        let b = b.unwrap_or_else(|| panic!("{conn} {job} #{number} is not in the world"));
        let ts = chrono::DateTime::parse_from_rfc3339(d["timestamp"].as_str().expect("ts"))
            .expect("rfc3339")
            .timestamp_millis();
        assert_eq!(ts, b.timestamp, "{d}");
        assert!(ts <= last_ts, "newest first: {d}");
        last_ts = ts;
        assert_eq!(d["revision"].as_str(), b.revision.as_deref(), "{d}");
        if d["stage"].is_null() {
            assert_eq!(d["result"].as_str(), result(&b), "{d}");
        }
        got.insert((conn.to_string(), job, number));
    }
    let mut want = BTreeSet::new();
    let mut stage_jobs = HashMap::new();
    for c in LIVE {
        let (set, jobs) = h.world(c, production_deployments);
        want.extend(set.into_iter().map(|(j, n)| (c.to_string(), j, n)));
        stage_jobs.insert(c, jobs);
    }
    assert_eq!(got, want);
    assert!(
        got.iter().any(|(c, ..)| c == "ci-prod") && got.iter().any(|(c, ..)| c == "ci-staging")
    );
    for c in LIVE {
        let reqs = &cold[c];
        assert!(per_build(reqs).is_empty(), "{c}: {reqs:?}");
        assert_eq!(wfapi(reqs), stage_jobs[c], "{c}: {reqs:?}");
    }
    assert_eq!(warm, 0);
    stop(h).await;
}

/// The release commit: what `release/checkout-api` on ci-staging built last.
fn release_sha(h: &DemoFleet) -> String {
    h.world("ci-staging", |w| {
        w.job("release/checkout-api")
            .and_then(|j| j.builds.last())
            .and_then(|b| b.revision.clone())
            .expect("the release commit")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_is_found_across_two_controllers() {
    let h = fleet().await;
    let sha = release_sha(&h);
    let q = example("10-where-did-commit-go.graphql");
    let (r, cold, warm) = cold_and_warm(&h, &q, json!({ "sha": &sha[..10] })).await;
    assert_only_legacy_fails(&r);
    let c = &r["data"]["commit"];
    assert_eq!(c["sha"], sha.as_str(), "{r}");
    // Every build of the newest 25 of each job that checked it out or lists it.
    let mut want = BTreeSet::new();
    for conn in LIVE {
        h.world(conn, |w| {
            for (full, _, job) in w.jobs() {
                for b in job.builds.iter().rev().take(25) {
                    let tied = b.revision.as_deref() == Some(sha.as_str())
                        || b.changes.iter().any(|ch| ch.commit == sha);
                    if tied {
                        want.insert((conn.to_string(), full.clone(), b.number));
                    }
                }
            }
        });
    }
    let got: BTreeSet<(String, String, u64)> = c["builds"]
        .as_array()
        .expect("builds")
        .iter()
        .map(|b| {
            (
                b["connection"]["name"].as_str().unwrap_or("").to_string(),
                b["jobName"].as_str().unwrap_or("").to_string(),
                b["build"]["number"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(got, want);
    let conns: BTreeSet<&str> = got.iter().map(|(c, ..)| c.as_str()).collect();
    assert_eq!(
        conns.len(),
        2,
        "built on one controller, deployed from the other"
    );
    // Its deployments: the deploy jobs' builds among them, with the world's environment
    // and result; the environments it reached are those a successful one went to.
    let mut reached = BTreeSet::new();
    for d in c["deployments"].as_array().expect("deployments") {
        let conn = d["connection"]["name"].as_str().expect("conn");
        let job = d["jobName"].as_str().expect("job");
        let n = d["build"]["number"].as_u64().expect("number");
        assert!(
            want.contains(&(conn.to_string(), job.to_string(), n)),
            "{d}"
        );
        let b = h.world(conn, |w| w.job(job).and_then(|j| j.build(n)).cloned());
        let b = b.expect("deployed build");
        assert_eq!(d["environment"].as_str(), b.parameter("ENVIRONMENT"), "{d}");
        assert_eq!(d["result"].as_str(), result(&b), "{d}");
        if result(&b) == Some("SUCCESS") {
            reached.insert(b.parameter("ENVIRONMENT").unwrap_or("").to_string());
        }
    }
    assert!(reached.contains("production"), "{c}");
    let envs: BTreeSet<String> = c["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    assert_eq!(envs, reached);
    for conn in LIVE {
        assert!(
            per_build(&cold[conn]).is_empty(),
            "{conn}: {:?}",
            cold[conn]
        );
    }
    assert_eq!(warm, 0);
    // Too short a prefix, or not hexadecimal: refused before anything is sent.
    h.reset_counts();
    for bad in ["abc12", "zzzzzzzz"] {
        let r = h.gateway.query_vars(&q, json!({ "sha": bad })).await;
        assert_eq!(codes(&r), ["BAD_ARGUMENT"], "{r}");
    }
    assert_eq!(LIVE.iter().map(|c| h.counts()[*c].len()).sum::<usize>(), 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_names_its_builds_commits_culprits_stage_and_tests() {
    let h = fleet().await;
    let (r, cold, warm) = cold_and_warm(&h, &example("11-regression.graphql"), json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let g = &r["data"]["job"]["regression"];
    let (good, bad, failing, commits, culprits, stage, tests, java) = h.world("ci-prod", |w| {
        let job = w.job("commerce/orders-api").expect("orders-api");
        let done: Vec<&Build> = job.builds.iter().rev().filter(|b| !b.building()).collect();
        let good = done
            .iter()
            .find(|b| b.result == Some(BuildResult::Success))
            .expect("a good build");
        let after: Vec<&Build> = job
            .builds
            .iter()
            .filter(|b| b.number > good.number)
            .collect();
        let bad: Vec<&&Build> = after
            .iter()
            .filter(|b| matches!(b.result, Some(BuildResult::Failure | BuildResult::Unstable)))
            .collect();
        let first = bad[0];
        let commits: Vec<String> = after
            .iter()
            .flat_map(|b| b.changes.iter().map(|c| c.commit.clone()))
            .collect();
        let mut culprits: BTreeSet<String> = BTreeSet::new();
        for b in &bad {
            for c in &b.culprits {
                culprits.insert(w.user_name(c));
            }
        }
        let stage = first
            .stages
            .iter()
            .find(|s| {
                s.status == "FAILED" && good.stage(&s.name).is_none_or(|g| g.status != "FAILED")
            })
            .map(|s| s.name.clone());
        let (gt, bt) = (good.tests.as_ref(), first.tests.as_ref().expect("report"));
        let tests: BTreeSet<(String, String)> = bt
            .failures
            .iter()
            .filter(|f| !gt.is_some_and(|g| g.fails(&f.class_name, &f.name)))
            .map(|f| (f.class_name.clone(), f.name.clone()))
            .collect();
        let java = (
            good.parameter("JAVA_VERSION").map(str::to_string),
            first.parameter("JAVA_VERSION").map(str::to_string),
        );
        (
            good.number,
            first.number,
            bad.len(),
            commits,
            culprits,
            stage,
            tests,
            java,
        )
    });
    assert_eq!(g["lastGoodBuild"]["number"], good);
    assert_eq!(g["firstBadBuild"]["number"], bad);
    assert_eq!(g["failingBuilds"], failing);
    let got: Vec<&str> = g["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .filter_map(|c| c["commitId"].as_str())
        .collect();
    assert_eq!(got, commits);
    let got: BTreeSet<String> = g["culprits"]
        .as_array()
        .expect("culprits")
        .iter()
        .filter_map(|c| c["fullName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(got, culprits);
    assert_eq!(
        g["changedParameters"],
        json!([{ "name": "JAVA_VERSION", "before": java.0, "after": java.1 }])
    );
    assert_eq!(g["newlyFailedStage"]["name"].as_str(), stage.as_deref());
    let got: BTreeSet<(String, String)> = g["newlyFailingTests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            (
                t["className"].as_str().unwrap_or("").into(),
                t["name"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(got, tests);
    assert!(!tests.is_empty());
    // The job, its history listing, two describes, two test reports.
    assert_eq!(cold["ci-prod"].len(), 6, "{:?}", cold["ci-prod"]);
    assert_eq!(warm, 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_approvals_across_the_fleet() {
    let h = fleet().await;
    let (r, cold, warm) =
        cold_and_warm(&h, &example("12-pending-approvals.graphql"), json!({})).await;
    assert_only_legacy_fails(&r);
    let mut want = BTreeSet::new();
    let mut running = HashMap::new();
    for c in LIVE {
        let n = h.world(c, |w| {
            let mut n = 0;
            for (full, kind, job) in w.jobs() {
                for b in job
                    .builds
                    .iter()
                    .filter(|b| b.building() && kind == JobKind::Pipeline)
                {
                    n += 1;
                    if let Some(i) = &b.input {
                        want.insert((c.to_string(), full.clone(), b.number, i.message.clone()));
                    }
                }
            }
            n
        });
        running.insert(c, n);
    }
    let got: BTreeSet<(String, String, u64, String)> = r["data"]["pendingApprovals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| {
            (
                a["connection"]["name"].as_str().unwrap_or("").into(),
                a["jobName"].as_str().unwrap_or("").into(),
                a["buildNumber"].as_u64().unwrap_or(0),
                a["prompt"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(
        got.len() >= 2,
        "one paused deploy on each controller: {got:?}"
    );
    for a in r["data"]["pendingApprovals"].as_array().expect("approvals") {
        assert!(a["waitingMs"].as_i64().is_some_and(|ms| ms > 0), "{a}");
        assert!(a["stage"]["name"].is_string(), "{a}");
    }
    // Per controller: the running pipelines, a describe each, the inputs of the paused.
    for c in LIVE {
        let paused = want.iter().filter(|(x, ..)| x == c).count();
        assert_eq!(cold[c].len(), 1 + running[c] + paused, "{c}: {:?}", cold[c]);
    }
    assert_eq!(warm, 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_summary_names_the_stage_step_error_and_excerpt() {
    let h = fleet().await;
    let (r, cold, warm) =
        cold_and_warm(&h, &example("13-failure-summary.graphql"), json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let b = &r["data"]["job"]["lastFailedBuild"];
    let n = b["number"].as_u64().expect("number");
    let (stage, message) = h.world("ci-prod", |w| {
        let build = w
            .job("commerce/orders-api")
            .and_then(|j| j.build(n))
            .expect("build");
        let s = build
            .stages
            .iter()
            .find(|s| s.status == "FAILED")
            .expect("failed stage");
        let step_error = s.steps.iter().rev().find_map(|st| st.error.clone());
        let error = step_error.or_else(|| s.error.clone()).expect("an error");
        (s.name.clone(), error.message)
    });
    let f = &b["failure"];
    assert_eq!(f["stage"]["name"], stage.as_str(), "{f}");
    assert_eq!(f["message"], message.as_str(), "{f}");
    assert_eq!(f["excerptSource"], "STEP_LOG");
    let excerpt = f["logExcerpt"].as_str().expect("excerpt");
    assert!(!excerpt.is_empty() && excerpt.len() <= 2048, "{excerpt}");
    // The job, the describe, the stage's node, the step's log.
    assert_eq!(cold["ci-prod"].len(), 4, "{:?}", cold["ci-prod"]);
    assert_eq!(warm, 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_trends_find_the_stage_that_slowed() {
    let h = fleet().await;
    let (r, cold, warm) = cold_and_warm(&h, &example("14-stage-trends.graphql"), json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let t = &r["data"]["job"]["stageTrends"];
    // The newest ten finished runs, oldest first, by hand from the world.
    let (runs, means) = h.world("ci-prod", |w| {
        let job = w.job("commerce/search-service").expect("job");
        let mut done: Vec<&Build> = job
            .builds
            .iter()
            .rev()
            .filter(|b| !b.building())
            .take(10)
            .collect();
        done.reverse();
        let mut means = HashMap::new();
        for s in &done[0].stages {
            let d: Vec<i64> = done
                .iter()
                .filter_map(|b| b.stage(&s.name).filter(|x| x.status == "SUCCESS"))
                .map(|x| x.duration)
                .collect();
            if !d.is_empty() {
                let mean = (d.iter().sum::<i64>() as f64 / d.len() as f64).round() as i64;
                means.insert(s.name.clone(), mean);
            }
        }
        (done.len(), means)
    });
    assert_eq!(t["runs"], runs);
    assert_eq!(t["slowerStage"]["name"], "Integration Tests", "{t}");
    assert!(
        t["slowerStage"]["durationChange"].as_f64().unwrap_or(0.0) >= 0.1,
        "{t}"
    );
    let it = t["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["name"] == "Integration Tests")
        .expect("Integration Tests");
    assert_eq!(it["meanDuration"], means["Integration Tests"], "{it}");
    assert_eq!(
        cold["ci-prod"].len(),
        2,
        "the job and wfapi/runs: {:?}",
        cold["ci-prod"]
    );
    assert_eq!(warm, 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_tests_flip_on_the_same_revision() {
    let h = fleet().await;
    let (r, cold, warm) = cold_and_warm(&h, &example("15-flaky-tests.graphql"), json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let f = &r["data"]["job"]["flakyTests"];
    let flaky = (
        "com.acme.wallet.WalletConcurrencyTest",
        "handlesConcurrentUpdates",
    );
    let (builds, passes, failures) = h.world("ci-staging", |w| {
        let job = w.job("wallet/wallet-service").expect("job");
        let done: Vec<&Build> = job
            .builds
            .iter()
            .rev()
            .filter(|b| !b.building())
            .take(10)
            .collect();
        let reports: Vec<_> = done.iter().filter_map(|b| b.tests.as_ref()).collect();
        let passes = reports
            .iter()
            .filter(|t| t.passes(flaky.0, flaky.1))
            .count();
        let failures = reports.iter().filter(|t| t.fails(flaky.0, flaky.1)).count();
        (reports.len(), passes, failures)
    });
    assert_eq!(f["builds"], builds);
    let t = f["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .find(|t| t["className"] == flaky.0 && t["name"] == flaky.1)
        .expect("the flaky test");
    assert_eq!(t["passes"], passes, "{t}");
    assert_eq!(t["failures"], failures, "{t}");
    assert_eq!(t["flaky"], true, "{t}");
    assert!(t["sameRevisionFlips"].as_i64().unwrap_or(0) > 0, "{t}");
    // The job, the listing, one report per finished build.
    assert_eq!(
        cold["ci-staging"].len(),
        2 + builds,
        "{:?}",
        cold["ci-staging"]
    );
    assert_eq!(warm, 0);
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dora_metrics_of_one_deploy_job_by_hand() {
    let h = fleet().await;
    let job = "delivery/deploy-checkout-api";
    // The job's production deployments, oldest first, from the world.
    let prod: Vec<Build> = h.world("ci-prod", |w| {
        w.job(job)
            .expect("job")
            .builds
            .iter()
            .filter(|b| b.parameter("ENVIRONMENT") == Some("production"))
            .cloned()
            .collect()
    });
    let since = prod[0].timestamp;
    let until = prod.last().expect("a deployment").end().expect("finished") + 1;
    let q = r#"query D($since: DateTime, $until: DateTime) {
        dora(environment: "production", connections: ["ci-prod"], job: "delivery/deploy-checkout-api",
             since: $since, until: $until) {
          deployments deploymentFrequency { value deployments }
          changeFailureRate { value deployments }
          timeToRestore { median samples deployments }
          leadTime { samples } complete } }"#;
    let iso = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("time")
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let r = h
        .gateway
        .query_vars(q, json!({ "since": iso(since), "until": iso(until) }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let d = &r["data"]["dora"];
    let ok = prod
        .iter()
        .filter(|b| b.result == Some(BuildResult::Success))
        .count();
    let bad = prod
        .iter()
        .filter(|b| matches!(b.result, Some(BuildResult::Failure | BuildResult::Unstable)))
        .count();
    assert!(bad >= 2, "the demo holds failed production deployments");
    assert_eq!(d["deployments"], ok + bad);
    assert_eq!(d["deploymentFrequency"]["deployments"], ok);
    let days = (until - since) as f64 / 86_400_000.0;
    let freq = d["deploymentFrequency"]["value"]
        .as_f64()
        .expect("frequency");
    assert!((freq - ok as f64 / days).abs() < 1e-9, "{freq}");
    let cfr = d["changeFailureRate"]["value"].as_f64().expect("rate");
    assert!((cfr - bad as f64 / (ok + bad) as f64).abs() < 1e-9, "{cfr}");
    // Restores: from the end of the first failure of each run of failures to the end of
    // the next success.
    let mut restores = Vec::new();
    let mut failed: Option<i64> = None;
    for b in &prod {
        match b.result {
            Some(BuildResult::Failure | BuildResult::Unstable) => {
                failed = failed.or(b.end());
            }
            Some(BuildResult::Success) => {
                if let Some(f) = failed.take() {
                    restores.push(b.end().expect("end") - f);
                }
            }
            _ => {}
        }
    }
    restores.sort_unstable();
    assert_eq!(d["timeToRestore"]["samples"], restores.len());
    assert!(!restores.is_empty());
    if restores.len() % 2 == 1 {
        assert_eq!(d["timeToRestore"]["median"], restores[restores.len() / 2]);
    }
    assert_eq!(d["complete"], true);
    // The fleet-wide example answers too (ci-legacy fails alone).
    let r = h.gateway.query(&example("16-dora.graphql")).await;
    assert_only_legacy_fails(&r);
    assert!(
        r["data"]["dora"]["deployments"].as_i64().unwrap_or(0) >= (ok + bad) as i64,
        "{r}"
    );
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_reads_every_form_of_url() {
    let h = fleet().await;
    let base = h
        .demo
        .controllers
        .iter()
        .find(|(n, _)| n == "ci-prod")
        .map(|(_, s)| s.url())
        .expect("ci-prod");
    let base = base.trim_end_matches('/');
    let (n, failed_n, stage_id, stage_name) = h.world("ci-prod", |w| {
        let j = w.job("commerce/orders-api").expect("job");
        let last_failed = j.permalink("lastFailedBuild").expect("failed");
        let s = &last_failed.stages[1];
        (
            j.builds[0].number,
            last_failed.number,
            s.id.clone(),
            s.name.clone(),
        )
    });
    let q = example("08-resolve-url.graphql");
    let job = format!("{base}/job/commerce/job/orders-api");
    let cases: Vec<(String, Value)> = vec![
        (format!("{job}/"), json!({"__typename": "Job"})),
        (format!("{base}/view/all/job/commerce/job/orders-api/configure"), json!({"__typename": "Job"})),
        (format!("{job}/{n}/"), json!({"__typename": "Build", "number": n})),
        (format!("{job}/{n}/console"), json!({"__typename": "Build", "number": n})),
        (format!("{job}/lastFailedBuild/"), json!({"__typename": "Build", "number": failed_n})),
        (format!("{job}/{failed_n}/execution/node/{stage_id}/"), json!({"__typename": "Stage", "name": stage_name})),
        (format!("{job}/{failed_n}/pipeline-overview/?selected-node={stage_id}"), json!({"__typename": "Stage", "name": stage_name})),
        (format!("{base}/blue/organizations/jenkins/commerce%2Forders-api/detail/orders-api/{n}/pipeline"), json!({"__typename": "Build", "number": n})),
        (format!("{base}/blue/organizations/jenkins/commerce%2Forders-api/detail/orders-api/{failed_n}/pipeline/{stage_id}"), json!({"__typename": "Stage", "name": stage_name})),
        (format!("{base}/blue/rest/organizations/jenkins/pipelines/commerce/pipelines/orders-api/runs/{n}/"), json!({"__typename": "Build", "number": n})),
    ];
    for (url, want) in cases {
        let r = h.gateway.query_vars(&q, json!({ "url": url })).await;
        assert!(r["errors"].is_null(), "{url}: {r}");
        let got = &r["data"]["resolve"];
        for (k, v) in want.as_object().expect("object") {
            assert_eq!(&got[k], v, "{url}: {got}");
        }
    }
    // Another controller's URL resolves there; an unknown host is a clear error.
    let staging = h
        .demo
        .controllers
        .iter()
        .find(|(n, _)| n == "ci-staging")
        .map(|(_, s)| s.url())
        .expect("staging");
    let r = h
        .gateway
        .query_vars(
            &q,
            json!({ "url": format!("{staging}job/wallet/job/wallet-service/") }),
        )
        .await;
    assert_eq!(
        r["data"]["resolve"]["connection"]["name"], "ci-staging",
        "{r}"
    );
    let r = h
        .gateway
        .query_vars(&q, json!({ "url": "http://elsewhere.invalid/job/x/" }))
        .await;
    assert_eq!(codes(&r), ["BAD_ARGUMENT"], "{r}");
    stop(h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_without_the_pipeline_rest_api_degrades() {
    let sim = jenkins_sim::SimBuilder::new(World::demo(42, 0))
        .token(gateway_common::USER, gateway_common::TOKEN)
        .without_wfapi()
        .start()
        .await
        .expect("sim");
    let gateway =
        gateway_common::Gateway::start(vec![gateway_common::connection("ci-prod", &sim)]).await;
    // Deployments placed by a parameter or a job's name are still found; those only a
    // stage could place have no environment.
    let r = gateway
        .query(r#"{ deployments(first: 500) { jobName environment build { number } } }"#)
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let list = r["data"]["deployments"].as_array().expect("deployments");
    let want = sim.with_world(|w| {
        let job = w.job("delivery/deploy-checkout-api").expect("job");
        job.builds
            .iter()
            .filter(|b| b.parameter("ENVIRONMENT").is_some())
            .count()
    });
    let placed = list
        .iter()
        .filter(|d| d["jobName"] == "delivery/deploy-checkout-api" && d["environment"].is_string())
        .count();
    assert_eq!(placed, want);
    assert!(list
        .iter()
        .filter(|d| d["jobName"] == "delivery/deploy-backend")
        .all(|d| d["environment"].is_null()));
    // What needs the API says so, once per field; the rest still answers.
    let r = gateway
        .query(
            r#"{ pendingApprovals { jobName }
                 job(connection: "ci-prod", fullName: "commerce/orders-api") {
                   name stageTrends { runs } lastFailedBuild { failure { excerptSource logExcerpt } } } }"#,
        )
        .await;
    assert_eq!(
        codes(&r),
        ["PIPELINE_API_MISSING", "PIPELINE_API_MISSING"],
        "{r}"
    );
    assert_eq!(r["data"]["job"]["name"], "orders-api");
    assert!(r["data"]["job"]["stageTrends"].is_null(), "{r}");
    let f = &r["data"]["job"]["lastFailedBuild"]["failure"];
    assert_eq!(f["excerptSource"], "CONSOLE", "{r}");
    assert!(!f["logExcerpt"].as_str().unwrap_or("").is_empty(), "{r}");
    gateway.stop().await;
    sim.shutdown().await;
}

/// The newest successful build of a job and the first failing one after it, from the world.
fn good_and_first_bad(w: &World, job: &str) -> (u64, u64) {
    let j = w.job(job).expect("job");
    let good = j
        .builds
        .iter()
        .rev()
        .find(|b| b.result == Some(BuildResult::Success))
        .expect("a good build");
    let bad = j
        .builds
        .iter()
        .find(|b| {
            b.number > good.number
                && matches!(b.result, Some(BuildResult::Failure | BuildResult::Unstable))
        })
        .expect("a bad build");
    (good.number, bad.number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_world_with_incidents_answers_too() {
    use jenkins_sim::world::generate::GenSpec;
    // Folders three levels deep, behind the simulator's default 8 KiB request limit.
    let world = World::generate(&GenSpec {
        folders: 3,
        depth: 3,
        jobs_per_folder: 12,
        builds_per_job: 6,
        log_bytes: 4 * 1024,
        incidents: true,
        // Now, so that DORA's default window (the last 30 days) holds its deployments.
        now_ms: chrono::Utc::now().timestamp_millis(),
        ..GenSpec::default()
    });
    let sha = world
        .job("incidents/checkout-api")
        .and_then(|j| j.builds.last())
        .and_then(|b| b.revision.clone())
        .expect("the release commit");
    let (good, bad) = good_and_first_bad(&world, "incidents/orders-api");
    let sim = jenkins_sim::SimBuilder::new(world)
        .token(gateway_common::USER, gateway_common::TOKEN)
        .start()
        .await
        .expect("sim");
    let gateway =
        gateway_common::Gateway::start(vec![gateway_common::connection("gen", &sim)]).await;
    let q = r#"query Q($sha: String!) {
      commit(sha: $sha) { sha environments builds { jobName link } deployments { jobName environment result } }
      orders: job(connection: "gen", fullName: "incidents/orders-api") {
        regression { lastGoodBuild { number } firstBadBuild { number } newlyFailingTests { name } } }
      wallet: job(connection: "gen", fullName: "incidents/wallet-service") {
        flakyTests { tests { name flaky } } }
      search: job(connection: "gen", fullName: "incidents/search-service") {
        stageTrends { slowerStage { name } } }
      dora(environment: "production") { timeToRestore { samples } changeFailureRate { value } }
    }"#;
    let r = gateway.query_vars(q, json!({ "sha": &sha[..12] })).await;
    assert!(r["errors"].is_null(), "{r}");
    let d = &r["data"];
    assert_eq!(d["commit"]["sha"], sha.as_str());
    let jobs: BTreeSet<&str> = d["commit"]["builds"]
        .as_array()
        .expect("builds")
        .iter()
        .filter_map(|b| b["jobName"].as_str())
        .collect();
    assert!(
        jobs.contains("incidents/checkout-api") && jobs.contains("incidents/deploy-checkout-api"),
        "{d}"
    );
    assert_eq!(d["commit"]["environments"], json!(["production"]), "{d}");
    let reg = &d["orders"]["regression"];
    assert_eq!(
        (
            reg["lastGoodBuild"]["number"].as_u64(),
            reg["firstBadBuild"]["number"].as_u64()
        ),
        (Some(good), Some(bad))
    );
    let tests: BTreeSet<&str> = reg["newlyFailingTests"]
        .as_array()
        .expect("tests")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        tests,
        BTreeSet::from(["computesTaxForEuOrders", "roundTripsUnicodeNames"])
    );
    assert!(
        d["wallet"]["flakyTests"]["tests"]
            .as_array()
            .expect("flaky")
            .iter()
            .any(|t| t["name"] == "handlesConcurrentUpdates" && t["flaky"] == true),
        "{d}"
    );
    assert_eq!(
        d["search"]["stageTrends"]["slowerStage"]["name"],
        "Integration Tests"
    );
    // Two failed production deployments, then one that restored service.
    assert_eq!(d["dora"]["timeToRestore"]["samples"], 1, "{d}");
    assert!(
        d["dora"]["changeFailureRate"]["value"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0,
        "{d}"
    );
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.status != 414 && r.status != 431),
        "nothing too long"
    );
    gateway.stop().await;
    sim.shutdown().await;
}
