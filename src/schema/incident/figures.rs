//! Figures over histories: means and percentiles, stage duration trends, and the four
//! DORA metrics over a list of deployments. Pure: inputs are plain numbers and facts, so
//! each figure is checked here against hand-computed values.

/// Mean, rounded to the millisecond.
pub(crate) fn mean(xs: &[i64]) -> Option<i64> {
    (!xs.is_empty()).then(|| (xs.iter().sum::<i64>() as f64 / xs.len() as f64).round() as i64)
}

/// The 95th percentile by nearest rank (as `Job.trend` computes it).
pub(crate) fn p95(xs: &[i64]) -> Option<i64> {
    let mut s = xs.to_vec();
    s.sort_unstable();
    let n = s.len();
    (n > 0).then(|| s[((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1])
}

/// The median (the mean of the middle two for an even count, rounded).
pub(crate) fn median(xs: &[i64]) -> Option<i64> {
    let mut s = xs.to_vec();
    s.sort_unstable();
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2]),
        _ => Some(((s[n / 2 - 1] + s[n / 2]) as f64 / 2.0).round() as i64),
    }
}

/// How much longer the newer half of `durations` (oldest first) took than the older half,
/// as a fraction of the older half's mean (0.25: a quarter longer). With an odd count the
/// middle one belongs to neither half. Needs four durations.
pub(crate) fn duration_change(durations: &[i64]) -> Option<f64> {
    let n = durations.len();
    if n < 4 {
        return None;
    }
    let older = mean(&durations[..n / 2])?;
    let newer = mean(&durations[n.div_ceil(2)..])?;
    (older > 0).then(|| newer as f64 / older as f64 - 1.0)
}

/// A stage's durations grew by at least this fraction between the halves of the window.
pub(crate) const SLOWER_BY: f64 = 0.10;

/// One execution of a stage in a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageRun<'a> {
    /// Stage name.
    pub(crate) name: &'a str,
    /// Duration, ms.
    pub(crate) duration: Option<i64>,
    /// It failed (on its own, not skipped after an earlier failure).
    pub(crate) failed: bool,
    /// It succeeded (its duration says how long the work takes).
    pub(crate) succeeded: bool,
}

/// A stage over several runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageFigures {
    /// Stage name.
    pub(crate) name: String,
    /// Runs in which it ran.
    pub(crate) runs: usize,
    /// Runs in which it failed.
    pub(crate) failures: usize,
    /// Durations of its successful executions, oldest first.
    pub(crate) durations: Vec<i64>,
}

impl StageFigures {
    /// Failures over runs.
    pub(crate) fn failure_rate(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.failures as f64 / self.runs as f64)
    }

    /// See [`duration_change`].
    pub(crate) fn change(&self) -> Option<f64> {
        duration_change(&self.durations)
    }

    /// Whether its successful executions got slower by [`SLOWER_BY`] or more.
    pub(crate) fn slower(&self) -> bool {
        self.change().is_some_and(|c| c >= SLOWER_BY)
    }
}

/// Figures per stage over runs given oldest first, stages in the order the newest run
/// lists them (then those only older runs had).
pub(crate) fn stage_figures(runs: &[Vec<StageRun<'_>>]) -> Vec<StageFigures> {
    let mut order: Vec<&str> = Vec::new();
    for run in runs.iter().rev() {
        for s in run {
            if !order.contains(&s.name) {
                order.push(s.name);
            }
        }
    }
    order
        .into_iter()
        .map(|name| {
            let all: Vec<&StageRun> = runs.iter().flatten().filter(|s| s.name == name).collect();
            StageFigures {
                name: name.to_string(),
                runs: all.len(),
                failures: all.iter().filter(|s| s.failed).count(),
                durations: all
                    .iter()
                    .filter(|s| s.succeeded)
                    .filter_map(|s| s.duration)
                    .collect(),
            }
        })
        .collect()
}

/// How a deployment ended, for DORA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It deployed.
    Succeeded,
    /// It failed (or was unstable).
    Failed,
    /// Aborted, not built, or still running: neither.
    Other,
}

/// One deployment of one job to the environment in question, with what DORA needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeployFact {
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// When it started, ms.
    pub(crate) start: i64,
    /// When it ended, ms (`None` while running).
    pub(crate) end: Option<i64>,
    /// Times of the commits it carried for the first time to this environment.
    pub(crate) commit_times: Vec<i64>,
}

/// The four DORA figures over one window, each with how many deployments it rests on.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Dora {
    /// Completed deployments (succeeded or failed) in the window.
    pub(crate) deployments: usize,
    /// Successful deployments in the window.
    pub(crate) successes: usize,
    /// Successful deployments per day.
    pub(crate) per_day: Option<f64>,
    /// Lead times (commit to successful deployment's end), ms, one per commit.
    pub(crate) lead_times: Vec<i64>,
    /// Successful deployments that carried at least one commit with a known time.
    pub(crate) lead_deployments: usize,
    /// Failed deployments in the window.
    pub(crate) failures: usize,
    /// Times to restore, ms: from a failed deployment (the first of a run of failures)
    /// to the end of the next successful one.
    pub(crate) restores: Vec<i64>,
    /// Deployments the restores rest on (the failed ones and those that restored).
    pub(crate) restore_deployments: usize,
}

/// DORA figures for deployments grouped by job (each group oldest first), counting those
/// that started in `[since, until]`.
pub(crate) fn dora(jobs: &[Vec<DeployFact>], since: i64, until: i64) -> Dora {
    let mut d = Dora::default();
    let inside = |f: &DeployFact| f.start >= since && f.start <= until;
    for job in jobs {
        let mut failed_since: Option<(i64, usize)> = None;
        for f in job {
            match f.outcome {
                Outcome::Succeeded => {
                    if inside(f) {
                        d.successes += 1;
                        let end = f.end.unwrap_or(f.start);
                        let leads: Vec<i64> =
                            f.commit_times.iter().map(|c| (end - c).max(0)).collect();
                        d.lead_deployments += usize::from(!leads.is_empty());
                        d.lead_times.extend(leads);
                    }
                    if let Some((failed_end, count)) = failed_since.take() {
                        if inside(f) {
                            d.restores.push(f.end.unwrap_or(f.start) - failed_end);
                            d.restore_deployments += count + 1;
                        }
                    }
                }
                Outcome::Failed => {
                    if inside(f) {
                        d.failures += 1;
                    }
                    match &mut failed_since {
                        Some((_, count)) => *count += usize::from(inside(f)),
                        None => {
                            if inside(f) {
                                failed_since = Some((f.end.unwrap_or(f.start), 1));
                            }
                        }
                    }
                }
                Outcome::Other => {}
            }
        }
    }
    d.deployments = d.successes + d.failures;
    let days = (until - since) as f64 / 86_400_000.0;
    d.per_day = (days > 0.0).then(|| d.successes as f64 / days);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_medians_and_percentiles_by_hand() {
        assert_eq!(mean(&[1, 2, 4]), Some(2));
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[5, 1, 3]), Some(3));
        assert_eq!(median(&[4, 1, 3, 2]), Some(3)); // (2 + 3) / 2 = 2.5, rounded
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(p95(&hundred), Some(95));
        assert_eq!(p95(&[7]), Some(7));
        // 100, 109, 118, 127 → older half 104.5 → 105, newer 122.5 → 123.
        let change = duration_change(&[100, 109, 118, 127]).unwrap();
        assert!((change - (123.0 / 105.0 - 1.0)).abs() < 1e-9, "{change}");
        assert_eq!(duration_change(&[1, 2, 3]), None);
    }

    #[test]
    fn stage_figures_count_runs_failures_and_successful_durations() {
        let s = |name, duration, failed| StageRun {
            name,
            duration: Some(duration),
            failed,
            succeeded: !failed,
        };
        let runs = vec![
            vec![s("Build", 10, false), s("Test", 100, false)],
            vec![s("Build", 12, false), s("Test", 40, true)],
            vec![
                s("Build", 11, false),
                s("Test", 120, false),
                s("Lint", 5, false),
            ],
        ];
        let f = stage_figures(&runs);
        let names: Vec<&str> = f.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["Build", "Test", "Lint"]);
        assert_eq!((f[1].runs, f[1].failures), (3, 1));
        assert_eq!(f[1].durations, [100, 120]);
        assert_eq!(f[1].failure_rate(), Some(1.0 / 3.0));
    }

    #[test]
    fn dora_figures_by_hand() {
        const H: i64 = 3_600_000;
        let fact = |outcome, start: i64, commits: &[i64]| DeployFact {
            outcome,
            start,
            end: Some(start + H),
            commit_times: commits.to_vec(),
        };
        use Outcome::{Failed, Succeeded};
        // Day 0: success carrying a commit from 2 h before its start; day 1: two failures,
        // then a success 5 h after the first failure started; one outside the window.
        let job = vec![
            fact(Succeeded, -100 * H, &[]),
            fact(Succeeded, 0, &[-2 * H]),
            fact(Failed, 24 * H, &[]),
            fact(Failed, 26 * H, &[]),
            fact(Succeeded, 29 * H, &[20 * H, 22 * H]),
        ];
        let d = dora(&[job], -H, 47 * H);
        assert_eq!((d.deployments, d.successes, d.failures), (4, 2, 2));
        // 2 successes over 48 h.
        assert_eq!(d.per_day, Some(1.0));
        // Leads: 0+1h-(-2h)=3h; 30h-20h=10h; 30h-22h=8h.
        assert_eq!(d.lead_times, [3 * H, 10 * H, 8 * H]);
        assert_eq!(d.lead_deployments, 2);
        // Restore: the first failure ended at 25 h, the success at 30 h.
        assert_eq!(d.restores, [5 * H]);
        assert_eq!(d.restore_deployments, 3);
    }
}
