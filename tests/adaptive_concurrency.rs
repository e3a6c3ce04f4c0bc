//! The adaptive upstream concurrency limit, end to end: a controller that answers in a
//! steady 80 ms gets the gateway's limit raised from its start (8) towards the ceiling;
//! when its latency doubles (jenkins-sim's latency knob), the limit and the requests in
//! flight fall. Read from the gateway's own /metrics while the load runs. (80 ms, so that
//! the CPU time of a debug build on a busy machine is small beside the simulated latency.)

mod gateway_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gateway_common::{connection, Gateway, TOKEN, USER};
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::{Faults, SimBuilder, SimHandle, World};
use majordomo::config::Config;

const CEILING: usize = 32;
/// Builds per GraphQL query (aliased root fields) and queries at once: enough requests
/// waiting that the limit, not the load, decides how many are in flight.
const PER_QUERY: usize = 40;
const CONCURRENT_QUERIES: usize = 12;
const LATENCY_MS: u64 = 80;

fn world() -> World {
    World::generate(&GenSpec {
        seed: 5,
        now_ms: jenkins_sim::clock::now_ms(),
        folders: 10,
        depth: 1,
        jobs_per_folder: 60,
        root_jobs: 0,
        builds_per_job: 6,
        pipeline_share: 1.0,
        multibranch: 0,
        branches: 0,
        queue: 0,
        agents: 1,
        offline_agents: 0,
        log_bytes: 1024,
        incidents: false,
    })
}

/// Every finished build of the world, as `(job, number)`.
fn builds(sim: &SimHandle) -> Vec<(String, u64)> {
    sim.with_world(|world| {
        world
            .jobs()
            .into_iter()
            .flat_map(|(name, _, job)| {
                job.builds
                    .iter()
                    .filter(|b| !b.building())
                    .map(|b| (name.clone(), b.number))
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

/// `(limit, in flight)` of connection `c` from the gateway's /metrics.
async fn concurrency(gateway: &Gateway) -> (usize, usize) {
    let (_, text) = gateway.get("/metrics").await;
    let value = |name: &str| {
        let prefix = format!("{name}{{connection=\"c\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    (
        value("majordomo_upstream_concurrency_limit"),
        value("majordomo_upstream_in_flight"),
    )
}

/// Asks for the stages of every build in `batch`, `PER_QUERY` per query, and samples the
/// limit and the requests in flight meanwhile; the samples of the second half of the run.
async fn load(gateway: &Gateway, batch: &[(String, u64)]) -> Vec<(usize, usize)> {
    let queries: Vec<String> = batch
        .chunks(PER_QUERY)
        .map(|chunk| {
            let fields: String = chunk
                .iter()
                .enumerate()
                .map(|(i, (job, n))| {
                    format!(
                        "b{i}: build(connection: \"c\", job: \"{job}\", number: {n}) {{ stages {{ name }} }} "
                    )
                })
                .collect();
            format!("{{ {fields}}}")
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampling = async {
        let mut samples = Vec::new();
        while !done.load(Ordering::Relaxed) {
            samples.push(concurrency(gateway).await);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        samples
    };
    let querying = async {
        use futures::StreamExt;
        futures::stream::iter(queries)
            .for_each_concurrent(CONCURRENT_QUERIES, |q| async move {
                let body = gateway.query(&q).await;
                assert!(body.get("errors").is_none(), "{}", body["errors"]);
            })
            .await;
        done.store(true, Ordering::Relaxed);
    };
    let (samples, ()) = tokio::join!(sampling, querying);
    let half = samples.len() / 2;
    samples[half..].to_vec()
}

fn mean(values: impl Iterator<Item = usize>) -> f64 {
    let values: Vec<usize> = values.collect();
    values.iter().sum::<usize>() as f64 / values.len().max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_grows_on_a_steady_controller_and_falls_when_latency_doubles() {
    let sim = SimBuilder::new(world())
        .token(USER, TOKEN)
        .faults(Faults {
            latency_ms: LATENCY_MS,
            ..Faults::default()
        })
        .start()
        .await
        .expect("start jenkins-sim");
    let mut config =
        Config::with_connections(vec![connection("c", &sim).with_max_concurrency(CEILING)]);
    config.limits.max_aliases = 1_000;
    config.limits.max_root_fields = 1_000;
    config.limits.max_fields = 10_000;
    let gateway = Gateway::start_config(config).await;
    assert_eq!(concurrency(&gateway).await, (8, 0), "it starts at 8, idle");

    let all = builds(&sim);
    // A round of queries at 80 ms; a third of a round at 160 ms, over within the 5 s the
    // baseline (the fastest answer) is kept at least, so the slower latency counts as a rise.
    let round = PER_QUERY * CONCURRENT_QUERIES;
    assert!(all.len() >= 2 * round, "{} builds", all.len());
    let steady = load(&gateway, &all[..round]).await;
    let highest = steady.iter().map(|s| s.0).max().expect("samples");
    assert!(
        highest >= CEILING * 3 / 4,
        "the limit grew from 8 towards {CEILING}: {steady:?}"
    );

    sim.set_faults(Faults {
        latency_ms: 2 * LATENCY_MS,
        ..Faults::default()
    });
    let slow = load(&gateway, &all[round..round + round / 3]).await;
    // Averages over the second half of each phase: this machine's own scheduling noise
    // moves single samples.
    let (steady_limit, slow_limit) = (
        mean(steady.iter().map(|s| s.0)),
        mean(slow.iter().map(|s| s.0)),
    );
    let (steady_in_flight, slow_in_flight) = (
        mean(steady.iter().map(|s| s.1)),
        mean(slow.iter().map(|s| s.1)),
    );
    eprintln!(
        "limit {steady_limit:.1} -> {slow_limit:.1}; in flight {steady_in_flight:.1} -> {slow_in_flight:.1}"
    );
    // At twice the baseline the gradient is 1.5 × 1/2 = 0.75, so the limit heads for 16
    // (0.75 × limit + 4 = limit), from wherever the steady phase left it.
    assert!(
        slow_limit < steady_limit && slow_limit < 20.0,
        "doubled latency: the limit went from {steady_limit:.1} to {slow_limit:.1}: {slow:?}"
    );
    assert!(
        slow_in_flight < steady_in_flight,
        "in flight: {steady_in_flight:.1} at {LATENCY_MS} ms, {slow_in_flight:.1} at twice that"
    );
    gateway.stop().await;
    sim.shutdown().await;
}
