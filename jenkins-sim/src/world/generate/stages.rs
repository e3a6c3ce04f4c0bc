//! Stages of a run: which ran, were skipped or are not reached yet, and their flow nodes
//! with ids, times and statuses fitted into the run.

use rand::Rng;

use super::course::Course;
use super::generator::Gen;
use super::steps::{RunCtx, StepPlan};
use super::vocabulary::stage_weight;
use crate::html::escape_markup;
use crate::world::{BuildResult, Parallel, Stage, StageError, Step};

/// One stage as planned (or a freestyle phase).
pub(super) struct StageTrace {
    pub(super) name: String,
    /// Skipped after an earlier failure or abort.
    pub(super) skipped: bool,
    pub(super) steps: Vec<StepPlan>,
}

impl Gen {
    /// Which stages ran, skipped or are not reached yet, and the steps of those that ran.
    /// The branches of a parallel stage run side by side: one failing does not skip the
    /// others.
    pub(super) fn traces(
        &mut self,
        phases: &[String],
        groups: &[Parallel],
        course: &Course,
        ctx: &RunCtx,
    ) -> Vec<StageTrace> {
        let running = course.result.is_none();
        let sibling = |i: usize, j: usize| {
            groups
                .iter()
                .any(|g| g.branches.contains(&phases[i]) && g.branches.contains(&phases[j]))
        };
        let mut out = Vec::with_capacity(phases.len());
        for (i, name) in phases.iter().enumerate() {
            let at_stop = course.stop == Some(i);
            let after_stop = course.stop.is_some_and(|s| i > s);
            if running && after_stop {
                break;
            }
            let skipped = after_stop
                && !course.stop.is_some_and(|s| sibling(i, s))
                && matches!(
                    course.result,
                    Some(BuildResult::Failure | BuildResult::Aborted)
                );
            let fail = at_stop && course.result == Some(BuildResult::Failure);
            let parent = groups.iter().any(|g| &g.stage == name);
            let mut steps = if skipped || parent {
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

    /// Stages with ids, times and statuses, fitted between the run's start and end. A
    /// parallel stage lasts until it starts its branches (as Jenkins reports it: its own
    /// nodes only); the branches start in order, a few ms apart, and run side by side,
    /// their flow node ids right after its; the next stage starts when the last ends.
    pub(super) fn timed_stages(
        &mut self,
        traces: &[StageTrace],
        course: &Course,
        groups: &[Parallel],
        (run_start, run_end): (i64, i64),
    ) -> Vec<Stage> {
        let mut t = run_start + self.rng.gen_range(120..600);
        let horizon = self.horizon(course, run_end);
        let skipped = traces.iter().filter(|s| s.skipped).count() as i64;
        let weights = self.weights(traces);
        let slots = slots(traces, groups);
        let slot_w: Vec<f64> = slots
            .iter()
            .map(|s| {
                s[1..]
                    .iter()
                    .map(|&i| weights[i])
                    .fold(weights[s[0]], f64::max)
            })
            .collect();
        let total_w: f64 = slot_w.iter().sum::<f64>().max(0.001);
        let avail =
            (horizon - t - skipped * 60 - traces.len() as i64 * 25).max(traces.len() as i64 * 10);
        let share = |w: f64| ((avail as f64) * w / total_w).max(5.0) as i64;
        let mut id: u64 = 6;
        let mut out = Vec::with_capacity(traces.len());
        for slot in slots {
            let (first, branches) = (slot[0], &slot[1..]);
            let at = |i: usize| course.stop == Some(i);
            let tr = &traces[first];
            if branches.is_empty() {
                let dur = self.stage_time(tr, share(weights[first]));
                let stage = self.timed_stage(tr, at(first), course, (id, id + 1), (t, dur));
                // Flow node ids: the stage, its body, its steps, then the block ends.
                id += stage.steps.len() as u64 + 4;
                t += dur + self.rng.gen_range(5..40);
                out.push(stage);
                continue;
            }
            let parent_dur = self.rng.gen_range(20..80);
            out.push(self.timed_stage(tr, at(first), course, (id, id + 1), (t, parent_dur)));
            // The parallel step and one start node per branch come before the branches.
            let mut next = id + 8 + 2 * branches.len() as u64 + 1;
            let (mut start, mut end) = (t + parent_dur, t + parent_dur);
            for (k, &i) in branches.iter().enumerate() {
                let dur = self.stage_time(&traces[i], share(weights[i]));
                start += self.rng.gen_range(1..6);
                let sid = id + 8 + 2 * k as u64;
                let mut stage =
                    self.timed_stage(&traces[i], at(i), course, (sid, next), (start, dur));
                stage.parallel = Some(tr.name.clone());
                next += stage.steps.len() as u64 + 2;
                end = end.max(start + stage.duration);
                out.push(stage);
            }
            id = next + 4;
            t = end + self.rng.gen_range(5..40);
        }
        out
    }

    /// How long a stage takes: its share of the run, or a few tens of ms if skipped.
    fn stage_time(&mut self, tr: &StageTrace, share: i64) -> i64 {
        if tr.skipped {
            self.rng.gen_range(15..80)
        } else {
            share
        }
    }

    /// When the last stage must end: now for a running run, the pause for one paused at
    /// its input, shortly before the end for a finished one.
    fn horizon(&mut self, course: &Course, run_end: i64) -> i64 {
        if course.result.is_none() && !course.paused {
            self.now
        } else {
            run_end - self.rng.gen_range(80..400)
        }
    }

    /// How much of the run's time each stage takes, relatively (none if skipped).
    fn weights(&mut self, traces: &[StageTrace]) -> Vec<f64> {
        traces
            .iter()
            .map(|s| {
                if s.skipped {
                    0.0
                } else {
                    stage_weight(&s.name) * self.rng.gen_range(0.6..1.4)
                }
            })
            .collect()
    }

    /// One stage at `t` lasting `dur`, with flow node id `ids.0` and its steps' ids from
    /// `ids.1`; `at_stop` when the run failed, aborted, went unstable, is running or is
    /// paused in it.
    fn timed_stage(
        &mut self,
        tr: &StageTrace,
        at_stop: bool,
        course: &Course,
        (id, first_step): (u64, u64),
        (t, dur): (i64, i64),
    ) -> Stage {
        let running = course.result.is_none();
        let (status, error) = if tr.skipped {
            let status = if course.result == Some(BuildResult::Aborted) {
                "ABORTED"
            } else {
                "FAILED"
            };
            (status, course.error.clone())
        } else if at_stop {
            stop_status(course, &course.error)
        } else {
            ("SUCCESS", None)
        };
        // A paused stage reports how long it ran before the input paused it.
        let dur = if course.paused && at_stop {
            self.rng.gen_range(150..900)
        } else {
            dur
        };
        let last_step = at_stop.then(|| stop_status(course, &error));
        let mut steps = self.timed_steps(tr, (id, first_step), t, dur, last_step);
        let waited = tr.name == "Approve" && !(course.paused && at_stop);
        if waited {
            // The time an approval took was spent waiting for it.
            for s in &mut steps {
                s.pause = (s.duration - 8).max(0);
            }
        }
        Stage {
            id: id.to_string(),
            name: tr.name.clone(),
            status: status.into(),
            start: t,
            duration: if running && at_stop && !course.paused {
                (self.now - t).max(0)
            } else {
                dur
            },
            pause: if waited { (dur - 40).max(0) } else { 0 },
            error,
            parallel: None,
            steps,
        }
    }

    /// The steps of a stage with flow node ids after the stage's own, spread over its
    /// duration; `last` is the status and error of its last step when the run stopped there.
    fn timed_steps(
        &mut self,
        tr: &StageTrace,
        (id, first): (u64, u64),
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
            let sid = first + k as u64;
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

/// The stages of a run in the order they start: a stage alone, or a parallel stage with
/// the indexes of its branches.
fn slots(traces: &[StageTrace], groups: &[Parallel]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, tr) in traces.iter().enumerate() {
        let parent = groups.iter().find(|g| g.branches.contains(&tr.name));
        match (parent, out.last_mut()) {
            (Some(g), Some(slot)) if traces[slot[0]].name == g.stage => slot.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// The status (and error) of the stage or step a run stopped in.
fn stop_status(course: &Course, error: &Option<StageError>) -> (&'static str, Option<StageError>) {
    match course.result {
        None if course.paused => ("PAUSED_PENDING_INPUT", None),
        None => ("IN_PROGRESS", None),
        Some(BuildResult::Failure) => ("FAILED", error.clone()),
        Some(BuildResult::Aborted) => ("ABORTED", error.clone()),
        Some(BuildResult::Unstable) => ("UNSTABLE", None),
        _ => ("SUCCESS", None),
    }
}
