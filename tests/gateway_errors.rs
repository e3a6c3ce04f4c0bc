//! How the gateway answers when a controller fails: one healthy controller (`good`) and
//! one failing one (`bad`) behind the same gateway, one failure per test.
//!
//! In every case the failing controller's part of the answer carries an error with a
//! stable `extensions.code`, its connection name, the HTTP status where Jenkins answered,
//! and a hint; the healthy controller's data is still in the same response (partial
//! data); and no response or error message ever contains the API token.

mod gateway_common;

use std::time::Duration;

use gateway_common::{
    connection, dead_url, errors, errors_with_code, recorded_builder, recorded_sim, Gateway, TOKEN,
    USER,
};
use jenkins_sim::{Faults, SimHandle};
use majordomo::config::ConnectionConfig;
use serde_json::{json, Value};

/// Asks both controllers for their status, root items, a job and a build's stages.
const BOTH: &str = r#"{
    connections { name status version error { code message hint httpStatus } root { items { name } } }
    good: job(connection: "good", fullName: "pipeline-basic") { name lastBuild { number stages { name } } }
    bad: job(connection: "bad", fullName: "pipeline-basic") { name lastBuild { number stages { name } } }
}"#;

/// A healthy controller, a failing one, and the gateway over both.
struct Pair {
    good: SimHandle,
    bad: Option<SimHandle>,
    gateway: Gateway,
}

impl Pair {
    /// `good` serves the recorded world; `bad` is whatever `bad_connection` points at.
    async fn start(bad: Option<SimHandle>, bad_connection: ConnectionConfig) -> Pair {
        let good = recorded_sim().await;
        let gateway = Gateway::start(vec![connection("good", &good), bad_connection]).await;
        Pair { good, bad, gateway }
    }

    /// `bad` serves the recorded world with these faults; the gateway uses the right token.
    async fn with_faults(faults: Faults) -> Pair {
        let bad = recorded_builder()
            .faults(faults)
            .start()
            .await
            .expect("start jenkins-sim");
        let conn = connection("bad", &bad).with_timeout(Duration::from_millis(300));
        Pair::start(Some(bad), conn).await
    }

    /// Stop the gateway, then the controllers.
    async fn stop(self) {
        self.gateway.stop().await;
        self.good.shutdown().await;
        if let Some(bad) = self.bad {
            bad.shutdown().await;
        }
    }
}

/// Assert the healthy controller's part of a [`BOTH`] response is all there.
fn assert_good_answers(body: &Value) {
    let good = &body["data"]["connections"][0];
    assert_eq!(good["name"], "good", "{body:#}");
    assert_eq!(good["status"], "ONLINE", "{body:#}");
    assert_eq!(good["version"], "2.516.2");
    assert!(good["error"].is_null());
    let items = good["root"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no root items of good: {body:#}"));
    assert!(
        items.iter().any(|i| i["name"] == "hello-freestyle"),
        "{body:#}"
    );
    let job = &body["data"]["good"];
    assert_eq!(job["name"], "pipeline-basic", "{body:#}");
    assert_eq!(
        job["lastBuild"]["stages"].as_array().map(Vec::len),
        Some(4),
        "{body:#}"
    );
    assert!(
        errors(body)
            .iter()
            .all(|e| e["extensions"]["connection"] != "good"),
        "no error is about the healthy controller: {body:#}"
    );
}

/// Assert the failing controller answered with `code` everywhere in a [`BOTH`] response:
/// its status and problem, its root folder and the job asked of it.
fn assert_bad_fails(body: &Value, status: &str, code: &str, http_status: Option<u16>) {
    let bad = &body["data"]["connections"][1];
    assert_eq!(bad["name"], "bad", "{body:#}");
    assert_eq!(bad["status"], status, "{body:#}");
    assert!(bad["version"].is_null());
    let problem = &bad["error"];
    assert_eq!(problem["code"], code, "{body:#}");
    assert_eq!(problem["httpStatus"], json!(http_status), "{body:#}");
    assert!(
        problem["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{problem}"
    );
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("bad: ")),
        "{problem}"
    );
    assert!(bad["root"].is_null(), "{body:#}");
    assert!(body["data"]["bad"].is_null(), "{body:#}");
    let errs = errors_with_code(body, code);
    let paths: Vec<&Value> = errs.iter().map(|e| &e["path"]).collect();
    assert!(
        paths.contains(&&json!(["connections", 1, "root"])),
        "{body:#}"
    );
    assert!(paths.contains(&&json!(["bad"])), "{body:#}");
    for e in &errs {
        let ext = &e["extensions"];
        assert_eq!(ext["connection"], "bad", "{e}");
        assert_eq!(ext["status"], json!(http_status), "{e}");
        assert!(ext["hint"].as_str().is_some_and(|h| !h.is_empty()), "{e}");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("bad: ")),
            "{e}"
        );
    }
    assert_eq!(
        errs.len(),
        errors(body).len(),
        "every error has code {code}: {body:#}"
    );
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let bad = recorded_sim().await;
    let conn =
        ConnectionConfig::new("bad", bad.url()).with_credentials(USER, format!("{TOKEN}-revoked"));
    let pair = Pair::start(Some(bad), conn).await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "UNAUTHORIZED", "UNAUTHORIZED", Some(401));
    let hint = body["data"]["connections"][1]["error"]["hint"]
        .as_str()
        .unwrap();
    assert!(hint.contains("token"), "{hint}");
    pair.stop().await;
}

#[tokio::test]
async fn revoked_credentials_are_unauthorized() {
    let pair = Pair::with_faults(Faults {
        reject_credentials: true,
        ..Faults::default()
    })
    .await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "UNAUTHORIZED", "UNAUTHORIZED", Some(401));
    pair.stop().await;
}

#[tokio::test]
async fn a_user_without_permission_is_forbidden() {
    let bad = recorded_sim().await;
    let conn =
        ConnectionConfig::new("bad", bad.url()).with_credentials("nobody", "nobody-password");
    let pair = Pair::start(Some(bad), conn).await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "FORBIDDEN", "FORBIDDEN", Some(403));
    let problem = &body["data"]["connections"][1]["error"];
    // Jenkins says who is missing which permission; the gateway passes it on.
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("nobody") && m.contains("Hudson.Read")),
        "{problem}"
    );
    assert!(
        !problem["message"]
            .as_str()
            .unwrap()
            .contains("nobody-password"),
        "{problem}"
    );
    assert!(
        problem["hint"]
            .as_str()
            .is_some_and(|h| h.contains("permission")),
        "{problem}"
    );
    pair.stop().await;
}

#[tokio::test]
async fn unknown_items_are_null_without_an_error() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    // The schema documents "null if there is none": a 404 is an answer, not an error.
    let unknown = r#"{
                job(connection: "good", fullName: "no-such-job") { name }
                deep: job(connection: "good", fullName: "team-a/no-such/job") { name }
                folderAsJob: job(connection: "good", fullName: "team-a") { name }
                build(connection: "good", job: "hello-freestyle", number: 999) { number }
                buildOfNoJob: build(connection: "good", job: "no-such-job", number: 1) { number }
                connection(name: "good") {
                    folder(path: "no-such-folder") { name }
                    job(fullName: "no-such-job") { name }
                    hello: job(fullName: "hello-freestyle") { build(number: 999) { number } }
                }
            }"#;
    let body = gateway.query(unknown).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        body["data"],
        json!({
            "job": null, "deep": null, "folderAsJob": null, "build": null, "buildOfNoJob": null,
            "connection": { "folder": null, "job": null, "hello": { "build": null } },
        })
    );
    // A 404 is kept like a listing: asking again within its TTL sends nothing to Jenkins,
    // so names that do not exist cannot make the gateway ask once per query.
    let sent = good.requests().len();
    assert!(
        good.requests().iter().any(|r| r.status == 404),
        "Jenkins answered 404s"
    );
    for _ in 0..3 {
        assert_eq!(gateway.query(unknown).await, body);
    }
    assert_eq!(good.requests().len(), sent, "{:#?}", good.requests());
    // An unknown connection, though, is a mistake in the query.
    let body = gateway
        .query(r#"{ job(connection: "nope", fullName: "x") { name } }"#)
        .await;
    assert_eq!(
        errors_with_code(&body, "UNKNOWN_CONNECTION").len(),
        1,
        "{body:#}"
    );
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn a_hanging_controller_times_out() {
    let pair = Pair::with_faults(Faults {
        hang: true,
        ..Faults::default()
    })
    .await;
    let started = std::time::Instant::now();
    let body = pair.gateway.query(BOTH).await;
    let elapsed = started.elapsed();
    assert_good_answers(&body);
    assert_bad_fails(&body, "TIMEOUT", "TIMEOUT", None);
    // The slow controller costs its own timeout (one retry at most), not more.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    pair.stop().await;
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() {
    let conn = ConnectionConfig::new("bad", dead_url().await).with_credentials(USER, TOKEN);
    let pair = Pair::start(None, conn).await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "UNREACHABLE", "UNREACHABLE", None);
    pair.stop().await;
}

#[tokio::test]
async fn a_tls_handshake_failure_is_tls_error() {
    // https to a controller that speaks plain HTTP: the handshake fails.
    let plain = recorded_sim().await;
    let url = plain.url().replacen("http://", "https://", 1);
    let conn = ConnectionConfig::new("bad", url).with_credentials(USER, TOKEN);
    let pair = Pair::start(None, conn).await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "TLS_ERROR", "TLS_ERROR", None);
    pair.stop().await;
    plain.shutdown().await;
}

#[tokio::test]
async fn a_reset_connection_is_unreachable() {
    let pair = Pair::with_faults(Faults {
        reset: true,
        ..Faults::default()
    })
    .await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "UNREACHABLE", "UNREACHABLE", None);
    pair.stop().await;
}

#[tokio::test]
async fn a_controller_starting_up_is_unavailable() {
    let pair = Pair::with_faults(Faults {
        startup_ms: 60_000,
        ..Faults::default()
    })
    .await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "UNAVAILABLE", "UNAVAILABLE", Some(503));
    let hint = body["data"]["connections"][1]["error"]["hint"]
        .as_str()
        .unwrap();
    assert!(hint.contains("starting"), "{hint}");
    pair.stop().await;
}

#[tokio::test]
async fn invalid_json_is_an_invalid_response() {
    let pair = Pair::with_faults(Faults {
        invalid_json: true,
        ..Faults::default()
    })
    .await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    assert_bad_fails(&body, "ERROR", "INVALID_RESPONSE", None);
    pair.stop().await;
}

#[tokio::test]
async fn truncated_json_is_an_invalid_response() {
    let pair = Pair::with_faults(Faults {
        truncate_json: true,
        ..Faults::default()
    })
    .await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    let bad = &body["data"]["connections"][1];
    assert_eq!(bad["status"], "ERROR", "{body:#}");
    assert_eq!(bad["error"]["code"], "INVALID_RESPONSE");
    assert!(body["data"]["bad"].is_null());
    assert!(
        !errors_with_code(&body, "INVALID_RESPONSE").is_empty(),
        "{body:#}"
    );
    pair.stop().await;
}

#[tokio::test]
async fn without_the_pipeline_rest_api_stages_are_null() {
    let bad = recorded_builder()
        .without_wfapi()
        .start()
        .await
        .expect("start jenkins-sim");
    let conn = connection("bad", &bad);
    let pair = Pair::start(Some(bad), conn).await;
    let body = pair.gateway.query(BOTH).await;
    assert_good_answers(&body);
    // Everything but the stages still answers.
    let bad = &body["data"]["connections"][1];
    assert_eq!(bad["status"], "ONLINE", "{body:#}");
    assert_eq!(body["data"]["bad"]["name"], "pipeline-basic");
    assert_eq!(body["data"]["bad"]["lastBuild"]["number"], 3);
    assert!(
        body["data"]["bad"]["lastBuild"]["stages"].is_null(),
        "{body:#}"
    );
    let err = gateway_common::error_at(&body, &[json!("bad"), json!("lastBuild"), json!("stages")]);
    assert_eq!(err["extensions"]["code"], "PIPELINE_API_MISSING");
    assert_eq!(err["extensions"]["connection"], "bad");
    assert_eq!(err["extensions"]["status"], 404);
    assert!(
        err["extensions"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("pipeline-rest-api")),
        "{err}"
    );
    assert_eq!(errors(&body).len(), 1, "{body:#}");
    pair.stop().await;
}

#[tokio::test]
async fn malformed_graphql_is_a_graphql_error_and_the_gateway_keeps_serving() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    for query in [
        "{ connections { name ",
        "{ nope }",
        "query { connections { name(x: 1) } }",
        "",
    ] {
        let (status, body) = gateway.post(json!({ "query": query })).await;
        // async-graphql answers request errors with 200 and a GraphQL error, never data.
        assert_eq!(status, 200, "{query:?}: {body}");
        assert!(body["data"].is_null(), "{query:?}: {body}");
        let errs = errors(&body);
        assert!(
            !errs.is_empty() && errs.iter().all(|e| e["message"].is_string()),
            "{query:?}: {body}"
        );
    }
    assert_eq!(
        good.request_count(),
        0,
        "invalid queries never reach Jenkins"
    );
    // Bodies that are not GraphQL requests at all.
    let (status, body) = gateway.post(json!({ "not": "graphql" })).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"].is_null() && !errors(&body).is_empty(),
        "{body}"
    );
    let (status, text) = gateway
        .post_raw("{ this is not json", "application/json")
        .await;
    assert_eq!(status, 400, "{text}");
    let data = gateway
        .data(r#"{ connection(name: "good") { status } }"#)
        .await;
    assert_eq!(data["connection"]["status"], "ONLINE");
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn hostile_names_give_a_clear_error_or_null() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let query = r#"query($n: String!) {
        job(connection: "good", fullName: $n) { name }
        build(connection: "good", job: $n, number: 1) { number }
        connection(name: "good") { status folder(path: $n) { name } }
    }"#;
    let hostile = [
        "..",
        "../hello-freestyle",
        "team-a/../hello-freestyle",
        "team-a/./services",
        "100%",
        "%2e%2e/hello-freestyle",
        "with space",
        "with \"quotes\"",
        "it's",
        "?tree=jobs[name]",
        "a#b",
        "tab\tand\nnewline",
        "nul\u{0}byte",
        "ünïcødé/名前",
    ];
    for name in hostile {
        let body = gateway.query_vars(query, json!({ "n": name })).await;
        let data = &body["data"];
        // The rest of the query still answers.
        assert_eq!(data["connection"]["status"], "ONLINE", "{name:?}: {body:#}");
        // Nothing that happens to exist is found through a hostile name.
        assert!(
            data["job"].is_null() && data["build"].is_null(),
            "{name:?}: {body:#}"
        );
        assert!(data["connection"]["folder"].is_null(), "{name:?}: {body:#}");
        for e in errors(&body) {
            let code = e["extensions"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{name:?}: an error without a code: {e}"));
            assert!(
                ["BAD_REQUEST", "BAD_ARGUMENT"].contains(&code),
                "{name:?}: {e}"
            );
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        }
    }
    // Dot segments are refused before anything is sent: no path traversal upstream.
    let body = gateway
        .query_vars(query, json!({ "n": "../hello-freestyle" }))
        .await;
    let refused = errors_with_code(&body, "BAD_REQUEST");
    assert_eq!(refused.len(), 3, "{body:#}");
    for e in &refused {
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains("..")),
            "{e}"
        );
        assert!(
            e["extensions"]["status"].is_null(),
            "Jenkins never answered: {e}"
        );
        let hint = e["extensions"]["hint"].as_str().unwrap_or_default();
        assert!(
            !hint.contains("Jenkins rejected"),
            "Jenkins never saw it: {e}"
        );
    }
    let requests = good.requests();
    assert!(
        requests
            .iter()
            .all(|r| !r.path.contains("/../") && !r.path.contains("/./")),
        "{requests:?}"
    );
    // The gateway is still alive and well.
    let data = gateway
        .data(r#"{ job(connection: "good", fullName: "hello-freestyle") { name } }"#)
        .await;
    assert_eq!(data["job"]["name"], "hello-freestyle");
    gateway.stop().await;
    good.shutdown().await;
}

#[tokio::test]
async fn partial_data_in_fleet_wide_fields() {
    let conn = ConnectionConfig::new("bad", dead_url().await).with_credentials(USER, TOKEN);
    let pair = Pair::start(None, conn).await;
    let body = pair
        .gateway
        .query(
            r#"{
                jobs(filter: { namePattern: "pipeline-basic" }) { totalCount nodes { fullName connection { name } } }
                queue { jobName connection { name } }
                health { totals { connections online jobs } connections { status error { code } } }
            }"#,
        )
        .await;
    let data = &body["data"];
    assert_eq!(
        data["jobs"],
        json!({ "totalCount": 1, "nodes": [{ "fullName": "pipeline-basic", "connection": { "name": "good" } }] }),
        "{body:#}"
    );
    assert!(
        data["queue"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["connection"]["name"] == "good"),
        "{body:#}"
    );
    assert_eq!(data["queue"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        data["health"]["totals"],
        json!({ "connections": 2, "online": 1, "jobs": 18 })
    );
    assert_eq!(
        data["health"]["connections"][1],
        json!({ "status": "UNREACHABLE", "error": { "code": "UNREACHABLE" } })
    );
    let errs = errors_with_code(&body, "UNREACHABLE");
    assert!(
        errs.iter().all(|e| e["extensions"]["connection"] == "bad"),
        "{body:#}"
    );
    // Each fleet-wide field says, at its own path, which controller it left out.
    let mut paths: Vec<String> = errs.iter().map(|e| e["path"].to_string()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [r#"["health","totals"]"#, r#"["jobs"]"#, r#"["queue"]"#],
        "{body:#}"
    );
    pair.stop().await;
}

#[tokio::test]
async fn no_endpoint_shows_the_token() {
    let bad = recorded_sim().await;
    let conn =
        ConnectionConfig::new("bad", bad.url()).with_credentials(USER, format!("{TOKEN}-revoked"));
    let pair = Pair::start(Some(bad), conn).await;
    pair.gateway.query(BOTH).await;
    // `get` and `query` fail the test if the token appears anywhere in a body.
    for path in ["/metrics", "/readyz", "/healthz"] {
        let (status, _) = pair.gateway.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
    let body = pair
        .gateway
        .query("{ connections { url error { code message hint } health { error { message } } } }")
        .await;
    assert_eq!(
        body["data"]["connections"][1]["error"]["code"], "UNAUTHORIZED",
        "{body:#}"
    );
    pair.stop().await;
}

#[tokio::test]
async fn an_errored_nullable_field_is_null_not_missing() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    // A freestyle build has no stages by nature: null, and no error.
    let body = gateway
        .query(r#"{ build(connection: "good", job: "hello-freestyle", number: 1) { number stages { name } } }"#)
        .await;
    assert!(errors(&body).is_empty(), "{body:#}");
    assert_eq!(body["data"]["build"]["stages"], Value::Null, "{body:#}");
    // An argument out of range is an error on its field.
    let body = gateway
        .query(r#"{ build(connection: "good", job: "hello-freestyle", number: 1) { number log(maxBytes: 0) { text } } }"#)
        .await;
    assert_eq!(errors_with_code(&body, "BAD_ARGUMENT").len(), 1, "{body:#}");
    // GraphQL spec, "Handling Field Errors": the field is handled as though it returned null.
    let build = body["data"]["build"]
        .as_object()
        .unwrap_or_else(|| panic!("{body:#}"));
    assert_eq!(build.get("log"), Some(&Value::Null), "{body:#}");
    // A field that needs a failing controller is null too, and its parent stays.
    let body = gateway
        .query(r#"{ connection(name: "good") { name folder(path: "..") { name } } }"#)
        .await;
    assert_eq!(body["data"]["connection"]["name"], "good", "{body:#}");
    assert_eq!(
        body["data"]["connection"]["folder"],
        Value::Null,
        "{body:#}"
    );
    gateway.stop().await;
    good.shutdown().await;
}
