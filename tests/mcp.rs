//! The MCP server with a real MCP client (rmcp's), over Streamable HTTP at `/mcp` and over
//! stdio (`majordomo mcp`), against the demo's simulated controllers standing still: every
//! tool's answer is checked against the simulated world, each of the seed's five incident
//! questions is answered in at most two calls under the byte budget, a key limited to one
//! connection sees only that connection through MCP too, and no token ever appears in a
//! result or a log.

mod gateway_common;

use std::collections::HashSet;

use gateway_common::{captured_logs, DemoFleet};
use jenkins_sim::world::{BuildResult, JobKind, ParamKind, World};
use majordomo::config::ApiKeyConfig;
use rmcp::model::{CallToolRequestParams, ProtocolVersion, ReadResourceRequestParams};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

/// The default byte budget of a tool result (`mcp.max_result_bytes`).
const BUDGET: usize = 16 * 1024;
const OPS_KEY: &str = "ops-key-0123456789abcdef";
const STAGING_KEY: &str = "staging-key-0123456789abcdef";

type Client = RunningService<RoleClient, ()>;

/// The demo fleet's tokens: no result and no log may contain one.
fn tokens(h: &DemoFleet) -> Vec<String> {
    h.demo
        .config
        .connections
        .iter()
        .filter_map(|c| c.token.as_ref().map(|t| t.expose_secret().to_string()))
        .collect()
}

/// A client of the gateway's `/mcp`, initialised (the `initialize` handshake).
async fn http_client(h: &DemoFleet, key: Option<&str>) -> Client {
    let url = h.gateway.endpoint.replace("/graphql", "/mcp");
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(key) = key {
        config = config.auth_header(key);
    }
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("initialize over Streamable HTTP")
}

/// One tool call: the answer parsed, whether it is an error, and its size in bytes.
struct Called {
    answer: Value,
    is_error: bool,
    bytes: usize,
}

async fn call(client: &Client, secrets: &[String], tool: &str, args: Value) -> Called {
    let arguments = args.as_object().cloned().unwrap_or_default();
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool}: {e}"));
    assert_eq!(result.content.len(), 1, "{tool}: one text block");
    let text = &result.content[0].as_text().expect("a text block").text;
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a token leaked into {tool}: {text}"
        );
    }
    Called {
        answer: serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{tool}: not JSON ({e}): {text}")),
        is_error: result.is_error == Some(true),
        bytes: text.len(),
    }
}

/// Upstream requests to the healthy controllers since the last reset.
fn healthy_requests(h: &DemoFleet) -> usize {
    h.counts()
        .iter()
        .filter(|(name, _)| name.as_str() != "ci-legacy")
        .map(|(_, reqs)| reqs.len())
        .sum()
}

/// The newest finished build of a job of the world.
fn last_completed(world: &World, job: &str) -> (u64, Option<BuildResult>) {
    let job = world.job(job).unwrap_or_else(|| panic!("no {job}"));
    let b = job
        .builds
        .iter()
        .rev()
        .find(|b| !b.building())
        .expect("a finished build");
    (b.number, b.result)
}

fn result_name(r: Option<BuildResult>) -> &'static str {
    match r {
        Some(BuildResult::Success) => "SUCCESS",
        Some(BuildResult::Failure) => "FAILURE",
        Some(BuildResult::Unstable) => "UNSTABLE",
        Some(BuildResult::Aborted) => "ABORTED",
        Some(BuildResult::NotBuilt) => "NOT_BUILT",
        None => "(building)",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_initialise_lists_every_tool_and_resource() {
    let h = DemoFleet::start().await;
    let client = http_client(&h, None).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("majordomo")
    );
    assert!(info
        .instructions
        .as_deref()
        .is_some_and(|i| i.contains("fleet_health")));
    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "list_connections",
            "fleet_health",
            "list_jobs",
            "failing_jobs",
            "job_details",
            "build_details",
            "build_log",
            "build_queue",
            "pipeline_run",
            "pending_approvals"
        ]
    );
    for tool in &tools {
        assert!(
            tool.description.as_deref().is_some_and(|d| d.len() > 80),
            "{}",
            tool.name
        );
        assert_eq!(
            tool.input_schema.get("type"),
            Some(&json!("object")),
            "{}",
            tool.name
        );
    }
    let log = tools
        .iter()
        .find(|t| t.name == "build_log")
        .expect("build_log");
    let props = log.input_schema["properties"]
        .as_object()
        .expect("properties");
    for arg in [
        "job",
        "connection",
        "number",
        "which",
        "tail_lines",
        "grep",
        "context",
    ] {
        assert!(props.contains_key(arg), "build_log takes {arg}: {props:?}");
    }
    assert_eq!(log.input_schema["required"], json!(["job"]));

    // The schema as a resource, equal to the committed SDL.
    let resources = client.list_all_resources().await.expect("resources/list");
    assert_eq!(resources[0].uri, "majordomo://schema");
    let read = client
        .read_resource(ReadResourceRequestParams::new("majordomo://schema"))
        .await
        .expect("resources/read");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    match &read.contents[0] {
        rmcp::model::ResourceContents::TextResourceContents { text, .. } => {
            assert_eq!(text.trim(), committed.trim())
        }
        other => panic!("not text: {other:?}"),
    }
    let templates = client
        .list_all_resource_templates()
        .await
        .expect("resources/templates/list");
    assert!(templates[0]
        .uri_template
        .starts_with("majordomo://log/{connection}/"));
    client.cancel().await.expect("close");
}

/// The current revision (2026-07-28) has no `initialize`: the client discovers the server
/// and every request carries its own protocol metadata; the tools answer the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_speaks_the_current_revision_without_initialize() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let url = h.gateway.endpoint.replace("/graphql", "/mcp");
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    let client = ()
        .serve_with_lifecycle(
            transport,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("server/discover");
    let r = call(&client, &secrets, "list_connections", json!({})).await;
    assert_eq!(r.answer["connections"].as_array().map(Vec::len), Some(3));
    assert_eq!(client.list_all_tools().await.expect("tools/list").len(), 10);
    client.cancel().await.expect("close");
}

/// Question 1: what's the status of the last build of deploy-production? One call, with
/// the job's short name resolved across controllers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_deploy_production_status_in_one_call() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;
    let r = call(
        &client,
        &secrets,
        "job_details",
        json!({ "job": "deploy-production" }),
    )
    .await;
    assert!(!r.is_error, "{}", r.answer);
    assert!(r.bytes <= BUDGET);
    let (number, result) = h.world("ci-prod", |w| {
        last_completed(w, "release/deploy-production")
    });
    assert_eq!(r.answer["connection"], "ci-prod");
    assert_eq!(r.answer["fullName"], "release/deploy-production");
    assert_eq!(r.answer["lastBuild"]["number"], json!(number));
    assert_eq!(r.answer["lastBuild"]["result"], result_name(result));
    let trend = &r.answer["trend"];
    let builds = h.world("ci-prod", |w| {
        w.job("release/deploy-production")
            .map_or(0, |j| j.builds.len())
    });
    assert_eq!(trend["builds"], json!(builds.min(20)));
    client.cancel().await.expect("close");
}

/// Question 2: the tail of the log of api-server's last failed build (a 128 MiB log), and
/// its errors: two calls, each under the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_api_server_last_failed_log_in_two_calls() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;
    let failed = h.world("ci-prod", |w| {
        let job = w.job("platform/api-server").expect("api-server");
        job.builds
            .iter()
            .rev()
            .find(|b| b.result == Some(BuildResult::Failure))
            .map(|b| b.number)
            .expect("a failed build")
    });
    // The demo has an api-server on two controllers: the first call names them.
    let args = json!({ "job": "api-server", "which": "last_failed", "tail_lines": 40 });
    let first = call(&client, &secrets, "build_log", args.clone()).await;
    assert!(first.is_error);
    assert!(first.bytes <= BUDGET);
    assert_eq!(first.answer["error"]["code"], "AMBIGUOUS_JOB");
    let candidate = first.answer["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["connection"] == "ci-prod")
        .expect("the ci-prod job is a candidate")
        .clone();
    assert_eq!(candidate["fullName"], "platform/api-server");
    let mut args = args;
    args["job"] = candidate["fullName"].clone();
    args["connection"] = candidate["connection"].clone();
    let tail = call(&client, &secrets, "build_log", args).await;
    assert!(!tail.is_error, "{}", tail.answer);
    assert!(tail.bytes <= BUDGET);
    assert_eq!(tail.answer["number"], json!(failed));
    assert_eq!(tail.answer["job"], "platform/api-server");
    let text = tail.answer["log"]["text"].as_str().expect("text");
    assert!(text.ends_with("Finished: FAILURE\n"), "{text}");
    assert!(text.lines().count() <= 40);
    assert!(tail.answer["log"]["totalBytes"].as_u64().expect("size") > 100 * 1024 * 1024);
    // A 128 MiB log shown by its end says how to see more.
    assert!(tail.answer["next"]
        .as_str()
        .is_some_and(|n| n.contains("grep")));
    client.cancel().await.expect("close");
}

/// Question 3: what changed in backend-service #142? One call; commits from the world.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_backend_service_142_changes_in_one_call() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;
    let r = call(
        &client,
        &secrets,
        "build_details",
        json!({ "job": "backend-service", "number": 142 }),
    )
    .await;
    assert!(!r.is_error, "{}", r.answer);
    assert!(r.bytes <= BUDGET);
    let (commits, result) = h.world("ci-prod", |w| {
        let job = w.job("platform/backend-service").expect("backend-service");
        let b = job.builds.iter().find(|b| b.number == 142).expect("#142");
        (
            b.changes
                .iter()
                .map(|c| c.commit.clone())
                .collect::<Vec<_>>(),
            b.result,
        )
    });
    let got: Vec<String> = r.answer["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["commitId"].as_str().map(str::to_string))
        .collect();
    assert_eq!(got, commits);
    assert_eq!(r.answer["result"], result_name(result));
    assert_eq!(r.answer["number"], 142);
    // Through the gateway's cache: asked again, no request reaches a controller.
    h.reset_counts();
    let again = call(
        &client,
        &secrets,
        "build_details",
        json!({ "job": "backend-service", "number": 142 }),
    )
    .await;
    assert_eq!(again.answer, r.answer);
    assert_eq!(healthy_requests(&h), 0, "{:?}", h.counts());
    client.cancel().await.expect("close");
}

/// Question 4: is anything stuck in the queue, on any controller? One call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_stuck_queue_in_one_call() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;
    let r = call(
        &client,
        &secrets,
        "build_queue",
        json!({ "stuck_only": true }),
    )
    .await;
    assert!(!r.is_error, "{}", r.answer);
    assert!(r.bytes <= BUDGET);
    let mut expected: Vec<(String, String)> = Vec::new();
    let mut queued = 0;
    for name in ["ci-prod", "ci-staging"] {
        h.world(name, |w| {
            queued += w.queue.len();
            expected.extend(
                w.queue
                    .iter()
                    .filter(|q| q.stuck)
                    .map(|q| (name.to_string(), q.job.clone())),
            );
        });
    }
    assert!(!expected.is_empty(), "the demo has stuck items");
    let mut got: Vec<(String, String)> = r.answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["connection"].as_str().unwrap_or("").to_string(),
                i["jobName"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(r.answer["queued"], json!(queued));
    // ci-legacy cannot be read: a fact in the answer, not a failure.
    let problems = r.answer["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["connection"] == "ci-legacy"
        && p["code"] == "UNAUTHORIZED"
        && p["hint"].is_string()));
    client.cancel().await.expect("close");
}

/// Question 5: the stages of the latest release-pipeline run. One call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_release_pipeline_stages_in_one_call() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;
    let r = call(
        &client,
        &secrets,
        "pipeline_run",
        json!({ "job": "release-pipeline" }),
    )
    .await;
    assert!(!r.is_error, "{}", r.answer);
    assert!(r.bytes <= BUDGET);
    let (number, stages) = h.world("ci-prod", |w| {
        let job = w.job("release/release-pipeline").expect("release-pipeline");
        let b = job.builds.last().expect("a run");
        (
            b.number,
            b.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        )
    });
    assert_eq!(r.answer["number"], json!(number));
    let got: Vec<String> = r.answer["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(got, stages);
    client.cancel().await.expect("close");
}

/// The fleet tools, job resolution (ambiguous and unknown names), a failing pipeline's
/// stage, a log resource with a range, and a controller that is down as a fact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fleet_tool_answers_from_the_world() {
    let logs = captured_logs();
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let client = http_client(&h, None).await;

    let r = call(&client, &secrets, "list_connections", json!({})).await;
    let conns = r.answer["connections"].as_array().expect("connections");
    let names: Vec<&str> = conns.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["ci-prod", "ci-staging", "ci-legacy"]);
    assert_eq!(conns[0]["status"], "ONLINE");
    assert_eq!(conns[2]["status"], "UNAUTHORIZED");
    assert!(conns[2]["error"]["hint"].is_string());

    let jobs_of = |name: &str| h.world(name, |w| w.jobs().len());
    let total_jobs = jobs_of("ci-prod") + jobs_of("ci-staging");
    let r = call(&client, &secrets, "fleet_health", json!({})).await;
    assert_eq!(r.answer["totals"]["connections"], 3);
    assert_eq!(r.answer["totals"]["online"], 2);
    assert_eq!(r.answer["totals"]["jobs"], json!(total_jobs));

    let api = |w: &World| {
        w.jobs()
            .iter()
            .filter(|(n, _, _)| n.to_lowercase().contains("api"))
            .count()
    };
    let expected = h.world("ci-prod", api) + h.world("ci-staging", api);
    let r = call(
        &client,
        &secrets,
        "list_jobs",
        json!({ "name": "*api*", "first": 200 }),
    )
    .await;
    assert_eq!(r.answer["total"], json!(expected));
    assert_eq!(r.answer["jobs"].as_array().map(Vec::len), Some(expected));

    // Pages: the next page's cursor, then the next five, none seen before.
    let first = call(&client, &secrets, "list_jobs", json!({ "first": 5 })).await;
    assert_eq!(first.answer["total"], json!(total_jobs));
    let after = first.answer["nextPage"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = call(
        &client,
        &secrets,
        "list_jobs",
        json!({ "first": 5, "after": after }),
    )
    .await;
    let names = |r: &Called| -> HashSet<String> {
        r.answer["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .filter_map(|j| j["fullName"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&first).len(), 5);
    assert_eq!(names(&second).len(), 5);
    assert!(names(&first).is_disjoint(&names(&second)));

    let failing = |w: &World| {
        w.jobs()
            .iter()
            .filter(|(_, _, j)| {
                !j.disabled
                    && j.builds
                        .iter()
                        .rev()
                        .find(|b| !b.building())
                        .and_then(|b| b.result)
                        == Some(BuildResult::Failure)
            })
            .count()
    };
    let expected = h.world("ci-prod", failing) + h.world("ci-staging", failing);
    let r = call(&client, &secrets, "failing_jobs", json!({ "first": 100 })).await;
    assert_eq!(r.answer["total"], json!(expected), "{}", r.answer);
    let api_server = r.answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["fullName"] == "platform/api-server")
        .expect("api-server fails");
    let stage = h.world("ci-prod", |w| {
        let b = w
            .job("platform/api-server")
            .and_then(|j| {
                j.builds
                    .iter()
                    .rev()
                    .find(|b| b.result == Some(BuildResult::Failure))
            })
            .expect("failed");
        b.stages
            .iter()
            .find(|s| s.status == "FAILED")
            .map(|s| s.name.clone())
    });
    assert_eq!(
        api_server["lastFailedBuild"]["failingStage"]["name"]
            .as_str()
            .map(str::to_string),
        stage
    );

    // A failing pipeline's run: its failing stage's error and log tail.
    let (pipeline, failed_stage) = h.world("ci-prod", |w| {
        w.jobs()
            .into_iter()
            .filter(|(_, kind, _)| *kind == JobKind::Pipeline)
            .find_map(|(name, _, job)| {
                let b = job
                    .builds
                    .iter()
                    .rev()
                    .find(|b| b.result == Some(BuildResult::Failure))?;
                let stage = b.stages.iter().find(|s| s.status == "FAILED")?;
                Some((name, stage.name.clone()))
            })
            .expect("a failing pipeline")
    });
    let r = call(
        &client,
        &secrets,
        "pipeline_run",
        json!({ "job": pipeline, "connection": "ci-prod", "which": "last_failed" }),
    )
    .await;
    assert_eq!(
        r.answer["failingStage"]["name"],
        json!(failed_stage),
        "{}",
        r.answer
    );
    assert!(
        r.answer["failingStage"]["logTail"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{}",
        r.answer
    );

    // Runs waiting for an approval, as the world has them.
    let waiting = |w: &World| -> Vec<(String, u64)> {
        w.jobs()
            .into_iter()
            .filter(|(_, kind, _)| *kind == JobKind::Pipeline)
            .filter_map(|(name, _, job)| {
                let b = job.builds.last()?;
                (b.building() && b.input.is_some()).then_some((name, b.number))
            })
            .collect()
    };
    let mut expected: Vec<(String, u64)> = h.world("ci-prod", waiting);
    expected.extend(h.world("ci-staging", waiting));
    assert!(
        !expected.is_empty(),
        "the demo has a run waiting for approval"
    );
    let r = call(&client, &secrets, "pending_approvals", json!({})).await;
    let mut got: Vec<(String, u64)> = r.answer["waiting"]
        .as_array()
        .expect("waiting")
        .iter()
        .map(|w| {
            (
                w["job"].as_str().unwrap_or("").to_string(),
                w["number"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{}", r.answer);
    assert!(
        r.answer["waiting"][0]["inputs"][0]["message"].is_string(),
        "{}",
        r.answer
    );

    // A name on both controllers is ambiguous: the candidates, not a guess.
    let short = |w: &World| -> HashSet<String> {
        w.jobs()
            .iter()
            .map(|(n, _, _)| n.rsplit('/').next().unwrap_or(n).to_string())
            .collect()
    };
    let both: Vec<String> = h
        .world("ci-prod", short)
        .intersection(&h.world("ci-staging", short))
        .cloned()
        .collect();
    let name = both
        .first()
        .expect("a job name on both controllers")
        .clone();
    let r = call(&client, &secrets, "job_details", json!({ "job": name })).await;
    assert!(r.is_error);
    assert_eq!(r.answer["error"]["code"], "AMBIGUOUS_JOB");
    let candidates: HashSet<&str> = r.answer["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["connection"].as_str())
        .collect();
    assert!(
        candidates.contains("ci-prod") && candidates.contains("ci-staging"),
        "{}",
        r.answer
    );

    let r = call(
        &client,
        &secrets,
        "job_details",
        json!({ "job": "no-such-job-anywhere" }),
    )
    .await;
    assert!(r.is_error);
    assert_eq!(r.answer["error"]["code"], "JOB_NOT_FOUND");

    // A controller that is down answers with its code and hint, as a result.
    let r = call(
        &client,
        &secrets,
        "job_details",
        json!({ "job": "anything", "connection": "ci-legacy" }),
    )
    .await;
    assert!(r.is_error);
    assert_eq!(r.answer["error"]["code"], "UNAUTHORIZED");
    assert_eq!(r.answer["error"]["connection"], "ci-legacy");
    assert!(r.answer["error"]["hint"].is_string());

    // A build with a password parameter: named, its value masked.
    let (with_password, number, param, secret) = h.world("ci-prod", |w| {
        w.jobs()
            .into_iter()
            .find_map(|(name, _, job)| {
                job.builds.iter().rev().find_map(|b| {
                    let p = b
                        .parameters
                        .iter()
                        .find(|p| p.kind == ParamKind::Password && !p.value.is_empty())?;
                    Some((name.clone(), b.number, p.name.clone(), p.value.clone()))
                })
            })
            .expect("a build with a password parameter")
    });
    let r = call(
        &client,
        &secrets,
        "build_details",
        json!({ "job": with_password, "connection": "ci-prod", "number": number }),
    )
    .await;
    assert!(
        !r.answer.to_string().contains(&secret),
        "the password leaked: {}",
        r.answer
    );
    let masked = r.answer["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == json!(param))
        .expect("the password parameter is listed");
    assert_eq!(masked["kind"], "PASSWORD");

    // Arguments that do not fit the schema.
    let r = call(
        &client,
        &secrets,
        "build_details",
        json!({ "job": "api-server", "number": "seven" }),
    )
    .await;
    assert!(r.is_error);
    assert_eq!(r.answer["error"]["code"], "BAD_ARGUMENT");

    // A search of the 128 MiB log, first matches (the whole log need not be read).
    let grep = call(
        &client,
        &secrets,
        "build_log",
        json!({ "job": "platform/api-server", "connection": "ci-prod", "which": "last_failed", "grep": "ERROR", "context": 1, "max_matches": 5, "first_matches": true }),
    )
    .await;
    assert!(!grep.is_error, "{}", grep.answer);
    assert!(grep.bytes <= BUDGET);
    let matches = grep.answer["log"]["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 5);
    assert!(matches
        .iter()
        .all(|m| m["line"].as_str().is_some_and(|l| l.contains("ERROR"))));

    // A search of the failing pipeline's log: the last matches, newest first, at the line
    // numbers of the world's log.
    let expected: Vec<u64> = h.world("ci-prod", |w| {
        let b = w
            .job(&pipeline)
            .and_then(|j| {
                j.builds
                    .iter()
                    .rev()
                    .find(|b| b.result == Some(BuildResult::Failure))
            })
            .expect("failed");
        let text = b.log.text.clone().expect("a written log");
        let mut numbers: Vec<u64> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("[Pipeline]"))
            .map(|(i, _)| i as u64 + 1)
            .collect();
        numbers.reverse();
        numbers.truncate(3);
        numbers
    });
    assert_eq!(expected.len(), 3, "the log has [Pipeline] lines");
    let grep = call(
        &client,
        &secrets,
        "build_log",
        json!({ "job": pipeline, "connection": "ci-prod", "which": "last_failed", "grep": "[Pipeline]", "max_matches": 3 }),
    )
    .await;
    let numbers: Vec<u64> = grep.answer["log"]["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .filter_map(|m| m["lineNumber"].as_u64())
        .collect();
    assert_eq!(numbers, expected, "{}", grep.answer);

    log_resource_and_budget(&client, &secrets, &h).await;
    client.cancel().await.expect("close");
    let logged = logs.text();
    for secret in &secrets {
        assert!(
            !logged.contains(secret.as_str()),
            "a token leaked into the logs"
        );
    }
}

/// A log tail asked larger than the budget is cut to it with the marker and a next step;
/// the same log as a resource, with a range, ends the same way.
async fn log_resource_and_budget(client: &Client, secrets: &[String], h: &DemoFleet) {
    let number = h.world("ci-prod", |w| last_completed(w, "platform/api-server").0);
    let r = call(
        client,
        secrets,
        "build_log",
        json!({ "job": "api-server", "connection": "ci-prod", "number": number, "tail_lines": 100000 }),
    )
    .await;
    assert!(r.bytes <= BUDGET, "{} bytes", r.bytes);
    assert!(
        r.bytes > BUDGET / 2,
        "the budget is used: {} bytes",
        r.bytes
    );
    assert_eq!(r.answer["log"]["truncated"], true);
    let tail = r.answer["log"]["text"].as_str().expect("text").to_string();

    let uri = format!("majordomo://log/ci-prod/platform/api-server/{number}?tail_lines=5");
    let read = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .expect("resources/read");
    let text = match &read.contents[0] {
        rmcp::model::ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("not text: {other:?}"),
    };
    assert_eq!(text.lines().count(), 5);
    assert!(
        tail.ends_with(&text),
        "the resource's 5 lines end the tail: {text}"
    );
}

fn keyed(config: &mut majordomo::config::Config) {
    config.auth.keys = vec![
        ApiKeyConfig::new("ops", OPS_KEY).with_admin(true),
        ApiKeyConfig::new("staging", STAGING_KEY).with_connections(&["ci-staging"]),
    ];
    config.validate().expect("valid config");
}

/// A key limited to ci-staging sees only ci-staging through MCP; no key, no connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_key_sees_only_its_connection_through_mcp() {
    let h = DemoFleet::start_with(keyed).await;
    let secrets = tokens(&h);
    let url = h.gateway.endpoint.replace("/graphql", "/mcp");
    let anonymous = ()
        .serve(StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(url.clone()),
        ))
        .await;
    assert!(anonymous.is_err(), "no key: refused");
    let wrong = ()
        .serve(StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(url)
                .auth_header("wrong-key-0123456789abcdef"),
        ))
        .await;
    assert!(wrong.is_err(), "a wrong key: refused");

    let client = http_client(&h, Some(STAGING_KEY)).await;
    let r = call(&client, &secrets, "list_connections", json!({})).await;
    let names: Vec<&str> = r.answer["connections"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["ci-staging"]);
    let r = call(&client, &secrets, "list_jobs", json!({ "first": 1 })).await;
    assert_eq!(
        r.answer["total"],
        json!(h.world("ci-staging", |w| w.jobs().len()))
    );
    let r = call(&client, &secrets, "fleet_health", json!({})).await;
    assert_eq!(r.answer["totals"]["connections"], 1);
    assert!(
        r.answer.get("problems").is_none(),
        "ci-legacy is out of scope: {}",
        r.answer
    );
    // api-server lives on ci-prod only: for this key it does not exist.
    let r = call(
        &client,
        &secrets,
        "job_details",
        json!({ "job": "platform/api-server" }),
    )
    .await;
    assert_eq!(r.answer["error"]["code"], "JOB_NOT_FOUND", "{}", r.answer);
    let r = call(
        &client,
        &secrets,
        "job_details",
        json!({ "job": "platform/api-server", "connection": "ci-prod" }),
    )
    .await;
    assert_eq!(
        r.answer["error"]["code"], "UNKNOWN_CONNECTION",
        "{}",
        r.answer
    );
    client.cancel().await.expect("close");

    let ops = http_client(&h, Some(OPS_KEY)).await;
    let r = call(&ops, &secrets, "list_connections", json!({})).await;
    assert_eq!(r.answer["connections"].as_array().map(Vec::len), Some(3));
    ops.cancel().await.expect("close");
}

/// A config file for `majordomo mcp` over the demo controllers.
fn write_config(h: &DemoFleet, dir: &std::path::Path) -> std::path::PathBuf {
    let mut toml = String::new();
    for c in &h.demo.config.connections {
        let token = c
            .token
            .as_ref()
            .map(|t| t.expose_secret().to_string())
            .unwrap_or_default();
        toml.push_str(&format!(
            "[[connections]]\nname = {:?}\nurl = {:?}\nusername = \"admin\"\ntoken = {token:?}\n\n",
            c.name, c.url
        ));
    }
    toml.push_str(&format!(
        "[[auth.keys]]\nname = \"staging\"\nkey = {STAGING_KEY:?}\nconnections = [\"ci-staging\"]\n"
    ));
    let path = dir.join("majordomo.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

/// `majordomo mcp --config FILE` on stdio: initialise, list, call; with `MAJORDOMO_MCP_KEY`
/// every request has the key's scope. Its logs (stderr) hold no token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_the_same_tools_with_the_keys_scope() {
    let h = DemoFleet::start().await;
    let secrets = tokens(&h);
    let dir = std::env::temp_dir().join(format!("majordomo-mcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = write_config(&h, &dir);
    let stderr_path = dir.join("stderr.log");
    let short = |w: &World| -> Vec<String> {
        w.jobs()
            .iter()
            .map(|(n, _, _)| n.rsplit('/').next().unwrap_or(n).to_string())
            .collect()
    };
    let (prod, staging) = (h.world("ci-prod", short), h.world("ci-staging", short));
    let only_staging = staging
        .iter()
        .find(|n| !prod.contains(n) && staging.iter().filter(|m| m == n).count() == 1)
        .expect("a job name only ci-staging has")
        .clone();

    for (key, connections) in [(None, 3), (Some(STAGING_KEY), 1)] {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_majordomo"));
        cmd.arg("mcp")
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "debug");
        cmd.env_remove("MAJORDOMO_MCP_KEY");
        if let Some(key) = key {
            cmd.env("MAJORDOMO_MCP_KEY", key);
        }
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let (transport, _) = TokioChildProcess::builder(cmd)
            .stderr(stderr)
            .spawn()
            .expect("spawn majordomo mcp");
        let client = ().serve(transport).await.expect("initialize over stdio");
        assert_eq!(client.list_all_tools().await.expect("tools/list").len(), 10);
        let r = call(&client, &secrets, "list_connections", json!({})).await;
        assert_eq!(
            r.answer["connections"].as_array().map(Vec::len),
            Some(connections)
        );
        // A job only ci-staging has, by its short name.
        let r = call(
            &client,
            &secrets,
            "job_details",
            json!({ "job": only_staging }),
        )
        .await;
        assert_eq!(r.answer["connection"], "ci-staging", "{}", r.answer);
        client.cancel().await.expect("close");
        let logged = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        assert!(logged.contains("MCP on stdio"), "{logged}");
        for secret in &secrets {
            assert!(
                !logged.contains(secret.as_str()),
                "a token leaked into the logs"
            );
        }
        assert!(
            !logged.contains(STAGING_KEY),
            "the key leaked into the logs"
        );
    }
    // A wrong key: the command stops before serving, saying why.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_majordomo"))
        .args(["mcp", "--config"])
        .arg(&config)
        .env("MAJORDOMO_MCP_KEY", "wrong-key-0123456789abcdef")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run majordomo mcp");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("API key") && stderr.contains("not valid"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-key-0123456789abcdef"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The node_modules `.ci/install-node-tools` installed (on first use).
fn node_modules() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(format!("{root}/.ci/install-node-tools"))
        .output()
        .expect("run .ci/install-node-tools");
    assert!(
        out.status.success(),
        "the MCP Inspector could not be installed (is the npm registry reachable?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Run `tests/conformance/mcp-inspector.cjs` with these arguments: what it printed.
async fn inspector(args: Vec<String>) -> Value {
    let modules = node_modules();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/mcp-inspector.cjs"
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .env("NODE_PATH", modules)
            .arg(script)
            .args(args)
            .output()
            .expect("run node")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the MCP Inspector failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The official MCP Inspector (CLI mode, from npm) over HTTP with a scoped key and over
/// stdio: the same tools, answers that match the world, the schema resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_inspector_cli_over_http_and_stdio() {
    let h = DemoFleet::start_with(keyed).await;
    let secrets = tokens(&h);
    let url = h.gateway.endpoint.replace("/graphql", "/mcp");
    let dir = std::env::temp_dir().join(format!("majordomo-inspector-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = write_config(&h, &dir);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let stuck = |name: &str| h.world(name, |w| w.queue.iter().filter(|q| q.stuck).count());
    let runs = [
        (
            vec!["http".to_string(), url, STAGING_KEY.to_string()],
            vec!["ci-staging"],
            stuck("ci-staging"),
        ),
        (
            vec![
                "stdio".to_string(),
                env!("CARGO_BIN_EXE_majordomo").to_string(),
                config.display().to_string(),
            ],
            vec!["ci-prod", "ci-staging", "ci-legacy"],
            stuck("ci-prod") + stuck("ci-staging"),
        ),
    ];
    for (args, connections, stuck) in runs {
        let got = inspector(args).await;
        let text = got.to_string();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a token leaked");
        }
        assert_eq!(got["tools"].as_array().map(Vec::len), Some(10), "{got}");
        let names: Vec<&str> = got["connections"]["connections"]
            .as_array()
            .expect("connections")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, connections);
        assert_eq!(
            got["queue"]["items"].as_array().map(Vec::len),
            Some(stuck),
            "{}",
            got["queue"]
        );
        assert_eq!(
            got["schema"].as_str().map(str::trim),
            Some(committed.trim())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
