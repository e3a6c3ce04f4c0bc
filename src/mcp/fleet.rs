//! The tools over the whole fleet: connections, fleet health, job search, failing jobs,
//! the build queue.

use serde_json::{json, Value};

use super::args::{ApprovalsArgs, FailingJobsArgs, ListJobsArgs, QueueArgs};
use super::ask::{documents, Asker};
use super::reply::{object, Reply};

/// `list_connections`.
pub(crate) async fn connections(asker: &Asker) -> Reply {
    let answer = asker.ask(documents::CONNECTIONS, json!({})).await;
    let list = answer.data["connections"].clone();
    if !list.is_array() {
        return Reply::failed(&answer, "the connections");
    }
    Reply::with_problems(json!({ "connections": list }), &answer)
}

/// `fleet_health`.
pub(crate) async fn health(asker: &Asker) -> Reply {
    let answer = asker.ask(documents::FLEET_HEALTH, json!({})).await;
    let health = answer.data["health"].clone();
    if !health.is_object() {
        return Reply::failed(&answer, "the fleet's health");
    }
    Reply::with_problems(health, &answer).next(
        "failing_jobs lists every failing job with its failing stage; build_queue every queue item",
    )
}

fn page_size(first: Option<u32>, default: u32, max: u32) -> u32 {
    first.unwrap_or(default).clamp(1, max)
}

/// `list_jobs`.
pub(crate) async fn list_jobs(asker: &Asker, a: ListJobsArgs) -> Result<Reply, Reply> {
    let filter = object([
        ("namePattern", json!(a.name)),
        ("folder", json!(a.folder)),
        ("connections", json!(a.connection.map(|c| vec![c]))),
        ("status", json!(a.status)),
        ("lastResult", json!(a.last_result)),
        ("building", json!(a.building)),
    ]);
    let vars = json!({ "filter": filter, "first": page_size(a.first, 50, 200), "after": a.after });
    let answer = asker.ask(documents::JOBS, vars).await;
    let jobs = &answer.data["jobs"];
    if !jobs.is_object() {
        return Err(Reply::failed(&answer, "the job list"));
    }
    Ok(Reply::with_problems(paged(jobs, "jobs"), &answer)
        .next("pass `nextPage` as `after` for the rest, or narrow with name, folder or status"))
}

/// A page of `jobs(...)` as `{total, <key>: nodes, nextPage}`.
fn paged(jobs: &Value, key: &'static str) -> Value {
    let next = if jobs["pageInfo"]["hasNextPage"] == json!(true) {
        jobs["pageInfo"]["endCursor"].clone()
    } else {
        Value::Null
    };
    object([
        ("total", jobs["totalCount"].clone()),
        (key, jobs["nodes"].clone()),
        ("nextPage", next),
    ])
}

/// `failing_jobs`.
pub(crate) async fn failing_jobs(asker: &Asker, a: FailingJobsArgs) -> Result<Reply, Reply> {
    let filter = object([
        ("status", json!(["FAILURE"])),
        ("folder", json!(a.folder)),
        ("connections", json!(a.connection.map(|c| vec![c]))),
    ]);
    let vars = json!({ "filter": filter, "first": page_size(a.first, 20, 100), "after": a.after });
    let answer = asker.ask(documents::FAILING_JOBS, vars).await;
    let jobs = &answer.data["jobs"];
    if !jobs.is_object() {
        return Err(Reply::failed(&answer, "the failing jobs"));
    }
    let mut page = paged(jobs, "jobs");
    for job in page["jobs"].as_array_mut().into_iter().flatten() {
        let failed = &mut job["lastFailedBuild"];
        if let Some(stages) = failed.get_mut("stages").map(Value::take) {
            if let Some(stage) = failing_stage(&stages) {
                failed["failingStage"] = stage;
            }
            if let Some(map) = failed.as_object_mut() {
                map.remove("stages");
            }
        }
    }
    Ok(Reply::with_problems(page, &answer)
        .next("pass `nextPage` as `after` for the rest; pipeline_run or build_log on one job for the failure"))
}

/// The first stage that failed (not one skipped after it), as `{name, error}`.
pub(crate) fn failing_stage(stages: &Value) -> Option<Value> {
    stages
        .as_array()?
        .iter()
        .find(|s| s["status"] == "FAILED" || s["status"] == "UNSTABLE")
        .map(|s| {
            object([
                ("name", s["name"].clone()),
                ("error", s["error"]["message"].clone()),
            ])
        })
}

/// `build_queue`.
pub(crate) async fn queue(asker: &Asker, a: QueueArgs) -> Result<Reply, Reply> {
    let answer = asker
        .ask(documents::QUEUE, json!({ "connection": a.connection }))
        .await;
    let Some(items) = answer.data["queue"].as_array() else {
        return Err(Reply::failed(&answer, "the queue"));
    };
    let total = items.len();
    let stuck_only = a.stuck_only.unwrap_or(false);
    let mut items: Vec<Value> = items
        .iter()
        .filter(|i| !stuck_only || i["stuck"] == json!(true))
        .filter(|i| {
            a.job.as_deref().is_none_or(|p| {
                i["jobName"]
                    .as_str()
                    .is_some_and(|n| crate::schema::glob_matches(p, n))
            })
        })
        .cloned()
        .collect();
    items.sort_by_key(|i| {
        (
            i["stuck"] != json!(true),
            std::cmp::Reverse(i["waitingMs"].as_i64().unwrap_or(0)),
        )
    });
    let stuck = items.iter().filter(|i| i["stuck"] == json!(true)).count();
    let reply = json!({ "queued": total, "stuck": stuck, "items": items });
    Ok(Reply::with_problems(reply, &answer).next("narrow with connection, job or stuck_only=true"))
}

/// `pending_approvals`: running pipelines whose last build waits at an `input` step.
pub(crate) async fn pending_approvals(asker: &Asker, a: ApprovalsArgs) -> Result<Reply, Reply> {
    let filter = object([
        ("building", json!(true)),
        ("kinds", json!(["PIPELINE"])),
        ("folder", json!(a.folder)),
        ("connections", json!(a.connection.map(|c| vec![c]))),
    ]);
    let vars = json!({ "filter": filter, "first": 100 });
    let answer = asker.ask(documents::PENDING_APPROVALS, vars).await;
    let Some(jobs) = answer.data["jobs"]["nodes"].as_array() else {
        return Err(Reply::failed(&answer, "the running pipelines"));
    };
    let waiting: Vec<Value> = jobs
        .iter()
        .filter(|j| j["lastBuild"]["waitingForInput"] == json!(true))
        .map(|j| {
            let b = &j["lastBuild"];
            object([
                ("connection", j["connection"].clone()),
                ("job", j["fullName"].clone()),
                ("number", b["number"].clone()),
                ("url", b["url"].clone()),
                ("since", b["timestamp"].clone()),
                ("inputs", b["pendingInputs"].clone()),
            ])
        })
        .collect();
    let running = answer.data["jobs"]["totalCount"].clone();
    Ok(Reply::with_problems(
        json!({ "runningPipelines": running, "waiting": waiting }),
        &answer,
    )
    .next("narrow with connection or folder"))
}
