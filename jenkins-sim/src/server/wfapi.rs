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

/// Duration and pause of a flow node now. A running node's duration grows with the clock;
/// one paused at input also keeps pausing: the world's `duration` and `pause` say how long
/// it had run before the pause began.
fn timing(status: &str, start: i64, duration: i64, pause: i64, now: i64) -> (i64, i64) {
    if !running(status) {
        return (duration, pause);
    }
    let elapsed = (now - start).max(0);
    let paused = if status == "PAUSED_PENDING_INPUT" {
        (elapsed - (duration - pause).max(0)).max(0)
    } else {
        pause
    };
    (elapsed, paused)
}

fn error(e: &Option<crate::world::StageError>, obj: &mut Map<String, Value>) {
    if let Some(e) = e {
        obj.insert(
            "error".into(),
            json!({ "message": e.message, "type": e.kind }),
        );
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
    let (duration, pause) = timing(&s.status, s.start, s.duration, s.pause, now);
    o.insert("startTimeMillis".into(), json!(s.start));
    o.insert("durationMillis".into(), json!(duration));
    o.insert("pauseDurationMillis".into(), json!(pause));
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
    let (duration, pause) = timing(&st.status, st.start, st.duration, st.pause, now);
    o.insert("startTimeMillis".into(), json!(st.start));
    o.insert("durationMillis".into(), json!(duration));
    o.insert("pauseDurationMillis".into(), json!(pause));
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
        links.insert(
            "pendingInputActions".into(),
            href(format!("{base}wfapi/pendingInputActions")),
        );
        links.insert(
            "nextPendingInputAction".into(),
            href(format!("{base}wfapi/nextPendingInputAction")),
        );
    }
    if !b.artifacts.is_empty() {
        links.insert("artifacts".into(), href(format!("{base}wfapi/artifacts")));
    }
    let start = b.timestamp + b.queue_duration;
    // A finished run ends `duration` after it started (not after it was scheduled).
    let end = if running(status) {
        now
    } else {
        start + b.duration
    };
    let mut o = Map::new();
    o.insert("_links".into(), Value::Object(links));
    o.insert("id".into(), json!(b.number.to_string()));
    o.insert(
        "name".into(),
        json!(b
            .display_name
            .clone()
            .unwrap_or_else(|| format!("#{}", b.number))),
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
            .then(
                a.id.parse::<u64>()
                    .unwrap_or(0)
                    .cmp(&c.id.parse::<u64>().unwrap_or(0)),
            )
            .then(a.name.cmp(&c.name))
    });
    o.insert(
        "stages".into(),
        Value::Array(
            stages
                .into_iter()
                .map(|s| stage_json(&base, s, now, full_stages))
                .collect(),
        ),
    );
    Value::Object(o)
}

/// `/job/X/wfapi/runs`: newest first, at most [`MAX_RUNS`], stopping after `since`.
pub fn runs(job_full: &str, job: &Job, now: i64, since: Option<&str>, full_stages: bool) -> Value {
    let mut out = Vec::new();
    for b in job.builds.iter().rev().take(MAX_RUNS) {
        out.push(run(job_full, job, b, now, full_stages));
        let name = b
            .display_name
            .clone()
            .unwrap_or_else(|| format!("#{}", b.number));
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
            // `length` and `hasMore` count bytes of the raw log the HTML was rendered from.
            let raw = raw_len(text);
            let bytes = text.as_bytes();
            let mut from = bytes.len().saturating_sub(MAX_LOG);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            o.insert("length".into(), json!(raw.min(MAX_LOG)));
            o.insert("hasMore".into(), json!(raw > MAX_LOG));
            o.insert("text".into(), json!(&text[from..]));
        }
        None => {
            o.insert("length".into(), json!(0));
            o.insert("hasMore".into(), json!(false));
        }
    }
    o.insert(
        "consoleUrl".into(),
        json!(format!("{base}execution/node/{id}/log")),
    );
    Some(Value::Object(o))
}

/// Bytes of the raw log behind a step's HTML log: the timestamper's visible clock
/// (`<span class="timestamp">…</span>`) is not in the log, the rest of the markup is
/// rendered from console notes, and entities stand for single characters.
fn raw_len(html: &str) -> usize {
    const CLOCK: &str = "<span class=\"timestamp\">";
    let mut len = 0;
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(CLOCK) {
            rest = after.split_once("</span>").map_or("", |(_, r)| r);
        } else if rest.starts_with('<') {
            rest = rest.split_once('>').map_or("", |(_, r)| r);
        } else if rest.starts_with('&') {
            match rest.find(';') {
                Some(end) if end <= 8 => {
                    len += 1;
                    rest = &rest[end + 1..];
                }
                _ => {
                    len += 1;
                    rest = &rest[1..];
                }
            }
        } else {
            let ch = rest.chars().next().map_or(1, char::len_utf8);
            len += ch;
            rest = &rest[ch..];
        }
    }
    len
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
            o.insert(
                "proceedUrl".into(),
                json!(format!("{base}wfapi/inputSubmit?inputId={}", i.id)),
            );
            o.insert(
                "abortUrl".into(),
                json!(format!("{base}input/{}/abort", i.id)),
            );
            o.insert("redirectApprovalUrl".into(), json!(format!("{base}input/")));
            Value::Array(vec![Value::Object(o)])
        }
        _ => json!([]),
    }
}
