//! Jenkins wire values become GraphQL values here, and only here: statuses from errors
//! and colours, kinds from `_class`, causes, parameters (passwords masked), changes,
//! tests, stages and trends. Every resolver uses these, so a queue item and the build it
//! becomes classify their causes the same way.

use crate::jenkins::{wire, JenkinsError, LogGrep, LogTail};

use super::values::{
    Artifact, BuildResultEnum, BuildStatus, Cause, CauseKind, Change, ChangedPath,
    ConnectionStatus, DateTime, FailedTest, FolderKind, Health, InputParameter, JobKind, JobStatus,
    Log, LogMatch, Long, Parameter, ParameterDefinition, ParameterKind, PendingInput, QueueState,
    StageError, StageStatus, TestSummary, Trend, UpstreamProblem, UserRef,
};

/// What a password's value is shown as.
const MASK: &str = "****";

/// A connection's status from the error its probe met: an open circuit reports the
/// failure that opened it.
pub(crate) fn status_of(e: &JenkinsError) -> ConnectionStatus {
    match e.cause_code() {
        "UNAUTHORIZED" => ConnectionStatus::Unauthorized,
        "FORBIDDEN" => ConnectionStatus::Forbidden,
        "UNREACHABLE" => ConnectionStatus::Unreachable,
        "TIMEOUT" => ConnectionStatus::Timeout,
        "UNAVAILABLE" => ConnectionStatus::Unavailable,
        "TLS_ERROR" => ConnectionStatus::TlsError,
        "NOT_FOUND" => ConnectionStatus::NotFound,
        _ => ConnectionStatus::Error,
    }
}

/// What went wrong talking to a controller, for a client to show.
pub(crate) fn problem(e: &JenkinsError) -> UpstreamProblem {
    UpstreamProblem {
        code: e.code().to_string(),
        message: e.to_string(),
        hint: e.hint().to_string(),
        http_status: e.status().map(i32::from),
    }
}

/// The folder kind of a `_class`, if it is a folder.
pub(crate) fn folder_kind(class: Option<&str>) -> Option<FolderKind> {
    let c = class?;
    if c.contains("MultiBranchProject") {
        Some(FolderKind::Multibranch)
    } else if c.contains("OrganizationFolder") {
        Some(FolderKind::Organization)
    } else if c.ends_with("Folder") {
        Some(FolderKind::Folder)
    } else {
        None
    }
}

/// The job kind of a `_class`.
pub(crate) fn job_kind(class: Option<&str>) -> JobKind {
    match class.unwrap_or("") {
        "hudson.model.FreeStyleProject" => JobKind::Freestyle,
        wire::WORKFLOW_JOB_CLASS => JobKind::Pipeline,
        c if c.contains("Matrix") => JobKind::Matrix,
        _ => JobKind::Other,
    }
}

/// A job's status from its ball colour (`blue`, `red_anime`, …).
pub(crate) fn job_status(color: Option<&str>) -> JobStatus {
    match color.unwrap_or("").trim_end_matches("_anime") {
        "blue" => JobStatus::Success,
        "yellow" => JobStatus::Unstable,
        "red" => JobStatus::Failure,
        "aborted" => JobStatus::Aborted,
        "notbuilt" | "grey" => JobStatus::NotBuilt,
        "disabled" => JobStatus::Disabled,
        _ => JobStatus::Unknown,
    }
}

/// Whether a colour says a build is running (`*_anime`).
pub(crate) fn is_building(color: Option<&str>) -> bool {
    color.is_some_and(|c| c.ends_with("_anime"))
}

/// Whether a job is disabled, by its flag or its colour.
pub(crate) fn is_disabled(item: &wire::Item) -> bool {
    item.disabled.unwrap_or(false)
        || item
            .color
            .as_deref()
            .is_some_and(|c| c.starts_with("disabled"))
}

/// The last completed build's result, which is what a job's colour shows.
pub(crate) fn last_result_of(color: Option<&str>) -> Option<BuildResultEnum> {
    match job_status(color) {
        JobStatus::Success => Some(BuildResultEnum::Success),
        JobStatus::Unstable => Some(BuildResultEnum::Unstable),
        JobStatus::Failure => Some(BuildResultEnum::Failure),
        JobStatus::Aborted => Some(BuildResultEnum::Aborted),
        JobStatus::NotBuilt | JobStatus::Disabled | JobStatus::Unknown => None,
    }
}

/// The worst of an item's health reports.
pub(crate) fn health_of(data: &wire::Item) -> Option<Health> {
    data.health_report
        .iter()
        .flatten()
        .filter_map(|h| Some((h.score?, h.description.clone().unwrap_or_default())))
        .min_by_key(|(s, _)| *s)
        .map(|(score, description)| Health {
            score: score as i32,
            description,
        })
}

/// The parameter kind of a definition `type` or a value `_class`.
pub(crate) fn parameter_kind(name: &str) -> ParameterKind {
    let short = name.rsplit('.').next().unwrap_or(name);
    const KINDS: [(&str, ParameterKind); 5] = [
        ("Password", ParameterKind::Password),
        ("Boolean", ParameterKind::Boolean),
        ("Choice", ParameterKind::Choice),
        ("Text", ParameterKind::Text),
        ("String", ParameterKind::String),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| short.starts_with(prefix))
        .map_or(ParameterKind::Other, |(_, k)| *k)
}

/// A parameter value as text.
fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A value of this kind as shown: passwords never.
fn shown(kind: ParameterKind, value: Option<String>) -> Option<String> {
    if kind == ParameterKind::Password {
        Some(MASK.into())
    } else {
        value
    }
}

/// A parameter a job accepts.
pub(crate) fn parameter_definition(d: &wire::ParameterDefinition) -> ParameterDefinition {
    let kind = parameter_kind(d.kind.as_deref().or(d.class.as_deref()).unwrap_or(""));
    let default_value = d
        .default_parameter_value
        .as_ref()
        .and_then(|v| v.value.as_ref())
        .and_then(value_text);
    ParameterDefinition {
        name: d.name.clone().unwrap_or_default(),
        kind,
        description: d.description.clone().filter(|s| !s.is_empty()),
        default_value: shown(kind, default_value),
        choices: d.choices.clone().unwrap_or_default(),
    }
}

/// A build's parameter value.
pub(crate) fn parameter(p: &wire::ParameterValue) -> Parameter {
    let kind = parameter_kind(p.class.as_deref().unwrap_or(""));
    Parameter {
        name: p.name.clone().unwrap_or_default(),
        kind,
        value: shown(kind, p.value.as_ref().and_then(value_text)),
    }
}

/// A queue item's parameters: Jenkins sends them as `\nNAME=value` lines, passwords
/// already masked as `****`.
pub(crate) fn queue_params(params: Option<&str>) -> Vec<Parameter> {
    params
        .unwrap_or("")
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, value) = l.split_once('=').unwrap_or((l, ""));
            Parameter {
                name: name.to_string(),
                kind: if value == MASK {
                    ParameterKind::Password
                } else {
                    ParameterKind::Other
                },
                value: Some(value.to_string()),
            }
        })
        .collect()
}

/// What kind of cause a `_class` names. Without a class (a proxy stripped it), the
/// fields it carries tell.
fn cause_kind(c: &wire::Cause) -> CauseKind {
    let Some(class) = c.class.as_deref() else {
        return if c.user_id.is_some() {
            CauseKind::User
        } else if c.upstream_project.is_some() {
            CauseKind::Upstream
        } else {
            CauseKind::Other
        };
    };
    match class.rsplit('.').next().unwrap_or(class) {
        "Cause$UserIdCause" | "Cause$UserCause" => CauseKind::User,
        "Cause$UpstreamCause" => CauseKind::Upstream,
        c if c.starts_with("SCMTrigger") || c.contains("SCM") || c.contains("Push") => {
            CauseKind::Scm
        }
        c if c.starts_with("TimerTrigger") => CauseKind::Timer,
        "Cause$RemoteCause" => CauseKind::Remote,
        "BranchIndexingCause" => CauseKind::BranchIndexing,
        _ => CauseKind::Other,
    }
}

/// Why a build started (or a queue item was queued).
pub(crate) fn cause(c: &wire::Cause) -> Cause {
    Cause {
        kind: cause_kind(c),
        description: c.short_description.clone(),
        user_id: c.user_id.clone(),
        user_name: c.user_name.clone(),
        upstream_job: c.upstream_project.clone(),
        upstream_build: c.upstream_build.map(|n| n as i32),
    }
}

/// A commit of a change set.
pub(crate) fn change(i: &wire::ChangeSetItem) -> Change {
    let paths = match &i.paths {
        Some(p) => p
            .iter()
            .map(|p| ChangedPath {
                edit_type: p.edit_type.clone(),
                file: p.file.clone().unwrap_or_default(),
            })
            .collect(),
        None => i
            .affected_paths
            .iter()
            .flatten()
            .map(|f| ChangedPath {
                edit_type: None,
                file: f.clone(),
            })
            .collect(),
    };
    Change {
        commit_id: i.commit_id.clone().or_else(|| i.id.clone()),
        message: i.msg.clone(),
        full_message: i.comment.clone(),
        author: i.author.as_ref().and_then(|a| a.full_name.clone()),
        author_email: i.author_email.clone(),
        timestamp: i.timestamp.map(DateTime),
        paths,
    }
}

/// Who or what started a build, in a few words: the user's name, `upstream JOB #N`, or
/// Jenkins' description of the cause (`Started by timer`).
pub(crate) fn started_by<'a>(mut causes: impl Iterator<Item = &'a wire::Cause>) -> Option<String> {
    let c = causes.next()?;
    let kind = cause_kind(c);
    Some(match kind {
        CauseKind::User => c.user_name.clone().or_else(|| c.user_id.clone())?,
        CauseKind::Upstream => format!(
            "upstream {} #{}",
            c.upstream_project.as_deref().unwrap_or("?"),
            c.upstream_build.unwrap_or(0)
        ),
        _ => c.short_description.clone()?,
    })
}

/// How a stage ended as a build result in Jenkins' spelling (`FAILED` is `FAILURE`);
/// `None` while it runs.
pub(crate) fn stage_result(status: Option<&str>) -> Option<&'static str> {
    Some(match status? {
        "SUCCESS" => "SUCCESS",
        "FAILED" => "FAILURE",
        "UNSTABLE" => "UNSTABLE",
        "ABORTED" => "ABORTED",
        "NOT_EXECUTED" => "NOT_BUILT",
        _ => return None,
    })
}

/// A culprit.
pub(crate) fn user_ref(u: &wire::User) -> UserRef {
    UserRef {
        full_name: u.full_name.clone(),
        url: u.absolute_url.clone(),
    }
}

/// An archived artifact of the build at `build_url`.
pub(crate) fn artifact(build_url: &str, a: &wire::Artifact) -> Artifact {
    Artifact {
        file_name: a.file_name.clone(),
        relative_path: a.relative_path.clone(),
        url: a
            .relative_path
            .as_ref()
            .map(|p| format!("{build_url}artifact/{p}")),
    }
}

/// Test counts from a build's test result action.
pub(crate) fn test_summary(a: &wire::Action) -> TestSummary {
    let total = a.total_count.unwrap_or(0) as i32;
    let failed = a.fail_count.unwrap_or(0) as i32;
    let skipped = a.skip_count.unwrap_or(0) as i32;
    TestSummary {
        total,
        failed,
        skipped,
        passed: (total - failed - skipped).max(0),
    }
}

/// A test case, when it failed.
pub(crate) fn failed_test(c: &wire::TestCase) -> Option<FailedTest> {
    matches!(c.status.as_deref(), Some("FAILED") | Some("REGRESSION")).then(|| FailedTest {
        class_name: c.class_name.clone(),
        name: c.name.clone(),
        status: c.status.clone(),
        error: c.error_details.clone(),
        duration_seconds: c.duration,
        age: c.age.map(|a| a as i32),
    })
}

/// A build result in Jenkins' spelling.
pub(crate) fn build_result(s: &str) -> Option<BuildResultEnum> {
    Some(match s {
        "SUCCESS" => BuildResultEnum::Success,
        "UNSTABLE" => BuildResultEnum::Unstable,
        "FAILURE" => BuildResultEnum::Failure,
        "NOT_BUILT" => BuildResultEnum::NotBuilt,
        "ABORTED" => BuildResultEnum::Aborted,
        _ => return None,
    })
}

/// A result as Jenkins spells it.
pub(crate) fn jenkins_result(r: BuildResultEnum) -> &'static str {
    match r {
        BuildResultEnum::Success => "SUCCESS",
        BuildResultEnum::Unstable => "UNSTABLE",
        BuildResultEnum::Failure => "FAILURE",
        BuildResultEnum::NotBuilt => "NOT_BUILT",
        BuildResultEnum::Aborted => "ABORTED",
    }
}

/// BUILDING while running, else the result.
pub(crate) fn build_status(finished: bool, result: Option<BuildResultEnum>) -> BuildStatus {
    match result {
        _ if !finished => BuildStatus::Building,
        Some(BuildResultEnum::Success) => BuildStatus::Success,
        Some(BuildResultEnum::Unstable) => BuildStatus::Unstable,
        Some(BuildResultEnum::Failure) => BuildStatus::Failure,
        Some(BuildResultEnum::Aborted) => BuildStatus::Aborted,
        Some(BuildResultEnum::NotBuilt) | None => BuildStatus::NotBuilt,
    }
}

/// A stage status as the Pipeline REST API spells it.
pub(crate) fn stage_status(s: Option<&str>) -> StageStatus {
    match s.unwrap_or("") {
        "SUCCESS" => StageStatus::Success,
        "FAILED" => StageStatus::Failed,
        "UNSTABLE" => StageStatus::Unstable,
        "ABORTED" => StageStatus::Aborted,
        "IN_PROGRESS" => StageStatus::InProgress,
        "PAUSED_PENDING_INPUT" => StageStatus::PausedPendingInput,
        _ => StageStatus::NotExecuted,
    }
}

/// A pending input of a run; `base` is the controller's URL (Jenkins gives paths).
pub(crate) fn pending_input(base: &str, p: &wire::PendingInputActionExt) -> PendingInput {
    PendingInput {
        id: p.id.clone().unwrap_or_default(),
        message: p.message.clone(),
        proceed_text: p.proceed_text.clone(),
        parameters: p
            .inputs
            .iter()
            .flatten()
            .map(|i| InputParameter {
                name: i.name.clone().unwrap_or_default(),
                kind: parameter_kind(i.kind.as_deref().unwrap_or("")),
                description: i.description.clone().filter(|d| !d.is_empty()),
            })
            .collect(),
        url: p
            .redirect_approval_url
            .as_deref()
            .map(|path| format!("{}{}", base.trim_end_matches('/'), path)),
    }
}

/// The error of a failed stage.
pub(crate) fn stage_error(e: &wire::ErrorExt) -> StageError {
    StageError {
        message: e.message.clone(),
        kind: e.kind.clone(),
    }
}

/// Where a queue item waits, from its class and flags.
pub(crate) fn queue_state(q: &wire::QueueItem) -> QueueState {
    let class = q.class.as_deref().unwrap_or("");
    if class.ends_with("LeftItem") {
        QueueState::Left
    } else if q.blocked == Some(true) || class.ends_with("BlockedItem") {
        QueueState::Blocked
    } else if q.buildable == Some(true) || class.ends_with("BuildableItem") {
        QueueState::Buildable
    } else {
        QueueState::Waiting
    }
}

/// Recover a job's full name from its URL (`…/job/a/job/b/`).
pub(crate) fn full_name_from_url(url: &str) -> Option<String> {
    let path = url.split_once("/job/").map(|(_, rest)| rest)?;
    let names: Vec<String> = path
        .split("/job/")
        .map(|seg| seg.trim_end_matches('/'))
        .map(|seg| {
            percent_encoding::percent_decode_str(seg)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    Some(names.join("/"))
}

/// The tail of a log as shown, keeping only the last `tail_lines` lines when given.
pub(crate) fn log_tail(t: &LogTail, tail_lines: Option<usize>) -> Log {
    let mut text = t.text.clone();
    let mut truncated = t.truncated;
    if let Some(n) = tail_lines {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() > n {
            truncated = true;
            let mut kept = lines[lines.len() - n..].join("\n");
            if text.ends_with('\n') && !kept.is_empty() {
                kept.push('\n');
            }
            text = kept;
        }
    }
    Log {
        text,
        total_bytes: Long(t.total_bytes as i64),
        truncated,
        more_data: t.more_data,
        matches: vec![],
        match_limit_reached: false,
    }
}

/// The matches of a log search as shown.
pub(crate) fn log_grep(g: &LogGrep) -> Log {
    Log {
        text: String::new(),
        total_bytes: Long(g.total_bytes as i64),
        truncated: false,
        more_data: g.more_data,
        matches: g
            .matches
            .iter()
            .map(|m| LogMatch {
                line_number: i32::try_from(m.line_number).unwrap_or(i32::MAX),
                line: m.line.clone(),
                before: m.before.clone(),
                after: m.after.clone(),
            })
            .collect(),
        match_limit_reached: g.limit_reached,
    }
}

/// Statistics over builds, newest first.
pub(crate) fn trend_of<'a>(builds: impl IntoIterator<Item = &'a wire::Build>) -> Trend {
    let done: Vec<&wire::Build> = builds
        .into_iter()
        .filter(|b| b.building != Some(true) && b.result.is_some())
        .collect();
    let count = |r: &str| {
        done.iter()
            .filter(|b| b.result.as_deref() == Some(r))
            .count() as i32
    };
    let mut durations: Vec<i64> = done.iter().filter_map(|b| b.duration).collect();
    durations.sort_unstable();
    let n = done.len();
    let mean = (!durations.is_empty()).then(|| {
        Long((durations.iter().sum::<i64>() as f64 / durations.len() as f64).round() as i64)
    });
    let p95 = (!durations.is_empty()).then(|| {
        let rank = ((0.95 * durations.len() as f64).ceil() as usize).clamp(1, durations.len());
        Long(durations[rank - 1])
    });
    let outcomes: Vec<bool> = done
        .iter()
        .filter_map(|b| match b.result.as_deref() {
            Some("SUCCESS") => Some(true),
            Some("FAILURE") | Some("UNSTABLE") => Some(false),
            _ => None,
        })
        .collect();
    let flakiness = (outcomes.len() >= 2).then(|| {
        let flips = outcomes.windows(2).filter(|w| w[0] != w[1]).count();
        flips as f64 / (outcomes.len() - 1) as f64
    });
    let successes = count("SUCCESS");
    Trend {
        builds: n as i32,
        successes,
        failures: count("FAILURE"),
        unstable: count("UNSTABLE"),
        aborted: count("ABORTED"),
        success_rate: (n > 0).then(|| f64::from(successes) / n as f64),
        mean_duration: mean,
        p95_duration: p95,
        flakiness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u32, r: &str, d: i64) -> wire::Build {
        wire::Build {
            number: Some(n),
            result: Some(r.into()),
            building: Some(false),
            duration: Some(d),
            ..Default::default()
        }
    }

    #[test]
    fn trend_counts_and_percentiles() {
        let builds = vec![
            b(5, "SUCCESS", 100),
            b(4, "FAILURE", 200),
            b(3, "SUCCESS", 300),
            b(2, "SUCCESS", 400),
            b(1, "ABORTED", 1000),
        ];
        let t = trend_of(&builds);
        assert_eq!((t.builds, t.successes, t.failures, t.aborted), (5, 3, 1, 1));
        assert_eq!(t.success_rate, Some(0.6));
        assert_eq!(t.mean_duration, Some(Long(400)));
        assert_eq!(t.p95_duration, Some(Long(1000)));
        // outcomes S F S S: two flips out of three transitions
        assert!((t.flakiness.unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn causes_classify_by_class_for_builds_and_queue_items_alike() {
        let scm = wire::Cause {
            class: Some("hudson.triggers.SCMTrigger$SCMTriggerCause".into()),
            short_description: Some("Started by an SCM change".into()),
            ..Default::default()
        };
        assert_eq!(cause(&scm).kind, CauseKind::Scm);
        let user = wire::Cause {
            user_id: Some("alice".into()),
            ..Default::default()
        };
        assert_eq!(cause(&user).kind, CauseKind::User, "no class: by fields");
    }

    #[test]
    fn passwords_are_masked_wherever_they_appear() {
        let p = wire::ParameterValue {
            class: Some("hudson.model.PasswordParameterValue".into()),
            name: Some("SECRET".into()),
            value: Some(serde_json::json!("hunter2")),
        };
        assert_eq!(parameter(&p).value.as_deref(), Some(MASK));
        let q = queue_params(Some("\nA=1\nSECRET=****"));
        assert_eq!(q[1].kind, ParameterKind::Password);
    }

    #[test]
    fn full_names_from_urls() {
        assert_eq!(
            full_name_from_url("http://h:1/jenkins/job/a/job/b%20c/").as_deref(),
            Some("a/b c")
        );
        assert_eq!(
            full_name_from_url("http://h/job/repo/job/feature%252Ffoo/").as_deref(),
            Some("repo/feature%2Ffoo")
        );
        assert_eq!(full_name_from_url("http://h/"), None);
    }
}
