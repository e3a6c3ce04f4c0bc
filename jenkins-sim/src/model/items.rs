//! Items: folders of every kind and jobs, with the views over their children. A job
//! shows its waiting queue item, whose task is the job again, so the queue item's bean
//! lives here too: the recursion stays inside one module.

use std::borrow::Cow;

use super::builds::{build, build_ref};
use super::causes::cause_action;
use super::ctx::{class, full_display_name, item_path, Ctx};
use super::health::{health, health_list, job_color};
use super::params::params_property;
use super::props::{opaque_list, opt_s, p, s};
use crate::export::{Bean, Prop, Value};
use crate::world::{
    join_full_name, Cause, Folder, FolderKind, Item, Job, JobKind, ParamKind, ParamValue,
    QueueItem, QueueState, PERMALINKS,
};

/// A view over an owner's items (`AllView` and the like), at the owner's URL.
pub(super) fn view<'a>(
    ctx: Ctx<'a>,
    class: &'static str,
    name: &'static str,
    url: String,
    parent: String,
    items: &'a [Item],
) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections: vec![vec![
            p("description", || Value::Null),
            p("jobs", move || children(ctx, &parent, items)),
            p("name", move || s(name)).vis(2),
            p("property", || Value::List(vec![])).inline(),
            p("url", move || s(url)).vis(2),
        ]],
    })
}

pub(super) fn children<'a>(ctx: Ctx<'a>, parent: &str, items: &'a [Item]) -> Value<'a> {
    let parent = parent.to_string();
    Value::List(
        items
            .iter()
            .map(|i| {
                let full = join_full_name(&parent, i.name());
                Value::Bean(item(ctx, i, full, true))
            })
            .collect(),
    )
}

/// Any item: a folder of some kind or a job.
pub fn item<'a>(ctx: Ctx<'a>, item: &'a Item, full_name: String, show_class: bool) -> Bean<'a> {
    if let Some(found) = item.as_folder() {
        folder(ctx, found, full_name, show_class)
    } else if let Some((kind, j)) = item.as_job() {
        job(ctx, kind, j, full_name, show_class)
    } else {
        unreachable!("an item is a folder or a job")
    }
}

pub(super) fn abstract_item<'a>(
    ctx: Ctx<'a>,
    name: &'a str,
    display_name: &'a Option<String>,
    description: &'a Option<String>,
    full_name: &str,
    actions: Vec<Value<'a>>,
) -> Vec<Prop<'a>> {
    let url = format!("{}{}", ctx.root, item_path(full_name));
    let full = full_name.to_string();
    let full2 = full.clone();
    vec![
        p("actions", move || Value::List(actions)),
        p("description", move || opt_s(description)),
        p("displayName", move || {
            s(display_name.as_deref().unwrap_or(name))
        }),
        p("displayNameOrNull", move || opt_s(display_name)),
        p("fullDisplayName", move || s(full_display_name(ctx, &full2))),
        p("fullName", move || s(full)),
        p("name", move || s(name)).vis(999),
        p("url", move || s(url)).vis(999),
    ]
}

/// What differs between kinds of folders: the class, the actions, the primary view.
struct FolderShape {
    class: &'static str,
    actions: &'static [Option<&'static str>],
    view_class: &'static str,
    view_name: &'static str,
}

const CREDENTIALS: Option<&str> = Some("com.cloudbees.plugins.credentials.ViewCredentialsAction");

fn folder_shape(kind: FolderKind) -> FolderShape {
    match kind {
        FolderKind::Folder => FolderShape {
            class: class::FOLDER,
            actions: &[None, None, CREDENTIALS],
            view_class: "hudson.model.AllView",
            view_name: "All",
        },
        FolderKind::Multibranch => FolderShape {
            class: class::MULTIBRANCH,
            actions: &[None, None, None, None, None, CREDENTIALS],
            view_class: "jenkins.branch.MultiBranchProjectViewHolder$ViewImpl",
            view_name: "default",
        },
        FolderKind::Organization => FolderShape {
            class: class::ORGANIZATION,
            actions: &[None, None, None, None, CREDENTIALS],
            view_class: "jenkins.branch.OrganizationFolderViewHolder$ViewImpl",
            view_name: "default",
        },
    }
}

/// A folder of some kind, with its views.
fn folder<'a>(
    ctx: Ctx<'a>,
    (kind, f): (FolderKind, &'a Folder),
    full_name: String,
    show_class: bool,
) -> Bean<'a> {
    let shape = folder_shape(kind);
    let url = format!("{}{}", ctx.root, item_path(&full_name));
    let parent = full_name.clone();
    let primary = move || {
        view(
            ctx,
            shape.view_class,
            shape.view_name,
            url.clone(),
            parent.clone(),
            &f.items,
        )
    };
    let primary2 = primary.clone();
    let full = full_name.clone();
    let mut sections = vec![
        abstract_item(
            ctx,
            &f.name,
            &f.display_name,
            &f.description,
            &full_name,
            opaque_list(shape.actions),
        ),
        vec![
            p("healthReport", || Value::List(vec![])),
            p("jobs", move || children(ctx, &full, &f.items)),
            p("primaryView", primary),
            p("views", move || Value::List(vec![primary2()])),
        ],
    ];
    match kind {
        FolderKind::Folder => {}
        FolderKind::Multibranch => {
            sections.push(vec![p("buildable", || Value::Bool(true))]);
            sections.push(vec![p("sources", || Value::List(vec![Value::Opaque]))]);
        }
        FolderKind::Organization => {
            sections.push(vec![p("buildable", || Value::Bool(true))]);
        }
    }
    Bean {
        class: Cow::Borrowed(shape.class),
        show_class,
        sections,
    }
}

const JOB_DISPLAY: Option<&str> =
    Some("org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction");

/// A job's actions after its parameters, as recorded for each kind of job. Declarative
/// pipelines carry two more than scripted ones (the declarative model's job actions).
fn job_actions(kind: JobKind, scripted: bool) -> &'static [Option<&'static str>] {
    match kind {
        JobKind::Pipeline if scripted => {
            &[None, None, None, None, JOB_DISPLAY, None, None, CREDENTIALS]
        }
        JobKind::Pipeline => &[
            None,
            None,
            None,
            None,
            None,
            None,
            JOB_DISPLAY,
            None,
            None,
            CREDENTIALS,
        ],
        JobKind::Freestyle | JobKind::Matrix => &[None, None, JOB_DISPLAY, CREDENTIALS],
    }
}

/// A job of some kind, with its builds, permalinks and queue item.
fn job<'a>(
    ctx: Ctx<'a>,
    kind: JobKind,
    j: &'a Job,
    full_name: String,
    show_class: bool,
) -> Bean<'a> {
    let class = match kind {
        JobKind::Freestyle => class::FREESTYLE,
        JobKind::Pipeline => class::WORKFLOW_JOB,
        JobKind::Matrix => class::MATRIX,
    };
    let mut actions: Vec<Value<'a>> = Vec::new();
    if !j.parameters.is_empty() {
        actions.push(params_property(j));
    }
    actions.extend(opaque_list(job_actions(kind, j.scripted)));
    let (f1, f2) = (full_name.clone(), full_name.clone());
    let subclass = match kind {
        JobKind::Pipeline => vec![
            p("concurrentBuild", move || Value::Bool(j.concurrent)),
            p("disabled", move || Value::Bool(j.disabled)),
            p("inQueue", move || in_queue(ctx, &f1)),
            p("queueItem", move || queue_item_of(ctx, &f2)),
            p("resumeBlocked", || Value::Bool(false)),
        ],
        JobKind::Freestyle | JobKind::Matrix => vec![
            p("concurrentBuild", move || Value::Bool(j.concurrent)),
            p("disabled", move || Value::Bool(j.disabled)),
            p("downstreamProjects", || Value::List(vec![])),
            p("labelExpression", move || opt_s(&j.label)),
            p("scm", move || {
                let class = if j.git.is_some() {
                    "hudson.plugins.git.GitSCM"
                } else {
                    "hudson.scm.NullSCM"
                };
                Value::Bean(Bean {
                    class: Cow::Borrowed(class),
                    show_class: true,
                    sections: vec![],
                })
            }),
            p("upstreamProjects", || Value::List(vec![])),
        ],
    };
    let sections = vec![
        abstract_item(
            ctx,
            &j.name,
            &j.display_name,
            &j.description,
            &full_name,
            actions,
        ),
        job_props(ctx, kind, j, &full_name),
        subclass,
    ];
    Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections,
    }
}

/// The section of `hudson.model.Job`.
fn job_props<'a>(ctx: Ctx<'a>, kind: JobKind, j: &'a Job, full_name: &str) -> Vec<Prop<'a>> {
    let builds = &j.builds;
    let full = full_name.to_string();
    let each = move |take: usize| {
        let full = full.clone();
        Value::List(
            builds
                .iter()
                .rev()
                .take(take)
                .map(|b| Value::Bean(build(ctx, kind, j, b, full.clone(), true)))
                .collect(),
        )
    };
    let each2 = each.clone();
    let (f1, f2) = (full_name.to_string(), full_name.to_string());
    let mut props = vec![
        p("allBuilds", move || each(usize::MAX)).vis(-2),
        p("buildable", move || Value::Bool(!j.disabled)),
        p("builds", move || each2(100)),
        p("color", move || s(job_color(j))).vis(2),
        p("healthReport", move || health_list(health(j))),
        p("inQueue", move || in_queue(ctx, &f1)),
        p("keepDependencies", || Value::Bool(false)),
        p("nextBuildNumber", move || Value::Int(j.next_number() as i64)),
        p("property", move || {
            let mut props = vec![];
            if !j.parameters.is_empty() {
                props.push(params_property(j));
            }
            // A pipeline's concurrency is a job property (freestyle keeps it as a field).
            if kind == JobKind::Pipeline && !j.concurrent {
                props.push(Value::Bean(Bean {
                    class: Cow::Borrowed(
                        "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty",
                    ),
                    show_class: true,
                    sections: vec![],
                }));
            }
            Value::List(props)
        })
        .inline(),
        p("queueItem", move || queue_item_of(ctx, &f2)),
    ];
    props.extend(PERMALINKS.iter().map(|&name| {
        let full = full_name.to_string();
        p(name, move || {
            build_ref(ctx, kind, j, j.permalink(name), &full)
        })
    }));
    props
}

fn in_queue<'a>(ctx: Ctx<'a>, full_name: &str) -> Value<'a> {
    Value::Bool(ctx.world.queue.iter().any(|q| q.job == full_name))
}

/// The job's waiting queue item, if any.
fn queue_item_of<'a>(ctx: Ctx<'a>, full_name: &str) -> Value<'a> {
    ctx.world
        .queue
        .iter()
        .find(|q| q.job == full_name)
        .map_or(Value::Null, |q| Value::Bean(queue_item(ctx, q)))
}

pub(super) fn queue_class(state: QueueState) -> &'static str {
    match state {
        QueueState::Waiting => "hudson.model.Queue$WaitingItem",
        QueueState::Blocked => "hudson.model.Queue$BlockedItem",
        QueueState::Buildable => "hudson.model.Queue$BuildableItem",
    }
}

/// `?params` of a queue item: each entry prefixed with a newline; passwords masked.
pub(super) fn queue_params(params: &[ParamValue]) -> String {
    params
        .iter()
        .map(|v| {
            if v.kind == ParamKind::Password {
                format!("\n{}=****", v.name)
            } else {
                format!("\n{}={}", v.name, v.value)
            }
        })
        .collect()
}

pub(super) fn task<'a>(ctx: Ctx<'a>, full_name: &str) -> Value<'a> {
    match ctx.world.item(full_name) {
        Some(i) => Value::Bean(item(ctx, i, full_name.to_string(), true)),
        None => Value::Null,
    }
}

/// What every queue item exports (`Queue.Item`), whatever its state.
pub(super) struct QueueFacts<'a> {
    pub(super) id: u64,
    pub(super) job: &'a str,
    pub(super) causes: &'a [Cause],
    pub(super) params: &'a [ParamValue],
    pub(super) blocked: bool,
    pub(super) buildable: bool,
    pub(super) stuck: bool,
    pub(super) since: i64,
    pub(super) why: Option<String>,
}

pub(super) fn queue_common<'a>(ctx: Ctx<'a>, q: QueueFacts<'a>) -> Vec<Prop<'a>> {
    let QueueFacts {
        id,
        job,
        causes,
        params,
        blocked,
        buildable,
        stuck,
        since,
        why,
    } = q;
    vec![
        p("actions", move || {
            Value::List(vec![cause_action(ctx, causes)])
        }),
        p("blocked", move || Value::Bool(blocked)).vis(999),
        p("buildable", move || Value::Bool(buildable)).vis(999),
        p("id", move || Value::Int(id as i64)).vis(999),
        p("inQueueSince", move || Value::Int(since)).vis(999),
        p("params", move || s(queue_params(params))).vis(999),
        p("stuck", move || Value::Bool(stuck)).vis(999),
        p("task", move || task(ctx, job)).vis(999),
        p("url", move || s(format!("queue/item/{id}/"))).vis(999),
        p("why", move || why.map_or(Value::Null, s)).vis(999),
    ]
}

/// One waiting queue item.
pub fn queue_item<'a>(ctx: Ctx<'a>, q: &'a QueueItem) -> Bean<'a> {
    let blocked = q.state == QueueState::Blocked;
    let buildable = q.state == QueueState::Buildable;
    let mut sections = vec![queue_common(
        ctx,
        QueueFacts {
            id: q.id,
            job: &q.job,
            causes: &q.causes,
            params: &q.parameters,
            blocked,
            buildable,
            stuck: q.stuck,
            since: q.in_queue_since,
            why: q.why.clone(),
        },
    )];
    let start = q.in_queue_since + 1;
    match q.state {
        QueueState::Waiting => {
            sections.push(vec![
                p("timestamp", move || Value::Int(start + 5000)).vis(999)
            ]);
        }
        QueueState::Blocked => {
            sections.push(vec![p("buildableStartMilliseconds", move || {
                Value::Int(start)
            })
            .vis(999)]);
        }
        QueueState::Buildable => {
            let start = q.in_queue_since;
            sections.push(vec![p("buildableStartMilliseconds", move || {
                Value::Int(start)
            })
            .vis(999)]);
            sections.push(vec![p("pending", || Value::Bool(false)).vis(999)]);
        }
    }
    Bean {
        class: Cow::Borrowed(queue_class(q.state)),
        show_class: true,
        sections,
    }
}
