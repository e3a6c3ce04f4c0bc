//! Snapshots (insta, JSON) of representative gateway responses over the recorded world:
//! the dashboard query, a build's detail page and the fleet health view.
//!
//! The gateway sees one healthy controller (`alpha`) and, where the view spans the
//! fleet, one that refuses connections (`down`), so the snapshots also show partial data.
//! What varies from run to run (times, durations, latencies, URLs with ports) is redacted.
//! Errors are sorted by path, since resolvers finish in any order.

mod gateway_common;

use gateway_common::{connection, dead_url, recorded_sim, Gateway, TOKEN, USER};
use majordomo::config::ConnectionConfig;
use serde_json::Value;

/// Make a response stable: errors sorted by path; the OS error number of a refused
/// connection (it differs between platforms) dropped from messages, and so is the
/// countdown of an open circuit breaker.
fn stable(mut body: Value) -> Value {
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        errors.sort_by_key(|e| (e["path"].to_string(), e["message"].to_string()));
    }
    strip_os_errors(&mut body);
    body
}

/// Drop ` (os error N)` and the milliseconds of `next attempt in N ms` from every
/// string in `v`.
fn strip_os_errors(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(i) = s.find(" (os error ") {
                s.truncate(i);
            }
            if let Some(i) = s.find("next attempt in ") {
                let start = i + "next attempt in ".len();
                let digits = s[start..].chars().take_while(char::is_ascii_digit).count();
                s.replace_range(start..start + digits, "N");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_os_errors),
        Value::Object(o) => o.values_mut().for_each(strip_os_errors),
        _ => {}
    }
}

/// Redact a varying value with `label`, but keep a null a null.
fn unless_null(label: &'static str) -> insta::internals::Redaction {
    insta::dynamic_redaction(move |value, _path| if value.is_nil() { value } else { label.into() })
}

/// A gateway over `alpha` (the recorded world) and `down` (nothing listens there).
async fn alpha_and_down() -> (jenkins_sim::SimHandle, Gateway) {
    let alpha = recorded_sim().await;
    let down = ConnectionConfig::new("down", dead_url().await).with_credentials(USER, TOKEN);
    let gateway = Gateway::start(vec![connection("alpha", &alpha), down]).await;
    (alpha, gateway)
}

#[tokio::test]
async fn dashboard() {
    let (alpha, gateway) = alpha_and_down().await;
    let body = gateway
        .query(
            r#"query Dashboard {
                connections {
                    name url status version latencyMs
                    error { code message hint httpStatus }
                    root {
                        items {
                            __typename name fullName url
                            ... on Folder { kind }
                            ... on Job {
                                kind status color
                                lastBuild {
                                    id number result status building timestamp duration
                                    stages { name status startTime duration }
                                }
                            }
                        }
                    }
                }
            }"#,
        )
        .await;
    insta::assert_json_snapshot!("dashboard", stable(body), {
        ".**.url" => unless_null("[url]"),
        ".**.latencyMs" => unless_null("[latency]"),
        ".**.timestamp" => unless_null("[time]"),
        ".**.startTime" => unless_null("[time]"),
        ".**.duration" => unless_null("[duration]"),
    });
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn build_detail() {
    let alpha = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("alpha", &alpha)]).await;
    let body = gateway
        .query(
            r#"query BuildDetail {
                failing: build(connection: "alpha", job: "pipeline-failing", number: 1) {
                    ...detail
                    stages { id nodeId name status startTime duration pauseDuration error { message kind } concurrentWith logTail(maxBytes: 400) }
                }
                branch: build(connection: "alpha", job: "team-a/multibranch-demo/main", number: 2) {
                    ...detail
                    stages { name status }
                }
                freestyle: build(connection: "alpha", job: "param-freestyle", number: 2) {
                    ...detail
                    stages { name }
                }
            }
            fragment detail on Build {
                id number displayName result status building timestamp duration estimatedDuration url
                description queueId revision
                causes { kind description userId userName upstreamJob upstreamBuild }
                parameters { name kind value }
                changes { commitId message author authorEmail timestamp paths { editType file } }
                culprits { fullName }
                artifacts { fileName relativePath }
                testSummary { total failed skipped passed }
                log(tailLines: 4) { text truncated moreData }
                job { fullName kind status }
                connection { name }
            }"#,
        )
        .await;
    insta::assert_json_snapshot!("build_detail", stable(body), {
        ".**.url" => unless_null("[url]"),
        ".**.timestamp" => unless_null("[time]"),
        ".**.startTime" => unless_null("[time]"),
        ".**.duration" => unless_null("[duration]"),
        ".**.estimatedDuration" => unless_null("[duration]"),
    });
    gateway.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn fleet_health() {
    let (alpha, gateway) = alpha_and_down().await;
    let body = gateway
        .query(
            r#"query FleetHealth {
                health {
                    totals { connections online jobs failingJobs queued stuck offlineAgents }
                    connections {
                        connection { name }
                        status version
                        error { code hint httpStatus }
                        jobCount queueLength
                        failingJobs { fullName status lastBuild { number result } lastSuccessfulBuild { number } }
                        stuckQueueItems { id jobName why state stuck inQueueSince waitingMs }
                        offlineAgents { name offlineReason }
                    }
                    failingJobs { fullName connection { name } }
                    stuckQueueItems { jobName connection { name } }
                    offlineAgents { name }
                }
            }"#,
        )
        .await;
    insta::assert_json_snapshot!("fleet_health", stable(body), {
        ".**.inQueueSince" => unless_null("[time]"),
        ".**.waitingMs" => unless_null("[duration]"),
    });
    gateway.stop().await;
    alpha.shutdown().await;
}
