//! Builds (runs) of jobs.

use std::borrow::Cow;

use super::causes::cause_action;
use super::changes::{change_set, git_build_data};
use super::ctx::{class, full_display_name, item_path, Ctx};
use super::health::estimated_duration;
use super::junit::test_action;
use super::params::param_value;
use super::props::{opaque_list, opt_s, p, s};
use super::users::user_ref;
use crate::export::{Bean, Prop, Value};
use crate::world::{Build, BuildResult, Job, JobKind};

pub(super) fn build_class(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Freestyle => class::FREESTYLE_BUILD,
        JobKind::Pipeline => class::WORKFLOW_RUN,
        JobKind::Matrix => class::MATRIX_BUILD,
    }
}

/// A nested reference to a build (`lastBuild`, `builds[]`): full bean, pruned by the caller's selection.
pub(super) fn build_ref<'a>(
    ctx: Ctx<'a>,
    kind: JobKind,
    job: &'a Job,
    b: Option<&'a Build>,
    full: &str,
) -> Value<'a> {
    match b {
        Some(b) => Value::Bean(build(ctx, kind, job, b, full.to_string(), true)),
        None => Value::Null,
    }
}

/// A build (run) of a job.
pub fn build<'a>(
    ctx: Ctx<'a>,
    kind: JobKind,
    job: &'a Job,
    b: &'a Build,
    job_full_name: String,
    show_class: bool,
) -> Bean<'a> {
    let mut run = run_props(ctx, kind, job, b, &job_full_name);
    let in_progress = b.building();
    let culprits = move || Value::List(b.culprits.iter().map(|c| user_ref(ctx, c)).collect());
    let sections = match kind {
        JobKind::Pipeline => {
            let prev = job.builds.iter().rev().find(|x| x.number < b.number);
            let next = job.builds.iter().find(|x| x.number > b.number);
            let jf = job_full_name.clone();
            // WorkflowRun re-exports inProgress, so it moves to the subclass section.
            vec![
                run,
                vec![
                    p("changeSets", move || {
                        if b.changes.is_empty() {
                            Value::List(vec![])
                        } else {
                            Value::List(vec![change_set(ctx, job, b, true)])
                        }
                    }),
                    p("culprits", culprits),
                    p("inProgress", move || Value::Bool(in_progress)),
                    p("nextBuild", move || run_link(ctx, &job_full_name, next)),
                    p("previousBuild", move || run_link(ctx, &jf, prev)),
                ],
            ]
        }
        JobKind::Freestyle | JobKind::Matrix => {
            run.push(p("inProgress", move || Value::Bool(in_progress)));
            vec![
                run,
                vec![
                    p("builtOn", move || s(b.built_on.as_str())),
                    p("changeSet", move || change_set(ctx, job, b, true)),
                    p("culprits", culprits),
                ],
            ]
        }
    };
    Bean {
        class: Cow::Borrowed(build_class(kind)),
        show_class,
        sections,
    }
}

/// `previousBuild` / `nextBuild` of a pipeline run: number and URL.
fn run_link<'a>(ctx: Ctx<'a>, job_full_name: &str, x: Option<&Build>) -> Value<'a> {
    let Some(x) = x else {
        return Value::Null;
    };
    let url = format!("{}{}{}/", ctx.root, item_path(job_full_name), x.number);
    let n = x.number as i64;
    Value::Bean(Bean {
        class: Cow::Borrowed(class::WORKFLOW_RUN),
        show_class: false,
        sections: vec![vec![
            p("number", move || Value::Int(n)).vis(2),
            p("url", move || s(url)).vis(2),
        ]],
    })
}

/// The section of `hudson.model.Run`.
fn run_props<'a>(
    ctx: Ctx<'a>,
    kind: JobKind,
    job: &'a Job,
    b: &'a Build,
    job_full_name: &str,
) -> Vec<Prop<'a>> {
    let url = format!("{}{}{}/", ctx.root, item_path(job_full_name), b.number);
    let display = b
        .display_name
        .clone()
        .unwrap_or_else(|| format!("#{}", b.number));
    let full_display = format!("{} {}", full_display_name(ctx, job_full_name), display);
    let actions = actions(ctx, kind, job, b);
    let building = b.building();
    vec![
        p("actions", move || Value::List(actions)),
        p("artifacts", move || artifacts(b)),
        p("building", move || Value::Bool(building)),
        p("description", move || opt_s(&b.description)),
        p("displayName", move || s(display)),
        p("duration", move || {
            Value::Int(if building { 0 } else { b.duration })
        }),
        p("estimatedDuration", move || {
            // An explicit estimate in the world wins; otherwise Jenkins' own, from the job.
            Value::Int(if b.estimated_duration >= 0 {
                b.estimated_duration
            } else {
                estimated_duration(job)
            })
        }),
        p("executor", move || executor(kind, building)),
        p("fullDisplayName", move || s(full_display)),
        p("id", move || s(b.number.to_string())),
        p("keepLog", move || Value::Bool(b.keep_log)),
        p("number", move || Value::Int(b.number as i64)).vis(2),
        p("queueId", move || Value::Int(b.queue_id as i64)),
        p("result", move || {
            b.result.map_or(Value::Null, |r| s(r.as_str()))
        }),
        p("timestamp", move || Value::Int(b.timestamp)),
        p("url", move || s(url)).vis(2),
    ]
}

/// The executor of a running build: a pipeline runs on a flyweight (one-off) executor.
fn executor<'a>(kind: JobKind, building: bool) -> Value<'a> {
    let (class, show_class) = match (building, kind) {
        (false, _) => return Value::Null,
        (true, JobKind::Pipeline) => ("hudson.model.OneOffExecutor", true),
        (true, _) => ("hudson.model.Executor", false),
    };
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections: vec![],
    })
}

/// A build's actions. The order is the one the recordings show: actions attached while
/// the build ran, in that order, then the transient ones.
fn actions<'a>(ctx: Ctx<'a>, kind: JobKind, job: &'a Job, b: &'a Build) -> Vec<Value<'a>> {
    let mut actions: Vec<Value<'a>> = Vec::new();
    if !b.parameters.is_empty() {
        actions.push(Value::Bean(Bean {
            class: Cow::Borrowed("hudson.model.ParametersAction"),
            show_class: true,
            sections: vec![vec![p("parameters", move || {
                Value::List(b.parameters.iter().map(param_value).collect())
            })
            .vis(2)]],
        }));
    }
    actions.push(cause_action(ctx, &b.causes));
    match kind {
        JobKind::Pipeline => pipeline_actions(ctx, job, b, &mut actions),
        JobKind::Freestyle | JobKind::Matrix => {
            if let Some(bd) = git_build_data(ctx, job, b) {
                actions.push(bd);
                actions.push(Value::Opaque);
            }
            if b.result == Some(BuildResult::Aborted) {
                actions.extend(opaque_list(&[Some("jenkins.model.InterruptedBuildAction")]));
            }
            if let Some(t) = test_action(b) {
                actions.push(t);
            }
            actions.extend(opaque_list(&[
                None,
                Some("org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"),
            ]));
        }
    }
    actions
}

/// The actions of a pipeline run after its parameters and causes.
fn pipeline_actions<'a>(ctx: Ctx<'a>, job: &'a Job, b: &'a Build, actions: &mut Vec<Value<'a>>) {
    let branch = job.branch.is_some();
    if branch {
        actions.extend(opaque_list(&[Some("jenkins.scm.api.SCMRevisionAction")]));
    }
    actions.extend(opaque_list(&[
        Some("org.jenkinsci.plugins.workflow.libs.LibrariesAction"),
        None,
    ]));
    if let Some(bd) = git_build_data(ctx, job, b) {
        actions.push(bd);
        actions.push(Value::Opaque);
    }
    if branch {
        actions.extend(opaque_list(&[Some(
            "org.jenkinsci.plugins.workflow.cps.EnvActionImpl",
        )]));
    }
    actions.extend(opaque_list(&[
        None,
        None,
        Some("org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"),
        Some("org.jenkinsci.plugins.pipeline.modeldefinition.actions.RestartDeclarativePipelineAction"),
        None,
    ]));
    if b.building() {
        // A running execution carries two more (its pause and queue bookkeeping).
        actions.extend(opaque_list(&[None, None]));
    }
    if let Some(t) = test_action(b) {
        actions.push(t);
    }
    actions.extend(opaque_list(&[
        Some("org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"),
        None,
        None,
    ]));
}

/// Archived artifacts; Jenkins leaves out `displayPath` when there are more than 20.
fn artifacts(b: &Build) -> Value<'_> {
    let many = b.artifacts.len() > 20;
    Value::List(
        b.artifacts
            .iter()
            .map(|a| {
                let file = a.path.rsplit('/').next().unwrap_or(&a.path);
                Value::Bean(Bean {
                    class: Cow::Borrowed("hudson.model.Run$Artifact"),
                    show_class: false,
                    sections: vec![vec![
                        p(
                            "displayPath",
                            move || if many { Value::Null } else { s(file) },
                        )
                        .vis(3),
                        p("fileName", move || s(file)).vis(3),
                        p("relativePath", move || s(a.path.as_str())).vis(3),
                    ]],
                })
            })
            .collect(),
    )
}
