//! Generated worlds: determinism, the shape of a generated world, the demo worlds' names
//! as the gateway's examples use them (over HTTP), and the size of the large world.

use std::collections::HashSet;

use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::world::{BuildResult, Item, JobKind, ParamKind, QueueState};
use jenkins_sim::World;

mod common;
use common::{get_json, start};
use serde_json::Value;

#[test]
fn the_same_spec_gives_the_same_world() {
    let spec = GenSpec {
        seed: 42,
        ..GenSpec::default()
    };
    let a = serde_json::to_string(&World::generate(&spec)).unwrap();
    let b = serde_json::to_string(&World::generate(&spec)).unwrap();
    assert_eq!(a, b);
    let other = serde_json::to_string(&World::generate(&GenSpec {
        seed: 43,
        ..spec.clone()
    }))
    .unwrap();
    assert_ne!(a, other, "another seed gives another world");
}

#[test]
fn a_generated_world_is_consistent() {
    let spec = GenSpec {
        seed: 9,
        folders: 4,
        depth: 3,
        jobs_per_folder: 14,
        root_jobs: 4,
        builds_per_job: 12,
        multibranch: 2,
        branches: 4,
        queue: 10,
        agents: 6,
        offline_agents: 2,
        ..GenSpec::default()
    };
    let w = World::generate(&spec);
    let jobs = w.jobs();
    assert_eq!(jobs.len(), 4 * 14 + 4 + 2 * 4);

    // Folders are nested `depth` levels deep; multibranch branches are encoded.
    assert!(
        jobs.iter().any(|(full, ..)| full.split('/').count() == 4),
        "three folder levels"
    );
    let branches: Vec<&str> = jobs
        .iter()
        .filter_map(|(_, _, j)| j.branch.as_deref())
        .collect();
    assert_eq!(branches.len(), 8);
    for (full, kind, job) in jobs.iter().filter(|(_, _, j)| j.branch.is_some()) {
        let branch = job.branch.as_deref().unwrap();
        assert_eq!(*kind, JobKind::Pipeline);
        assert_eq!(job.name, branch.replace('/', "%2F"), "{full}");
        assert_eq!(job.display_name.as_deref(), Some(branch));
    }

    // Builds end before now; queue ids are unique; pipelines have stages.
    let mut queue_ids = HashSet::new();
    let mut results = HashSet::new();
    for (full, kind, job) in &jobs {
        if *kind == JobKind::Pipeline {
            assert!(
                (3..=7).contains(&job.stage_names.len()),
                "{full} has 3–7 stages"
            );
        }
        for b in &job.builds {
            assert!(
                queue_ids.insert(b.queue_id),
                "queue id {} of {full} is unique",
                b.queue_id
            );
            assert!(
                b.timestamp + b.duration < spec.now_ms,
                "{full} #{} ends before now",
                b.number
            );
            assert!(b.queue_duration >= 0 && b.queue_duration < b.duration.max(1) || b.building());
            if let Some(r) = b.result {
                results.insert(r.as_str());
            }
            for c in &b.changes {
                assert_eq!(c.commit.len(), 40);
                assert!(c.commit.bytes().all(|x| x.is_ascii_hexdigit()));
                assert!(w.user(&c.author).is_some(), "author {} is a user", c.author);
            }
            let mut ids = HashSet::new();
            for s in &b.stages {
                assert!(ids.insert(s.id.clone()));
                for st in &s.steps {
                    assert!(
                        ids.insert(st.id.clone()),
                        "step ids are unique in {full} #{}",
                        b.number
                    );
                    if st.status == "FAILED" {
                        assert!(st.error.is_some());
                    }
                }
            }
        }
    }
    assert!(
        results.contains("SUCCESS") && results.contains("FAILURE"),
        "{results:?}"
    );

    // The queue: every kind of wait, blocked items behind running builds.
    assert_eq!(w.queue.len(), 10);
    for q in &w.queue {
        assert!(queue_ids.insert(q.id), "queue item id {} is unique", q.id);
        let (_, job) = w
            .item(&q.job)
            .and_then(Item::as_job)
            .expect("queued job exists");
        match q.state {
            QueueState::Blocked => {
                let last = job.builds.last().expect("a blocked job has builds");
                assert!(last.building());
                assert_eq!(
                    q.why.clone().unwrap(),
                    format!("Build #{} is already in progress (ETA: N/A)", last.number)
                );
            }
            QueueState::Buildable if q.stuck => {
                let label = job.label.clone().unwrap();
                assert!(w.agents.iter().all(|a| !a.labels.contains(&label)));
                assert_eq!(
                    q.why.clone().unwrap(),
                    format!("‘Jenkins’ doesn’t have label ‘{label}’")
                );
            }
            QueueState::Buildable => assert_eq!(
                q.why.as_deref(),
                Some("Waiting for next available executor")
            ),
            QueueState::Waiting => {
                assert!(q.why.clone().unwrap().starts_with("In the quiet period"))
            }
        }
    }
    assert!(w.controller.next_queue_id > queue_ids.iter().copied().max().unwrap());
    assert_eq!(w.agents.iter().filter(|a| a.offline).count(), 2);

    // A retired job and a job never built.
    assert!(jobs.iter().any(|(_, _, j)| j.disabled));
    assert!(jobs
        .iter()
        .any(|(_, _, j)| j.builds.is_empty() && j.branch.is_none()));

    // One job takes a parameter of every kind.
    assert!(jobs.iter().any(|(_, _, j)| {
        [
            ParamKind::String,
            ParamKind::Boolean,
            ParamKind::Choice,
            ParamKind::Password,
        ]
        .iter()
        .all(|k| j.parameters.iter().any(|p| p.kind == *k))
    }));
}

#[tokio::test]
async fn the_demo_world_has_the_names_the_examples_use() {
    let sim = start(World::demo(1, 0)).await;

    let failed = get_json(&sim, "job/platform/job/api-server/lastFailedBuild/api/json").await;
    assert_eq!(failed["result"], "FAILURE");
    let last = get_json(
        &sim,
        "job/platform/job/api-server/lastBuild/api/json?tree=number,result",
    )
    .await;
    assert_eq!(
        last["number"], failed["number"],
        "the last build of api-server is its last failed one"
    );
    let report = get_json(
        &sim,
        "job/platform/job/api-server/lastFailedBuild/testReport/api/json",
    )
    .await;
    assert!(report["failCount"].as_i64().unwrap() > 0);

    let b142 = get_json(
        &sim,
        "job/platform/job/backend-service/142/api/json?tree=result,changeSets[items[commitId,msg,author[fullName],affectedPaths]]",
    )
    .await;
    assert_eq!(b142["result"], "SUCCESS");
    let items = b142["changeSets"][0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let distinct =
        |key: &dyn Fn(&Value) -> String| items.iter().map(key).collect::<HashSet<_>>().len();
    assert_eq!(distinct(&|i| i["author"]["fullName"].to_string()), 3);
    assert_eq!(distinct(&|i| i["msg"].to_string()), 3);
    assert_eq!(distinct(&|i| i["affectedPaths"].to_string()), 3);
    let builds = get_json(
        &sim,
        "job/platform/job/backend-service/api/json?tree=allBuilds[number]",
    )
    .await;
    assert!(builds["allBuilds"].as_array().unwrap().len() >= 150);

    let branch = get_json(&sim, "job/web-app/job/feature%252Flogin-page/api/json").await;
    assert_eq!(branch["displayName"], "feature/login-page");
    get_json(&sim, "job/web-app/job/PR-42/api/json?tree=name").await;

    let release = get_json(
        &sim,
        "job/release/job/release-pipeline/api/json?tree=lastBuild[result],builds[number,result]",
    )
    .await;
    assert_eq!(release["lastBuild"]["result"], "SUCCESS");
    let describe = get_json(
        &sim,
        "job/release/job/release-pipeline/lastBuild/wfapi/describe",
    )
    .await;
    let stages: Vec<&str> = describe["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
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
    let failed_release = release["builds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["result"] == "FAILURE")
        .expect("an older release failed");
    let run = get_json(
        &sim,
        &format!(
            "job/release/job/release-pipeline/{}/wfapi/describe",
            failed_release["number"]
        ),
    )
    .await;
    let first_failed = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "FAILED")
        .unwrap();
    assert_eq!(first_failed["name"], "Integration Tests");

    let deploy = get_json(
        &sim,
        "job/release/job/deploy-production/api/json?tree=builds[number,result]{0,2},property[parameterDefinitions[name,type]]",
    )
    .await;
    assert_eq!(deploy["builds"][0]["result"], "SUCCESS");
    assert_eq!(deploy["builds"][1]["result"], "FAILURE");
    let defs = deploy["property"].to_string();
    assert!(
        defs.contains("VERSION") && defs.contains("DRY_RUN"),
        "{defs}"
    );

    let etl = get_json(&sim, "job/data/job/etl/job/nightly-etl/lastBuild/api/json?tree=building,actions[causes[shortDescription]]").await;
    assert_eq!(etl["building"], true);
    assert!(etl.to_string().contains("Started by timer"));

    let legacy = get_json(&sim, "job/legacy-deploy/api/json?tree=color,buildable").await;
    assert_eq!(legacy["color"], "disabled");
    let fresh = get_json(
        &sim,
        "job/new-service/api/json?tree=color,lastBuild[number]",
    )
    .await;
    assert_eq!(fresh["color"], "notbuilt");
    assert!(fresh["lastBuild"].is_null());
    let migrate = get_json(
        &sim,
        "job/db-migrate/api/json?tree=property[parameterDefinitions[name,type]]",
    )
    .await;
    assert!(migrate.to_string().contains("DB_PASSWORD"));

    let queue = get_json(
        &sim,
        "queue/api/json?tree=items[why,stuck,blocked,buildable,task[name]]",
    )
    .await;
    let queue = queue["items"].as_array().unwrap();
    let by_task = |name: &str| {
        queue
            .iter()
            .find(|q| q["task"]["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_task("gpu-training")["stuck"], true);
    assert_eq!(
        by_task("gpu-training")["why"],
        "‘Jenkins’ doesn’t have label ‘gpu’"
    );
    assert_eq!(by_task("nightly-etl")["blocked"], true);
    assert!(queue
        .iter()
        .any(|q| q["why"] == "Waiting for next available executor"));

    let computers = get_json(
        &sim,
        "computer/api/json?tree=computer[displayName,offline,temporarilyOffline]",
    )
    .await;
    let nodes = computers["computer"].as_array().unwrap();
    let node = |name: &str| {
        nodes
            .iter()
            .find(|c| c["displayName"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(node("linux-1")["offline"], false);
    assert_eq!(node("linux-2")["offline"], false);
    assert_eq!(node("windows-1")["temporarilyOffline"], true);
    assert_eq!(node("mac-1")["offline"], true);

    for (user, full) in [
        ("alice", "Alice Chen"),
        ("bob", "Bob Martinez"),
        ("carol", "Carol Nguyen"),
    ] {
        let u = get_json(&sim, &format!("user/{user}/api/json")).await;
        assert_eq!(u["fullName"], full);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_other_demo_controllers_differ() {
    let staging = start(World::demo(1, 1)).await;
    let api = get_json(
        &staging,
        "job/payments/job/api-server/api/json?tree=lastBuild[result]",
    )
    .await;
    assert_eq!(api["lastBuild"]["result"], "SUCCESS");
    let queue = get_json(&staging, "queue/api/json?tree=items[stuck]").await;
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["stuck"] == true));
    staging.shutdown().await;

    let legacy = World::demo(1, 2);
    let jobs = legacy.jobs();
    assert!((3..=8).contains(&jobs.len()));
    assert!(jobs.iter().all(|(_, kind, _)| *kind == JobKind::Freestyle));
}

#[test]
fn the_large_world_has_twenty_thousand_jobs() {
    let w = World::large(1);
    let jobs = w.jobs();
    assert!(jobs.len() >= 20_000, "{} jobs", jobs.len());
    let pipelines = jobs
        .iter()
        .filter(|(_, k, _)| *k == JobKind::Pipeline)
        .count();
    assert!(pipelines > jobs.len() / 3, "{pipelines} pipelines");
    assert_eq!(w.queue.len(), 200);
    assert_eq!(w.agents.len(), 50);
    assert_eq!(w.agents.iter().filter(|a| a.offline).count(), 5);
    let failing = jobs
        .iter()
        .filter(|(_, _, j)| j.builds.last().and_then(|b| b.result) == Some(BuildResult::Failure))
        .count();
    assert!(
        failing > 100 && failing < jobs.len() / 3,
        "{failing} failing jobs"
    );
}
