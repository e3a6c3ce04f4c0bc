//! The tools about one job or build: its details, a build's details, its log (tail or
//! search), a pipeline run's stages.

use serde_json::{json, Value};

use super::args::{BuildArgs, JobArgs, LogArgs, PipelineArgs};
use super::ask::{documents, Asker};
use super::fleet::failing_stage;
use super::reply::{object, Reply};
use super::resolve::{resolve_job, JobRef};

/// Bytes kept for everything but the log text in a `build_log` answer.
const LOG_OVERHEAD: usize = 1024;

/// `job_details`.
pub(crate) async fn job(asker: &Asker, a: JobArgs) -> Result<Reply, Reply> {
    let job = resolve_job(asker, &a.job, a.connection.as_deref()).await?;
    let mut vars = job.vars();
    vars["trend"] = json!(a.trend_builds.unwrap_or(20).clamp(1, 100));
    vars["recent"] = json!(a.recent_builds.unwrap_or(5).clamp(1, 50));
    let answer = asker.ask(documents::JOB, vars).await;
    let mut data = answer.data["job"].clone();
    if !data.is_object() {
        return Err(Reply::failed(&answer, "the job"));
    }
    if let Some(builds) = data.get_mut("builds").map(|b| b["nodes"].take()) {
        data["recentBuilds"] = builds;
        if let Some(map) = data.as_object_mut() {
            map.remove("builds");
        }
    }
    Ok(Reply::with_problems(data, &answer)
        .next("build_details, build_log or pipeline_run with a build number for more"))
}

/// The job and build number the arguments name.
async fn build_of(
    asker: &Asker,
    job: &str,
    connection: Option<&str>,
    number: Option<u32>,
    which: Option<super::resolve::Which>,
) -> Result<(JobRef, u32, Value), Reply> {
    let job = resolve_job(asker, job, connection).await?;
    let number = job.build_number(number, which)?;
    let mut vars = job.vars();
    vars["number"] = json!(number);
    Ok((job, number, vars))
}

/// The build of an answer, or the error of a build that is not there.
fn the_build(answer: &super::ask::Answer, job: &JobRef, number: u32) -> Result<Value, Reply> {
    let build = &answer.data["build"];
    if build.is_object() {
        return Ok(build.clone());
    }
    if answer.problems.is_empty() {
        return Err(Reply::error(
            "NO_SUCH_BUILD",
            format!(
                "{} on {} has no build #{number}",
                job.full_name, job.connection
            ),
            "job_details lists its recent builds; old builds may have been discarded",
        ));
    }
    Err(Reply::failed(answer, "the build"))
}

/// The answer's header: which build of which job on which connection.
fn header(job: &JobRef, mut build: Value) -> Value {
    let mut head = object([
        ("connection", json!(job.connection)),
        ("job", json!(job.full_name)),
    ]);
    if let (Some(head), Some(build)) = (head.as_object_mut(), build.as_object_mut()) {
        head.append(build);
    }
    head
}

/// `build_details`.
pub(crate) async fn build(asker: &Asker, a: BuildArgs) -> Result<Reply, Reply> {
    let (job, number, vars) =
        build_of(asker, &a.job, a.connection.as_deref(), a.number, a.which).await?;
    let answer = asker.ask(documents::BUILD, vars).await;
    let build = the_build(&answer, &job, number)?;
    Ok(Reply::with_problems(header(&job, build), &answer)
        .next("build_log for its console output; pipeline_run for its stages"))
}

/// `build_log`: the tail, or a search with the last matches first.
pub(crate) async fn log(asker: &Asker, a: LogArgs, budget: usize) -> Result<Reply, Reply> {
    let (job, number, mut vars) =
        build_of(asker, &a.job, a.connection.as_deref(), a.number, a.which).await?;
    let budget = a.max_bytes.map_or(budget, |m| budget.min(m as usize));
    let text_bytes = budget.saturating_sub(LOG_OVERHEAD).max(256);
    let document = match &a.grep {
        Some(pattern) => {
            vars["grep"] = json!(pattern);
            vars["context"] = json!(a.context.unwrap_or(2).min(50));
            vars["maxMatches"] = json!(a.max_matches.unwrap_or(20).clamp(1, 100));
            vars["fromEnd"] = json!(!a.first_matches.unwrap_or(false));
            documents::LOG_GREP
        }
        None => {
            vars["tailLines"] = json!(a.tail_lines.unwrap_or(100));
            vars["maxBytes"] = json!(text_bytes);
            documents::LOG_TAIL
        }
    };
    let answer = asker.ask(document, vars).await;
    let mut build = the_build(&answer, &job, number)?;
    if build["log"].is_null() {
        if !answer.problems.is_empty() {
            return Err(Reply::failed(&answer, "the log"));
        }
        return Ok(Reply::ok(header(&job, build)).and("log", json!("this build wrote no log")));
    }
    let next = match &a.grep {
        Some(_) => search_step(&mut build, a.first_matches.unwrap_or(false)),
        None => tail_step(&build, &job, number),
    };
    let reply = Reply::with_problems(header(&job, build), &answer);
    Ok(match next {
        Some(step) => reply.and("next", json!(step.clone())).next(step),
        None => reply,
    })
}

/// For a search: the newest match first (unless the first ones were asked for), and what
/// to ask next when the matches stopped at the limit.
fn search_step(build: &mut Value, first_matches: bool) -> Option<String> {
    if !first_matches {
        if let Some(matches) = build["log"]["matches"].as_array_mut() {
            matches.reverse();
        }
    }
    let limited = build["log"]["matchLimitReached"] == json!(true);
    limited.then(|| "more lines match: raise max_matches, or use a more specific grep".to_string())
}

/// For a tail: when the log is longer than what was shown, how to see more.
fn tail_step(build: &Value, job: &JobRef, number: u32) -> Option<String> {
    let log = &build["log"];
    let shown = log["text"].as_str().map_or(0, str::len);
    let total = log["totalBytes"].as_u64().unwrap_or(0);
    (log["truncated"] == json!(true) || (shown as u64) < total).then(|| {
        format!(
            "this is the end of a {total}-byte log; search it whole with grep (e.g. grep=\"ERROR\"), \
             or read more of its tail as the resource majordomo://log/{}/{}/{number}?tail_lines=N",
            job.connection, job.full_name
        )
    })
}

/// `pipeline_run`: stages, the failing stage's error and log tail.
pub(crate) async fn pipeline(asker: &Asker, a: PipelineArgs) -> Result<Reply, Reply> {
    let (job, number, vars) =
        build_of(asker, &a.job, a.connection.as_deref(), a.number, a.which).await?;
    let answer = asker.ask(documents::PIPELINE, vars).await;
    let mut build = the_build(&answer, &job, number)?;
    let Some(stages) = build["stages"].as_array_mut() else {
        return Ok(Reply::with_problems(header(&job, build), &answer).and(
            "stages",
            json!("not a pipeline: this build has no stages; see build_log"),
        ));
    };
    let failed_id = stages
        .iter()
        .find(|s| s["status"] == "FAILED" || s["status"] == "UNSTABLE")
        .and_then(|s| s["id"].as_str())
        .map(str::to_string);
    for stage in stages.iter_mut() {
        if let Some(map) = stage.as_object_mut() {
            map.remove("id");
            if let Some(parent) = map.remove("parent") {
                map.insert("parallelIn".into(), parent["name"].clone());
            }
        }
    }
    if let Some(mut failing) = failing_stage(&build["stages"]) {
        if let Some(id) = failed_id {
            let bytes = a.log_bytes.unwrap_or(2000).clamp(256, 8192);
            let log = asker
                .ask(documents::STAGE_LOG, json!({ "id": id, "maxBytes": bytes }))
                .await;
            failing["logTail"] = log.data["node"]["logTail"].clone();
        }
        build["failingStage"] = failing;
    }
    Ok(Reply::with_problems(header(&job, build), &answer)
        .next("build_log with grep searches the whole run's log"))
}
