//! How a run's stages fit together, read from what Jenkins' Pipeline REST API gives: a
//! flat list of stages with their times, statuses and errors.
//!
//! - **Parallel branches.** The API lists a `parallel` block's branches as stages after the
//!   stage that holds them, and that stage's own time ends where its branches begin. A
//!   run of two or more consecutive stages whose times overlap are the branches of one
//!   block; the stage listed just before them holds them. The holder's duration is
//!   stretched to cover its branches, and its status is the worst of theirs.
//! - **Skipped stages.** A Declarative stage skipped because an earlier one failed is
//!   reported `FAILED` with the earlier stage's very error (same message and type) though
//!   it ran nothing; a stage that failed on its own carries its own error.

use std::sync::Arc;

use crate::jenkins::wire;

/// The stages of one run and how they relate, by index into [`Self::stages`].
#[derive(Debug)]
pub(crate) struct RunLayout {
    /// The run, as cached: its stages are read in place, never copied.
    run: Arc<wire::RunExt>,
    /// For each stage, the stage holding it when it is a parallel branch.
    pub(crate) parent: Vec<Option<usize>>,
    /// For each stage, the stages whose times overlap its own.
    pub(crate) concurrent: Vec<Vec<usize>>,
    /// For each stage, whether it was skipped after an earlier failure.
    pub(crate) skipped: Vec<bool>,
    /// Whether the run has finished (its stages no longer change).
    pub(crate) finished: bool,
}

fn span(s: &wire::StageNodeExt) -> (i64, i64) {
    let start = s.start_time_millis.unwrap_or(0);
    (start, start + s.duration_millis.unwrap_or(0))
}

fn overlap(a: &wire::StageNodeExt, b: &wire::StageNodeExt) -> bool {
    let ((a0, a1), (b0, b1)) = (span(a), span(b));
    a0 < b1 && b0 < a1
}

/// How bad a stage status is, for a holder that takes the worst of its branches.
fn severity(status: Option<&str>) -> u8 {
    match status.unwrap_or("") {
        "FAILED" => 5,
        "ABORTED" => 4,
        "UNSTABLE" => 3,
        "PAUSED_PENDING_INPUT" => 2,
        "IN_PROGRESS" => 1,
        _ => 0,
    }
}

impl RunLayout {
    /// The layout of `run`.
    pub(crate) fn of(run: Arc<wire::RunExt>) -> RunLayout {
        let stages = run.stages.as_deref().unwrap_or_default();
        let n = stages.len();
        let concurrent: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&j| j != i && overlap(&stages[i], &stages[j]))
                    .collect()
            })
            .collect();
        let mut parent = vec![None; n];
        let mut i = 1;
        while i < n {
            // A run of consecutive stages overlapping their predecessor in the run.
            let mut end = i;
            while end + 1 < n && overlap(&stages[end + 1], &stages[i]) {
                end += 1;
            }
            if end > i && !overlap(&stages[i - 1], &stages[i]) {
                for p in &mut parent[i..=end] {
                    *p = Some(i - 1);
                }
                i = end + 1;
            } else {
                i += 1;
            }
        }
        let skipped = (0..n)
            .map(|i| {
                let Some(err) = stages[i].error.as_ref() else {
                    return false;
                };
                stages[..i].iter().any(|earlier| {
                    earlier.status.as_deref() == Some("FAILED")
                        && earlier
                            .error
                            .as_ref()
                            .is_some_and(|e| e.message == err.message && e.kind == err.kind)
                })
            })
            .collect();
        let finished = !run.is_running();
        RunLayout {
            run,
            parent,
            concurrent,
            skipped,
            finished,
        }
    }

    /// The stages as Jenkins lists them.
    pub(crate) fn stages(&self) -> &[wire::StageNodeExt] {
        self.run.stages.as_deref().unwrap_or_default()
    }

    /// The branches stage `i` holds.
    pub(crate) fn branches(&self, i: usize) -> Vec<usize> {
        (0..self.stages().len())
            .filter(|&j| self.parent[j] == Some(i))
            .collect()
    }

    /// Duration of stage `i`, stretched over its branches when it holds some.
    pub(crate) fn duration(&self, i: usize) -> Option<i64> {
        let own = self.stages()[i].duration_millis?;
        let (start, end) = span(&self.stages()[i]);
        let last = self
            .branches(i)
            .into_iter()
            .map(|b| span(&self.stages()[b]).1)
            .max()
            .unwrap_or(end);
        Some(own.max(last - start))
    }

    /// Jenkins' status of stage `i`, or the worst of its branches' when that is worse.
    pub(crate) fn status(&self, i: usize) -> Option<&str> {
        self.branches(i)
            .into_iter()
            .map(|b| self.stages()[b].status.as_deref())
            .chain(std::iter::once(self.stages()[i].status.as_deref()))
            .max_by_key(|s| severity(*s))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: &str, name: &str, status: &str, start: i64, duration: i64) -> wire::StageNodeExt {
        wire::StageNodeExt {
            id: Some(id.into()),
            name: Some(name.into()),
            status: Some(status.into()),
            start_time_millis: Some(start),
            duration_millis: Some(duration),
            ..Default::default()
        }
    }

    fn run(stages: Vec<wire::StageNodeExt>) -> wire::RunExt {
        wire::RunExt {
            status: Some("SUCCESS".into()),
            stages: Some(stages),
            ..Default::default()
        }
    }

    #[test]
    fn the_recorded_parallel_run_nests_its_branches_under_tests() {
        // jenkins-sim/recordings/103-wfapi-run-describe-parallel.http
        let l = RunLayout::of(Arc::new(run(vec![
            stage("4", "Build", "SUCCESS", 1795296979630, 72),
            stage("13", "Tests", "SUCCESS", 1795296979710, 49),
            stage("21", "Unit", "SUCCESS", 1795296979759, 1132),
            stage("23", "Integration", "SUCCESS", 1795296979766, 2144),
            stage("25", "Lint", "FAILED", 1795296979771, 66),
            stage("52", "Deploy", "SUCCESS", 1795296981942, 26),
        ])));
        assert_eq!(l.parent, vec![None, None, Some(1), Some(1), Some(1), None]);
        assert_eq!(l.branches(1), vec![2, 3, 4]);
        // Tests covers its branches: from its start to the end of Integration.
        assert_eq!(l.duration(1), Some(1795296979766 + 2144 - 1795296979710));
        assert_eq!(l.status(1), Some("FAILED"), "the worst of its branches");
        assert_eq!(l.duration(0), Some(72));
    }

    #[test]
    fn a_stage_failing_with_an_earlier_stages_error_was_skipped() {
        // jenkins-sim/recordings/100-wfapi-run-describe-failed.http
        let error = || wire::ErrorExt {
            message: Some("script returned exit code 3".into()),
            kind: Some("hudson.AbortException".into()),
        };
        let mut test = stage("11", "Test", "FAILED", 1795296977659, 334);
        test.error = Some(error());
        let mut deploy = stage("17", "Deploy", "FAILED", 1795296978014, 35);
        deploy.error = Some(error());
        let l = RunLayout::of(Arc::new(run(vec![
            stage("6", "Build", "SUCCESS", 1795296977621, 30),
            test,
            deploy,
        ])));
        assert_eq!(l.skipped, vec![false, false, true]);
        assert_eq!(l.parent, vec![None, None, None]);
    }
}
