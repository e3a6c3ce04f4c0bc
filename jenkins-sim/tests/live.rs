//! Live mode as a client sees it: builds are queued, start, run visibly (in progress, more
//! log to come) and finish with a result; the queue moves. Every wait has a deadline.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use jenkins_sim::clock::now_ms;
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::world::{BuildResult, LiveRule};
use jenkins_sim::{LiveConfig, SimBuilder, SimHandle, World};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::get;

fn live_world() -> World {
    World::generate(&GenSpec {
        seed: 5,
        now_ms: now_ms(),
        folders: 0,
        root_jobs: 4,
        builds_per_job: 3,
        pipeline_share: 1.0,
        multibranch: 0,
        queue: 0,
        agents: 2,
        offline_agents: 0,
        ..GenSpec::default()
    })
}

/// Last build number of every root job.
async fn last_builds(sim: &SimHandle) -> HashMap<String, (u64, bool)> {
    let v = common::get_json(sim, "api/json?tree=jobs[name,lastBuild[number,building]]").await;
    v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let n = j["lastBuild"]["number"].as_u64().unwrap_or(0);
            let building = j["lastBuild"]["building"].as_bool().unwrap_or(false);
            (j["name"].as_str().unwrap().to_string(), (n, building))
        })
        .collect()
}

async fn queue_ids(sim: &SimHandle) -> HashSet<u64> {
    let v = common::get_json(sim, "queue/api/json?tree=items[id]").await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_start_run_and_finish_while_the_queue_moves() {
    let world = live_world();
    assert!(
        world
            .jobs()
            .iter()
            .any(|(_, _, j)| !j.disabled && j.label.is_none()),
        "live mode has a job to trigger"
    );
    let sim = SimBuilder::new(world)
        .token("admin", "t")
        .live(LiveConfig {
            tick: Duration::from_millis(50),
            trigger_every: Duration::from_millis(100),
            quiet_period: Duration::from_millis(100),
            build_duration: Duration::from_secs(1),
            ..LiveConfig::default()
        })
        .start()
        .await
        .unwrap();
    let initial = last_builds(&sim).await;
    let mut seen_in_queue: HashSet<u64> = HashSet::new();

    // A new build appears and is visibly in progress.
    let deadline = Instant::now() + Duration::from_secs(15);
    let (job, number) = 'found: loop {
        assert!(Instant::now() < deadline, "no new running build appeared");
        seen_in_queue.extend(queue_ids(&sim).await);
        for (name, (n, building)) in last_builds(&sim).await {
            if n <= initial.get(&name).map_or(0, |(n, _)| *n) || !building {
                continue;
            }
            let build = format!("job/{name}/{n}/");
            let log = get(&sim, &format!("{build}logText/progressiveText?start=0")).await;
            let more = log
                .headers()
                .get("x-more-data")
                .map(|v| v.to_str().unwrap().to_string());
            let describe = common::get_json(&sim, &format!("{build}wfapi/describe")).await;
            // The build may have finished in between; then look for the next one.
            if more.as_deref() == Some("true") && describe["status"] == "IN_PROGRESS" {
                break 'found (name, n);
            }
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    };

    // It finishes with a result.
    let build = format!("job/{job}/{number}/");
    let deadline = Instant::now() + Duration::from_secs(15);
    let result = loop {
        assert!(Instant::now() < deadline, "{build} never finished");
        seen_in_queue.extend(queue_ids(&sim).await);
        let b = common::get_json(
            &sim,
            &format!("{build}api/json?tree=building,result,duration"),
        )
        .await;
        if let Some(r) = b["result"].as_str() {
            assert_eq!(b["building"], false);
            assert!(b["duration"].as_i64().unwrap() > 0);
            break r.to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        ["SUCCESS", "FAILURE"].contains(&result.as_str()),
        "{result}"
    );
    let describe = common::get_json(&sim, &format!("{build}wfapi/describe")).await;
    assert_eq!(
        describe["status"],
        if result == "SUCCESS" {
            "SUCCESS"
        } else {
            "FAILED"
        }
    );
    let log = get(&sim, &format!("{build}logText/progressiveText?start=0")).await;
    assert!(log.headers().get("x-more-data").is_none());
    assert!(log
        .text()
        .await
        .unwrap()
        .ends_with(&format!("Finished: {result}\r\n")));

    // The queue moved: items appeared, and some have left it for a build.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            Instant::now() < deadline,
            "no queue item was seen leaving the queue ({seen_in_queue:?})"
        );
        let now = queue_ids(&sim).await;
        let mut left = None;
        for id in seen_in_queue.iter().filter(|id| !now.contains(id)) {
            let item = common::get_json(&sim, &format!("queue/item/{id}/api/json")).await;
            if item["_class"] == "hudson.model.Queue$LeftItem"
                && item["executable"]["number"].is_u64()
            {
                left = Some(item);
                break;
            }
        }
        if left.is_some() {
            break;
        }
        seen_in_queue.extend(now);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sim.shutdown().await;
}

/// A demo world's incidents, as its model marks them: the jobs live mode leaves still,
/// with their last completed build; the stuck queue items; the offline agents.
#[derive(Debug, PartialEq)]
struct Incidents {
    still: Vec<(String, u64, Option<BuildResult>)>,
    stuck: Vec<u64>,
    offline: Vec<String>,
}

fn incidents(w: &World) -> Incidents {
    let still = w
        .jobs()
        .into_iter()
        .filter(|(_, _, j)| j.live == LiveRule::Still)
        .map(|(full, _, j)| {
            let last = j.permalink("lastCompletedBuild");
            (
                full,
                last.map_or(0, |b| b.number),
                last.and_then(|b| b.result),
            )
        })
        .collect();
    let stuck = w.queue.iter().filter(|q| q.stuck).map(|q| q.id).collect();
    let offline = w
        .agents
        .iter()
        .filter(|a| a.offline)
        .map(|a| a.name.clone())
        .collect();
    Incidents {
        still,
        stuck,
        offline,
    }
}

#[test]
fn the_demo_keeps_its_incidents_while_the_world_moves() {
    let start = 1_767_225_600_000;
    let cfg = LiveConfig {
        tick: Duration::from_secs(2),
        trigger_every: Duration::from_secs(4),
        build_duration: Duration::from_secs(30),
        ..LiveConfig::default()
    };
    for variant in [0, 1] {
        let mut w = World::demo_at(42, variant, start);
        let before = incidents(&w);
        let builds =
            |w: &World| -> u64 { w.jobs().iter().map(|(_, _, j)| j.builds.len() as u64).sum() };
        let initial = builds(&w);
        let mut rng = ChaCha8Rng::seed_from_u64(variant as u64);
        let mut seen_running = 0;
        // An hour of live mode, two seconds a tick (the world used to heal in a quarter).
        for tick in 0..1_800 {
            jenkins_sim::live::step(&mut w, &cfg, &mut rng, start + tick * 2_000);
            if tick % 60 == 0 {
                assert_eq!(incidents(&w), before, "variant {variant}, tick {tick}");
                if variant == 0 {
                    let api = w.item("platform/api-server").and_then(|i| i.as_job());
                    let last = api.and_then(|(_, j)| j.permalink("lastCompletedBuild"));
                    assert_eq!(
                        last.and_then(|b| b.result),
                        Some(BuildResult::Failure),
                        "{tick}"
                    );
                }
                seen_running += w
                    .jobs()
                    .iter()
                    .filter(|(_, _, j)| j.builds.last().is_some_and(|b| b.building()))
                    .count();
            }
        }
        assert_eq!(incidents(&w), before, "variant {variant} after an hour");
        if variant == 0 {
            let api = before
                .still
                .iter()
                .find(|(f, ..)| f == "platform/api-server");
            assert_eq!(api.map(|a| a.2), Some(Some(BuildResult::Failure)));
            assert!(!before.stuck.is_empty() && !before.offline.is_empty());
        }
        let new = builds(&w) - initial;
        assert!(
            new > 100,
            "variant {variant}: {new} new builds in two hours"
        );
        assert!(
            seen_running > 10,
            "variant {variant}: builds run ({seen_running})"
        );
    }
}
