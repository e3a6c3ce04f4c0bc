//! How a build ends: its fate, where it stops and with which error, and its test report.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::plan::{Fate, Profile};
use super::vocabulary::{
    failure_weight, full_name_of, is_test_stage, pascal, COMPONENTS, SERVICES, TEST_ERRORS,
    TEST_NAMES,
};
use crate::world::{BuildResult, Parallel, StageError, TestFailure, TestReport};

/// Drawn facts about one build's course, before timings.
pub(super) struct Course {
    pub(super) result: Option<BuildResult>,
    /// Index of the stage that failed, aborted, went unstable, or is running.
    pub(super) stop: Option<usize>,
    pub(super) error: Option<StageError>,
    /// Running, and paused at the `input` step of the stage it stopped in.
    pub(super) paused: bool,
}

impl Course {
    /// A running build paused at the `input` step of its "Approve" stage.
    pub(super) fn paused_at_approval(phases: &[String]) -> Course {
        Course {
            result: None,
            stop: phases.iter().position(|s| s == "Approve"),
            error: None,
            paused: true,
        }
    }
}

/// Where a run stops, given its parallel stages: a failure is in a branch, never in the
/// stage holding them; a running run is in a parallel stage before its branches start.
fn settle(stop: usize, phases: &[String], groups: &[Parallel], running: bool) -> usize {
    let name = &phases[stop];
    if let Some(g) = groups.iter().find(|g| &g.stage == name) {
        if !running {
            return phases
                .iter()
                .position(|s| s == &g.branches[0])
                .unwrap_or(stop);
        }
    }
    if running {
        if let Some(g) = groups.iter().find(|g| g.branches.contains(name)) {
            return phases.iter().position(|s| *s == g.stage).unwrap_or(stop);
        }
    }
    stop
}

impl Gen {
    pub(super) fn roll_fate(&mut self, p: &Profile, prev_failed: bool) -> Fate {
        let pf = if prev_failed { p.sticky } else { p.flaky };
        // Only jobs that record tests go unstable.
        let unstable = if p.tests > 0 { 0.04 } else { 0.0 };
        let r: f64 = self.rng.gen();
        if r < pf {
            if p.tests > 0 && self.chance(0.6) {
                Fate::FailTests
            } else {
                Fate::Failure
            }
        } else if r < pf + unstable {
            Fate::Unstable
        } else if r < pf + unstable + 0.015 {
            Fate::Aborted
        } else {
            Fate::Success
        }
    }

    /// Where a build stops (fails, aborts, goes unstable, or is running now).
    pub(super) fn course(
        &mut self,
        phases: &[String],
        groups: &[Parallel],
        fate: Option<Fate>,
    ) -> Course {
        let len = phases.len();
        let Some(fate) = fate else {
            let stop = self.rng.gen_range(0..len);
            return Course {
                result: None,
                stop: Some(settle(stop, phases, groups, true)),
                error: None,
                paused: false,
            };
        };
        let first_test = phases.iter().position(|s| is_test_stage(s));
        let weighted = |g: &mut Gen| {
            let weights: Vec<f64> = phases.iter().map(|s| failure_weight(s)).collect();
            let total: f64 = weights.iter().sum();
            let mut x = g.rng.gen_range(0.0..total);
            for (i, w) in weights.iter().enumerate() {
                if x < *w {
                    return i;
                }
                x -= w;
            }
            len - 1
        };
        let stop = match fate {
            Fate::Success => None,
            Fate::Unstable => Some(first_test.unwrap_or(len - 1)),
            Fate::Aborted => Some(self.rng.gen_range(0..len)),
            Fate::FailAt(name) => Some(phases.iter().position(|s| s == name).unwrap_or(len - 1)),
            Fate::FailTests => Some(first_test.unwrap_or_else(|| weighted(self))),
            Fate::Failure => Some(weighted(self)),
        };
        let error = match fate {
            Fate::Aborted => {
                let message = if self.chance(0.3) {
                    "Timeout has been exceeded".to_string()
                } else {
                    format!("Aborted by {}", full_name_of(self.dev()))
                };
                Some(StageError {
                    message,
                    kind: "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException".into(),
                })
            }
            Fate::Failure | Fate::FailAt(_) | Fate::FailTests => Some(StageError {
                message: format!(
                    "script returned exit code {}",
                    self.pick(&[1, 1, 1, 2, 137])
                ),
                kind: "hudson.AbortException".into(),
            }),
            _ => None,
        };
        Course {
            result: Some(fate.result()),
            stop: stop.map(|i| settle(i, phases, groups, false)),
            error,
            paused: false,
        }
    }

    /// The test report of a build, if its tests ran and were recorded.
    pub(super) fn tests(
        &mut self,
        p: &Profile,
        phases: &[String],
        course: &Course,
        number: u64,
        streak: &mut Vec<TestFailure>,
    ) -> Option<TestReport> {
        if p.tests == 0 || course.result.is_none() {
            streak.clear();
            return None;
        }
        let test_stages: Vec<usize> = phases
            .iter()
            .enumerate()
            .filter(|(_, s)| is_test_stage(s))
            .map(|(i, _)| i)
            .collect();
        let stop = course.stop;
        let failing_here = |t: usize| {
            stop == Some(t)
                && matches!(
                    course.result,
                    Some(BuildResult::Failure | BuildResult::Unstable)
                )
        };
        let ran = test_stages
            .iter()
            .any(|&t| stop.is_none_or(|s| t < s || failing_here(t)))
            || (course.result == Some(BuildResult::Unstable) && !test_stages.is_empty());
        if !ran {
            streak.clear();
            return None;
        }
        let failed = if test_stages.iter().any(|&t| failing_here(t)) {
            match course.result {
                Some(BuildResult::Unstable) => self.rng.gen_range(1..=2),
                _ => *[1, 1, 1, 2, 2, 3, 4].choose(&mut self.rng).unwrap_or(&1),
            }
        } else {
            0
        };
        if failed == 0 {
            streak.clear();
        } else {
            // The same tests keep failing through a streak; failedSince stays put.
            streak.truncate(failed);
            while streak.len() < failed {
                let pkg = self.pick(SERVICES).replace('-', "");
                let class = format!(
                    "com.acme.{pkg}.{}{}Test",
                    pascal(&pkg),
                    pascal(self.pick(COMPONENTS))
                );
                let name = self.pick(TEST_NAMES).to_string();
                if streak
                    .iter()
                    .any(|f| f.class_name == class && f.name == name)
                {
                    continue;
                }
                streak.push(TestFailure {
                    class_name: class,
                    name,
                    error: Some(self.pick(TEST_ERRORS).to_string()),
                    duration: (self.rng.gen_range(0.005..4.0f64) * 1000.0).round() / 1000.0,
                    failed_since: number,
                });
            }
        }
        let grown = p.tests + (number / 4) as u32;
        let skipped = p.tests % 13;
        let passed = grown.saturating_sub(failed as u32 + skipped);
        Some(TestReport {
            passed,
            skipped,
            failures: streak.clone(),
            passing: Vec::new(),
            duration: ((passed as f64) * self.rng.gen_range(0.01..0.12) * 1000.0).round() / 1000.0,
        })
    }
}
