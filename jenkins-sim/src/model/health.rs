//! A job's ball color, build health and estimated duration, as Jenkins computes them.

use std::borrow::Cow;

use super::props::{p, s};
use crate::export::{Bean, Value};
use crate::world::{Build, BuildResult, Job};

/// The ball color of a job, as `Job.getIconColor` computes it.
pub fn job_color(job: &Job) -> String {
    let last = job.builds.last();
    let building = last.is_some_and(|b| b.building());
    if job.disabled {
        return if building {
            "disabled_anime"
        } else {
            "disabled"
        }
        .into();
    }
    let Some(last) = last else {
        return "notbuilt".into();
    };
    if building {
        let prev = job.builds.iter().rev().find(|b| !b.building());
        let base = prev
            .and_then(|b| b.result)
            .map_or("notbuilt", BuildResult::color);
        return format!("{base}_anime");
    }
    last.result.map_or("notbuilt", BuildResult::color).into()
}

/// `Job.getEstimatedDuration`: the mean duration of up to three recent builds, preferring
/// the last successful one and other successful or unstable ones over failed ones among the
/// last six; -1 when there is none.
pub fn estimated_duration(job: &Job) -> i64 {
    let last_successful = job
        .builds
        .iter()
        .rev()
        .find(|b| matches!(b.result, Some(BuildResult::Success | BuildResult::Unstable)));
    let mut candidates: Vec<&Build> = last_successful.into_iter().collect();
    let mut fallback = Vec::new();
    for b in job.builds.iter().rev().take(6) {
        if candidates.len() >= 3 {
            break;
        }
        if last_successful.is_some_and(|l| l.number == b.number) {
            continue;
        }
        match b.result {
            Some(BuildResult::Success | BuildResult::Unstable) => candidates.push(b),
            Some(BuildResult::Failure) => fallback.push(b),
            _ => {}
        }
    }
    candidates.extend(
        fallback
            .into_iter()
            .take(3usize.saturating_sub(candidates.len())),
    );
    let total: i64 = candidates.iter().map(|b| b.duration).sum();
    if candidates.is_empty() || total == 0 {
        return -1;
    }
    // Math.round of the mean.
    (total as f64 / candidates.len() as f64).round() as i64
}

/// `Job.getBuildHealthReports`: build stability over the last five conclusive builds.
pub fn health(job: &Job) -> Option<(u32, String)> {
    let mut total = 0u32;
    let mut failed = 0u32;
    let mut builds = job.builds.iter().rev().peekable();
    if builds.peek().is_some_and(|b| b.building()) {
        builds.next();
    }
    for b in builds {
        if total >= 5 {
            break;
        }
        match b.result {
            Some(BuildResult::Success) | Some(BuildResult::Unstable) => total += 1,
            Some(BuildResult::Failure) => {
                total += 1;
                failed += 1;
            }
            _ => {}
        }
    }
    if job.builds.is_empty() {
        return None;
    }
    // Recorded: a job whose builds are all inconclusive (aborted, running) still reports
    // full stability.
    let score = ((100 * (total - failed)).checked_div(total)).unwrap_or(100);
    let text = if failed == 0 {
        "Build stability: No recent builds failed.".to_string()
    } else if failed == total {
        "Build stability: All recent builds failed.".to_string()
    } else {
        format!("Build stability: {failed} out of the last {total} builds failed.")
    };
    Some((score, text))
}

pub(super) fn health_icon(score: u32) -> &'static str {
    match score {
        80.. => "health-80plus",
        60..=79 => "health-60to79",
        40..=59 => "health-40to59",
        20..=39 => "health-20to39",
        _ => "health-00to19",
    }
}

pub(super) fn health_list<'a>(report: Option<(u32, String)>) -> Value<'a> {
    Value::List(
        report
            .into_iter()
            .map(|(score, text)| {
                let icon = health_icon(score);
                Value::Bean(Bean {
                    class: Cow::Borrowed("hudson.model.HealthReport"),
                    show_class: false,
                    sections: vec![vec![
                        p("description", move || s(text)).vis(2),
                        p("iconClassName", move || s(format!("icon-{icon}"))).vis(2),
                        p("iconUrl", move || s(format!("{icon}.png"))).vis(2),
                        p("score", move || Value::Int(score.into())).vis(2),
                    ]],
                })
            })
            .collect(),
    )
}
