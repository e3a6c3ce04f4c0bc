//! The command line, run as a real process against simulated controllers.

use std::path::PathBuf;
use std::process::Command;

use jenkins_sim::{SimBuilder, World};

const TOKEN: &str = "cli-test-secret-token";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_majordomo"))
}

/// A config file in a fresh temporary directory.
fn write_config(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("majordomo-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("majordomo.toml");
    std::fs::write(&path, body).expect("write config");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_test_reports_online_and_failures_with_hints() {
    let good = SimBuilder::new(World::recorded())
        .token("admin", TOKEN)
        .start()
        .await
        .expect("sim");
    let bad = SimBuilder::new(World::recorded())
        .token("admin", "another-token")
        .start()
        .await
        .expect("sim");
    let config = write_config(
        "test",
        &format!(
            "[[connections]]\nname = \"good\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n\n\
             [[connections]]\nname = \"revoked\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n\n\
             [[connections]]\nname = \"down\"\nurl = \"http://127.0.0.1:9\"\ntimeout_ms = 2000\n",
            good.url(),
            bad.url()
        ),
    );
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .args(["connections", "test", "--config"])
            .arg(&config)
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("good").contains("ONLINE") && line("good").contains("2.516.2"),
        "{stdout}"
    );
    assert!(
        line("revoked").contains("UNAUTHORIZED") && line("revoked").contains("token"),
        "{stdout}"
    );
    assert!(line("down").contains("UNREACHABLE"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !String::from_utf8_lossy(&out.stderr).contains(TOKEN));

    let config = write_config(
        "one",
        &format!("[[connections]]\nname = \"good\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n", good.url()),
    );
    let out = tokio::task::spawn_blocking(move || {
        let test = bin()
            .args(["connections", "test", "good", "--config"])
            .arg(&config)
            .output()
            .expect("run");
        let list = bin()
            .args(["connections", "list", "--config"])
            .arg(&config)
            .output()
            .expect("run");
        (test, list)
    })
    .await
    .expect("join");
    assert_eq!(
        out.0.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.0.stdout)
    );
    let list = String::from_utf8_lossy(&out.1.stdout);
    assert!(list.starts_with("ID") && list.contains("STATUS"), "{list}");
    assert!(
        list.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("1") && l.contains("good") && l.contains("ONLINE")),
        "{list}"
    );
}

#[test]
fn unknown_config_keys_are_errors_naming_the_line() {
    let config = write_config("unknown", "listen = \"127.0.0.1:0\"\n\n[[connections]]\nname = \"a\"\nurl = \"http://127.0.0.1:1\"\ntokn = \"x\"\n");
    let out = bin()
        .args(["connections", "list", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("tokn") && stderr.contains("line 6"),
        "{stderr}"
    );
}

#[test]
fn schema_command_prints_the_checked_in_sdl() {
    let out = bin().arg("schema").output().expect("run");
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), checked_in);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_the_binary() {
    let gateway = majordomo::gateway::GatewayState::new(majordomo::config::Config::default())
        .expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(majordomo::server::run(listener, gateway, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let page = client
        .get(format!("http://{addr}/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("/graphiql/graphiql.min.js") && !page.contains("unpkg.com"),
        "{page}"
    );
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        let r = client
            .get(format!("http://{addr}/graphiql/{asset}"))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.bytes().await.expect("body").len() > 1000, "{asset}");
    }
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let metrics = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("majordomo_cache_hits_total"), "{metrics}");
    let _ = stop.send(());
}

/// The gateway's own logs (at debug level, with a rejected and an accepted token) never
/// contain a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_a_token() {
    use std::io::{BufRead, BufReader, Read};
    let good = SimBuilder::new(World::recorded())
        .token("admin", TOKEN)
        .start()
        .await
        .expect("sim");
    let revoked = SimBuilder::new(World::recorded())
        .token("admin", "other")
        .start()
        .await
        .expect("sim");
    let config = write_config(
        "logs",
        &format!(
            "listen = \"127.0.0.1:0\"\n\n[[connections]]\nname = \"good\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n\n\
             [[connections]]\nname = \"revoked\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n",
            good.url(),
            revoked.url()
        ),
    );
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("the gateway prints its address");
    let url = first.split_whitespace().last().expect("url").to_string();
    let body: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({ "query": "{ connections { name status error { message } root { items { name } } } }" }))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["data"]["connections"][1]["status"], "UNAUTHORIZED",
        "{body}"
    );
    let _ = child.kill();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logs)
        .expect("read logs");
    let _ = child.wait();
    assert!(
        logs.contains("UNAUTHORIZED"),
        "the failure is logged: {logs}"
    );
    assert!(!logs.contains(TOKEN) && !body.to_string().contains(TOKEN));
    let basic = base64_of(&format!("admin:{TOKEN}"));
    assert!(
        !logs.contains(&basic),
        "no Authorization header in the logs"
    );
    assert!(
        !logs.contains('\u{1b}'),
        "no colours when stderr is not a terminal: {logs}"
    );
}

/// JSON logs: every line parses; the lines of a request carry its trace id (the caller's,
/// from `traceparent`); the slow-query line names the operation, its upstream requests and
/// controllers; no line holds a token, an Authorization header or a variable's value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_trace_ids_and_never_a_secret() {
    use std::io::{BufRead, BufReader, Read};
    const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
    const MARKER: &str = "variable-value-never-logged";
    let good = SimBuilder::new(World::recorded())
        .token("admin", TOKEN)
        .start()
        .await
        .expect("sim");
    let revoked = SimBuilder::new(World::recorded())
        .token("admin", "other")
        .start()
        .await
        .expect("sim");
    let config = write_config(
        "json-logs",
        &format!(
            "listen = \"127.0.0.1:0\"\n\n[telemetry]\nlog_format = \"json\"\nslow_query_ms = 1\n\n\
             [[connections]]\nname = \"good\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n\n\
             [[connections]]\nname = \"revoked\"\nurl = \"{}\"\nusername = \"admin\"\ntoken = \"{TOKEN}\"\n",
            good.url(),
            revoked.url()
        ),
    );
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("the gateway prints its address");
    let url = first.split_whitespace().last().expect("url").to_string();
    let query = "query Probe($job: String!) { connections { name status } \
                 job(connection: \"good\", fullName: $job) { name } }";
    let body: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .header("traceparent", format!("00-{TRACE_ID}-b7ad6b7169203331-01"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(&serde_json::json!({ "query": query, "variables": { "job": MARKER } }))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["data"]["connections"][1]["status"], "UNAUTHORIZED",
        "{body}"
    );
    let _ = child.kill();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logs)
        .expect("read logs");
    let _ = child.wait();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines
        .iter()
        .all(|l| l["timestamp"].is_string() && l["level"].is_string()));
    let slow = lines
        .iter()
        .find(|l| l["message"] == "slow query")
        .unwrap_or_else(|| panic!("a slow-query line: {logs}"));
    assert_eq!(slow["trace_id"], TRACE_ID, "{slow}");
    assert_eq!(slow["operation"], "Probe");
    assert_eq!(slow["controllers"], "good,revoked", "{slow}");
    assert!(
        slow["upstream_requests"].as_u64().is_some_and(|n| n >= 2),
        "{slow}"
    );
    let failure = lines
        .iter()
        .find(|l| l["code"] == "UNAUTHORIZED")
        .unwrap_or_else(|| panic!("the failure is logged: {logs}"));
    assert_eq!(failure["trace_id"], TRACE_ID, "{failure}");
    let basic = base64_of(&format!("admin:{TOKEN}"));
    for secret in [TOKEN, basic.as_str(), MARKER] {
        assert!(!logs.contains(secret), "{secret} in the logs: {logs}");
    }
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
