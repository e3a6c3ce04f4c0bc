//! The fleet page in a real headless Chromium (Debian's, installed by `.ci/install-tools`;
//! driven by `tests/fleet/browser.cjs` with puppeteer-core from `.ci/install-node-tools`)
//! over the live demo world: it shows every controller (the revoked one with its code and
//! hint), its failing jobs are `health`'s, a build that finishes appears without a reload,
//! the build view shows stages and the log, no request leaves loopback and the console
//! stays free of errors; behind API keys it asks for one and then shows only the
//! connections that key may see. With `MAJORDOMO_SCREENSHOTS=DIR` the screenshots the README shows
//! are written there (`.ci/screenshots` does that).

mod gateway_common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use gateway_common::Gateway;
use jenkins_sim::world::{Build, BuildResult, Item};
use jenkins_sim::SimHandle;
use majordomo::config::ApiKeyConfig;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::{timeout, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run one of the project's install scripts; what it prints on stdout.
fn install(script: &str) -> String {
    let out = std::process::Command::new(root().join(".ci").join(script))
        .output()
        .unwrap_or_else(|e| panic!("run .ci/{script}: {e}"));
    assert!(
        out.status.success(),
        ".ci/{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Chromium on PATH, installed from Debian by `.ci/install-tools` when missing.
fn chromium() -> PathBuf {
    install("install-tools");
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .expect(".ci/install-tools installed chromium, but it is not on PATH")
}

/// The browser, answering one JSON line per command.
struct Browser {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Browser {
    async fn open(url: &str) -> Browser {
        let (modules, chromium) =
            tokio::task::spawn_blocking(|| (install("install-node-tools"), chromium()))
                .await
                .expect("join");
        let mut child = Command::new("node")
            .env("NODE_PATH", modules)
            .arg(root().join("tests/fleet/browser.cjs"))
            .arg(url)
            .arg(chromium)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Browser {
            child,
            stdin,
            lines,
        }
    }

    async fn ask(&mut self, command: &str) -> Value {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("write a command");
        let line = timeout(Duration::from_secs(90), self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{command}: no answer"))
            .expect("read")
            .unwrap_or_else(|| panic!("{command}: the browser script ended"));
        let answer: Value = serde_json::from_str(&line).expect("a JSON line");
        assert!(answer.get("fatal").is_none(), "{answer}");
        answer
    }
}

fn sim<'a>(demo: &'a majordomo::demo::Demo, name: &str) -> &'a SimHandle {
    &demo
        .controllers
        .iter()
        .find(|(n, _)| n == name)
        .expect("controller")
        .1
}

/// The failing jobs `health` answers, as `connection/fullName`.
async fn health_failing(gateway: &Gateway) -> BTreeSet<String> {
    // ci-legacy adds its error; the others answer.
    let body = gateway
        .query("{ health { failingJobs { fullName connection { name } } } }")
        .await;
    body["data"]["health"]["failingJobs"]
        .as_array()
        .expect("failing jobs")
        .iter()
        .map(|j| {
            format!(
                "{}/{}",
                j["connection"]["name"].as_str().unwrap_or_default(),
                j["fullName"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// A job of `sim` whose last build `pick` accepts: its full name and that build's number.
async fn job_where(sim: &SimHandle, pick: fn(&Build) -> bool) -> (String, u64) {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let found = sim.with_world(|w| {
            w.jobs()
                .into_iter()
                .filter(|(_, _, j)| !j.stage_names.is_empty())
                .find_map(|(name, _, j)| {
                    j.builds
                        .last()
                        .filter(|b| pick(b))
                        .map(|b| (name, b.number))
                })
        });
        if let Some(found) = found {
            return found;
        }
        assert!(Instant::now() < end, "no such job");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Finish a new build of an idle job: what the page must show without a reload.
fn finish_a_build(sim: &SimHandle, job: &str) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    sim.with_world(|w| {
        let job = w.item_mut(job).and_then(Item::as_job_mut).expect("job");
        let number = job.next_number();
        job.next_build_number = Some(number + 1);
        job.builds.push(Build {
            number,
            result: Some(BuildResult::Success),
            timestamp: now - 4_000,
            duration: 3_500,
            estimated_duration: 3_500,
            ..Build::default()
        });
        number
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_page_is_live_complete_and_stays_on_loopback() {
    let demo = majordomo::demo::start_with(42, true).await.expect("demo");
    let mut config = demo.config.clone();
    config.live.poll_interval_ms = 1_000;
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    let page = gateway.endpoint.trim_end_matches("graphql").to_string();
    let mut browser = Browser::open(&page).await;

    // Every controller, the revoked one with its code and hint.
    let shown = browser.ask("failing").await;
    let controllers = shown["controllers"]
        .as_array()
        .expect("controllers")
        .clone();
    let names: Vec<&str> = controllers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["ci-legacy", "ci-prod", "ci-staging"], "{shown}");
    for c in &controllers {
        if c["name"] == "ci-legacy" {
            assert_eq!(c["status"], "UNAUTHORIZED", "{c}");
            assert!(
                c["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("UNAUTHORIZED") && e.len() > 20),
                "{c}"
            );
        } else {
            assert_eq!(c["status"], "ONLINE", "{c}");
        }
    }

    // The failing jobs are health's (the world moves: compare until both agree).
    let mut tries = 0;
    loop {
        let expected = health_failing(&gateway).await;
        let on_page = strings(&browser.ask("failing").await["failing"]);
        if on_page == expected && !expected.is_empty() {
            break;
        }
        tries += 1;
        assert!(tries < 10, "page: {on_page:?}, health: {expected:?}");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }

    // A build that finishes shows up without a reload.
    let prod = sim(&demo, "ci-prod");
    let (idle, _) = job_where(prod, |b| !b.building()).await;
    let number = finish_a_build(prod, &idle);
    let key = format!("ci-prod/{idle}#{number}");
    let recent = browser.ask(&format!("recent {key}")).await;
    assert_eq!(
        recent,
        json!({ "recent": key, "found": true, "samePage": true })
    );

    let shots = std::env::var_os("MAJORDOMO_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).expect("screenshot dir");
        browser
            .ask(&format!("shot {}", dir.join("fleet.png").display()))
            .await;
    }

    // The build view of a running build: its stages and its log, live.
    let (running, n) = job_where(prod, |b| b.building()).await;
    let view = browser.ask(&format!("build ci-prod/{running}#{n}")).await;
    assert_eq!(view["shown"], true, "{view}");
    assert!(view["stages"].as_u64().is_some_and(|s| s > 0), "{view}");
    if let Some(dir) = &shots {
        browser
            .ask(&format!("shot {}", dir.join("build.png").display()))
            .await;
    }

    let done = browser.ask("done").await;
    assert_eq!(done["offLoopback"], json!([]), "{done}");
    assert_eq!(done["errors"], json!([]), "{done}");
    let _ = browser.child.wait().await;
    gateway.stop().await;
}

const PROD_KEY: &str = "fleet-page-key-for-ci-prod-only";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_page_asks_for_a_key_and_shows_only_what_it_may_see() {
    let demo = majordomo::demo::start_with(42, false).await.expect("demo");
    let mut config = demo.config.clone();
    config.auth.keys =
        vec![ApiKeyConfig::new("wall-screen", PROD_KEY).with_connections(&["ci-prod"])];
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    let page = gateway.endpoint.trim_end_matches("graphql").to_string();
    let mut browser = Browser::open(&page).await;

    let before = browser.ask("failing").await;
    assert_eq!(before["asksForKey"], true, "{before}");
    assert_eq!(
        before["controllers"],
        json!([]),
        "no data without a key: {before}"
    );
    assert_eq!(
        browser.ask(&format!("key {PROD_KEY}")).await,
        json!({ "ready": true })
    );
    let after = browser.ask("failing").await;
    let names: Vec<&str> = after["controllers"]
        .as_array()
        .expect("controllers")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["ci-prod"], "{after}");
    let failing = strings(&after["failing"]);
    assert!(
        !failing.is_empty() && failing.iter().all(|k| k.starts_with("ci-prod/")),
        "{after}"
    );

    let done = browser.ask("done").await;
    assert_eq!(done["offLoopback"], json!([]), "{done}");
    // The only console errors are the browser's own notes of the 401s before the key.
    for e in done["errors"].as_array().expect("errors") {
        assert!(e.as_str().is_some_and(|e| e.contains("401")), "{done}");
    }
    let _ = browser.child.wait().await;
    gateway.stop().await;
}
