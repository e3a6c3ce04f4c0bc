//! Trusted documents against a running gateway: in enforce mode a document that is not
//! in the folder is refused with `DOCUMENT_NOT_TRUSTED` and reaches no controller, a
//! known one runs whether sent whole or by its SHA-256 (Apollo's persisted query or
//! GraphQL over HTTP's `documentId`); in log mode an unknown document runs and is logged;
//! a manifest whose hash is not its document's stops the gateway from starting.

mod gateway_common;

use std::path::PathBuf;

use gateway_common::{captured_logs, connection, recorded_sim, sha256_hex as sha256, Gateway};
use majordomo::config::{Config, TrustedMode};
use majordomo::gateway::GatewayState;
use serde_json::json;

const DASHBOARD: &str = "query Dashboard { connections { name status } }\n";
const QUEUE: &str = "query Queue { queue { id } }\n";
const UNKNOWN: &str = "{ connections { name url } }";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("majordomo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nested")).expect("temp dir");
    dir
}

#[tokio::test]
async fn enforce_runs_known_documents_only() {
    let alpha = recorded_sim().await;
    let dir = temp_dir("trusted-enforce");
    std::fs::write(dir.join("dashboard.graphql"), DASHBOARD).expect("write");
    std::fs::write(dir.join("nested/queue.graphql"), QUEUE).expect("write");
    std::fs::write(dir.join("README.md"), UNKNOWN).expect("write");
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.trusted_documents.mode = TrustedMode::Enforce;
    config.trusted_documents.dir = Some(dir.clone());
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;
    alpha.reset_requests();

    let body = gateway.query(UNKNOWN).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "DOCUMENT_NOT_TRUSTED",
        "{body}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains(&sha256(UNKNOWN)));
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(
        alpha.request_count(),
        0,
        "an untrusted document reached no controller"
    );

    let whole = gateway.data(DASHBOARD).await;
    assert_eq!(
        whole["connections"],
        json!([{ "name": "alpha", "status": "ONLINE" }])
    );
    let (status, by_apq) = gateway
        .post(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(DASHBOARD) } } }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(by_apq["data"], whole, "{by_apq}");
    let (_, by_id) = gateway
        .post(json!({ "documentId": format!("sha256:{}", sha256(QUEUE)) }))
        .await;
    assert!(
        by_id["data"]["queue"].is_array(),
        "the nested file is trusted too: {by_id}"
    );
    let (_, missing) = gateway
        .post(json!({ "documentId": format!("sha256:{}", sha256(UNKNOWN)) }))
        .await;
    assert_eq!(
        missing["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{missing}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn log_mode_runs_unknown_documents_and_logs_them() {
    let logs = captured_logs();
    let alpha = recorded_sim().await;
    let dir = temp_dir("trusted-log");
    let manifest = dir.join("manifest.json");
    let apollo = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": sha256(DASHBOARD), "name": "Dashboard", "type": "query", "body": DASHBOARD }]
    });
    std::fs::write(&manifest, apollo.to_string()).expect("write");
    let mut config = Config::with_connections(vec![connection("alpha", &alpha)]);
    config.trusted_documents.mode = TrustedMode::Log;
    config.trusted_documents.manifest = Some(manifest.clone());
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config.clone()).await;

    let unknown = gateway.data(UNKNOWN).await;
    assert_eq!(unknown["connections"][0]["name"], "alpha");
    gateway.data(DASHBOARD).await;
    let text = logs.text();
    let logged: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("a document that is not trusted ran"))
        .collect();
    assert!(
        logged.iter().any(|l| l.contains(&sha256(UNKNOWN))),
        "the unknown document is logged by its hash: {logged:?}"
    );
    assert!(
        !logged.iter().any(|l| l.contains(&sha256(DASHBOARD))),
        "a trusted document is not: {logged:?}"
    );
    gateway.stop().await;

    // A manifest whose hash is not its document's is refused at start.
    let bad = json!({ sha256(QUEUE): DASHBOARD });
    std::fs::write(&manifest, bad.to_string()).expect("write");
    let e = GatewayState::new(config).err().expect("refused");
    assert_eq!(e.code(), "TRUSTED_DOCUMENTS_INVALID", "{e}");
    let _ = std::fs::remove_dir_all(&dir);
    alpha.shutdown().await;
}
