//! The client over HTTP: paths, auth, caching, statuses, retries, timeouts, TLS, the
//! circuit breaker and the concurrency limit, against a fake Jenkins.

use super::*;

#[tokio::test]
async fn json_requests_keep_context_path_auth_and_cache() {
    let fake = FakeJenkins::start(|seen, _| {
        if seen.path == "/jenkins/job/team-a/job/feature%252Ffoo/api/json" {
            Reply::now(json(
                r#"{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"feature%2Ffoo","color":"blue"}"#,
            ))
        } else {
            Reply::now(status(404))
        }
    })
    .await;
    let client = client_for(connection(fake.url("/jenkins")));

    let item = client
        .item(
            "team-a/feature%2Ffoo",
            &Tree::parse(" name, color ,lastBuild[number, result]"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("item");
    assert_eq!(item.name.as_deref(), Some("feature%2Ffoo"));
    assert!(item.is_pipeline());

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(
        seen[0].query.get("tree").map(String::as_str),
        Some("color,lastBuild[number,result],name")
    );
    assert!(!seen[0].query.contains_key("depth"));
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{TOKEN}"))
    );
    assert_eq!(
        seen[0].auth.as_deref(),
        Some(expected.as_str()),
        "preemptive Basic auth"
    );
    assert!(
        seen[0]
            .accept_encoding
            .as_deref()
            .is_some_and(|v| v.contains("gzip")),
        "gzip is accepted"
    );

    // Same request again: served from the cache.
    let again = client
        .item(
            "team-a/feature%2Ffoo",
            &Tree::parse("name,color,lastBuild[number,result]"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("item");
    assert!(Arc::ptr_eq(&item, &again));
    assert_eq!(fake.seen().len(), 1);
    assert_eq!(client.upstream_requests(), 1);
    assert_eq!(client.cache().stats().hits, 1);

    // The version came with the first answer: no new request.
    assert_eq!(
        client
            .version(&QueryBudget::unlimited())
            .await
            .expect("version")
            .as_deref(),
        Some("2.516.2")
    );
    assert_eq!(client.upstream_requests(), 1);
    assert!(client.last_latency().is_some());
}

#[tokio::test]
async fn statuses_map_to_errors_and_only_a_404_is_cached() {
    let fake = FakeJenkins::start(|seen, _| {
        let code: u16 = seen
            .path
            .trim_start_matches("/job/")
            .split('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        match code {
            401 => Reply::now(
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Basic realm=\"Jenkins\"")],
                    "no",
                )
                    .into_response(),
            ),
            403 => Reply::now(
                (
                    StatusCode::FORBIDDEN,
                    [
                        ("x-required-permission", "hudson.model.Item.Read"),
                        ("x-you-are-authenticated-as", "admin"),
                    ],
                    "denied",
                )
                    .into_response(),
            ),
            200 => Reply::now(json("{}")),
            other => Reply::now(status(other)),
        }
    })
    .await;
    let client = client_for(connection(fake.url("")));
    let get = |path: &'static str| {
        let client = client.clone();
        async move {
            client
                .item(path, &Tree::new(), &QueryBudget::unlimited())
                .await
                .expect_err("error status")
        }
    };

    let e = get("401").await;
    assert_eq!((e.code(), e.status()), ("UNAUTHORIZED", Some(401)));
    assert_no_secret(&e);
    let e = get("403").await;
    assert_eq!((e.code(), e.status()), ("FORBIDDEN", Some(403)));
    assert!(e.to_string().contains("hudson.model.Item.Read"), "{e}");
    let e = get("404").await;
    assert_eq!(e.code(), "NOT_FOUND");
    let e = get("500").await;
    assert_eq!((e.code(), e.status()), ("UPSTREAM_ERROR", Some(500)));
    let e = get("409").await;
    assert_eq!((e.code(), e.status()), ("BAD_REQUEST", Some(409)));
    let e = get("503").await;
    assert_eq!((e.code(), e.status()), ("UNAVAILABLE", Some(503)));
    assert_eq!(e.hint(), "Jenkins may be starting up or restarting");
    let e = get("502").await;
    assert_eq!(e.code(), "UNAVAILABLE");

    // 502/503 are retried once; 4xx and other 5xx are not.
    assert_eq!(fake.hits("/job/503/api/json"), 2);
    assert_eq!(fake.hits("/job/502/api/json"), 2);
    assert_eq!(fake.hits("/job/404/api/json"), 1);
    assert_eq!(fake.hits("/job/401/api/json"), 1);
    assert_eq!(fake.hits("/job/500/api/json"), 1);

    // Errors are not cached, except a 404: that answer is kept like a listing.
    get("500").await;
    assert_eq!(fake.hits("/job/500/api/json"), 2);
    get("401").await;
    assert_eq!(fake.hits("/job/401/api/json"), 2);
    assert_eq!(get("404").await.code(), "NOT_FOUND");
    assert_eq!(fake.hits("/job/404/api/json"), 1);
    assert_eq!(
        client.circuit_state(),
        CircuitState::Closed,
        "HTTP errors are not connection failures"
    );
}

#[tokio::test]
async fn one_retry_after_503_then_success() {
    let fake = FakeJenkins::start(|_, previous| {
        if previous == 0 {
            Reply::now(status(503))
        } else {
            Reply::now(json(
                r#"{"_class":"hudson.security.WhoAmI","name":"admin","authenticated":true}"#,
            ))
        }
    })
    .await;
    let client = client_for(connection(fake.url("")));
    let me = client
        .whoami(&QueryBudget::unlimited())
        .await
        .expect("retried");
    assert_eq!(me.name.as_deref(), Some("admin"));
    assert_eq!(fake.hits("/whoAmI/api/json"), 2);
    assert_eq!(client.upstream_requests(), 2);
}

#[tokio::test]
async fn html_instead_of_json_is_invalid_response() {
    let fake = FakeJenkins::start(|_, _| {
        Reply::now(
            (
                StatusCode::OK,
                [("content-type", "text/html")],
                "<html><body>Sign in to SSO: private-page-content</body></html>",
            )
                .into_response(),
        )
    })
    .await;
    let client = client_for(connection(fake.url("")));
    let e = client
        .root(&Tree::parse("jobs[name]"), &QueryBudget::unlimited())
        .await
        .expect_err("not JSON");
    assert_eq!(e.code(), "INVALID_RESPONSE");
    assert_eq!(
        e.hint(),
        "the URL may not point at Jenkins (a proxy or login page answered)"
    );
    let text = e.to_string();
    assert!(
        !text.contains("private-page-content") && !text.contains("<html"),
        "{text}"
    );
    assert!(text.contains("text/html"), "{text}");
    assert_no_secret(&e);
}

#[tokio::test]
async fn slow_controller_times_out_without_retry() {
    let fake = FakeJenkins::start(|_, _| Reply::after(Duration::from_secs(3), json("{}"))).await;
    let client = client_for(connection(fake.url("")).with_timeout(Duration::from_millis(200)));
    let started = Instant::now();
    let e = client
        .queue(&Tree::parse("items[id]"), &QueryBudget::unlimited())
        .await
        .expect_err("timeout");
    assert_eq!(e.code(), "TIMEOUT");
    assert_eq!(
        e.hint(),
        "check the URL, firewall and the connection's timeout_ms"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.upstream_requests(), 1, "timeouts are not retried");
}

#[tokio::test]
async fn refused_connection_is_unreachable_and_retried_once() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = client_for(connection(format!("http://127.0.0.1:{port}")));
    let e = client
        .whoami(&QueryBudget::unlimited())
        .await
        .expect_err("nobody listens");
    assert_eq!(e.code(), "UNREACHABLE");
    assert_eq!(e.hint(), "check the URL and that the controller is running");
    assert_eq!(client.upstream_requests(), 2, "one retry on connect errors");
    assert_no_secret(&e);
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_a_tls_error() {
    let fake = FakeJenkins::start(|_, _| Reply::now(json("{}"))).await;
    let client = client_for(connection(format!("https://{}", fake.addr)));
    let e = client
        .whoami(&QueryBudget::unlimited())
        .await
        .expect_err("no TLS there");
    assert_eq!(e.code(), "TLS_ERROR", "{e}");
    assert_eq!(
        e.hint(),
        "this port does not speak TLS: use http:// in the URL"
    );
}

#[tokio::test]
async fn circuit_breaker_fails_fast_then_recovers() {
    let hang = Arc::new(AtomicBool::new(true));
    let hang_in_server = Arc::clone(&hang);
    let fake = FakeJenkins::start(move |_, _| {
        if hang_in_server.load(Ordering::SeqCst) {
            Reply::after(Duration::from_secs(3), json("{}"))
        } else {
            Reply::now(json(r#"{"_class":"hudson.model.Queue","items":[]}"#))
        }
    })
    .await;
    let client = client_for(connection(fake.url("")).with_timeout(Duration::from_millis(150)));

    assert_eq!(
        client
            .queue(&Tree::parse("items[id]"), &QueryBudget::unlimited())
            .await
            .unwrap_err()
            .code(),
        "TIMEOUT"
    );
    assert_eq!(client.circuit_state(), CircuitState::Closed);
    assert_eq!(
        client
            .queue(&Tree::parse("items[why]"), &QueryBudget::unlimited())
            .await
            .unwrap_err()
            .code(),
        "TIMEOUT"
    );
    assert_eq!(client.circuit_state(), CircuitState::Open);
    let sent = client.upstream_requests();

    let started = Instant::now();
    let e = client
        .queue(&Tree::parse("items[stuck]"), &QueryBudget::unlimited())
        .await
        .expect_err("open circuit");
    assert_eq!(e.code(), "CIRCUIT_OPEN");
    assert_eq!(
        e.cause_code(),
        "TIMEOUT",
        "it opened because the controller hung"
    );
    assert!(e.to_string().contains("failing fast"), "{e}");
    assert!(started.elapsed() < Duration::from_millis(50), "fails fast");
    assert_eq!(client.upstream_requests(), sent, "no request while open");

    hang.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(client.circuit_state(), CircuitState::HalfOpen);
    let queue = client
        .queue(&Tree::parse("items[blocked]"), &QueryBudget::unlimited())
        .await
        .expect("probe succeeds");
    assert!(queue.items.as_ref().is_some_and(Vec::is_empty));
    assert_eq!(client.circuit_state(), CircuitState::Closed);
}

#[tokio::test]
async fn concurrency_is_limited_per_controller() {
    let fake =
        FakeJenkins::start(|_, _| Reply::after(Duration::from_millis(80), json(r#"{"name":"x"}"#)))
            .await;
    let client = client_for(connection(fake.url("")).with_max_concurrency(2));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .item(
                        &format!("job-{i}"),
                        &Tree::parse("name"),
                        &QueryBudget::unlimited(),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("item");
    }
    assert_eq!(fake.seen().len(), 8);
    assert_eq!(fake.state.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn identical_concurrent_requests_are_coalesced() {
    let fake = FakeJenkins::start(|_, _| {
        Reply::after(Duration::from_millis(100), json(r#"{"name":"x"}"#))
    })
    .await;
    let client = client_for(connection(fake.url("")));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .item("x", &Tree::parse("name,color"), &QueryBudget::unlimited())
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("item");
    }
    assert_eq!(fake.seen().len(), 1);
    assert_eq!(client.upstream_requests(), 1);
}

#[tokio::test]
async fn build_class_follows_building() {
    let fake = FakeJenkins::start(|seen, _| match seen.path.as_str() {
        "/job/x/2/api/json" => Reply::now(json(r#"{"_class":"hudson.model.FreeStyleBuild","number":2,"building":true,"result":null}"#)),
        "/job/x/1/api/json" => Reply::now(json(r#"{"_class":"hudson.model.FreeStyleBuild","number":1,"building":false,"result":"SUCCESS"}"#)),
        _ => Reply::now(status(404)),
    })
    .await;
    let client = client_for(connection(fake.url("")));
    let running = client
        .build(
            "x",
            2,
            &Tree::parse("number,result"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("build");
    assert_eq!(running.building, Some(true));
    assert_eq!(
        fake.seen()[0].query.get("tree").map(String::as_str),
        Some("building,number,result"),
        "building is added so the class can be decided"
    );
    client
        .build(
            "x",
            1,
            &Tree::parse("number,result"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("build");
    tokio::time::sleep(Duration::from_millis(120)).await;
    client
        .build(
            "x",
            2,
            &Tree::parse("number,result"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("build");
    client
        .build(
            "x",
            1,
            &Tree::parse("number,result"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect("build");
    assert_eq!(
        fake.hits("/job/x/2/api/json"),
        2,
        "running builds are volatile"
    );
    assert_eq!(
        fake.hits("/job/x/1/api/json"),
        1,
        "finished builds are immutable"
    );
}

#[tokio::test]
async fn wfapi_404_is_explained() {
    let fake = FakeJenkins::start(|seen, _| match seen.path.as_str() {
        "/job/pipe/1/api/json" => Reply::now(json(
            r#"{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":1}"#,
        )),
        "/job/free/1/api/json" => Reply::now(json(
            r#"{"_class":"hudson.model.FreeStyleBuild","number":1}"#,
        )),
        "/job/ok/1/api/json" => Reply::now(json(
            r#"{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":1}"#,
        )),
        "/job/ok/1/wfapi/describe" => Reply::now(json(
            r##"{"id":"1","name":"#1","status":"SUCCESS","stages":[]}"##,
        )),
        "/job/freejob/api/json" => Reply::now(json(
            r#"{"_class":"hudson.model.FreeStyleProject","name":"freejob"}"#,
        )),
        _ => Reply::now(status(404)),
    })
    .await;
    let client = client_for(connection(fake.url("")));
    fn code<T: std::fmt::Debug>(result: Result<T, JenkinsError>) -> &'static str {
        result.expect_err("error").code()
    }
    assert_eq!(
        code(
            client
                .wfapi_describe("pipe", 1, &QueryBudget::unlimited())
                .await
        ),
        "PIPELINE_API_MISSING"
    );
    assert_eq!(
        code(
            client
                .wfapi_describe("free", 1, &QueryBudget::unlimited())
                .await
        ),
        "NOT_A_PIPELINE"
    );
    assert_eq!(
        code(
            client
                .wfapi_describe("gone", 1, &QueryBudget::unlimited())
                .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        code(
            client
                .wfapi_node("ok", 1, "9999", &QueryBudget::unlimited())
                .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        code(
            client
                .wfapi_node_log("pipe", 1, "10", true, &QueryBudget::unlimited())
                .await
        ),
        "PIPELINE_API_MISSING"
    );
    let run = client
        .wfapi_describe("ok", 1, &QueryBudget::unlimited())
        .await
        .expect("describe");
    assert_eq!(run.status.as_deref(), Some("SUCCESS"));
}

#[tokio::test]
async fn refuses_names_that_leave_the_item_tree() {
    let fake = FakeJenkins::start(|_, _| Reply::now(json("{}"))).await;
    let client = client_for(connection(fake.url("/jenkins")));
    let e = client
        .item(
            "a/../../script",
            &Tree::parse("name"),
            &QueryBudget::unlimited(),
        )
        .await
        .expect_err("dot-dot");
    assert_eq!(e.code(), "BAD_REQUEST");
    client
        .root(&Tree::parse("jobs[name, url]"), &QueryBudget::unlimited())
        .await
        .expect("root listing");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "refused requests are never sent");
    assert_eq!(seen[0].path, "/jenkins/api/json");
    assert_eq!(
        seen[0].query.get("tree").map(String::as_str),
        Some("jobs[name,url]")
    );
}

#[test]
fn debug_hides_the_token() {
    let config = connection("http://127.0.0.1:9".into());
    let client = JenkinsClient::new(&config, cache()).expect("client");
    let debug = format!("{client:?} {config:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(!debug
        .contains(&base64::engine::general_purpose::STANDARD.encode(format!("admin:{TOKEN}"))));
}
