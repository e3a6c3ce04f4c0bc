//! Stages of a run: which ran, were skipped or are not reached yet, and their flow nodes
//! with ids, times and statuses fitted into the run.

use rand::Rng;

use super::course::Course;
use super::generator::Gen;
use super::steps::{RunCtx, StepPlan};
use super::vocabulary::stage_weight;
use crate::html::escape_markup;
use crate::world::{BuildResult, Stage, StageError, Step};

/// One stage as planned (or a freestyle phase).
pub(super) struct StageTrace {
    pub(super) name: String,
    /// Skipped after an earlier failure or abort.
    pub(super) skipped: bool,
    pub(super) steps: Vec<StepPlan>,
}

impl Gen {
    /// Which stages ran, skipped or are not reached yet, and the steps of those that ran.
    pub(super) fn traces(
        &mut self,
        phases: &[String],
        course: &Course,
        ctx: &RunCtx,
    ) -> Vec<StageTrace> {
        let running = course.result.is_none();
        let mut out = Vec::with_capacity(phases.len());
        for (i, name) in phases.iter().enumerate() {
            let at_stop = course.stop == Some(i);
            let after_stop = course.stop.is_some_and(|s| i > s);
            if running && after_stop {
                break;
            }
            let skipped = after_stop
                && matches!(
                    course.result,
                    Some(BuildResult::Failure | BuildResult::Aborted)
                );
            let fail = at_stop && course.result == Some(BuildResult::Failure);
            let mut steps = if skipped {
                Vec::new()
            } else {
                self.step_plans(name, ctx, fail)
            };
            if running && at_stop && steps.len() > 1 {
                let keep = self.rng.gen_range(1..=steps.len());
                steps.truncate(keep);
            }
            if self.lean && !steps.is_empty() {
                // Keep the main (last) step with its first line only.
                let mut main = steps
                    .pop()
                    .unwrap_or_else(|| unreachable!("steps is not empty"));
                main.lines.truncate(1);
                steps = vec![main];
            }
            out.push(StageTrace {
                name: name.clone(),
                skipped,
                steps,
            });
        }
        out
    }

    /// Stages with ids, times and statuses, fitted between the run's start and end.
    pub(super) fn timed_stages(
        &mut self,
        traces: &[StageTrace],
        course: &Course,
        run_start: i64,
        run_end: i64,
    ) -> Vec<Stage> {
        let running = course.result.is_none();
        let mut t = run_start + self.rng.gen_range(120..600);
        let horizon = if running {
            self.now
        } else {
            run_end - self.rng.gen_range(80..400)
        };
        let skipped = traces.iter().filter(|s| s.skipped).count() as i64;
        let weights: Vec<f64> = traces
            .iter()
            .map(|s| {
                if s.skipped {
                    0.0
                } else {
                    stage_weight(&s.name) * self.rng.gen_range(0.6..1.4)
                }
            })
            .collect();
        let total_w: f64 = weights.iter().sum::<f64>().max(0.001);
        let avail =
            (horizon - t - skipped * 60 - traces.len() as i64 * 25).max(traces.len() as i64 * 10);
        let mut id: u64 = 6;
        let mut out = Vec::with_capacity(traces.len());
        for (i, tr) in traces.iter().enumerate() {
            let at_stop = course.stop == Some(i);
            let dur = if tr.skipped {
                self.rng.gen_range(15..80)
            } else {
                ((avail as f64) * weights[i] / total_w).max(5.0) as i64
            };
            let (status, error) = if tr.skipped {
                let status = if course.result == Some(BuildResult::Aborted) {
                    "ABORTED"
                } else {
                    "FAILED"
                };
                (status, course.error.clone())
            } else if at_stop {
                stop_status(course.result, &course.error)
            } else {
                ("SUCCESS", None)
            };
            let last_step = at_stop.then(|| stop_status(course.result, &error));
            let steps = self.timed_steps(tr, id, t, dur, last_step);
            let stage = Stage {
                id: id.to_string(),
                name: tr.name.clone(),
                status: status.into(),
                start: t,
                duration: if running && at_stop {
                    (self.now - t).max(0)
                } else {
                    dur
                },
                pause: 0,
                error,
                parallel: None,
                steps,
            };
            // Flow node ids: the stage, its body, its steps, then the block ends.
            id += stage.steps.len() as u64 + 4;
            t += dur + self.rng.gen_range(5..40);
            out.push(stage);
        }
        out
    }

    /// The steps of a stage with flow node ids after the stage's own, spread over its
    /// duration; `last` is the status and error of its last step when the run stopped there.
    fn timed_steps(
        &mut self,
        tr: &StageTrace,
        id: u64,
        start: i64,
        dur: i64,
        last: Option<(&'static str, Option<StageError>)>,
    ) -> Vec<Step> {
        let step_w: Vec<f64> = tr
            .steps
            .iter()
            .map(|s| {
                if s.func == "echo" {
                    0.01
                } else {
                    self.rng.gen_range(0.5..1.5)
                }
            })
            .collect();
        let step_total: f64 = step_w.iter().sum::<f64>().max(0.001);
        let inner = (dur - 10).max(tr.steps.len() as i64);
        let mut st = start + self.rng.gen_range(2..6).min(dur / 4 + 1);
        let mut out = Vec::with_capacity(tr.steps.len());
        for (k, s) in tr.steps.iter().enumerate() {
            let sid = id + k as u64 + 1;
            let sdur = ((inner as f64) * step_w[k] / step_total).max(1.0) as i64;
            let (status, error) = match &last {
                Some(l) if k + 1 == tr.steps.len() => l.clone(),
                _ => ("SUCCESS", None),
            };
            let log = if s.lines.is_empty() {
                None
            } else {
                // Step logs are served as HTML by the Pipeline REST API.
                Some(escape_markup(&(s.lines.join("\n") + "\n")))
            };
            out.push(Step {
                id: sid.to_string(),
                name: s.name.into(),
                description: s.desc.clone(),
                status: status.into(),
                start: st,
                duration: sdur,
                pause: 0,
                parents: vec![(if k == 0 { id } else { sid - 1 }).to_string()],
                error,
                log,
            });
            st += sdur + 1;
        }
        out
    }
}

/// The status (and error) of the stage or step a run stopped in.
fn stop_status(
    result: Option<BuildResult>,
    error: &Option<StageError>,
) -> (&'static str, Option<StageError>) {
    match result {
        None => ("IN_PROGRESS", None),
        Some(BuildResult::Failure) => ("FAILED", error.clone()),
        Some(BuildResult::Aborted) => ("ABORTED", error.clone()),
        Some(BuildResult::Unstable) => ("UNSTABLE", None),
        _ => ("SUCCESS", None),
    }
}
