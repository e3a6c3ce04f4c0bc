//! Values the gateway answers, checked against the recorded world that jenkins-sim serves
//! (see `jenkins-sim/recordings/README.md`): connections, folders, jobs, builds,
//! stages, logs, the queue, the cross-controller job search, global IDs and fleet health.
//!
//! Every test starts two controllers (`alpha`, `beta`) and a gateway over both on
//! loopback, and talks GraphQL over HTTP.

mod gateway_common;

use gateway_common::{names, TwoControllers, TOKEN, USER};
use serde_json::{json, Value};

/// The pipeline jobs at the root of the recorded world, sorted by name.
const ROOT_PIPELINES: [&str; 6] = [
    "pipeline-basic",
    "pipeline-failing",
    "pipeline-input",
    "pipeline-long",
    "pipeline-parallel",
    "pipeline-unstable",
];

/// Build numbers of a `BuildPage`'s nodes.
fn numbers(page: &Value) -> Vec<i64> {
    page["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {page}"))
        .iter()
        .map(|b| b["number"].as_i64().expect("build number"))
        .collect()
}

#[tokio::test]
async fn connections_are_online_with_the_recorded_version() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data("{ connections { name url status version latencyMs error { code } } }")
        .await;
    let conns = &data["connections"];
    assert_eq!(names(conns, "name"), ["alpha", "beta"]);
    for (c, sim) in conns.as_array().unwrap().iter().zip([&t.alpha, &t.beta]) {
        assert_eq!(c["status"], "ONLINE", "{c}");
        assert_eq!(c["version"], "2.516.2", "{c}");
        assert_eq!(c["url"], sim.url().as_str());
        assert!(c["latencyMs"].as_f64().is_some_and(|l| l >= 0.0), "{c}");
        assert!(c["error"].is_null(), "{c}");
    }
    t.stop().await;
}

#[tokio::test]
async fn root_items_have_kinds_and_statuses_from_their_colors() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ connection(name: "alpha") { root { name fullName kind items {
                __typename name fullName
                ... on Job { kind color status building lastBuild { number result } }
                ... on Folder { kind }
            } } } }"#,
        )
        .await;
    let root = &data["connection"]["root"];
    assert_eq!(root["fullName"], "");
    assert!(
        root["kind"].is_null(),
        "the root has no folder kind: {root}"
    );
    let items = root["items"].as_array().unwrap();
    let by_name = |n: &str| -> &Value {
        items
            .iter()
            .find(|i| i["name"] == n)
            .unwrap_or_else(|| panic!("no root item {n}: {root}"))
    };
    for (name, kind, status) in [
        ("abortable-freestyle", "FREESTYLE", "ABORTED"),
        ("disabled-job", "FREESTYLE", "DISABLED"),
        ("fail-freestyle", "FREESTYLE", "FAILURE"),
        ("git-freestyle", "FREESTYLE", "SUCCESS"),
        ("hello-freestyle", "FREESTYLE", "SUCCESS"),
        ("label-restricted", "FREESTYLE", "NOT_BUILT"),
        ("param-freestyle", "FREESTYLE", "SUCCESS"),
        ("pipeline-basic", "PIPELINE", "SUCCESS"),
        ("pipeline-failing", "PIPELINE", "FAILURE"),
        ("pipeline-parallel", "PIPELINE", "SUCCESS"),
        ("pipeline-unstable", "PIPELINE", "UNSTABLE"),
    ] {
        let item = by_name(name);
        assert_eq!(item["__typename"], "Job", "{item}");
        assert_eq!(item["fullName"], name);
        assert_eq!(
            (item["kind"].as_str(), item["status"].as_str()),
            (Some(kind), Some(status)),
            "{item}"
        );
    }
    // A running build keeps the previous result's color, animated.
    for name in ["pipeline-input", "pipeline-long"] {
        let item = by_name(name);
        assert_eq!(item["kind"], "PIPELINE");
        assert_eq!(item["building"], true, "{item}");
        assert!(
            item["color"]
                .as_str()
                .is_some_and(|c| c.ends_with("_anime")),
            "{item}"
        );
        assert!(
            item["lastBuild"]["result"].is_null(),
            "a running build has no result: {item}"
        );
    }
    assert_eq!(
        by_name("fail-freestyle")["lastBuild"],
        json!({ "number": 2, "result": "FAILURE" })
    );
    assert_eq!(
        by_name("pipeline-unstable")["lastBuild"],
        json!({ "number": 1, "result": "UNSTABLE" })
    );
    assert!(by_name("disabled-job")["lastBuild"].is_null());
    let team_a = by_name("team-a");
    assert_eq!(
        (team_a["__typename"].as_str(), team_a["kind"].as_str()),
        (Some("Folder"), Some("FOLDER"))
    );
    t.stop().await;
}

#[tokio::test]
async fn root_listing_with_last_builds_is_one_request_per_controller() {
    let t = TwoControllers::start().await;
    t.gateway
        .data("{ connections { root { items { name ... on Job { status lastBuild { number result } } } } } }")
        .await;
    assert_eq!(
        t.alpha.request_count(),
        1,
        "alpha: {:?}",
        t.alpha.requests()
    );
    assert_eq!(t.beta.request_count(), 1, "beta: {:?}", t.beta.requests());
    t.stop().await;
}

#[tokio::test]
async fn a_folder_at_depth_lists_its_jobs_and_parent() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ connection(name: "beta") { folder(path: "team-a/services") {
                name fullName kind parent { fullName kind }
                jobs { name fullName kind status connection { name } }
                folders { name }
            } } }"#,
        )
        .await;
    let f = &data["connection"]["folder"];
    assert_eq!(
        (
            f["name"].as_str(),
            f["fullName"].as_str(),
            f["kind"].as_str()
        ),
        (Some("services"), Some("team-a/services"), Some("FOLDER"))
    );
    assert_eq!(
        f["parent"],
        json!({ "fullName": "team-a", "kind": "FOLDER" })
    );
    assert_eq!(f["folders"], json!([]));
    assert_eq!(
        f["jobs"],
        json!([
            { "name": "api-build", "fullName": "team-a/services/api-build", "kind": "FREESTYLE", "status": "SUCCESS", "connection": { "name": "beta" } },
            { "name": "deploy-pipeline", "fullName": "team-a/services/deploy-pipeline", "kind": "PIPELINE", "status": "SUCCESS", "connection": { "name": "beta" } },
        ])
    );
    // A job at depth is reachable by its full name, too.
    let data = t
        .gateway
        .data(r#"{ job(connection: "alpha", fullName: "team-a/services/api-build") { fullName lastBuild { number } lastFailedBuild { number } parent { fullName } } }"#)
        .await;
    assert_eq!(
        data["job"],
        json!({ "fullName": "team-a/services/api-build", "lastBuild": { "number": 3 }, "lastFailedBuild": { "number": 2 }, "parent": { "fullName": "team-a/services" } })
    );
    t.stop().await;
}

#[tokio::test]
async fn a_multibranch_project_lists_its_branches() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ connection(name: "alpha") { folder(path: "team-a/multibranch-demo") {
                kind fullName
                jobs { name displayName fullName kind lastBuild { number changes { message } } }
            } } }"#,
        )
        .await;
    let mb = &data["connection"]["folder"];
    assert_eq!(mb["kind"], "MULTIBRANCH");
    let mut branches: Vec<Value> = mb["jobs"].as_array().unwrap().clone();
    branches.sort_by_key(|b| b["name"].as_str().map(str::to_string));
    assert_eq!(
        names(&Value::Array(branches.clone()), "name"),
        ["feature-x", "main"]
    );
    let (feature, main) = (&branches[0], &branches[1]);
    assert_eq!(feature["fullName"], "team-a/multibranch-demo/feature-x");
    assert_eq!(main["displayName"], "main");
    assert_eq!(
        (feature["kind"].as_str(), main["kind"].as_str()),
        (Some("PIPELINE"), Some("PIPELINE"))
    );
    assert_eq!(feature["lastBuild"]["number"], 1);
    assert_eq!(main["lastBuild"]["number"], 2);
    assert!(
        !main["lastBuild"]["changes"].as_array().unwrap().is_empty(),
        "main #2 has changes: {main}"
    );
    t.stop().await;
}

#[tokio::test]
async fn job_details_of_param_freestyle() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ job(connection: "alpha", fullName: "param-freestyle") {
                name fullName kind description disabled buildable
                health { score description }
                lastBuild { number result }
                lastSuccessfulBuild { number result }
                lastFailedBuild { number result }
                lastCompletedBuild { number }
                builds(first: 100) { nodes { number result } }
                parameters { name kind description defaultValue choices }
            } }"#,
        )
        .await;
    let job = &data["job"];
    assert_eq!(job["kind"], "FREESTYLE");
    assert_eq!(job["description"], "Parameterized freestyle job");
    assert_eq!(
        (job["disabled"].as_bool(), job["buildable"].as_bool()),
        (Some(false), Some(true))
    );
    let builds = job["builds"]["nodes"].as_array().unwrap();
    let newest = builds[0]["number"].as_i64().unwrap();
    assert!(
        newest >= 4,
        "param-freestyle has at least builds #4..#1: {job}"
    );
    assert_eq!(
        job["lastBuild"],
        json!({ "number": newest, "result": "SUCCESS" })
    );
    assert_eq!(
        job["lastSuccessfulBuild"],
        json!({ "number": newest, "result": "SUCCESS" })
    );
    assert_eq!(job["lastCompletedBuild"]["number"], newest);
    assert_eq!(
        job["lastFailedBuild"],
        json!({ "number": 2, "result": "FAILURE" })
    );
    // Build stability over the builds there are: only #2 failed.
    let n = builds.len() as i64;
    assert_eq!(
        builds.iter().filter(|b| b["result"] == "FAILURE").count(),
        1
    );
    assert_eq!(
        job["health"]["description"],
        format!("Build stability: 1 out of the last {n} builds failed.")
    );
    assert_eq!(job["health"]["score"], 100 - 100 / n);
    assert_eq!(
        job["parameters"],
        json!([
            { "name": "GREETING", "kind": "STRING", "description": "What to say", "defaultValue": "hello", "choices": [] },
            { "name": "DRY_RUN", "kind": "BOOLEAN", "description": "Skip the real work", "defaultValue": "true", "choices": [] },
            { "name": "TARGET", "kind": "CHOICE", "description": "Environment", "defaultValue": "dev", "choices": ["dev", "staging", "prod"] },
        ])
    );
    t.stop().await;
}

#[tokio::test]
async fn builds_paginate_with_an_opaque_after_cursor() {
    let t = TwoControllers::start().await;
    let query = r#"query($after: String) { job(connection: "alpha", fullName: "hello-freestyle") {
        lastBuild { number }
        builds(first: 2, after: $after) { nodes { number result } pageInfo { hasNextPage endCursor } }
    } }"#;
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    let mut newest = None;
    for _ in 0..10 {
        let body = t.gateway.query_vars(query, json!({ "after": after })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        let job = &body["data"]["job"];
        newest.get_or_insert(job["lastBuild"]["number"].as_i64().unwrap());
        let page = &job["builds"];
        let nums = numbers(page);
        assert!(!nums.is_empty() && nums.len() <= 2, "{page}");
        assert!(page["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["result"] == "SUCCESS"));
        // The cursor is opaque: not the build number in disguise.
        let cursor = page["pageInfo"]["endCursor"].as_str().expect("a cursor");
        assert_ne!(cursor, nums.last().unwrap().to_string());
        seen.extend(nums);
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(cursor.to_string());
    }
    let expected: Vec<i64> = (1..=newest.unwrap()).rev().collect();
    assert!(expected.len() >= 4, "hello-freestyle has at least 4 builds");
    assert_eq!(seen, expected, "pages cover every build once, newest first");
    t.stop().await;
}

#[tokio::test]
async fn a_build_has_causes_and_parameter_values() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ build(connection: "beta", job: "param-freestyle", number: 3) {
                number displayName result status building
                causes { kind description userId userName }
                parameters { name kind value }
                job { fullName }
            } }"#,
        )
        .await;
    let b = &data["build"];
    assert_eq!(
        (b["number"].as_i64(), b["displayName"].as_str()),
        (Some(3), Some("#3"))
    );
    assert_eq!(
        (
            b["result"].as_str(),
            b["status"].as_str(),
            b["building"].as_bool()
        ),
        (Some("SUCCESS"), Some("SUCCESS"), Some(false))
    );
    assert_eq!(
        b["causes"],
        json!([{ "kind": "USER", "description": "Started by user admin", "userId": "admin", "userName": "admin" }])
    );
    // Jenkins records a choice as a string parameter value.
    assert_eq!(
        b["parameters"],
        json!([
            { "name": "GREETING", "kind": "STRING", "value": "bonjour" },
            { "name": "DRY_RUN", "kind": "BOOLEAN", "value": "false" },
            { "name": "TARGET", "kind": "STRING", "value": "prod" },
        ])
    );
    assert_eq!(b["job"]["fullName"], "param-freestyle");
    t.stop().await;
}

#[tokio::test]
async fn changes_of_git_freestyle_2() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ build(connection: "alpha", job: "git-freestyle", number: 2) {
                changes { commitId message author authorEmail timestamp paths { editType file } }
                culprits { fullName }
                revision
            } }"#,
        )
        .await;
    let b = &data["build"];
    let changes = b["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{b}");
    assert_eq!(names(&b["changes"], "message")[1], "Bump version to v2");
    for c in changes {
        assert_eq!(c["author"], "alice", "{c}");
        assert_eq!(c["authorEmail"], "alice@example.test", "{c}");
        assert!(
            c["commitId"].as_str().is_some_and(|id| id.len() == 40),
            "{c}"
        );
        // The commit time, as RFC 3339 in UTC, is the one the controller holds.
        let commit = c["commitId"].as_str().unwrap_or_default().to_string();
        let expected = t.alpha.with_world(|w| {
            let job = w
                .item("git-freestyle")
                .and_then(|i| i.as_job())
                .map(|(_, j)| j.clone());
            let change = job
                .and_then(|j| j.build(2).cloned())
                .and_then(|b| b.changes.into_iter().find(|ch| ch.commit == commit))
                .expect("the commit is in the world");
            chrono::DateTime::from_timestamp_millis(change.timestamp)
                .expect("a time")
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        });
        assert_eq!(c["timestamp"], expected, "{c}");
        assert!(expected.ends_with('Z'));
        assert_eq!(
            c["paths"],
            json!([{ "editType": "edit", "file": "README.md" }]),
            "{c}"
        );
    }
    // The revision built is the newest commit.
    assert_eq!(b["revision"], changes[1]["commitId"]);
    assert_eq!(b["culprits"], json!([{ "fullName": "alice" }]));
    // The first build has no changes.
    let data = t.gateway.data(r#"{ build(connection: "alpha", job: "git-freestyle", number: 1) { changes { commitId } } }"#).await;
    assert_eq!(data["build"]["changes"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn stages_of_pipeline_runs_in_order_with_statuses() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{
                basic: build(connection: "alpha", job: "pipeline-basic", number: 1) {
                    result stages { name status nodeId error { message } concurrentWith }
                }
                failing: build(connection: "beta", job: "pipeline-failing", number: 1) {
                    result stages { name status error { message } }
                }
                parallel: build(connection: "alpha", job: "pipeline-parallel", number: 1) {
                    stages { name concurrentWith }
                }
            }"#,
        )
        .await;
    let basic = &data["basic"];
    assert_eq!(basic["result"], "SUCCESS");
    assert_eq!(
        names(&basic["stages"], "name"),
        ["Build", "Test", "Deploy", "Declarative: Post Actions"]
    );
    for s in basic["stages"].as_array().unwrap() {
        assert_eq!(s["status"], "SUCCESS", "{s}");
        assert!(s["error"].is_null() && s["nodeId"].is_string(), "{s}");
        assert_eq!(s["concurrentWith"], json!([]), "sequential stages: {s}");
    }
    let failing = &data["failing"];
    assert_eq!(failing["result"], "FAILURE");
    let stages = failing["stages"].as_array().unwrap();
    assert_eq!(names(&failing["stages"], "name")[..2], ["Build", "Test"]);
    assert_eq!(stages[0]["status"], "SUCCESS");
    assert_eq!(stages[1]["status"], "FAILED");
    assert_eq!(stages[1]["error"]["message"], "script returned exit code 3");
    // Parallel branches are listed flat; the gateway infers which ran together.
    let parallel = data["parallel"]["stages"].as_array().unwrap();
    let unit = parallel
        .iter()
        .find(|s| s["name"] == "Unit")
        .unwrap_or_else(|| panic!("no Unit stage: {parallel:?}"));
    let mut together: Vec<&str> = unit["concurrentWith"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    together.sort_unstable();
    assert_eq!(together, ["Integration", "Lint"]);
    t.stop().await;
}

#[tokio::test]
async fn stages_of_a_freestyle_build_are_null_without_an_error() {
    let t = TwoControllers::start().await;
    let body = t
        .gateway
        .query(r#"{ build(connection: "alpha", job: "hello-freestyle", number: 1) { number result stages { name } } }"#)
        .await;
    let build = &body["data"]["build"];
    assert_eq!(
        (build["number"].as_i64(), build["result"].as_str()),
        (Some(1), Some("SUCCESS")),
        "{body:#}"
    );
    // A freestyle build has no stages by nature: absent, not a failure.
    assert!(build["stages"].is_null(), "{body:#}");
    assert!(body.get("errors").is_none(), "{body:#}");
    // No request to the Pipeline REST API was needed to know.
    assert!(
        t.alpha.requests().iter().all(|r| !r.path.contains("wfapi")),
        "{:?}",
        t.alpha.requests()
    );
    t.stop().await;
}

#[tokio::test]
async fn log_tail_is_clean_text() {
    let t = TwoControllers::start().await;
    // The raw log carries console annotations (ESC[8mha:…ESC[0m) that must not come through.
    // On the wire, lines end in CRLF; `X-Text-Size` is the size of the log itself.
    let raw = reqwest::Client::new()
        .get(format!(
            "{}job/hello-freestyle/1/logText/progressiveText?start=0",
            t.alpha.url()
        ))
        .basic_auth(USER, Some(TOKEN))
        .send()
        .await
        .unwrap();
    let text_size: f64 = raw.headers()["x-text-size"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let raw = raw.text().await.unwrap();
    assert!(
        raw.contains('\u{1b}'),
        "the recorded log is annotated: {raw:?}"
    );
    assert!(
        raw.contains("\r\n"),
        "the recorded log has CRLF line endings: {raw:?}"
    );
    let data = t
        .gateway
        .data(
            r#"{
                hello: build(connection: "alpha", job: "hello-freestyle", number: 1) {
                    tail: log(tailLines: 2) { text truncated moreData totalBytes }
                    whole: log { text truncated }
                }
                pipeline: build(connection: "beta", job: "pipeline-basic", number: 1) {
                    log(tailLines: 2) { text }
                    whole: log { text }
                }
            }"#,
        )
        .await;
    let tail = &data["hello"]["tail"];
    let text = tail["text"].as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert_eq!(lines[1], "Finished: SUCCESS");
    assert!(text.ends_with("Finished: SUCCESS\n"), "{text:?}");
    assert_eq!(
        (tail["truncated"].as_bool(), tail["moreData"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(tail["totalBytes"].as_f64(), Some(text_size));
    let whole = data["hello"]["whole"]["text"].as_str().unwrap();
    assert!(whole.starts_with("Started by user admin\n"), "{whole:?}");
    assert_eq!(data["hello"]["whole"]["truncated"], false);
    let pipeline_tail = data["pipeline"]["log"]["text"].as_str().unwrap();
    assert!(
        pipeline_tail.ends_with("Finished: SUCCESS\n"),
        "{pipeline_tail:?}"
    );
    for text in [
        text,
        whole,
        pipeline_tail,
        data["pipeline"]["whole"]["text"].as_str().unwrap(),
    ] {
        assert!(!text.contains('\u{1b}'), "escape codes in {text:?}");
        assert!(!text.contains('\r'), "carriage returns in {text:?}");
        assert!(!text.contains("ha:////"), "annotation payload in {text:?}");
    }
    t.stop().await;
}

#[tokio::test]
async fn log_grep_returns_matches_with_line_numbers() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ build(connection: "alpha", job: "hello-freestyle", number: 1) {
                started: log(grep: "Started by user", context: 0) { text matches { lineNumber line before after } matchLimitReached }
                echo: log(grep: "+ echo hello", context: 1) { matches { lineNumber line before after } }
                finished: log(grep: "Finished:") { matches { lineNumber line after } }
                none: log(grep: "no such text anywhere") { matches { line } matchLimitReached }
            } }"#,
        )
        .await;
    let b = &data["build"];
    assert_eq!(
        b["started"]["text"], "",
        "a search returns matches, not text"
    );
    assert_eq!(
        b["started"]["matches"],
        json!([{ "lineNumber": 1, "line": "Started by user admin", "before": [], "after": [] }])
    );
    assert_eq!(b["started"]["matchLimitReached"], false);
    let echo = &b["echo"]["matches"][0];
    assert_eq!(echo["line"], "+ echo hello");
    assert_eq!(echo["after"], json!(["hello"]));
    assert_eq!(echo["before"].as_array().map(Vec::len), Some(1));
    let finished = &b["finished"]["matches"];
    assert_eq!(finished.as_array().map(Vec::len), Some(1));
    assert_eq!(finished[0]["line"], "Finished: SUCCESS");
    assert_eq!(
        finished[0]["after"],
        json!([]),
        "the last line has nothing after it"
    );
    assert_eq!(
        finished[0]["lineNumber"].as_i64(),
        echo["lineNumber"].as_i64().map(|n| n + 2)
    );
    assert_eq!(
        b["none"],
        json!({ "matches": [], "matchLimitReached": false })
    );
    t.stop().await;
}

#[tokio::test]
async fn the_queue_spans_connections_with_the_stuck_item() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data("{ queue { id queueId state jobName why blocked buildable stuck inQueueSince waitingMs connection { name } job { fullName } } }")
        .await;
    let queue = data["queue"].as_array().unwrap();
    for conn in ["alpha", "beta"] {
        let mine: Vec<&Value> = queue
            .iter()
            .filter(|q| q["connection"]["name"] == conn)
            .collect();
        let stuck: Vec<&&Value> = mine.iter().filter(|q| q["stuck"] == true).collect();
        assert_eq!(stuck.len(), 1, "{conn}: {mine:?}");
        let item = stuck[0];
        assert_eq!(item["jobName"], "label-restricted");
        assert_eq!(item["job"]["fullName"], "label-restricted");
        assert_eq!(
            (
                item["state"].as_str(),
                item["buildable"].as_bool(),
                item["blocked"].as_bool()
            ),
            (Some("BUILDABLE"), Some(true), Some(false))
        );
        assert!(
            item["why"]
                .as_str()
                .is_some_and(|w| w.contains("no-such-agent")),
            "{item}"
        );
        assert!(
            item["waitingMs"].as_f64().is_some_and(|w| w >= 0.0),
            "{item}"
        );
        // pipeline-long's next build waits, blocked by the running one.
        let blocked = mine
            .iter()
            .find(|q| q["jobName"] == "pipeline-long")
            .unwrap_or_else(|| panic!("{conn}: {mine:?}"));
        assert_eq!(
            (
                blocked["state"].as_str(),
                blocked["blocked"].as_bool(),
                blocked["stuck"].as_bool()
            ),
            (Some("BLOCKED"), Some(true), Some(false))
        );
        assert!(
            blocked["why"]
                .as_str()
                .is_some_and(|w| w.contains("already in progress")),
            "{blocked}"
        );
    }
    // Items come in configuration order of their connections.
    let order: Vec<&str> = queue
        .iter()
        .filter_map(|q| q["connection"]["name"].as_str())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
    // One connection only.
    let data = t
        .gateway
        .data(r#"{ queue(connection: "beta") { connection { name } } }"#)
        .await;
    assert!(data["queue"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["connection"]["name"] == "beta"));
    t.stop().await;
}

#[tokio::test]
async fn the_job_search_pages_across_two_controllers() {
    let t = TwoControllers::start().await;
    let query = r#"query($after: String) {
        jobs(filter: { namePattern: "pipeline-*" }, first: 5, after: $after) {
            totalCount nodes { fullName kind connection { name } } pageInfo { hasNextPage endCursor }
        }
    }"#;
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let body = t.gateway.query_vars(query, json!({ "after": after })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        let page = &body["data"]["jobs"];
        pages += 1;
        assert_eq!(page["totalCount"], 12, "{page}");
        for j in page["nodes"].as_array().unwrap() {
            assert_eq!(j["kind"], "PIPELINE", "{j}");
            seen.push(format!(
                "{}:{}",
                j["connection"]["name"].as_str().unwrap(),
                j["fullName"].as_str().unwrap()
            ));
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(page["nodes"].as_array().map(Vec::len), Some(5), "{page}");
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
        assert!(after.is_some() && pages < 5, "{page}");
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = ["alpha", "beta"]
        .iter()
        .flat_map(|c| ROOT_PIPELINES.iter().map(move |j| format!("{c}:{j}")))
        .collect();
    assert_eq!(
        seen, expected,
        "by connection in configuration order, then full name; each once"
    );
    // The connections filter keeps one controller.
    let data = t
        .gateway
        .data(r#"{ jobs(filter: { namePattern: "pipeline-*", connections: ["beta"] }) { totalCount nodes { connection { name } } } }"#)
        .await;
    assert_eq!(data["jobs"]["totalCount"], 6);
    t.stop().await;
}

#[tokio::test]
async fn node_ids_round_trip_for_a_job_and_a_build() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            r#"{ job(connection: "beta", fullName: "team-a/services/deploy-pipeline") {
                id fullName lastBuild { id number result }
            } }"#,
        )
        .await;
    let job = &data["job"];
    let (job_id, build_id) = (
        job["id"].as_str().unwrap(),
        job["lastBuild"]["id"].as_str().unwrap(),
    );
    assert_ne!(job_id, build_id);
    let body = t
        .gateway
        .query_vars(
            r#"query($job: ID!, $build: ID!) {
                job: node(id: $job) { id __typename ... on Job { fullName kind connection { name } } }
                build: node(id: $build) { id __typename ... on Build { number result job { fullName } connection { name } } }
            }"#,
            json!({ "job": job_id, "build": build_id }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        body["data"]["job"],
        json!({ "id": job_id, "__typename": "Job", "fullName": "team-a/services/deploy-pipeline", "kind": "PIPELINE", "connection": { "name": "beta" } })
    );
    assert_eq!(
        body["data"]["build"],
        json!({ "id": build_id, "__typename": "Build", "number": job["lastBuild"]["number"], "result": job["lastBuild"]["result"], "job": { "fullName": "team-a/services/deploy-pipeline" }, "connection": { "name": "beta" } })
    );
    // The same job on the other controller has another ID.
    let data = t
        .gateway
        .data(r#"{ job(connection: "alpha", fullName: "team-a/services/deploy-pipeline") { id } }"#)
        .await;
    assert_ne!(data["job"]["id"].as_str(), Some(job_id));
    t.stop().await;
}

#[tokio::test]
async fn fleet_health_totals() {
    let t = TwoControllers::start().await;
    let data = t
        .gateway
        .data(
            "{ health {
                totals { connections online jobs failingJobs queued stuck offlineAgents }
                failingJobs { fullName connection { name } }
                stuckQueueItems { jobName }
                offlineAgents { name }
                connections { connection { name } status version jobCount queueLength failingJobs { fullName } stuckQueueItems { jobName } }
            } }",
        )
        .await;
    let h = &data["health"];
    // 18 jobs per controller: 13 at the root, 3 in team-a, 2 multibranch branches.
    assert_eq!(
        h["totals"],
        json!({ "connections": 2, "online": 2, "jobs": 36, "failingJobs": 4, "queued": 4, "stuck": 2, "offlineAgents": 0 })
    );
    let mut failing: Vec<String> = h["failingJobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            format!(
                "{}:{}",
                j["connection"]["name"].as_str().unwrap(),
                j["fullName"].as_str().unwrap()
            )
        })
        .collect();
    failing.sort();
    assert_eq!(
        failing,
        [
            "alpha:fail-freestyle",
            "alpha:pipeline-failing",
            "beta:fail-freestyle",
            "beta:pipeline-failing"
        ]
    );
    assert_eq!(
        names(&h["stuckQueueItems"], "jobName"),
        ["label-restricted", "label-restricted"]
    );
    assert_eq!(h["offlineAgents"], json!([]));
    for (c, name) in h["connections"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["alpha", "beta"])
    {
        assert_eq!(c["connection"]["name"], name);
        assert_eq!(
            (c["status"].as_str(), c["version"].as_str()),
            (Some("ONLINE"), Some("2.516.2"))
        );
        assert_eq!(
            (c["jobCount"].as_i64(), c["queueLength"].as_i64()),
            (Some(18), Some(2)),
            "{c}"
        );
        assert_eq!(
            names(&c["failingJobs"], "fullName"),
            ["fail-freestyle", "pipeline-failing"]
        );
        assert_eq!(
            names(&c["stuckQueueItems"], "jobName"),
            ["label-restricted"]
        );
    }
    t.stop().await;
}
