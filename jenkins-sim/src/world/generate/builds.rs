//! The builds of one job, realised from its plan: times, results, causes, commits,
//! culprits, tests, artifacts, stages and logs.

use rand::Rng;

use super::course::Course;
use super::generator::Gen;
use super::plan::{Commit, CommitTime, Fate, JobPlan, Lang, Trigger};
use super::stages::StageTrace;
use super::steps::RunCtx;
use super::vocabulary::FREESTYLE_PHASES;
use crate::world::{
    Artifact, Build, BuildResult, Cause, Change, ChangedPath, JobKind, Log, ParamDef, ParamKind,
    ParamValue, PendingInput, TestFailure, TestReport,
};

/// What every build of one job shares.
struct JobRun<'a> {
    full: &'a str,
    plan: &'a JobPlan,
    /// A pipeline with stages (other builds go through [`FREESTYLE_PHASES`]).
    pipeline: bool,
}

impl JobRun<'_> {
    /// The stages (or freestyle phases) build `number` goes through.
    fn phases(&self, number: u64) -> Vec<String> {
        if self.pipeline {
            self.plan.phases(number)
        } else {
            FREESTYLE_PHASES.iter().map(|s| s.to_string()).collect()
        }
    }
}

/// What carries over from one build of a job to the next.
struct History {
    prev_ts: i64,
    prev_result: Option<BuildResult>,
    prev_culprits: Vec<String>,
    /// The revision last built: a git job builds it again when nothing changed.
    revision: Option<String>,
    /// The tests failing in the current streak (their `failedSince` stays put).
    failing_tests: Vec<TestFailure>,
    /// Durations of the successful builds so far.
    good_durations: Vec<i64>,
}

impl History {
    /// Jenkins blames this build's authors, and those of the builds since the last success.
    fn culprits(&self, changes: &[Change]) -> Vec<String> {
        let carried = if self.prev_result.is_some_and(|r| r != BuildResult::Success) {
            self.prev_culprits.clone()
        } else {
            Vec::new()
        };
        let mut culprits: Vec<String> = Vec::new();
        for a in changes.iter().map(|c| c.author.clone()).chain(carried) {
            if !culprits.contains(&a) {
                culprits.push(a);
            }
        }
        culprits
    }

    /// The mean of the last three successful durations, -1 before the first success.
    fn estimated_duration(&self) -> i64 {
        if self.good_durations.is_empty() {
            return -1;
        }
        let last = &self.good_durations[self.good_durations.len().saturating_sub(3)..];
        last.iter().sum::<i64>() / last.len() as i64
    }
}

/// One build as drawn so far, before its log: what a literal log is written from.
pub(super) struct Drawn<'a> {
    pub(super) plan: &'a JobPlan,
    pub(super) ctx: &'a RunCtx<'a>,
    pub(super) cause: &'a Cause,
    pub(super) course: &'a Course,
    pub(super) traces: &'a [StageTrace],
    pub(super) built_on: &'a str,
}

impl Gen {
    /// (timestamp, intended duration) of every build, oldest first.
    pub(super) fn spans(&mut self, plan: &JobPlan) -> Vec<(i64, i64)> {
        let p = &plan.profile;
        let n = plan.builds;
        let mut spans = Vec::with_capacity(n as usize);
        let mut next_start = self.now;
        for number in (1..=n).rev() {
            let dur = self.duration(p.duration_ms);
            let start = if number == n {
                // A run paused at its input is as old as the pause (its idle time) and the
                // stages before it.
                if plan.running && !plan.paused {
                    self.now - (dur as f64 * self.rng.gen_range(0.15..0.85)) as i64
                } else {
                    let idle = match plan.idle_ms {
                        Some(i) => i,
                        None if p.trigger == Trigger::Timer => {
                            self.rng.gen_range(3_600_000..p.cadence_ms.max(7_200_000))
                        }
                        None => self.rng.gen_range(60_000..p.cadence_ms.max(120_000)),
                    };
                    self.now - idle - dur
                }
            } else if p.trigger == Trigger::Timer {
                let jitter = self.rng.gen_range(-120_000..120_000);
                (next_start - p.cadence_ms + jitter).min(next_start - dur - 60_000)
            } else {
                next_start - self.gap(p.cadence_ms) - dur
            };
            spans.push((start, dur));
            next_start = start;
        }
        spans.reverse();
        spans
    }

    /// Every build of a job, oldest first.
    pub(super) fn builds(&mut self, full: &str, plan: &JobPlan) -> Vec<Build> {
        if plan.builds == 0 {
            return Vec::new();
        }
        let spans = self.spans(plan);
        let pipeline = plan.kind == JobKind::Pipeline && !plan.job.stage_names.is_empty();
        let job = JobRun {
            full,
            plan,
            pipeline,
        };
        let mut history = History {
            prev_ts: spans[0].0 - plan.profile.cadence_ms,
            prev_result: None,
            prev_culprits: Vec::new(),
            revision: None,
            failing_tests: Vec::new(),
            good_durations: Vec::new(),
        };
        let mut out: Vec<Build> = Vec::with_capacity(spans.len());
        for (i, &(ts, intended)) in spans.iter().enumerate() {
            let build = self.build(&job, &mut history, i as u64 + 1, ts, intended);
            if build.result == Some(BuildResult::Success) {
                history.good_durations.push(build.duration);
            }
            history.prev_ts = ts;
            history.prev_result = build.result;
            history.prev_culprits = build.culprits.clone();
            out.push(build);
        }
        out
    }

    /// Build `number` of a job, scheduled at `ts` to run about `intended` ms.
    fn build(
        &mut self,
        job: &JobRun,
        h: &mut History,
        number: u64,
        ts: i64,
        intended: i64,
    ) -> Build {
        let plan = job.plan;
        let p = &plan.profile;
        let running = plan.running && number == plan.builds;
        let phases = job.phases(number);
        let fate = (!running).then(|| self.fate(plan, number, h.prev_result));
        let course = if running && plan.paused {
            Course::paused_at_approval(&phases)
        } else {
            self.course(&phases, &plan.job.parallel, fate)
        };
        let cause = self.cause(plan, number);
        let changes = self.changes_since(plan, h, &cause, number, ts);
        let culprits = h.culprits(&changes);
        let tests = self.tests(p, &phases, &course, number, &mut h.failing_tests);
        let queue_duration = if self.chance(0.1) && !running {
            self.rng.gen_range(5_000..60_000)
        } else {
            self.rng.gen_range(2..2_500)
        };
        let duration = intended.max(queue_duration + 4_000);
        let run_start = ts + queue_duration;
        let mut ctx = run_ctx(job, h, &changes, tests.as_ref(), number, ts);
        ctx.paused = course.paused;
        let traces = self.traces(&phases, &plan.job.parallel, &course, &ctx);
        let span = (run_start, ts + duration);
        let stages = match job.pipeline {
            true => self.timed_stages(&traces, &course, &plan.job.parallel, span),
            false => Vec::new(),
        };
        let built_on = self.node_for(plan.job.label.as_deref(), running && !course.paused);
        let drawn = Drawn {
            plan,
            ctx: &ctx,
            cause: &cause,
            course: &course,
            traces: &traces,
            built_on: &built_on,
        };
        let log = self.log(&drawn, running, duration, run_start);
        let artifacts = self.artifacts(plan, number, course.result);
        let mut parameters = self.param_values(&plan.job.parameters, number);
        if let Some(&(_, env)) = plan.environments.iter().find(|(n, _)| *n == number) {
            set_parameter(&mut parameters, "ENVIRONMENT", env);
        }
        Build {
            number,
            result: course.result,
            timestamp: ts,
            duration: if running { 0 } else { duration },
            estimated_duration: h.estimated_duration(),
            queue_duration,
            queue_id: 0,
            description: None,
            display_name: None,
            keep_log: self.chance(0.005),
            built_on,
            causes: vec![cause],
            parameters,
            revision: plan.job.git.as_ref().and(h.revision.clone()),
            changes,
            culprits,
            artifacts,
            tests,
            stages,
            input: course.paused.then(|| pending_input(plan)).flatten(),
            log,
        }
    }

    /// The commits since the build before (none once the job keeps building the same
    /// revision), and the revision the build checks out.
    fn changes_since(
        &mut self,
        plan: &JobPlan,
        h: &mut History,
        cause: &Cause,
        number: u64,
        ts: i64,
    ) -> Vec<Change> {
        let planned = plan.commits.iter().find(|(n, _)| *n == number);
        let changes = if let Some((_, commits)) = planned {
            commits.iter().map(|c| self.commit(c, ts)).collect()
        } else if plan.same_revision_from.is_some_and(|n| number >= n) {
            Vec::new()
        } else {
            self.changes(plan, cause, h.prev_ts, ts)
        };
        if let Some(c) = changes.last() {
            h.revision = Some(c.commit.clone());
        } else if plan.job.git.is_some() && h.revision.is_none() {
            h.revision = Some(self.sha());
        }
        changes
    }

    /// A planned commit, for a build scheduled at `ts`.
    fn commit(&mut self, c: &Commit, ts: i64) -> Change {
        let timestamp = match c.when {
            CommitTime::Before(ms) => ts - ms,
            CommitTime::At(t) => t,
        };
        Change {
            commit: c.sha.clone().unwrap_or_else(|| self.sha()),
            message: c.message.clone(),
            author: c.author.clone(),
            email: Some(format!("{}@example.com", c.author)),
            timestamp: timestamp - timestamp.rem_euclid(1000),
            paths: c
                .paths
                .iter()
                .map(|(edit, file)| ChangedPath {
                    edit: edit.clone(),
                    file: file.clone(),
                })
                .collect(),
        }
    }

    /// How a finished build ends: as its plan says, or rolled from the job's profile.
    fn fate(&mut self, plan: &JobPlan, number: u64, prev: Option<BuildResult>) -> Fate {
        let forced = plan
            .fates
            .iter()
            .find(|(k, _)| *k == number)
            .map(|(_, f)| *f);
        match forced {
            Some(f) => f,
            None => self.roll_fate(&plan.profile, prev == Some(BuildResult::Failure)),
        }
    }

    /// A build's log: of the size its plan gives, literal now and then, or generated to a
    /// size that follows its duration (and, while running, how far it got).
    fn log(&mut self, d: &Drawn, running: bool, duration: i64, run_start: i64) -> Log {
        let number = d.ctx.number;
        if let Some(&(_, bytes)) = d.plan.log_sizes.iter().find(|(k, _)| *k == number) {
            return Log {
                text: None,
                generated_bytes: Some(bytes),
            };
        }
        if d.course.paused || (!self.lean && !running && self.chance(0.25)) {
            return Log {
                text: Some(self.literal_log(d)),
                generated_bytes: None,
            };
        }
        let scale = duration as f64 / d.plan.profile.duration_ms.max(1) as f64;
        let mut bytes = self.log_bytes as f64 * scale * self.rng.gen_range(0.6..1.4);
        if running {
            bytes *= ((self.now - run_start) as f64 / duration as f64).clamp(0.05, 1.0);
        }
        let bytes = bytes.clamp(2_048.0, self.log_bytes as f64 * 16.0) as u64;
        Log {
            text: None,
            generated_bytes: Some(bytes / crate::log::LINE * crate::log::LINE),
        }
    }

    pub(super) fn param_values(&mut self, defs: &[ParamDef], number: u64) -> Vec<ParamValue> {
        defs.iter()
            .map(|d| {
                let value = match (d.kind, d.name.as_str()) {
                    (ParamKind::String, "VERSION") => format!("2.{}.{}", number / 10, number % 10),
                    (ParamKind::Boolean, _) => {
                        let default = d.default.as_deref() == Some("true");
                        (default != self.chance(0.15)).to_string()
                    }
                    (ParamKind::Choice, _) if !d.choices.is_empty() => {
                        if self.chance(0.6) {
                            d.choices[0].clone()
                        } else {
                            d.choices[self.rng.gen_range(0..d.choices.len())].clone()
                        }
                    }
                    // Never exported: Jenkins masks password values.
                    (ParamKind::Password, _) => "correct-horse-battery-staple".into(),
                    _ => d.default.clone().unwrap_or_default(),
                };
                ParamValue {
                    name: d.name.clone(),
                    kind: d.kind,
                    value,
                }
            })
            .collect()
    }

    /// What a good build of a job that archives artifacts leaves behind.
    fn artifacts(
        &mut self,
        plan: &JobPlan,
        number: u64,
        result: Option<BuildResult>,
    ) -> Vec<Artifact> {
        let good = matches!(result, Some(BuildResult::Success | BuildResult::Unstable));
        if !plan.profile.artifacts || !good {
            return Vec::new();
        }
        let slug = &plan.slug;
        let version = format!("1.{}.{number}", number / 40);
        let mut out = vec![match plan.profile.lang {
            Lang::Java => Artifact {
                path: format!("build/libs/{slug}-{version}.jar"),
                size: self.rng.gen_range(18_000_000..90_000_000),
            },
            Lang::Node => Artifact {
                path: format!("dist/{slug}-{version}.tgz"),
                size: self.rng.gen_range(400_000..9_000_000),
            },
            Lang::Go => Artifact {
                path: format!("bin/{slug}-linux-amd64"),
                size: self.rng.gen_range(9_000_000..40_000_000),
            },
            Lang::Python => Artifact {
                path: format!("dist/{}-{version}-py3-none-any.whl", slug.replace('-', "_")),
                size: self.rng.gen_range(40_000..900_000),
            },
        }];
        if plan.profile.tests > 0 && self.chance(0.5) {
            out.push(Artifact {
                path: "reports/coverage.xml".into(),
                size: self.rng.gen_range(80_000..600_000),
            });
        }
        out
    }
}

/// What the steps and logs of build `number` need to know.
fn run_ctx<'a>(
    job: &'a JobRun,
    h: &'a History,
    changes: &'a [Change],
    tests: Option<&TestReport>,
    number: u64,
    ts: i64,
) -> RunCtx<'a> {
    let plan = job.plan;
    RunCtx {
        full: job.full,
        slug: &plan.slug,
        team: &plan.team,
        lang: plan.profile.lang,
        git: plan.job.git.as_ref(),
        revision: h.revision.as_deref(),
        commit_msg: changes.last().map(|c| c.message.as_str()),
        number,
        timestamp: ts,
        approval: plan.approval.as_ref(),
        paused: false,
        tests_total: tests.map_or(plan.profile.tests, |t| {
            t.passed + t.skipped + t.failures.len() as u32
        }),
        tests_failed: tests.map_or(0, |t| t.failures.len() as u32),
        tests_skipped: tests.map_or(0, |t| t.skipped),
    }
}

/// The input a build paused at its approval waits for.
fn pending_input(plan: &JobPlan) -> Option<PendingInput> {
    let a = plan.approval.as_ref()?;
    Some(PendingInput {
        id: "Approve".into(),
        message: a.message.clone(),
        proceed_text: Some(a.ok.clone()),
        submitter: a.submitter.clone(),
    })
}

fn set_parameter(values: &mut [ParamValue], name: &str, value: &str) {
    if let Some(v) = values.iter_mut().find(|v| v.name == name) {
        v.value = value.to_string();
    }
}
