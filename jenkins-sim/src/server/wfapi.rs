//! The Pipeline REST API (pipeline-stage-view `rest-api`): Jackson-shaped JSON.

use serde_json::{json, Map, Value};

use crate::model::item_path;
use crate::world::{Build, BuildResult, Job, Stage, Step};

/// Runs listed by `wfapi/runs` (`JobExt.maxRunsPerJob`).
pub const MAX_RUNS: usize = 10;
/// Bytes of a step log returned by `wfapi/log` (`FlowNodeLogExt.maxReturnChars`).
pub const MAX_LOG: usize = 10 * 1024;

fn href(h: String) -> Value {
    json!({ "href": h })
}

/// The run's wfapi status (`RunExt.initStatus`).
pub fn run_status(b: &Build) -> &'static str {
    match b.result {
        None if b.input.is_some() => "PAUSED_PENDING_INPUT",
        None => "IN_PROGRESS",
        Some(BuildResult::Success) => "SUCCESS",
        Some(BuildResult::Unstable) => "UNSTABLE",
        Some(BuildResult::Failure) => "FAILED",
        Some(BuildResult::Aborted) => "ABORTED",
        Some(BuildResult::NotBuilt) => "NOT_EXECUTED",
    }
}

fn running(status: &str) -> bool {
    status == "IN_PROGRESS" || status == "PAUSED_PENDING_INPUT"
}

fn error(e: &Option<crate::world::StageError>, obj: &mut Map<String, Value>) {
    if let Some(e) = e {
        obj.insert("error".into(), json!({ "message": e.message, "type": e.kind }));
    }
}

fn step_json(run: &str, s: &Step, now: i64, with_log_link: bool, console: bool) -> Value {
    let node = format!("{run}execution/node/{}/", s.id);
    let mut links = Map::new();
    links.insert("self".into(), href(format!("{node}wfapi/describe")));
    if with_log_link && s.log.is_some() {
        links.insert("log".into(), href(format!("{node}wfapi/log")));
        if console {
            links.insert("console".into(), href(format!("{node}log")));
        }
    }
    let mut o = Map::new();
    o.insert("_links".into(), Value::Object(links));
    o.insert("id".into(), json!(s.id));
    o.insert("name".into(), json!(s.name));
    o.insert("execNode".into(), json!(""));
    o.insert("status".into(), json!(s.status));
    error(&s.error, &mut o);
    if let Some(d) = &s.description {
        o.insert("parameterDescription".into(), json!(d));
    }
    let duration = if running(&s.status) { (now - s.start).max(0) } else { s.duration };
    o.insert("startTimeMillis".into(), json!(s.start));
    o.insert("durationMillis".into(), json!(duration));
    o.insert("pauseDurationMillis".into(), json!(s.pause));
    o.insert("parentNodes".into(), json!(s.parents));
    Value::Object(o)
}

fn stage_json(run: &str, st: &Stage, now: i64, full: bool) -> Value {
    let mut o = Map::new();
    o.insert(
        "_links".into(),
        json!({ "self": href(format!("{run}execution/node/{}/wfapi/describe", st.id)) }),
    );
    o.insert("id".into(), json!(st.id));
    o.insert("name".into(), json!(st.name));
    o.insert("execNode".into(), json!(""));
    o.insert("status".into(), json!(st.status));
    error(&st.error, &mut o);
    let duration = if running(&st.status) && st.status != "PAUSED_PENDING_INPUT" {
        (now - st.start).max(0)
    } else {
        st.duration
    };
    o.insert("startTimeMillis".into(), json!(st.start));
    o.insert("durationMillis".into(), json!(duration));
    o.insert("pauseDurationMillis".into(), json!(st.pause));
    if full {
        let nodes: Vec<Value> = st
            .steps
            .iter()
            .take(100)
            .map(|s| step_json(run, s, now, true, true))
            .collect();
        o.insert("stageFlowNodes".into(), Value::Array(nodes));
    }
    Value::Object(o)
}

/// `RunExt` of one run (`/job/X/N/wfapi/describe`).
pub fn run(job_full: &str, job: &Job, b: &Build, now: i64, full_stages: bool) -> Value {
    let base = format!("/{}{}/", item_path(job_full), b.number);
    let _ = job;
    let status = run_status(b);
    let mut links = Map::new();
    links.insert("self".into(), href(format!("{base}wfapi/describe")));
    if !b.changes.is_empty() {
        links.insert("changesets".into(), href(format!("{base}wfapi/changesets")));
    }
    if b.input.is_some() && b.result.is_none() {
        links.insert("pendingInputActions".into(), href(format!("{base}wfapi/pendingInputActions")));
        links.insert(
            "nextPendingInputAction".into(),
            href(format!("{base}wfapi/nextPendingInputAction")),
        );
    }
    if !b.artifacts.is_empty() {
        links.insert("artifacts".into(), href(format!("{base}wfapi/artifacts")));
    }
    let start = b.timestamp + b.queue_duration;
    let end = if running(status) { now } else { b.timestamp + b.duration };
    let mut o = Map::new();
    o.insert("_links".into(), Value::Object(links));
    o.insert("id".into(), json!(b.number.to_string()));
    o.insert(
        "name".into(),
        json!(b.display_name.clone().unwrap_or_else(|| format!("#{}", b.number))),
    );
    o.insert("status".into(), json!(status));
    o.insert("startTimeMillis".into(), json!(start));
    o.insert("endTimeMillis".into(), json!(end));
    o.insert("durationMillis".into(), json!((end - start).max(0)));
    o.insert("queueDurationMillis".into(), json!(b.queue_duration.max(0)));
    o.insert("pauseDurationMillis".into(), json!(0));
    let mut stages: Vec<&Stage> = b.stages.iter().collect();
    stages.sort_by(|a, c| {
        a.start
            .cmp(&c.start)
            .then(a.id.parse::<u64>().unwrap_or(0).cmp(&c.id.parse::<u64>().unwrap_or(0)))
            .then(a.name.cmp(&c.name))
    });
    o.insert(
        "stages".into(),
        Value::Array(stages.into_iter().map(|s| stage_json(&base, s, now, full_stages)).collect()),
    );
    Value::Object(o)
}

/// `/job/X/wfapi/runs`: newest first, at most [`MAX_RUNS`], stopping after `since`.
pub fn runs(job_full: &str, job: &Job, now: i64, since: Option<&str>, full_stages: bool) -> Value {
    let mut out = Vec::new();
    for b in job.builds.iter().rev().take(MAX_RUNS) {
        out.push(run(job_full, job, b, now, full_stages));
        let name = b.display_name.clone().unwrap_or_else(|| format!("#{}", b.number));
        if since.map(str::trim) == Some(name.as_str()) {
            break;
        }
    }
    Value::Array(out)
}

/// `/job/X/wfapi/describe`.
pub fn job_describe(job_full: &str, job: &Job) -> Value {
    let base = format!("/{}", item_path(job_full));
    json!({
        "_links": {
            "self": href(format!("{base}wfapi/describe")),
            "runs": href(format!("{base}wfapi/runs")),
        },
        "name": job.name,
        "runCount": job.builds.len().min(MAX_RUNS),
    })
}

/// `/job/X/N/execution/node/ID/wfapi/describe`: a stage (with its nodes) or a step.
pub fn node(job_full: &str, b: &Build, id: &str, now: i64) -> Option<Value> {
    let base = format!("/{}{}/", item_path(job_full), b.number);
    if let Some(st) = b.stages.iter().find(|s| s.id == id) {
        return Some(stage_json(&base, st, now, true));
    }
    b.stages
        .iter()
        .flat_map(|s| &s.steps)
        .find(|s| s.id == id)
        .map(|s| step_json(&base, s, now, true, false))
}

/// `/job/X/N/execution/node/ID/wfapi/log`: the last 10 KiB of the step's (HTML) log.
pub fn node_log(job_full: &str, b: &Build, id: &str) -> Option<Value> {
    let base = format!("/{}{}/", item_path(job_full), b.number);
    let step = b.stages.iter().flat_map(|s| &s.steps).find(|s| s.id == id);
    let stage = b.stages.iter().find(|s| s.id == id);
    let (status, error, log) = match (step, stage) {
        (Some(s), _) => (s.status.as_str(), s.error.is_some(), s.log.as_deref()),
        (None, Some(s)) => (s.status.as_str(), s.error.is_some(), None),
        (None, None) => return None,
    };
    let node_status = if error { status } else { "SUCCESS" };
    let mut o = Map::new();
    o.insert("nodeId".into(), json!(id));
    o.insert("nodeStatus".into(), json!(node_status));
    match log {
        Some(text) => {
            let bytes = text.as_bytes();
            let from = bytes.len().saturating_sub(MAX_LOG);
            let tail = String::from_utf8_lossy(&bytes[from..]).into_owned();
            o.insert("length".into(), json!(bytes.len() - from));
            o.insert("hasMore".into(), json!(bytes.len() > MAX_LOG));
            o.insert("text".into(), json!(tail));
        }
        None => {
            o.insert("length".into(), json!(0));
            o.insert("hasMore".into(), json!(false));
        }
    }
    o.insert("consoleUrl".into(), json!(format!("{base}execution/node/{id}/log")));
    Some(Value::Object(o))
}

/// `/job/X/N/wfapi/changesets`.
pub fn changesets(job_full: &str, b: &Build) -> Value {
    if b.changes.is_empty() {
        return json!([]);
    }
    let base = format!("/{}{}/", item_path(job_full), b.number);
    let commits: Vec<Value> = b
        .changes
        .iter()
        .map(|c| {
            json!({
                "commitId": c.commit,
                "authorJenkinsId": "",
                "message": c.message,
                "timestamp": c.timestamp,
                "consoleUrl": format!("{base}changes#{}", c.commit),
            })
        })
        .collect();
    json!([{
        "kind": "git",
        "commitCount": commits.len(),
        "commits": commits,
        "consoleUrl": format!("{base}changes"),
    }])
}

/// `/job/X/N/wfapi/artifacts`.
pub fn artifacts(job_full: &str, b: &Build) -> Value {
    let base = format!("/{}{}/", item_path(job_full), b.number);
    Value::Array(
        b.artifacts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let name = a.path.rsplit('/').next().unwrap_or(&a.path);
                json!({
                    "id": format!("n{}", i + 1),
                    "name": name,
                    "path": a.path,
                    "url": format!("{base}artifact/{}", a.path),
                    "size": a.size,
                })
            })
            .collect(),
    )
}

/// `/job/X/N/wfapi/pendingInputActions`.
pub fn pending_inputs(job_full: &str, b: &Build) -> Value {
    let base = format!("/{}{}/", item_path(job_full), b.number);
    match (&b.input, b.result) {
        (Some(i), None) => {
            let mut o = Map::new();
            o.insert("id".into(), json!(i.id));
            if let Some(p) = &i.proceed_text {
                o.insert("proceedText".into(), json!(p));
            }
            o.insert("message".into(), json!(i.message));
            o.insert("inputs".into(), json!([]));
            o.insert("proceedUrl".into(), json!(format!("{base}wfapi/inputSubmit?inputId={}", i.id)));
            o.insert("abortUrl".into(), json!(format!("{base}input/{}/abort", i.id)));
            o.insert("redirectApprovalUrl".into(), json!(format!("{base}input/")));
            Value::Array(vec![Value::Object(o)])
        }
        _ => json!([]),
    }
}
