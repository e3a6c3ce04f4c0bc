//! The incident shapes generated and demo worlds hold, checked over HTTP against what the
//! recorded Jenkins answered: runs paused at an input, parallel stages, stages skipped
//! after a failure, and `wfapi/runs` on generated jobs.

use jenkins_sim::clock::now_ms;
use jenkins_sim::model::item_path;
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::world::{Build, JobKind};
use jenkins_sim::{SimHandle, World};
use serde_json::Value;

mod common;
use common::{get, get_json, start};

/// The JSON body of a recording in `jenkins-sim/recordings/`.
fn recorded(file_prefix: &str) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/");
    let name = std::fs::read_dir(dir)
        .expect("the recordings")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with(file_prefix))
        .unwrap_or_else(|| panic!("no recording {file_prefix}"));
    let raw = std::fs::read_to_string(format!("{dir}{name}")).expect("readable");
    let (_, body) = raw.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).expect("JSON")
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Every build paused at an input in a world: (job full name, build).
fn paused(w: &World) -> Vec<(String, Build)> {
    w.jobs()
        .into_iter()
        .flat_map(|(full, _, j)| {
            j.builds
                .iter()
                .filter(|b| b.input.is_some())
                .map(move |b| (full.clone(), b.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Check a paused run as the recorded Jenkins shows one (recordings 109, 110, 112).
async fn check_paused(sim: &SimHandle, full: &str, b: &Build) {
    let base = format!("{}{}", item_path(full), b.number);
    let run = get_json(sim, &format!("{base}/wfapi/describe")).await;
    let want = recorded("109-");
    assert_eq!(keys(&run), keys(&want), "{full}");
    // Links as recorded, with `changesets` between `self` and the input's when the run
    // has changes (RunExt's order).
    let links: Vec<&str> = keys(&run["_links"])
        .into_iter()
        .filter(|k| *k != "changesets")
        .collect();
    assert_eq!(links, keys(&want["_links"]), "{full}");
    assert_eq!(run["status"], "PAUSED_PENDING_INPUT");
    let stages = run["stages"].as_array().unwrap();
    let last = stages.last().unwrap();
    assert_eq!(
        last["name"], "Approve",
        "{full}: stages stop at the approval"
    );
    assert_eq!(last["status"], "PAUSED_PENDING_INPUT");
    assert!(
        last["pauseDurationMillis"].as_i64().unwrap() > 60_000,
        "{last}"
    );
    assert!(last["durationMillis"].as_i64() >= last["pauseDurationMillis"].as_i64());
    assert!(stages[..stages.len() - 1]
        .iter()
        .all(|s| s["status"] == "SUCCESS"));

    let actions = get_json(sim, &format!("{base}/wfapi/pendingInputActions")).await;
    let want = &recorded("110-")[0];
    let action = &actions[0];
    assert_eq!(keys(action), keys(want), "{full}");
    let input = b.input.as_ref().unwrap();
    assert_eq!(action["message"], input.message.as_str());
    assert!(input.message.starts_with("Deploy") && input.message.ends_with("production?"));
    assert_eq!(
        action["proceedText"],
        input.proceed_text.as_deref().unwrap()
    );
    assert_eq!(
        action["proceedUrl"],
        format!("/{base}/wfapi/inputSubmit?inputId={}", input.id)
    );
    assert_eq!(
        action["abortUrl"],
        format!("/{base}/input/{}/abort", input.id)
    );
    assert!(input.submitter.is_some(), "the world says who may approve");
    let next = get_json(sim, &format!("{base}/wfapi/nextPendingInputAction")).await;
    assert_eq!(&next, action);

    let classic = get_json(sim, &format!("{base}/api/json?tree=building,result")).await;
    assert_eq!(classic["building"], true);
    assert!(classic["result"].is_null());
    let runs = get_json(sim, &format!("{}wfapi/runs", item_path(full))).await;
    assert_eq!(runs[0]["status"], "PAUSED_PENDING_INPUT");
    let log = get(sim, &format!("{base}/consoleText"))
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains(&input.message), "{log}");
    assert!(!log.contains("Finished:"), "a paused run has not finished");
}

#[tokio::test]
async fn two_demo_controllers_hold_runs_paused_at_an_input() {
    for variant in [0, 1] {
        let world = World::demo(3, variant);
        let runs = paused(&world);
        assert!(
            !runs.is_empty(),
            "demo {variant} has a run paused at an input"
        );
        let sim = start(world).await;
        for (full, b) in &runs {
            check_paused(&sim, full, b).await;
        }
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_generated_world_holds_a_run_paused_at_an_input() {
    let world = World::generate(&GenSpec {
        seed: 11,
        now_ms: now_ms(),
        ..GenSpec::default()
    });
    let runs = paused(&world);
    assert_eq!(runs.len(), 1);
    let sim = start(world).await;
    check_paused(&sim, &runs[0].0, &runs[0].1).await;
    sim.shutdown().await;
}

/// Parallel stages and their branches, by name.
type Groups = Vec<(String, Vec<String>)>;

/// The documented client rule, on a run's wfapi stages: a parallel stage is followed by
/// its branches, which start at or after its end and overlap one another; the next
/// stage starts after the last branch ends. Returns (parent, branches) per group.
fn parallel_groups(stages: &[Value]) -> Groups {
    let t = |s: &Value, k: &str| s[k].as_i64().unwrap();
    let end = |s: &Value| t(s, "startTimeMillis") + t(s, "durationMillis");
    let overlap =
        |a: &Value, b: &Value| t(a, "startTimeMillis") < end(b) && t(b, "startTimeMillis") < end(a);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < stages.len() {
        let mut j = i + 1;
        while j + 1 < stages.len() && overlap(&stages[j], &stages[j + 1]) {
            j += 1;
        }
        if j > i + 1 {
            let parent = &stages[i];
            let branches = &stages[i + 1..=j];
            assert!(branches
                .iter()
                .all(|b| t(b, "startTimeMillis") >= end(parent) - 1));
            let last = branches.iter().map(end).max().unwrap();
            if let Some(next) = stages.get(j + 1) {
                assert!(t(next, "startTimeMillis") >= last, "{next}");
            }
            let name = |s: &Value| s["name"].as_str().unwrap().to_string();
            out.push((name(parent), branches.iter().map(name).collect()));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_client_rule_finds_the_recorded_parallel_branches() {
    let run = recorded("103-");
    let groups = parallel_groups(run["stages"].as_array().unwrap());
    assert_eq!(
        groups,
        [(
            "Tests".to_string(),
            vec!["Unit".to_string(), "Integration".into(), "Lint".into()]
        )]
    );
}

#[tokio::test]
async fn generated_runs_hold_parallel_stages_a_client_can_group() {
    let demo = World::demo(5, 0);
    let generic = World::generate(&GenSpec {
        seed: 8,
        now_ms: now_ms(),
        folders: 3,
        jobs_per_folder: 10,
        pipeline_share: 1.0,
        ..GenSpec::default()
    });
    for world in [demo, generic] {
        let jobs: Vec<(String, Vec<u64>, Groups)> = world
            .jobs()
            .into_iter()
            .filter(|(_, k, j)| *k == JobKind::Pipeline && !j.parallel.is_empty())
            .map(|(full, _, j)| {
                let groups = j
                    .parallel
                    .iter()
                    .map(|p| (p.stage.clone(), p.branches.clone()))
                    .collect();
                let done = j.builds.iter().filter(|b| !b.building());
                (full, done.map(|b| b.number).collect(), groups)
            })
            .collect();
        assert!(!jobs.is_empty(), "some pipelines test in parallel");
        let sim = start(world).await;
        for (full, numbers, groups) in &jobs {
            for n in numbers.iter().rev().take(5) {
                let run = get_json(&sim, &format!("{}{n}/wfapi/describe", item_path(full))).await;
                let stages = run["stages"].as_array().unwrap();
                assert_eq!(&parallel_groups(stages), groups, "{full} #{n}");
            }
        }
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn stages_after_a_failure_are_failed_with_its_error_and_no_nodes() {
    let recorded = recorded("100-");
    let stages = recorded["stages"].as_array().unwrap();
    assert_eq!(stages[1]["status"], "FAILED");
    assert_eq!(
        stages[2]["status"], "FAILED",
        "Jenkins 2.516.2 reports a skipped stage so"
    );
    assert_eq!(stages[2]["error"], stages[1]["error"]);

    let world = World::demo(5, 0);
    let failed: Vec<(String, u64)> = world
        .jobs()
        .into_iter()
        .filter(|(_, k, _)| *k == JobKind::Pipeline)
        .flat_map(|(full, _, j)| {
            let runs = j.builds.iter().filter(|b| {
                b.result == Some(jenkins_sim::world::BuildResult::Failure)
                    && b.stages.last().is_some_and(|s| s.steps.is_empty())
            });
            runs.map(move |b| (full.clone(), b.number))
                .collect::<Vec<_>>()
        })
        .take(12)
        .collect();
    assert!(failed.len() >= 5);
    let sim = start(world).await;
    for (full, n) in &failed {
        let url = format!("{}{n}/wfapi/describe?fullStages=true", item_path(full));
        let run = get_json(&sim, &url).await;
        let stages = run["stages"].as_array().unwrap();
        let first = stages.iter().position(|s| s["status"] == "FAILED").unwrap();
        let error = &stages[first]["error"];
        assert!(!stages[first]["stageFlowNodes"]
            .as_array()
            .unwrap()
            .is_empty());
        let skipped: Vec<&Value> = stages[first + 1..]
            .iter()
            .filter(|s| s["stageFlowNodes"].as_array().unwrap().is_empty())
            .collect();
        assert!(!skipped.is_empty(), "{full} #{n}");
        for s in skipped {
            assert_eq!(s["status"], "FAILED", "{full} #{n}: {s}");
            assert_eq!(&s["error"], error);
            assert!(s["durationMillis"].as_i64().unwrap() < 100);
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn wfapi_runs_works_for_generated_jobs() {
    let world = World::generate(&GenSpec {
        seed: 21,
        now_ms: now_ms(),
        folders: 2,
        depth: 2,
        jobs_per_folder: 8,
        builds_per_job: 14,
        pipeline_share: 1.0,
        multibranch: 2,
        branches: 4,
        ..GenSpec::default()
    });
    let jobs: Vec<(String, Vec<u64>)> = world
        .jobs()
        .into_iter()
        .filter(|(_, k, _)| *k == JobKind::Pipeline)
        .map(|(full, _, j)| (full, j.builds.iter().rev().map(|b| b.number).collect()))
        .collect();
    assert!(
        jobs.iter().any(|(full, _)| full.contains("%2F")),
        "branch jobs too"
    );
    let sim = start(world).await;
    let want = recorded("112-");
    for (full, numbers) in &jobs {
        let runs = get_json(&sim, &format!("{}wfapi/runs", item_path(full))).await;
        let runs = runs.as_array().unwrap();
        let ids: Vec<u64> = runs
            .iter()
            .map(|r| r["id"].as_str().unwrap().parse().unwrap())
            .collect();
        let newest: Vec<u64> = numbers.iter().take(10).copied().collect();
        assert_eq!(ids, newest, "{full}: the newest ten runs, newest first");
        for r in runs {
            assert_eq!(keys(r), keys(&want[0]), "{full}");
            assert!(!r["stages"].as_array().unwrap().is_empty(), "{full}");
        }
    }
    sim.shutdown().await;
}
