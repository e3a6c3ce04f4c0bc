//! `majordomo serve` as a real process stops cleanly on SIGTERM: the query in flight
//! finishes with its data, new connections are refused, the process exits 0; a request
//! whose headers never finish does not keep it alive past the grace period.

mod served_common;

use std::time::{Duration, Instant};

use jenkins_sim::{Faults, SimBuilder, World};
use served_common::Served;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The simulated controllers' API token for `admin`.
const TOKEN: &str = "shutdown-test-token";

/// Longer than anything below may take on a loaded machine.
const NEVER: Duration = Duration::from_secs(30);

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(NEVER)
        .build()
        .expect("client")
}

/// Upstream requests the gateway has sent so far, from its `/metrics`.
async fn upstream_requests(served: &Served) -> u64 {
    let text = http()
        .get(served.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        // Answered, or sent and waiting for the answer.
        .filter(|l| {
            l.starts_with("majordomo_upstream_requests_total{")
                || l.starts_with("majordomo_upstream_in_flight{")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_query_in_flight_finish_and_exits_zero() {
    let latency = Duration::from_secs(3);
    let grace = Duration::from_secs(30);
    let sim = SimBuilder::new(World::recorded())
        .token("admin", TOKEN)
        .faults(Faults {
            latency_ms: latency.as_millis() as u64,
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let mut served = Served::start(
        "in-flight",
        &format!(
            "listen = \"127.0.0.1:0\"\n\n[server]\nshutdown_grace_ms = {}\n\n\
             [[connections]]\nname = \"slow\"\nurl = \"{}\"\ntimeout_ms = 20000\n\
             username = \"admin\"\ntoken = \"{TOKEN}\"\n",
            grace.as_millis(),
            sim.url()
        ),
    )
    .await;

    let endpoint = served.url("/graphql");
    let started = Instant::now();
    let query = tokio::spawn(async move {
        let response = http()
            .post(endpoint)
            .json(&serde_json::json!({ "query": "{ connections { name status } }" }))
            .send()
            .await?;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    // The query is in flight once the gateway has sent its request upstream.
    while upstream_requests(&served).await == 0 {
        assert!(started.elapsed() < NEVER, "the query never reached Jenkins");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    served.sigterm();
    let signalled = Instant::now();
    // Refused once the listener is closed (a connection caught in its backlog as it
    // closes is reset instead: try again).
    loop {
        match TcpStream::connect(served.addr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ => {
                assert!(signalled.elapsed() < NEVER, "still accepting after SIGTERM");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    let (status, body) = query.await.expect("join").expect("the query is answered");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({ "data": { "connections": [{ "name": "slow", "status": "ONLINE" }] } })
    );
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    let exit = served
        .exited_within(grace)
        .await
        .expect("the process exits within the grace period");
    assert_eq!(exit.code(), Some(0), "{}", served.logs());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_does_not_hold_shutdown_past_the_grace_period() {
    let grace = Duration::from_millis(1_500);
    let mut served = Served::start(
        "half-sent",
        &format!(
            "listen = \"127.0.0.1:0\"\n\n[server]\nshutdown_grace_ms = {}\n\
             header_read_timeout_ms = 120000\nidle_timeout_ms = 120000\n",
            grace.as_millis()
        ),
    )
    .await;
    let mut half = TcpStream::connect(served.addr).await.expect("connect");
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: majordomo\r\nContent-")
        .await
        .expect("send");
    // The half-sent connection was accepted before a later one is answered (the accept
    // queue is first in, first out).
    let health = http()
        .get(served.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    served.sigterm();
    let exit = served
        .exited_within(grace + Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("still running: {}", served.logs()));
    assert_eq!(exit.code(), Some(0), "{}", served.logs());
    drop(half);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_still_running_after_the_grace_period_is_cut_and_logged() {
    let grace = Duration::from_millis(1_000);
    let sim = SimBuilder::new(World::recorded())
        .token("admin", TOKEN)
        .faults(Faults {
            latency_ms: 20_000,
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let mut served = Served::start(
        "cut",
        &format!(
            "listen = \"127.0.0.1:0\"\n\n[server]\nshutdown_grace_ms = {}\n\n\
             [[connections]]\nname = \"stuck\"\nurl = \"{}\"\ntimeout_ms = 30000\n",
            grace.as_millis(),
            sim.url()
        ),
    )
    .await;
    let endpoint = served.url("/graphql");
    let query = tokio::spawn(async move {
        http()
            .post(endpoint)
            .json(&serde_json::json!({ "query": "{ connections { status } }" }))
            .send()
            .await
    });
    let started = Instant::now();
    while upstream_requests(&served).await == 0 {
        assert!(started.elapsed() < NEVER, "the query never reached Jenkins");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    served.sigterm();
    let exit = served
        .exited_within(grace + Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("still running: {}", served.logs()));
    assert_eq!(exit.code(), Some(0), "{}", served.logs());
    assert!(
        query.await.expect("join").is_err(),
        "the cut query gets no answer"
    );
    let logs = served.logs();
    assert!(logs.contains("cut=1"), "the cut is logged: {logs}");
    // Not `shutdown`: that would wait for the simulator's own request still sleeping.
    drop(sim);
}
