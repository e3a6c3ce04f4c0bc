//! Conformance with the specs and the clients frontends use: GraphQL over HTTP (checked
//! by the graphql-http package's own server audits), response keys in query order,
//! status codes per media type, and Apollo Client with its default error policy over a
//! healthy fleet. The npm packages are installed by `.ci/install-node-tools`.

mod gateway_common;

use std::path::PathBuf;
use std::process::Command;

use gateway_common::{connection, recorded_sim, Gateway};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The node_modules the project's script installed (it installs them on first use).
fn node_modules() -> String {
    let out = Command::new(root().join(".ci/install-node-tools"))
        .output()
        .expect("run .ci/install-node-tools");
    assert!(
        out.status.success(),
        "the npm packages these tests need could not be installed (is the npm registry \
         reachable?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Run one of the scripts in `tests/conformance/` with Node.
async fn node(script: &str, args: &[String]) -> std::process::Output {
    let modules = node_modules();
    let script = root().join("tests/conformance").join(script);
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || {
        Command::new("node")
            .env("NODE_PATH", modules)
            .arg(script)
            .args(args)
            .output()
            .expect("run node")
    })
    .await
    .expect("join")
}

/// Audits the spec marks as SHOULD that the gateway deliberately does not meet, and why.
const SHOULD_NOT: &[(&str, &str)] = &[];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_audits_pass() {
    let (a, b) = (recorded_sim().await, recorded_sim().await);
    let gateway = Gateway::start(vec![connection("alpha", &a), connection("beta", &b)]).await;
    let out = node("audit.cjs", std::slice::from_ref(&gateway.endpoint)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON result per line"))
        .collect();
    assert!(results.len() > 30, "{} audits ran", results.len());
    let mut failed = Vec::new();
    for r in &results {
        let name = r["name"].as_str().unwrap_or("");
        let ok = r["status"] == "ok";
        let excused = SHOULD_NOT.iter().any(|(n, _)| name.starts_with(n));
        if !ok && (name.starts_with("MUST") || (name.starts_with("SHOULD") && !excused)) {
            failed.push(format!("{name}: {}", r["reason"]));
        }
    }
    assert!(failed.is_empty(), "audits failed:\n{}", failed.join("\n"));
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apollo_client_with_default_settings_gets_a_healthy_fleets_dashboard() {
    let (a, b) = (recorded_sim().await, recorded_sim().await);
    let gateway = Gateway::start(vec![connection("alpha", &a), connection("beta", &b)]).await;
    let dashboard = root().join("examples/queries/07-dashboard.graphql");
    let out = node(
        "apollo.cjs",
        &[gateway.endpoint.clone(), dashboard.display().to_string()],
    )
    .await;
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let data: Value = serde_json::from_slice(&out.stdout).expect("the data as JSON");
    let conns = data["connections"].as_array().expect("connections");
    assert_eq!(conns.len(), 2);
    // Every top-level item of the recorded world is there, on both controllers.
    let expected = a.with_world(|w| w.items.len());
    for c in conns {
        assert_eq!(c["status"], "ONLINE", "{c}");
        assert_eq!(
            c["root"]["items"].as_array().map(Vec::len),
            Some(expected),
            "{c}"
        );
    }
    gateway.stop().await;
}

#[tokio::test]
async fn response_keys_follow_the_query_order() {
    let a = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("alpha", &a)]).await;
    let body = gateway
        .query("{ z: connections { name } a: health { totals { jobs } } m: queue { id } b: agents { name } }")
        .await;
    let keys: Vec<&String> = body["data"].as_object().expect("data").keys().collect();
    assert_eq!(keys, ["z", "a", "m", "b"]);
    gateway.stop().await;
}

#[tokio::test]
async fn status_codes_follow_the_media_type() {
    let a = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("alpha", &a)]).await;
    let post = |accept: &'static str, query: &'static str| {
        let http = reqwest::Client::new();
        let endpoint = gateway.endpoint.clone();
        async move {
            let r = http
                .post(endpoint)
                .header("accept", accept)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("answer");
            let status = r.status().as_u16();
            let ct = r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .to_string();
            (status, ct, r.json::<Value>().await.expect("JSON"))
        }
    };
    // A document that does not validate: 400 and no data with the new media type…
    let (status, ct, body) = post("application/graphql-response+json", "{ nope }").await;
    assert_eq!(status, 400, "{body}");
    assert!(ct.starts_with("application/graphql-response+json"), "{ct}");
    assert!(
        body.get("data").is_none() && body["errors"].is_array(),
        "{body}"
    );
    // …200 with the legacy one, still without data.
    let (status, ct, body) = post("application/json", "{ nope }").await;
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("application/json"), "{ct}");
    assert!(body.get("data").is_none(), "{body}");
    // Partial data is a 200 either way.
    let (status, _, body) = post(
        "application/graphql-response+json",
        r#"{ connections { name } connection(name: "nope") { name } }"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["connections"][0]["name"], "alpha");
    // A client that accepts nothing we send.
    let (status, _, _) = {
        let r = reqwest::Client::new()
            .post(&gateway.endpoint)
            .header("accept", "text/html")
            .json(&json!({ "query": "{ connections { name } }" }))
            .send()
            .await
            .expect("answer");
        (r.status().as_u16(), (), ())
    };
    assert_eq!(status, 406);
    gateway.stop().await;
}
