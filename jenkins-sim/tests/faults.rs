//! Fault injection, authentication failures and the `/__sim/` control surface: one test
//! per fault knob, each showing the fault as a client sees it.

use std::time::{Duration, Instant};

use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::world::JobKind;
use jenkins_sim::{Faults, RequestLog, SimBuilder, SimHandle, World};

mod common;
use common::{client, get};

fn world() -> World {
    World::generate(&GenSpec::default())
}

async fn start(faults: Faults) -> SimHandle {
    SimBuilder::new(world())
        .token("admin", "t")
        .faults(faults)
        .start()
        .await
        .expect("the simulator starts")
}

/// A pipeline job's URL path, e.g. `job/a/job/b/`.
fn pipeline_path(w: &World) -> String {
    let (full, ..) = w
        .jobs()
        .into_iter()
        .find(|(_, kind, j)| *kind == JobKind::Pipeline && !j.builds.is_empty())
        .unwrap();
    full.split('/')
        .map(|n| format!("job/{}/", n.replace('%', "%25")))
        .collect()
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sim = start(Faults {
        latency_ms: 250,
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    let resp = get(&sim, "api/json?tree=jobs[name]").await;
    assert_eq!(resp.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn error_rate_one_answers_with_the_chosen_status() {
    let sim = start(Faults {
        error_rate: 1.0,
        error_statuses: vec![502],
        ..Faults::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(get(&sim, "api/json").await.status(), 502);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn startup_answers_503_until_the_window_ends() {
    let sim = start(Faults {
        startup_ms: 400,
        ..Faults::default()
    })
    .await;
    // The window opened before this (loading the world takes a while): the second
    // request below comes at least 450 ms after it.
    let started = Instant::now();
    let resp = get(&sim, "api/json").await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the first request came in time"
    );
    assert_eq!(resp.status(), 503);
    assert!(
        resp.text().await.unwrap().contains("getting ready"),
        "Jenkins' start-up page"
    );
    tokio::time::sleep(Duration::from_millis(450).saturating_sub(started.elapsed())).await;
    assert_eq!(get(&sim, "api/json").await.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn hang_makes_the_client_time_out() {
    let sim = start(Faults {
        hang: true,
        ..Faults::default()
    })
    .await;
    let err = reqwest::Client::new()
        .get(format!("{}api/json", sim.url()))
        .basic_auth("admin", Some("t"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("a hanging controller never answers");
    assert!(err.is_timeout(), "{err}");
    drop(sim);
}

#[tokio::test]
async fn reset_gives_the_client_an_error() {
    let sim = start(Faults {
        reset: true,
        ..Faults::default()
    })
    .await;
    let result = match client()
        .get(format!("{}api/json", sim.url()))
        .basic_auth("admin", Some("t"))
        .send()
        .await
    {
        Ok(resp) => resp.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(
        result.is_err(),
        "a reset connection is an error, not a response"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_bodies_take_proportionally_longer() {
    let sim = start(Faults::default()).await;
    let len = get(&sim, "api/json").await.bytes().await.unwrap().len() as u64;
    let timed = |bps: u64| {
        let sim = &sim;
        async move {
            sim.set_faults(Faults {
                slow_body_bps: Some(bps),
                ..Faults::default()
            });
            let t = Instant::now();
            let body = get(sim, "api/json").await.bytes().await.unwrap();
            assert_eq!(body.len() as u64, len, "the whole body arrives");
            t.elapsed()
        }
    };
    // At `len` bytes per second the body takes about a second; four times faster, a quarter.
    let slow = timed(len).await;
    let fast = timed(len * 4).await;
    assert!(slow >= Duration::from_millis(900), "{slow:?}");
    assert!(fast < slow / 2, "{fast:?} vs {slow:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn truncate_json_breaks_the_json() {
    let sim = start(Faults {
        truncate_json: true,
        ..Faults::default()
    })
    .await;
    let body = get(&sim, "api/json").await.bytes().await.unwrap();
    assert!(!body.is_empty());
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "a truncated body is not JSON"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_json_answers_html() {
    let sim = start(Faults {
        invalid_json: true,
        ..Faults::default()
    })
    .await;
    let body = get(&sim, "api/json").await.text().await.unwrap();
    assert!(body.trim_start().starts_with("<html"), "{body}");
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn reject_credentials_answers_401_with_a_challenge() {
    let sim = start(Faults {
        reject_credentials: true,
        ..Faults::default()
    })
    .await;
    let resp = get(&sim, "api/json").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Basic realm=\"Jenkins\""
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn without_wfapi_the_pipeline_rest_api_is_missing() {
    let w = world();
    let job = pipeline_path(&w);
    let with = SimBuilder::new(w.clone())
        .token("admin", "t")
        .start()
        .await
        .unwrap();
    assert_eq!(get(&with, &format!("{job}wfapi/runs")).await.status(), 200);
    with.shutdown().await;
    let without = SimBuilder::new(w)
        .token("admin", "t")
        .without_wfapi()
        .start()
        .await
        .unwrap();
    assert_eq!(
        get(&without, &format!("{job}wfapi/runs")).await.status(),
        404
    );
    assert_eq!(
        get(&without, &format!("{job}lastBuild/wfapi/describe"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&without, &format!("{job}api/json")).await.status(),
        200,
        "the job itself is there"
    );
    without.shutdown().await;
}

#[tokio::test]
async fn wrong_token_is_401_and_anonymous_is_403() {
    let sim = start(Faults::default()).await;
    let wrong = client()
        .get(format!("{}api/json", sim.url()))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
    let anonymous = client()
        .get(format!("{}api/json", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    let password = client()
        .get(format!("{}api/json", sim.url()))
        .basic_auth("reader", Some("reader-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), 200, "a user's password works too");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_request_log_counts_requests_and_resets() {
    let sim = start(Faults::default()).await;
    let log = |sim: &SimHandle| {
        let url = format!("{}__sim/requests", sim.url());
        async move {
            client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<RequestLog>()
                .await
                .unwrap()
        }
    };
    assert_eq!(log(&sim).await.count, 0);
    get(&sim, "api/json?tree=jobs[name]").await;
    get(&sim, "queue/api/json").await;
    get(&sim, "job/does-not-exist/api/json").await;
    let first = log(&sim).await;
    assert_eq!(first.count, 3);
    assert_eq!(log(&sim).await.count, 3, "reading the log is not counted");
    assert_eq!(first.requests[0].path, "/api/json");
    assert_eq!(first.requests[0].query.as_deref(), Some("tree=jobs[name]"));
    assert_eq!(first.requests[0].status, 200);
    assert_eq!(first.requests[2].status, 404);
    assert_eq!(sim.request_count(), 3);

    let reset = client()
        .post(format!("{}__sim/reset", sim.url()))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    assert_eq!(log(&sim).await.count, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_change_at_runtime() {
    let sim = start(Faults::default()).await;
    assert_eq!(get(&sim, "api/json").await.status(), 200);
    let faults_url = format!("{}__sim/faults", sim.url());
    let put = client()
        .put(&faults_url)
        .json(&serde_json::json!({ "error_rate": 1.0, "error_statuses": [503] }))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    assert_eq!(get(&sim, "api/json").await.status(), 503);
    let now: Faults = client()
        .get(&faults_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now.error_statuses, vec![503]);
    client()
        .put(&faults_url)
        .json(&Faults::default())
        .send()
        .await
        .unwrap();
    assert_eq!(get(&sim, "api/json").await.status(), 200);
    sim.shutdown().await;
}
