//! API keys and scopes against running gateways: a key limited to one connection cannot
//! tell, by any field, argument, global ID, cursor, error or count, that another exists
//! (its answers equal those of a gateway where the other does not exist, and the other
//! controller never sees a request); a missing or wrong key gets 401 and no data; the
//! admin endpoints need an admin key; refusals are counted and logged without the secret.

mod gateway_common;

use gateway_common::{captured_logs, connection, recorded_sim, sha256_hex, Gateway};
use majordomo::config::{ApiKeyConfig, Config, ConnectionConfig};
use serde_json::{json, Value};

const OPS_KEY: &str = "ops-key-0123456789abcdef";
const TEAM_KEY: &str = "team-key-0123456789abcdef";
const WRONG_KEY: &str = "wrong-key-0123456789abcdef";

fn keyed(connections: Vec<ConnectionConfig>) -> Config {
    let mut config = Config::with_connections(connections);
    config.auth.keys = vec![
        ApiKeyConfig::new("ops", OPS_KEY).with_admin(true),
        ApiKeyConfig::new("team-alpha", TEAM_KEY).with_connections(&["alpha"]),
    ];
    // Low enough that a fleet-wide query is refused, so the estimate is compared too.
    config.limits.max_estimated_requests = 500;
    config.validate().expect("valid config");
    config
}

async fn ask(gateway: &Gateway, key: &str, query: &str, variables: Value) -> (u16, Value) {
    let auth = format!("Bearer {key}");
    let (status, _, body) = gateway
        .post_with_headers(
            json!({ "query": query, "variables": variables }),
            &[("authorization", &auth)],
        )
        .await;
    (status, body)
}

/// What the key limited to `alpha` asks, with the IDs and cursors of `beta` (taken from
/// the ops key), of a connection that never existed, and fleet-wide.
fn probes(
    beta_id: &str,
    beta_job_id: &str,
    beta_cursor: &str,
    beta_url: &str,
) -> Vec<(&'static str, Value)> {
    vec![
        ("{ connections { id name url status } }", json!({})),
        ("{ connection(name: \"beta\") { name } }", json!({})),
        ("{ connection(name: \"gamma\") { name } }", json!({})),
        ("{ job(connection: \"beta\", fullName: \"hello-freestyle\") { name } }", json!({})),
        ("{ build(connection: \"beta\", job: \"hello-freestyle\", number: 1) { number } }", json!({})),
        ("{ queue(connection: \"beta\") { id } }", json!({})),
        ("{ agents(connection: \"beta\") { name } }", json!({})),
        ("{ queue { id } agents { name offline } }", json!({})),
        ("query N($id: ID!) { node(id: $id) { id } }", json!({ "id": beta_id })),
        ("query N($id: ID!) { node(id: $id) { id } }", json!({ "id": beta_job_id })),
        (
            "{ health { connections { connection { name } status } totals { connections online jobs failingJobs queued stuck offlineAgents } failingJobs { fullName } } }",
            json!({}),
        ),
        ("{ jobs(first: 3) { totalCount nodes { id fullName } pageInfo { endCursor hasNextPage } } }", json!({})),
        ("{ jobs(filter: { connections: [\"beta\"] }) { totalCount } }", json!({})),
        ("{ jobs(filter: { connections: [\"gamma\"] }) { totalCount } }", json!({})),
        ("query P($after: String) { jobs(first: 2, after: $after) { totalCount nodes { fullName } } }", json!({ "after": beta_cursor })),
        // The incident answers look only where the key may.
        ("{ deployments { jobName connection { name } } pendingApprovals { jobName } }", json!({})),
        ("{ deployments(connections: [\"beta\"]) { jobName } }", json!({})),
        ("{ commit(sha: \"0123456789abcdef\") { sha builds { jobName } scannedBuilds } }", json!({})),
        ("{ dora(environment: \"production\") { deployments complete } }", json!({})),
        (
            "query R($url: String!) { resolve(url: $url) { __typename } }",
            json!({ "url": format!("{beta_url}job/hello-freestyle/") }),
        ),
        // Estimated over the connections the key sees: refused or not, with the same figures.
        (
            "{ health { failingJobs { name builds(first: 100) { nodes { stages { name } } } } } }",
            json!({}),
        ),
    ]
}

#[tokio::test]
async fn a_scoped_key_cannot_tell_that_another_connection_exists() {
    let logs = captured_logs();
    let alpha = recorded_sim().await;
    let beta = recorded_sim().await;
    let both = Gateway::start_config(keyed(vec![
        connection("alpha", &alpha),
        connection("beta", &beta),
    ]))
    .await;
    let only_alpha = Gateway::start_config(keyed(vec![connection("alpha", &alpha)])).await;

    // The ops key sees beta: its IDs and a cursor on it are what the team key will try.
    let (_, ops) = ask(
        &both,
        OPS_KEY,
        r#"{ connections { id name } job(connection: "beta", fullName: "hello-freestyle") { id }
             jobs(first: 1, filter: { connections: ["beta"] }) { pageInfo { endCursor } } }"#,
        json!({}),
    )
    .await;
    let names: Vec<&str> = ops["data"]["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["alpha", "beta"], "{ops}");
    let beta_id = ops["data"]["connections"][1]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let beta_job = ops["data"]["job"]["id"]
        .as_str()
        .expect("job id")
        .to_string();
    let cursor = ops["data"]["jobs"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    beta.reset_requests();

    for (query, variables) in probes(&beta_id, &beta_job, &cursor, &beta.url()) {
        let (status_both, answer_both) = ask(&both, TEAM_KEY, query, variables.clone()).await;
        let (status_one, answer_one) = ask(&only_alpha, TEAM_KEY, query, variables).await;
        assert_eq!(status_both, 200, "{query}: {answer_both}");
        assert_eq!(
            (status_both, &answer_both),
            (status_one, &answer_one),
            "{query}: the answer differs when beta exists"
        );
        let text = answer_both.to_string();
        assert!(
            !text.contains(&beta.url()),
            "{query}: beta's URL leaked: {text}"
        );
        assert!(
            !text.contains("\"beta\""),
            "{query}: beta's name leaked: {text}"
        );
    }
    assert_eq!(
        beta.request_count(),
        0,
        "a request for the key limited to alpha reached beta: {:?}",
        beta.requests()
    );

    // The probes above were meaningful: what the key sees, it sees.
    let (_, seen) = ask(
        &both,
        TEAM_KEY,
        "{ connections { name status } }",
        json!({}),
    )
    .await;
    assert_eq!(
        seen["data"]["connections"],
        json!([{ "name": "alpha", "status": "ONLINE" }])
    );
    let (_, unknown) = ask(
        &both,
        TEAM_KEY,
        "{ connection(name: \"beta\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "UNKNOWN_CONNECTION",
        "{unknown}"
    );

    for secret in [OPS_KEY, TEAM_KEY] {
        assert!(!logs.text().contains(secret), "a key was logged");
    }
    both.stop().await;
    only_alpha.stop().await;
    alpha.shutdown().await;
    beta.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_401_and_no_data() {
    let logs = captured_logs();
    let alpha = recorded_sim().await;
    let gateway = Gateway::start_config(keyed(vec![connection("alpha", &alpha)])).await;
    let query = json!({ "query": "{ connections { name } }" });
    let wrong = format!("Bearer {WRONG_KEY}");
    for headers in [
        vec![],
        vec![("authorization", wrong.as_str())],
        vec![("authorization", "Basic b3BzOnBhc3N3b3Jk")],
    ] {
        let (status, response_headers, body) =
            gateway.post_with_headers(query.clone(), &headers).await;
        assert_eq!(status, 401, "{headers:?}: {body}");
        assert_eq!(response_headers["www-authenticate"], "Bearer");
        assert!(body.get("data").is_none(), "no data without a key: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(!body.to_string().contains(WRONG_KEY));
    }
    // A GET query is refused the same way; GraphiQL's page itself holds no data.
    let (status, _, _) = gateway
        .send(
            reqwest::Method::GET,
            "/graphql?query=%7Bconnections%7Bname%7D%7D",
            &[("apollo-require-preflight", "1")],
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _, page) = gateway
        .send(reqwest::Method::GET, "/graphql", &[], None)
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<html"), "GraphiQL: {page}");
    assert_eq!(alpha.request_count(), 0, "nothing reached Jenkins");

    // The refusals are logged with a hash prefix of what was presented (the first 4 bytes of
    // its SHA-256, computed here), never the key.
    let prefix = &sha256_hex(WRONG_KEY)[..8];
    let text = logs.text();
    assert!(
        text.contains(&format!("presented_sha256_prefix={prefix}")),
        "the refusal is logged with its prefix {prefix}"
    );
    assert!(!text.contains(WRONG_KEY), "the wrong key was logged");

    // The admin endpoints: 401 without a key, 403 with a key that is not admin, 200 with one.
    let team = format!("Bearer {TEAM_KEY}");
    let ops = format!("Bearer {OPS_KEY}");
    for path in ["/metrics", "/readyz"] {
        let (none, _, _) = gateway.send(reqwest::Method::GET, path, &[], None).await;
        let (not_admin, _, _) = gateway
            .send(
                reqwest::Method::GET,
                path,
                &[("authorization", &team)],
                None,
            )
            .await;
        let (admin, _, _) = gateway
            .send(reqwest::Method::GET, path, &[("authorization", &ops)], None)
            .await;
        assert_eq!((none, not_admin, admin), (401, 403, 200), "{path}");
    }
    // Counted: three refused POSTs and one GET (two without a key, two with a wrong one),
    // then four admin requests: two without a key, two with a key that is not admin.
    let (_, _, metrics) = gateway
        .send(
            reqwest::Method::GET,
            "/metrics",
            &[("authorization", &ops)],
            None,
        )
        .await;
    for line in [
        "majordomo_auth_refused_total{reason=\"missing\"} 4",
        "majordomo_auth_refused_total{reason=\"invalid\"} 2",
        "majordomo_auth_refused_total{reason=\"not_admin\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn without_keys_everyone_may_ask_as_before() {
    let alpha = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("alpha", &alpha)]).await;
    let data = gateway.data("{ connections { name } }").await;
    assert_eq!(data["connections"], json!([{ "name": "alpha" }]));
    let (status, _) = gateway.get("/metrics").await;
    assert_eq!(status, 200);
    gateway.stop().await;
    alpha.shutdown().await;
}
