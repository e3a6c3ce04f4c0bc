//! Forwarded credentials against a running gateway: on a connection with
//! `auth = "forward"` each caller's own Jenkins credentials are sent, so Jenkins'
//! permissions apply per user, and no user is ever answered from another's cache entries.

mod gateway_common;

use base64::Engine;
use gateway_common::{captured_logs, recorded_builder, Gateway};
use jenkins_sim::world::Permission;
use majordomo::config::{ApiKeyConfig, Config, ConnectionConfig};
use serde_json::{json, Value};

const ALICE_TOKEN: &str = "alice-jenkins-token-1";
const BOB_TOKEN: &str = "bob-jenkins-token-22";
const KEY: &str = "shared-key-0123456789abcdef";

fn basic(user: &str, token: &str) -> String {
    let raw = format!("{user}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn ask(gateway: &Gateway, forwarded: Option<&str>) -> Value {
    let auth = format!("Bearer {KEY}");
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(f) = forwarded {
        headers.push(("x-jenkins-authorization", f));
    }
    let query = r#"{ connection(name: "fwd") { status root { items { name } } } }"#;
    let (status, _, body) = gateway
        .post_with_headers(json!({ "query": query }), &headers)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn each_caller_is_answered_with_its_own_jenkins_permissions() {
    let logs = captured_logs();
    let sim = recorded_builder()
        .token("alice", ALICE_TOKEN)
        .token("bob", BOB_TOKEN)
        .start()
        .await
        .expect("jenkins-sim");
    sim.with_world(|w| {
        let bob = w.users.iter_mut().find(|u| u.id == "bob").expect("bob");
        bob.permission = Permission::None;
    });
    let mut config =
        Config::with_connections(vec![ConnectionConfig::new("fwd", sim.url()).forwarding()]);
    // Everyone shares one gateway key; Jenkins tells them apart.
    config.auth.keys = vec![ApiKeyConfig::new("dashboard", KEY)];
    config.validate().expect("valid");
    let gateway = Gateway::start_config(config).await;

    let (alice, bob) = (basic("alice", ALICE_TOKEN), basic("bob", BOB_TOKEN));
    let first = ask(&gateway, Some(&alice)).await;
    assert_eq!(first["data"]["connection"]["status"], "ONLINE", "{first}");
    let jobs = first["data"]["connection"]["root"]["items"]
        .as_array()
        .expect("jobs")
        .len();
    // What Jenkins itself lists for alice.
    let listing: Value = reqwest::Client::new()
        .get(format!("{}api/json?tree=jobs[name]", sim.url()))
        .header("authorization", &alice)
        .send()
        .await
        .expect("jenkins-sim")
        .json()
        .await
        .expect("JSON");
    let expected = listing["jobs"].as_array().expect("jobs").len();
    assert!(expected > 0);
    assert_eq!(jobs, expected, "alice reads the whole root");

    // Bob asks the same right after (alice's answers are cached): Jenkins refuses him.
    sim.reset_requests();
    let refused = ask(&gateway, Some(&bob)).await;
    assert_eq!(
        refused["data"]["connection"]["status"], "FORBIDDEN",
        "{refused}"
    );
    assert!(refused["data"]["connection"]["root"].is_null(), "{refused}");
    assert!(
        sim.request_count() > 0,
        "bob's request went to Jenkins, not to alice's cache"
    );
    // Without credentials the connection is anonymous, never the service account.
    let anonymous = ask(&gateway, None).await;
    assert_ne!(
        anonymous["data"]["connection"]["status"], "ONLINE",
        "{anonymous}"
    );
    assert!(
        anonymous["data"]["connection"]["root"].is_null(),
        "{anonymous}"
    );
    // Alice again: from her own cache entries, nothing new upstream for the listing.
    sim.reset_requests();
    let again = ask(&gateway, Some(&alice)).await;
    assert_eq!(again["data"], first["data"]);
    assert_eq!(
        sim.request_count(),
        0,
        "alice's answer came from her cache: {:?}",
        sim.requests()
    );

    let text = logs.text();
    for secret in [ALICE_TOKEN, BOB_TOKEN, alice.as_str(), bob.as_str(), KEY] {
        assert!(!text.contains(secret), "a credential was logged");
        assert!(!first.to_string().contains(secret) && !refused.to_string().contains(secret));
    }
    gateway.stop().await;
    sim.shutdown().await;
}
