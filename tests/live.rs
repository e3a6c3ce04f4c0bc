//! Subscriptions end to end, with the reference clients of both transports (graphql-ws
//! over a WebSocket, graphql-sse over Server-Sent Events; `tests/live/clients.cjs`, npm
//! packages installed by `.ci/install-node-tools`) against jenkins-sim: every kind of
//! event arrives, in order per build; a build that started and finished between two polls
//! yields both events; a tailed log reassembles byte for byte to the build's `consoleText`;
//! queue items enter and leave as the build they became; a controller going down and
//! coming back yields both; an open WebSocket holds a connection slot until it closes, and
//! one from a foreign page is refused; 200 subscribers cost the upstream
//! requests of one and the last one leaving stops the polling; a subscription sees only
//! what its key may see.

mod gateway_common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use gateway_common::{connection, recorded_builder, Gateway};
use jenkins_sim::world::{Build, BuildResult, Item, Log};
use jenkins_sim::{Faults, LiveConfig, SimBuilder, SimHandle, World};
use majordomo::config::{ApiKeyConfig, Config, ConnectionConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::{timeout, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The node_modules the project's script installed (it installs them on first use).
fn node_modules() -> String {
    let out = std::process::Command::new(root().join(".ci/install-node-tools"))
        .output()
        .expect("run .ci/install-node-tools");
    assert!(
        out.status.success(),
        "the npm packages these tests need could not be installed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `count` subscribers of one subscription, over `mode` (`ws` or `sse`); killed on drop.
struct Subscribers {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    connected: u64,
}

impl Subscribers {
    async fn start(mode: &str, gateway: &Gateway, count: usize, query: &str, vars: Value) -> Self {
        Self::start_as(mode, gateway, count, query, vars, None).await
    }

    async fn start_as(
        mode: &str,
        gateway: &Gateway,
        count: usize,
        query: &str,
        vars: Value,
        authorization: Option<&str>,
    ) -> Self {
        let modules = tokio::task::spawn_blocking(node_modules)
            .await
            .expect("join");
        let mut cmd = Command::new("node");
        cmd.env("NODE_PATH", modules)
            .arg(root().join("tests/live/clients.cjs"))
            .args([mode, &gateway.endpoint, &count.to_string(), query])
            .arg(vars.to_string())
            .args(authorization)
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("run node");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Subscribers {
            child,
            lines,
            connected: 0,
        }
    }

    /// The next message, or `None` when the clients are done or `wait` passed.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let end = Instant::now() + wait;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            let line = match timeout(left, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => line,
                _ => return None,
            };
            let msg: Value = serde_json::from_str(&line).expect("a JSON line");
            match msg.get("connected").and_then(Value::as_u64) {
                Some(n) => self.connected = n,
                None => return Some(msg),
            }
        }
    }

    /// Wait until every WebSocket client is acknowledged (nothing else may arrive).
    async fn all_connected(&mut self, count: u64, within: Duration) {
        let end = Instant::now() + within;
        while self.connected < count {
            let left = end
                .checked_duration_since(Instant::now())
                .unwrap_or_default();
            if let Some(msg) = self.next(left.min(Duration::from_millis(200))).await {
                panic!("{msg}");
            }
            assert!(
                Instant::now() < end,
                "{} of {count} connected",
                self.connected
            );
        }
    }

    /// Messages until `done` says so (true) or `within` passes (false).
    async fn until(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&Value) -> bool,
    ) -> (Vec<Value>, bool) {
        let end = Instant::now() + within;
        let mut seen = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            let Some(msg) = self.next(left).await else {
                break;
            };
            let over = done(&msg);
            seen.push(msg);
            if over {
                return (seen, true);
            }
        }
        (seen, false)
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A gateway whose pollers poll every `interval_ms`.
async fn gateway(connections: Vec<ConnectionConfig>, interval_ms: u64) -> Gateway {
    let mut config = Config::with_connections(connections);
    config.live.poll_interval_ms = interval_ms;
    config.live.log_interval_ms = interval_ms;
    config.live.max_backoff_ms = interval_ms * 2;
    config.validate().expect("valid config");
    Gateway::start_config(config).await
}

/// A controller whose world moves fast: builds every second or so, 3 s each.
async fn live_sim(seed: u64) -> SimHandle {
    SimBuilder::new(World::demo(seed, 0))
        .seed(seed)
        .token(gateway_common::USER, gateway_common::TOKEN)
        .live(LiveConfig {
            tick: Duration::from_millis(100),
            trigger_every: Duration::from_millis(700),
            quiet_period: Duration::from_millis(300),
            build_duration: Duration::from_secs(3),
            ..LiveConfig::default()
        })
        .start()
        .await
        .expect("start jenkins-sim")
}

/// Requests the simulator served for the build poller's listings (the root's `api/json`
/// with a `tree=` of jobs).
fn listings(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| {
            r.path.ends_with("/api/json") && r.query.as_deref().is_some_and(|q| q.contains("tree="))
        })
        .count()
}

/// Wait until the simulator served `n` more listings than `from`.
async fn listed(sim: &SimHandle, from: usize, n: usize) {
    let end = Instant::now() + Duration::from_secs(20);
    while listings(sim) < from + n {
        assert!(Instant::now() < end, "the poller did not poll");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const BUILD_EVENTS: &str = "subscription { buildEvents(stages: true) { kind jobName number \
    build { number result building duration } stage { name } queueItem { queueId } } }";

fn event(msg: &Value) -> Option<&Value> {
    msg.get("data")?.get("buildEvents")
}

/// Every event kind, in order per build: QUEUED (no number), then STARTED, STAGE...,
/// FINISHED with a result and a duration.
fn check_build_order(events: &[&Value]) -> HashSet<String> {
    let mut kinds = HashSet::new();
    let mut per_build: HashMap<(String, i64), Vec<String>> = HashMap::new();
    for e in events {
        let kind = e["kind"].as_str().expect("kind").to_string();
        kinds.insert(kind.clone());
        if kind == "QUEUED" {
            assert!(
                e["number"].is_null() && !e["queueItem"]["queueId"].is_null(),
                "{e}"
            );
            continue;
        }
        let key = (
            e["jobName"].as_str().expect("job").to_string(),
            e["number"].as_i64().expect("number"),
        );
        if kind == "FINISHED" {
            assert!(e["build"]["result"].is_string(), "{e}");
            assert!(
                e["build"]["duration"].as_i64().is_some_and(|d| d > 0),
                "{e}"
            );
            assert_eq!(e["build"]["building"], false, "{e}");
        }
        if kind == "STAGE" {
            assert!(e["stage"]["name"].is_string(), "{e}");
        }
        per_build.entry(key).or_default().push(kind);
    }
    for (build, kinds) in &per_build {
        let rank = |k: &str| match k {
            "STARTED" => 0,
            "STAGE" => 1,
            _ => 2,
        };
        let ranks: Vec<u8> = kinds.iter().map(|k| rank(k)).collect();
        assert!(
            ranks.windows(2).all(|w| w[0] <= w[1]),
            "{build:?}: {kinds:?}"
        );
        assert!(
            kinds.iter().filter(|k| *k == "FINISHED").count() <= 1,
            "{build:?}: {kinds:?}"
        );
    }
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_build_event_kind_arrives_in_order_over_both_transports() {
    let sim = live_sim(7).await;
    let gateway = gateway(vec![connection("ci", &sim)], 300).await;
    let mut ws = Subscribers::start("ws", &gateway, 1, BUILD_EVENTS, json!({})).await;
    let mut sse = Subscribers::start("sse", &gateway, 1, BUILD_EVENTS, json!({})).await;
    let all = ["QUEUED", "STARTED", "STAGE", "FINISHED"];
    for (name, subs) in [("ws", &mut ws), ("sse", &mut sse)] {
        let mut kinds = HashSet::new();
        let (seen, _) = subs
            .until(Duration::from_secs(40), |m| {
                if let Some(e) = event(m) {
                    kinds.insert(e["kind"].as_str().unwrap_or_default().to_string());
                }
                assert!(m.get("error").is_none() && m.get("errors").is_none(), "{m}");
                all.iter().all(|k| kinds.contains(*k)) && kinds.contains("FINISHED")
            })
            .await;
        let events: Vec<&Value> = seen.iter().filter_map(event).collect();
        let kinds = check_build_order(&events);
        for k in all {
            assert!(kinds.contains(k), "{name}: no {k} in {events:?}");
        }
    }
    ws.stop().await;
    sse.stop().await;
    gateway.stop().await;
}

/// The first job of the world, its next build number.
fn first_job(sim: &SimHandle) -> (String, u64) {
    sim.with_world(|w| {
        let (name, _, job) = w.jobs().into_iter().next().expect("a job");
        (name, job.next_number())
    })
}

fn push_build(sim: &SimHandle, job: &str, build: Build) {
    sim.with_world(|w| {
        let job = w.item_mut(job).and_then(Item::as_job_mut).expect("the job");
        job.next_build_number = Some(build.number + 1);
        job.builds.push(build);
    });
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_starts_and_finishes_between_two_polls_yields_both_events() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let gateway = gateway(vec![connection("ci", &sim)], 400).await;
    let (job, number) = first_job(&sim);
    let before = listings(&sim);
    let mut sse = Subscribers::start("sse", &gateway, 1, BUILD_EVENTS, json!({})).await;
    // The first poll is the baseline; the build appears, whole, before the next one.
    listed(&sim, before, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_build(
        &sim,
        &job,
        Build {
            number,
            result: Some(BuildResult::Failure),
            timestamp: now_ms() - 300,
            duration: 250,
            estimated_duration: 250,
            ..Build::default()
        },
    );
    let mut got = Vec::new();
    let (_, done) = sse
        .until(Duration::from_secs(10), |m| {
            if let Some(e) = event(m) {
                if e["jobName"] == job.as_str() && e["number"] == number {
                    got.push((
                        e["kind"].as_str().unwrap_or_default().to_string(),
                        e["build"]["result"].clone(),
                    ));
                }
            }
            got.len() >= 2
        })
        .await;
    assert!(done, "{got:?}");
    assert_eq!(
        got,
        vec![
            ("STARTED".to_string(), json!("FAILURE")),
            ("FINISHED".to_string(), json!("FAILURE"))
        ]
    );
    sse.stop().await;
    gateway.stop().await;
}

const LOG: &str = "subscription($j: String!, $n: Int!) { buildLog(connection: \"ci\", job: $j, \
    number: $n, fromByte: 0) { offset text complete lagged } }";

/// The chunks of a tailed log, appended in order (each must start where the last ended).
#[derive(Default)]
struct Collected {
    text: String,
    complete: bool,
}

impl Collected {
    /// Take one message; whether the log is complete.
    fn take(&mut self, m: &Value) -> bool {
        assert!(m.get("errors").is_none() && m.get("error").is_none(), "{m}");
        if let Some(chunk) = m.get("data").and_then(|d| d.get("buildLog")) {
            assert_eq!(
                chunk["offset"].as_u64(),
                Some(self.text.len() as u64),
                "{chunk}"
            );
            self.text.push_str(chunk["text"].as_str().expect("text"));
            self.complete |= chunk["complete"] == true;
        }
        self.complete
    }
}

/// A log that grows in steps, with a console note and CRLF line ends as Jenkins writes them.
fn log_step(i: usize) -> String {
    (0..=i)
        .map(|k| {
            format!(
                "step {k}: \u{1b}[8mha:AAAAWB+LCAAAAAAAAP9b{k}\u{1b}[0mrunning été ✓ {}\r\n",
                "x".repeat(k * 37)
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tailed_log_reassembles_byte_for_byte_to_console_text() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let gateway = gateway(vec![connection("ci", &sim)], 300).await;
    let (job, number) = first_job(&sim);
    let running = |text: String| Build {
        number,
        timestamp: now_ms(),
        estimated_duration: 60_000,
        log: Log {
            text: Some(text),
            generated_bytes: None,
        },
        ..Build::default()
    };
    push_build(&sim, &job, running(log_step(0)));
    let mut sse = Subscribers::start("sse", &gateway, 1, LOG, json!({"j": job, "n": number})).await;
    let mut log = Collected::default();
    for step in 1..6 {
        tokio::time::sleep(Duration::from_millis(350)).await;
        sim.with_world(|w| {
            let b = w
                .item_mut(&job)
                .and_then(Item::as_job_mut)
                .and_then(|j| j.builds.last_mut())
                .expect("build");
            b.log.text = Some(log_step(step));
        });
        while let Some(m) = sse.next(Duration::from_millis(50)).await {
            log.take(&m);
        }
    }
    sim.with_world(|w| {
        let b = w
            .item_mut(&job)
            .and_then(Item::as_job_mut)
            .and_then(|j| j.builds.last_mut())
            .expect("build");
        b.log.text = Some(format!("{}Finished: SUCCESS\r\n", log_step(7)));
        b.result = Some(BuildResult::Success);
        b.duration = 2_000;
    });
    let (_, done) = sse.until(Duration::from_secs(10), |m| log.take(m)).await;
    let text = log.text;
    assert!(done, "the log never completed: {text:?}");
    let console = reqwest::Client::new()
        .get(format!(
            "{}job/{}/{number}/consoleText",
            sim.url(),
            job.replace('/', "/job/")
        ))
        .basic_auth(gateway_common::USER, Some(gateway_common::TOKEN))
        .send()
        .await
        .expect("consoleText")
        .text()
        .await
        .expect("text");
    assert!(
        console.contains("été ✓") && !console.contains("ha:AAAA"),
        "{console:?}"
    );
    assert_eq!(text, console.replace("\r\n", "\n"));
    sse.stop().await;
    gateway.stop().await;
}

const STATUS: &str = "subscription { connectionEvents { kind connection { name } status \
    previousStatus version error { code hint } } }";

fn status_of(m: &Value) -> Option<(String, String)> {
    let e = m.get("data")?.get("connectionEvents")?;
    Some((
        e["kind"].as_str()?.to_string(),
        e["status"].as_str()?.to_string(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_going_down_and_back_yields_both_status_events() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let gateway = gateway(vec![connection("ci", &sim)], 300).await;
    let mut ws = Subscribers::start("ws", &gateway, 1, STATUS, json!({})).await;
    let first = ws.next(Duration::from_secs(10)).await.expect("an event");
    assert_eq!(
        status_of(&first),
        Some(("CURRENT".into(), "ONLINE".into())),
        "{first}"
    );
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Faults::default()
    });
    let (seen, down) = ws
        .until(Duration::from_secs(10), |m| {
            status_of(m).is_some_and(|(k, _)| k == "DOWN")
        })
        .await;
    assert!(down, "{seen:?}");
    let e = &seen.last().expect("down")["data"]["connectionEvents"];
    assert_eq!(e["previousStatus"], "ONLINE", "{e}");
    assert!(
        e["error"]["code"].is_string() && e["error"]["hint"].is_string(),
        "{e}"
    );
    assert_eq!(e["status"], "UNAVAILABLE", "{e}");
    sim.set_faults(Faults::default());
    let (seen, up) = ws
        .until(Duration::from_secs(15), |m| {
            status_of(m).is_some_and(|(k, _)| k == "UP")
        })
        .await;
    assert!(up, "{seen:?}");
    let e = &seen.last().expect("up")["data"]["connectionEvents"];
    assert_eq!(
        (e["status"].as_str(), e["previousStatus"].as_str()),
        (Some("ONLINE"), Some("UNAVAILABLE"))
    );
    assert!(e["version"].is_string(), "{e}");
    ws.stop().await;
    gateway.stop().await;
}

/// Requests the simulator served in `window`.
async fn served_during(sim: &SimHandle, window: Duration) -> usize {
    let before = sim.request_count();
    tokio::time::sleep(window).await;
    sim.request_count() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_subscribers_cost_the_requests_of_one_and_the_last_leaving_stops_polling() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let gateway = gateway(vec![connection("ci", &sim)], 500).await;
    let query = "subscription { buildEvents { kind jobName number } }";
    let window = Duration::from_millis(3_000);

    let one = Subscribers::start("ws", &gateway, 1, query, json!({})).await;
    listed(&sim, 0, 1).await;
    let alone = served_during(&sim, window).await;
    one.stop().await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        served_during(&sim, Duration::from_millis(1_500)).await,
        0,
        "nobody listens"
    );

    let mut many = Subscribers::start("ws", &gateway, 200, query, json!({})).await;
    many.all_connected(200, Duration::from_secs(30)).await;
    let crowd = served_during(&sim, window).await;
    // Six polls in the window, one listing each: the same for one subscriber and for 200.
    assert!(alone >= 5, "{alone}");
    assert!(
        crowd.abs_diff(alone) <= alone / 10 + 1,
        "one: {alone}, 200: {crowd}"
    );
    many.stop().await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        served_during(&sim, Duration::from_millis(1_500)).await,
        0,
        "the last one left"
    );
    gateway.stop().await;
}

const ALPHA_KEY: &str = "key-for-alpha-only-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_sees_only_what_its_key_may_see() {
    let (a, b) = (
        recorded_builder().start().await.expect("sim"),
        recorded_builder().start().await.expect("sim"),
    );
    let mut config =
        Config::with_connections(vec![connection("alpha", &a), connection("beta", &b)]);
    config.auth.keys =
        vec![ApiKeyConfig::new("team-alpha", ALPHA_KEY).with_connections(&["alpha"])];
    config.live.poll_interval_ms = 300;
    config.validate().expect("valid config");
    let gateway = Gateway::start_config(config).await;
    let bearer = format!("Bearer {ALPHA_KEY}");
    for mode in ["ws", "sse"] {
        let mut subs =
            Subscribers::start_as(mode, &gateway, 1, STATUS, json!({}), Some(&bearer)).await;
        let (seen, _) = subs.until(Duration::from_secs(3), |_| false).await;
        let names: Vec<&str> = seen
            .iter()
            .filter_map(|m| m["data"]["connectionEvents"]["connection"]["name"].as_str())
            .collect();
        assert_eq!(names, vec!["alpha"], "{mode}: {seen:?}");
        subs.stop().await;

        let beta = "subscription { connectionEvents(connections: [\"beta\"]) { kind } }";
        let mut subs =
            Subscribers::start_as(mode, &gateway, 1, beta, json!({}), Some(&bearer)).await;
        let msg = subs.next(Duration::from_secs(10)).await.expect("an answer");
        let text = msg.to_string();
        assert!(
            msg.get("data")
                .is_none_or(|d| d.is_null() || d["connectionEvents"].is_null()),
            "{mode}: {msg}"
        );
        assert!(
            text.contains("UNKNOWN_CONNECTION") || text.contains("FORBIDDEN"),
            "{mode}: {msg}"
        );
        subs.stop().await;

        let mut anonymous = Subscribers::start(mode, &gateway, 1, STATUS, json!({})).await;
        let msg = anonymous
            .next(Duration::from_secs(10))
            .await
            .expect("a refusal");
        assert!(
            msg.get("error").is_some() || msg.get("errors").is_some(),
            "{mode}: {msg}"
        );
        assert!(msg.get("data").is_none_or(|d| d.is_null()), "{mode}: {msg}");
        anonymous.stop().await;
    }
    // Nothing was ever asked of beta on the key's behalf.
    assert_eq!(b.request_count(), 0);
    gateway.stop().await;
}

/// A POST on a fresh connection: its HTTP status.
async fn status_of_a_new_connection(gateway: &Gateway) -> u16 {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    client
        .post(&gateway.endpoint)
        .json(&json!({ "query": "{ connections { name } }" }))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_websocket_counts_against_max_connections_until_it_closes() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let mut config = Config::with_connections(vec![connection("ci", &sim)]);
    config.server.max_connections = 2;
    config.validate().expect("valid config");
    let gateway = Gateway::start_config(config).await;
    // A still world: no event, only the two acknowledged sockets.
    let quiet = "subscription { buildEvents { kind } }";
    let mut two = Subscribers::start("ws", &gateway, 2, quiet, json!({})).await;
    two.all_connected(2, Duration::from_secs(20)).await;
    assert_eq!(status_of_a_new_connection(&gateway).await, 503);
    two.stop().await;
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let status = status_of_a_new_connection(&gateway).await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < end,
            "the sockets' slots were not given back: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gateway.stop().await;
}

/// The status line of a raw WebSocket upgrade of `/graphql` with these extra headers.
async fn upgrade_status(gateway: &Gateway, extra: &str) -> String {
    use tokio::io::AsyncReadExt;
    let addr = gateway
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches("/graphql")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let request = format!(
        "GET /graphql HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = vec![0u8; 512];
    let n = timeout(Duration::from_secs(10), stream.read(&mut head))
        .await
        .expect("an answer")
        .expect("read");
    String::from_utf8_lossy(&head[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_from_a_foreign_page_is_refused() {
    let sim = recorded_builder().start().await.expect("start jenkins-sim");
    let mut config = Config::with_connections(vec![connection("ci", &sim)]);
    config.cors.allow_origins = vec!["https://dash.example.test".into()];
    config.validate().expect("valid config");
    let gateway = Gateway::start_config(config).await;
    let own = gateway.endpoint.trim_end_matches("/graphql").to_string();
    for (origin, expected) in [
        ("Origin: https://evil.example.test\r\n".to_string(), "403"),
        ("Origin: https://dash.example.test\r\n".to_string(), "101"),
        (format!("Origin: {own}\r\n"), "101"),
        (String::new(), "101"),
    ] {
        let status = upgrade_status(&gateway, &origin).await;
        assert!(
            status.starts_with(&format!("HTTP/1.1 {expected}")),
            "{origin:?}: {status}"
        );
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_items_enter_and_leave_as_the_build_they_became() {
    let sim = live_sim(11).await;
    let gateway = gateway(vec![connection("ci", &sim)], 300).await;
    let query = "subscription { queueEvents { kind item { queueId jobName why } \
        cancelled build { number } } }";
    let mut sse = Subscribers::start("sse", &gateway, 1, query, json!({})).await;
    let mut entered = HashSet::new();
    let (seen, done) = sse
        .until(Duration::from_secs(40), |m| {
            assert!(m.get("errors").is_none() && m.get("error").is_none(), "{m}");
            let e = &m["data"]["queueEvents"];
            let id = e["item"]["queueId"].as_i64();
            match e["kind"].as_str() {
                Some("ENTERED") => {
                    entered.extend(id);
                    false
                }
                // An item seen entering leaves as a build of its job.
                Some("LEFT") => {
                    id.is_some_and(|id| entered.contains(&id)) && e["build"]["number"].is_i64()
                }
                _ => false,
            }
        })
        .await;
    assert!(done, "{seen:?}");
    let left = &seen.last().expect("left")["data"]["queueEvents"];
    let (job, number) = (
        left["item"]["jobName"].as_str().expect("job").to_string(),
        left["build"]["number"].as_u64().expect("number"),
    );
    // The simulator agrees: that build of that job came from that queue item.
    let queue_id = sim.with_world(|w| {
        w.job(&job)
            .and_then(|j| j.build(number))
            .map(|b| b.queue_id)
    });
    assert_eq!(queue_id, left["item"]["queueId"].as_u64(), "{left}");
    sse.stop().await;
    gateway.stop().await;
}
