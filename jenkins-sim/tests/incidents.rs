//! Worlds hold the histories incident answers are computed from, across controllers:
//! deployments to dev, staging and production, a release commit built on ci-staging and
//! deployed from ci-prod, a regression, a flaky test, a stage getting slower, failed
//! deployments and their restore. Expected values come from the world model (the
//! accessors the gateway's tests use), and a few are checked over HTTP.

use jenkins_sim::model::item_path;
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::world::{Build, BuildResult, Job, ParamKind};
use jenkins_sim::World;
use serde_json::Value;

mod common;
use common::{get_json, start};

const NOW: i64 = 1_767_225_600_000;

fn job<'w>(w: &'w World, full: &str) -> &'w Job {
    w.job(full).unwrap_or_else(|| panic!("no job {full}"))
}

fn numbered(j: &Job, number: u64) -> &Build {
    j.build(number)
        .unwrap_or_else(|| panic!("no build #{number}"))
}

#[test]
fn deploy_jobs_deploy_to_three_environments_on_two_controllers() {
    for (variant, full) in [
        (0, "delivery/deploy-checkout-api"),
        (1, "delivery/deploy-ledger-worker"),
    ] {
        let w = World::demo_at(9, variant, NOW);
        let deploy = job(&w, full);
        assert!(full.rsplit('/').next().unwrap().starts_with("deploy-"));
        let env = deploy
            .parameters
            .iter()
            .find(|p| p.name == "ENVIRONMENT")
            .expect("an ENVIRONMENT parameter");
        assert_eq!(env.kind, ParamKind::Choice);
        assert_eq!(env.choices, ["dev", "staging", "production"]);
        for environment in ["dev", "staging", "production"] {
            let deployments = w.deployments(environment);
            let here: Vec<&Build> = deployments
                .iter()
                .filter(|(f, _)| f == full)
                .map(|(_, b)| *b)
                .collect();
            assert!(here.len() >= 2, "{full} deploys to {environment}");
            let stage = format!(
                "Deploy {}{}",
                environment[..1].to_uppercase(),
                &environment[1..]
            );
            // A production deployment waiting for its approval has not reached the stage.
            for b in here.iter().filter(|b| !b.building()) {
                assert!(b.stage(&stage).is_some(), "{full} #{}: {stage}", b.number);
            }
        }
    }
}

#[tokio::test]
async fn a_release_is_built_on_staging_and_deployed_from_prod() {
    let prod = World::demo_at(9, 0, NOW);
    // The controllers' worlds are made a moment apart; they agree on the release.
    let staging = World::demo_at(9, 1, NOW + 1_234);
    let built = job(&staging, "release/checkout-api").builds.last().unwrap();
    assert_eq!(built.result, Some(BuildResult::Success));
    let sha = built.revision.clone().expect("a git revision");
    let commit = built
        .changes
        .iter()
        .find(|c| c.commit == sha)
        .expect("the commit");
    assert!(commit.timestamp < built.timestamp);
    let commit_time = commit.timestamp;

    let deploys = prod.builds_of_revision(&sha);
    assert_eq!(deploys.len(), 3, "three deployments of the release");
    assert!(deploys
        .iter()
        .all(|(f, b)| f == "delivery/deploy-checkout-api"
            && b.parameter("ENVIRONMENT") == Some("production")));
    let first = deploys[0].1.clone();
    let same = first
        .changes
        .iter()
        .find(|c| c.commit == sha)
        .expect("its change set");
    assert_eq!(same.timestamp, commit.timestamp);
    assert_eq!(same.message, commit.message);
    assert!(first.timestamp > built.timestamp + built.duration);
    // Lead time: from the commit to the production deployment that succeeded.
    let good = deploys
        .iter()
        .find(|(_, b)| b.result == Some(BuildResult::Success))
        .unwrap()
        .1;
    let lead = good.end().unwrap() - commit.timestamp;
    assert!(lead > 24 * 3_600_000 && lead < 40 * 3_600_000, "{lead}");

    // Over HTTP: the revision in git's BuildData, the commit with its time.
    let sim = start(prod).await;
    let url = format!(
        "{}{}/api/json?tree=actions[lastBuiltRevision[SHA1]],changeSets[items[commitId,timestamp]]",
        item_path("delivery/deploy-checkout-api"),
        first.number
    );
    let v = get_json(&sim, &url).await;
    assert!(v["actions"].to_string().contains(&sha));
    let items = &v["changeSets"][0]["items"];
    assert_eq!(items[0]["commitId"], sha.as_str());
    assert_eq!(items[0]["timestamp"], commit_time);
    sim.shutdown().await;
}

#[test]
fn failed_production_deployments_are_followed_by_a_restore() {
    let w = World::demo_at(9, 0, NOW);
    let production: Vec<&Build> = w
        .deployments("production")
        .into_iter()
        .filter(|(f, _)| f == "delivery/deploy-checkout-api")
        .map(|(_, b)| b)
        .collect();
    let results: Vec<Option<BuildResult>> =
        production.iter().rev().take(3).map(|b| b.result).collect();
    use BuildResult::{Failure, Success};
    assert_eq!(results, [Some(Success), Some(Failure), Some(Failure)]);
    let n = production.len();
    let (failed, restored) = (production[n - 3], production[n - 1]);
    assert_eq!(failed.stage("Smoke Test").unwrap().status, "FAILED");
    assert_eq!(
        production[n - 2].stage("Deploy Production").unwrap().status,
        "FAILED"
    );
    let restore = restored.end().unwrap() - failed.end().unwrap();
    assert!(restore > 0 && restore < 6 * 3_600_000, "{restore}");
}

/// Check the regression of `full` (good at `at - 1`, failing from `at`), from the model
/// and over HTTP.
async fn check_regression(w: World, full: &str, at: u64) {
    let j = job(&w, full);
    let good = numbered(j, at - 1);
    let bad = numbered(j, at);
    assert_eq!(good.result, Some(BuildResult::Success));
    assert!(j
        .builds
        .iter()
        .filter(|b| b.number >= at)
        .all(|b| b.result == Some(BuildResult::Failure)));
    assert_eq!(good.parameter("JAVA_VERSION"), Some("17"));
    assert_eq!(bad.parameter("JAVA_VERSION"), Some("21"));
    assert!(!bad.changes.is_empty() && !bad.culprits.is_empty());
    let next = numbered(j, at + 1);
    assert!(
        bad.culprits.iter().all(|c| next.culprits.contains(c)),
        "culprits carry"
    );
    assert_eq!(good.stage("Integration Tests").unwrap().status, "SUCCESS");
    assert_eq!(bad.stage("Integration Tests").unwrap().status, "FAILED");
    let (good_tests, bad_tests) = (good.tests.as_ref().unwrap(), bad.tests.as_ref().unwrap());
    assert!(!bad_tests.failures.is_empty());
    for f in &bad_tests.failures {
        assert!(
            good_tests.passes(&f.class_name, &f.name),
            "newly failing: {}",
            f.name
        );
        assert!(!good_tests.fails(&f.class_name, &f.name));
        assert_eq!(f.failed_since, at);
    }

    let sim = start(w).await;
    let report = |n: u64| format!("{}{n}/testReport/api/json", item_path(full));
    let statuses = |v: &Value| -> Vec<String> {
        v["suites"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["cases"].as_array().unwrap().clone())
            .map(|c| c["status"].as_str().unwrap().to_string())
            .collect()
    };
    let first = get_json(&sim, &report(at)).await;
    assert!(
        statuses(&first).iter().all(|s| s == "REGRESSION"),
        "{first}"
    );
    let again = get_json(&sim, &report(at + 1)).await;
    assert!(statuses(&again).iter().all(|s| s == "FAILED"), "{again}");
    let before = get_json(&sim, &report(at - 1)).await;
    assert!(statuses(&before).iter().all(|s| s == "PASSED"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_regression_has_a_good_build_then_failures_with_their_causes() {
    check_regression(World::demo_at(9, 0, NOW), "commerce/orders-api", 38).await;
}

/// Check the flaky test of `full` from build `from` on: one revision, the test failing
/// and passing in turn.
fn check_flaky(w: &World, full: &str, from: u64) {
    let j = job(w, full);
    let runs: Vec<&Build> = j.builds.iter().filter(|b| b.number >= from).collect();
    let revisions: std::collections::HashSet<_> = runs.iter().map(|b| b.revision.clone()).collect();
    assert_eq!(revisions.len(), 1, "one revision");
    let failing: Vec<(String, String)> = runs
        .iter()
        .flat_map(|b| b.tests.as_ref().unwrap().failures.iter())
        .map(|f| (f.class_name.clone(), f.name.clone()))
        .collect();
    let (class, name) = failing.first().cloned().expect("a test fails");
    let mut outcomes = Vec::new();
    for b in &runs {
        let t = b.tests.as_ref().unwrap();
        outcomes.push(if t.fails(&class, &name) {
            Some(false)
        } else if t.passes(&class, &name) {
            Some(true)
        } else {
            None
        });
    }
    assert!(outcomes.iter().all(Option::is_some), "{outcomes:?}");
    assert!(outcomes.contains(&Some(true)) && outcomes.contains(&Some(false)));
}

#[test]
fn a_flaky_test_passes_and_fails_on_the_same_revision() {
    check_flaky(&World::demo_at(9, 1, NOW), "wallet/wallet-service", 19);
}

/// The durations of `stage` over the job's last ten successful runs.
fn slowing(w: &World, full: &str, stage: &str) -> Vec<i64> {
    let j = job(w, full);
    let mut out: Vec<i64> = j
        .builds
        .iter()
        .filter_map(|b| b.stage(stage).filter(|s| s.status == "SUCCESS"))
        .map(|s| s.duration)
        .collect();
    out.drain(..out.len().saturating_sub(10));
    out
}

#[tokio::test]
async fn a_stage_gets_slower_run_after_run() {
    let w = World::demo_at(9, 0, NOW);
    let durations = slowing(&w, "commerce/search-service", "Integration Tests");
    assert_eq!(durations.len(), 10);
    assert!(durations.windows(2).all(|d| d[0] < d[1]), "{durations:?}");
    assert!(durations[9] > durations[0] * 3 / 2);
    // The run still holds together: the stages after it start after it ends.
    let sim = start(w).await;
    let runs = get_json(&sim, "job/commerce/job/search-service/wfapi/runs").await;
    for run in runs.as_array().unwrap() {
        let stages = run["stages"].as_array().unwrap();
        let t = |s: &Value, k: &str| s[k].as_i64().unwrap();
        let it = stages.iter().position(|s| s["name"] == "Integration Tests");
        if let (Some(i), Some(package)) = (it, stages.iter().find(|s| s["name"] == "Package")) {
            let end = t(&stages[i], "startTimeMillis") + t(&stages[i], "durationMillis");
            assert!(t(package, "startTimeMillis") >= end, "{run}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_generated_world_holds_the_incidents_with_a_knob() {
    let w = World::generate(&GenSpec {
        seed: 4,
        now_ms: NOW,
        incidents: true,
        ..GenSpec::default()
    });
    let built = job(&w, "incidents/checkout-api").builds.last().unwrap();
    let sha = built.revision.clone().unwrap();
    let deploys = w.builds_of_revision(&sha);
    assert_eq!(
        deploys
            .iter()
            .filter(|(f, _)| f == "incidents/deploy-checkout-api")
            .count(),
        3
    );
    let production = w.deployments("production");
    let results: Vec<_> = production
        .iter()
        .rev()
        .take(3)
        .map(|(_, b)| b.result)
        .collect();
    assert_eq!(
        results,
        [
            Some(BuildResult::Success),
            Some(BuildResult::Failure),
            Some(BuildResult::Failure)
        ]
    );
    check_flaky(&w, "incidents/wallet-service", 11);
    let durations = slowing(&w, "incidents/search-service", "Integration Tests");
    assert!(durations.windows(2).all(|d| d[0] < d[1]), "{durations:?}");
    check_regression(w, "incidents/orders-api", 18).await;

    let off = World::generate(&GenSpec {
        seed: 4,
        now_ms: NOW,
        ..GenSpec::default()
    });
    assert!(off.item("incidents").is_none());
}
