//! Jenkins' exported views of the world: the beans `api/json` and `api/xml` serve.
//!
//! Each function builds the [`Bean`] of one Jenkins class with its properties in
//! Stapler's sections (superclass first) and visibilities, so the export engine can
//! prune and order them exactly as Jenkins does. Getters are lazy: an unselected
//! property costs nothing, as in Jenkins.

use std::borrow::Cow;

use crate::export::{Bean, Prop, Value};
use crate::world::{
    Agent, Build, BuildResult, Cause, Folder, FolderKind, Item, Job, JobKind, LeftItem, ParamDef,
    ParamKind, ParamValue, QueueItem, QueueState, World,
};

/// What every bean builder needs: the world, the controller's root URL and the clock.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The world being served.
    pub world: &'a World,
    /// Absolute root URL, ending in `/` (e.g. `http://127.0.0.1:8081/`).
    pub root: &'a str,
    /// Now, epoch ms.
    pub now: i64,
}

/// Class names Jenkins prints.
pub mod class {
    /// Root.
    pub const HUDSON: &str = "hudson.model.Hudson";
    /// Freestyle job.
    pub const FREESTYLE: &str = "hudson.model.FreeStyleProject";
    /// Freestyle build.
    pub const FREESTYLE_BUILD: &str = "hudson.model.FreeStyleBuild";
    /// Pipeline job.
    pub const WORKFLOW_JOB: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";
    /// Pipeline run.
    pub const WORKFLOW_RUN: &str = "org.jenkinsci.plugins.workflow.job.WorkflowRun";
    /// Matrix job.
    pub const MATRIX: &str = "hudson.matrix.MatrixProject";
    /// Matrix build.
    pub const MATRIX_BUILD: &str = "hudson.matrix.MatrixBuild";
    /// Folder.
    pub const FOLDER: &str = "com.cloudbees.hudson.plugins.folder.Folder";
    /// Multibranch project.
    pub const MULTIBRANCH: &str =
        "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject";
    /// Organization folder.
    pub const ORGANIZATION: &str = "jenkins.branch.OrganizationFolder";
}

/// rawEncode one item name exactly as `hudson.Util.rawEncode` does.
pub fn raw_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!$&'()*+,-.=@_".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Relative URL path of an item (`job/a/job/b/`), from its full name.
pub fn item_path(full_name: &str) -> String {
    let mut out = String::new();
    for name in crate::world::split_full_name(full_name) {
        out.push_str("job/");
        out.push_str(&raw_encode(name));
        out.push('/');
    }
    out
}

fn s<'a>(v: impl Into<Cow<'a, str>>) -> Value<'a> {
    Value::Str(v.into())
}

fn opt_s<'a>(v: &'a Option<String>) -> Value<'a> {
    match v {
        Some(v) => Value::Str(Cow::Borrowed(v)),
        None => Value::Null,
    }
}

fn p<'a>(name: &'static str, value: impl FnOnce() -> Value<'a> + 'a) -> Prop<'a> {
    Prop::new(name, value)
}

fn opaque_list<'a>(classes: &[Option<&'static str>]) -> Vec<Value<'a>> {
    classes
        .iter()
        .map(|c| match c {
            Some(c) => Value::Bean(Bean {
                class: Cow::Borrowed(c),
                show_class: true,
                sections: vec![],
            }),
            None => Value::Opaque,
        })
        .collect()
}

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

fn health_icon(score: u32) -> &'static str {
    match score {
        80.. => "health-80plus",
        60..=79 => "health-60to79",
        40..=59 => "health-40to59",
        20..=39 => "health-20to39",
        _ => "health-00to19",
    }
}

fn health_list<'a>(report: Option<(u32, String)>) -> Value<'a> {
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

/// A view over an owner's items (`AllView` and the like), at the owner's URL.
fn view<'a>(
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

/// The root object (`hudson.model.Hudson`).
pub fn root(ctx: Ctx<'_>) -> Bean<'_> {
    let w = ctx.world;
    let root = ctx.root;
    let all = move || {
        view(
            ctx,
            "hudson.model.AllView",
            "all",
            root.to_string(),
            String::new(),
            &w.items,
        )
    };
    Bean {
        class: Cow::Borrowed(class::HUDSON),
        show_class: true,
        sections: vec![
            vec![
                p("assignedLabels", move || {
                    Value::List(vec![builtin_label(ctx)])
                }),
                p("mode", || s("NORMAL")),
                p("nodeDescription", || {
                    s("the Jenkins controller's built-in node")
                }),
                p("nodeName", || s("")).vis(999),
                p("numExecutors", move || {
                    Value::Int(w.controller.num_executors.into())
                }),
            ],
            vec![
                p("description", move || opt_s(&w.controller.description)),
                p("jobs", move || children(ctx, "", &w.items)),
                p("overallLoad", || {
                    load_statistics("hudson.model.OverallLoadStatistics", false, true)
                }),
                p("primaryView", all),
                p("quietDownReason", || Value::Null),
                p("quietingDown", move || {
                    Value::Bool(w.controller.quieting_down)
                }),
                p("slaveAgentPort", || Value::Int(-1)),
                p("unlabeledLoad", || {
                    load_statistics("jenkins.model.UnlabeledLoadStatistics", true, false)
                }),
                p("url", move || s(root)),
                p("useCrumbs", || Value::Bool(true)),
                p("useSecurity", || Value::Bool(true)),
                p("views", move || Value::List(vec![all()])),
            ],
        ],
    }
}

fn children<'a>(ctx: Ctx<'a>, parent: &str, items: &'a [Item]) -> Value<'a> {
    let parent = parent.to_string();
    Value::List(
        items
            .iter()
            .map(|i| {
                let full = join(&parent, i.name());
                Value::Bean(item(ctx, i, full, true))
            })
            .collect(),
    )
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Any item: a folder of some kind or a job.
pub fn item<'a>(ctx: Ctx<'a>, item: &'a Item, full_name: String, show_class: bool) -> Bean<'a> {
    if let Some((kind, f)) = item.as_folder() {
        folder(ctx, kind, f, full_name, show_class)
    } else if let Some((kind, j)) = item.as_job() {
        job(ctx, kind, j, full_name, show_class)
    } else {
        unreachable!("an item is a folder or a job")
    }
}

/// Display names of every ancestor and the item, joined by " » ".
fn full_display_name(ctx: Ctx<'_>, full_name: &str) -> String {
    let mut names = Vec::new();
    let mut prefix = String::new();
    for name in crate::world::split_full_name(full_name) {
        prefix = join(&prefix, name);
        let display = ctx
            .world
            .item(&prefix)
            .and_then(|i| match i {
                Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => {
                    f.display_name.clone()
                }
                Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => j.display_name.clone(),
            })
            .unwrap_or_else(|| name.to_string());
        names.push(display);
    }
    names.join(" » ")
}

fn abstract_item<'a>(
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

fn folder<'a>(
    ctx: Ctx<'a>,
    kind: FolderKind,
    f: &'a Folder,
    full_name: String,
    show_class: bool,
) -> Bean<'a> {
    let (class, actions, view_class, view_name): (&str, &[Option<&'static str>], &str, &str) =
        match kind {
            FolderKind::Folder => (
                class::FOLDER,
                &[
                    None,
                    None,
                    Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
                ],
                "hudson.model.AllView",
                "All",
            ),
            FolderKind::Multibranch => (
                class::MULTIBRANCH,
                &[
                    None,
                    None,
                    None,
                    None,
                    None,
                    Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
                ],
                "jenkins.branch.MultiBranchProjectViewHolder$ViewImpl",
                "default",
            ),
            FolderKind::Organization => (
                class::ORGANIZATION,
                &[
                    None,
                    None,
                    None,
                    None,
                    Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
                ],
                "jenkins.branch.OrganizationFolderViewHolder$ViewImpl",
                "default",
            ),
        };
    let url = format!("{}{}", ctx.root, item_path(&full_name));
    let parent = full_name.clone();
    let primary = move || {
        view(
            ctx,
            view_class,
            view_name,
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
            opaque_list(actions),
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
        class: Cow::Borrowed(class),
        show_class,
        sections,
    }
}

fn build_class(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Freestyle => class::FREESTYLE_BUILD,
        JobKind::Pipeline => class::WORKFLOW_RUN,
        JobKind::Matrix => class::MATRIX_BUILD,
    }
}

/// A nested reference to a build (`lastBuild`, `builds[]`): full bean, pruned by the caller's selection.
fn build_ref<'a>(
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

fn param_defs<'a>(defs: &'a [ParamDef]) -> Value<'a> {
    Value::List(
        defs.iter()
            .map(|d| {
                let (class, value_class) = match d.kind {
                    ParamKind::String => (
                        "hudson.model.StringParameterDefinition",
                        "hudson.model.StringParameterValue",
                    ),
                    ParamKind::Boolean => (
                        "hudson.model.BooleanParameterDefinition",
                        "hudson.model.BooleanParameterValue",
                    ),
                    ParamKind::Choice => (
                        "hudson.model.ChoiceParameterDefinition",
                        "hudson.model.StringParameterValue",
                    ),
                    ParamKind::Password => (
                        "hudson.model.PasswordParameterDefinition",
                        "hudson.model.PasswordParameterValue",
                    ),
                    ParamKind::Text => (
                        "hudson.model.TextParameterDefinition",
                        "hudson.model.TextParameterValue",
                    ),
                };
                let type_name = class.rsplit('.').next().unwrap_or(class);
                let mut sections = vec![vec![
                    p("defaultParameterValue", move || {
                        let value = match (d.kind, d.default.as_deref()) {
                            (ParamKind::Boolean, v) => Value::Bool(v == Some("true")),
                            (ParamKind::Password, _) => Value::Null,
                            (ParamKind::Choice, None) => {
                                d.choices.first().map_or(Value::Null, |c| s(c.as_str()))
                            }
                            (_, Some(v)) => s(v),
                            (_, None) => s(""),
                        };
                        parameter_value(value_class, &d.name, d.kind, value)
                    })
                    .vis(3),
                    p("description", move || opt_s(&d.description)).vis(3),
                    p("name", move || s(d.name.as_str())).vis(3),
                    p("type", move || s(type_name)).vis(3),
                ]];
                if d.kind == ParamKind::Choice {
                    sections.push(vec![p("choices", move || {
                        Value::List(d.choices.iter().map(|c| s(c.as_str())).collect())
                    })
                    .vis(3)]);
                }
                Value::Bean(Bean {
                    class: Cow::Borrowed(class),
                    show_class: true,
                    sections,
                })
            })
            .collect(),
    )
}

fn params_property<'a>(job: &'a Job) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.ParametersDefinitionProperty"),
        show_class: true,
        sections: vec![vec![p("parameterDefinitions", move || {
            param_defs(&job.parameters)
        })
        .vis(2)]],
    })
}

fn job<'a>(
    ctx: Ctx<'a>,
    kind: JobKind,
    j: &'a Job,
    full_name: String,
    show_class: bool,
) -> Bean<'a> {
    let w = ctx.world;
    let class = match kind {
        JobKind::Freestyle => class::FREESTYLE,
        JobKind::Pipeline => class::WORKFLOW_JOB,
        JobKind::Matrix => class::MATRIX,
    };
    let mut actions: Vec<Value<'a>> = Vec::new();
    if !j.parameters.is_empty() {
        actions.push(params_property(j));
    }
    let tail: &[Option<&'static str>] = match kind {
        // Declarative pipelines carry two more (the declarative model's job actions).
        JobKind::Pipeline if j.scripted => &[
            None,
            None,
            None,
            None,
            Some("org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction"),
            None,
            None,
            Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
        ],
        JobKind::Pipeline => &[
            None,
            None,
            None,
            None,
            None,
            None,
            Some("org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction"),
            None,
            None,
            Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
        ],
        _ => &[
            None,
            None,
            Some("org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction"),
            Some("com.cloudbees.plugins.credentials.ViewCredentialsAction"),
        ],
    };
    actions.extend(opaque_list(tail));
    let full = full_name.clone();
    let f = move || full.clone();
    let (f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11) =
        (f(), f(), f(), f(), f(), f(), f(), f(), f(), f(), f());
    let queue_item = move || {
        w.queue
            .iter()
            .find(|q| q.job == f10)
            .map_or(Value::Null, |q| Value::Bean(queue_item(ctx, q)))
    };
    let in_queue = {
        let f = f11.clone();
        move || Value::Bool(w.queue.iter().any(|q| q.job == f))
    };
    let builds = &j.builds;
    let last = |pred: fn(&Build) -> bool| builds.iter().rev().find(|b| pred(b));
    let job_props = vec![
        p("allBuilds", move || {
            Value::List(builds.iter().rev().map(|b| Value::Bean(build(ctx, kind, j, b, f1.clone(), true))).collect())
        })
        .vis(-2),
        p("buildable", move || Value::Bool(!j.disabled)),
        p("builds", move || {
            Value::List(
                builds.iter().rev().take(100).map(|b| Value::Bean(build(ctx, kind, j, b, f2.clone(), true))).collect(),
            )
        }),
        p("color", move || s(job_color(j))).vis(2),
        p("firstBuild", move || build_ref(ctx, kind, j, builds.first(), &f3)),
        p("healthReport", move || health_list(health(j))),
        p("inQueue", in_queue.clone()),
        p("keepDependencies", || Value::Bool(false)),
        p("lastBuild", move || build_ref(ctx, kind, j, builds.last(), &f4)),
        p("lastCompletedBuild", move || build_ref(ctx, kind, j, last(|b| !b.building()), &f5)),
        p("lastFailedBuild", move || {
            build_ref(ctx, kind, j, last(|b| b.result == Some(BuildResult::Failure)), &f6)
        }),
        p("lastStableBuild", move || {
            build_ref(ctx, kind, j, last(|b| b.result == Some(BuildResult::Success)), &f7)
        }),
        p("lastSuccessfulBuild", move || {
            build_ref(
                ctx,
                kind,
                j,
                last(|b| matches!(b.result, Some(BuildResult::Success | BuildResult::Unstable))),
                &f8,
            )
        }),
        p("lastUnstableBuild", move || {
            build_ref(ctx, kind, j, last(|b| b.result == Some(BuildResult::Unstable)), &f9)
        }),
        p("lastUnsuccessfulBuild", {
            let f = full_name.clone();
            move || {
                build_ref(
                    ctx,
                    kind,
                    j,
                    last(|b| b.result.is_some_and(|r| r != BuildResult::Success)),
                    &f,
                )
            }
        }),
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
        p("queueItem", queue_item.clone()),
    ];
    let mut sections = vec![
        abstract_item(
            ctx,
            &j.name,
            &j.display_name,
            &j.description,
            &full_name,
            actions,
        ),
        job_props,
    ];
    match kind {
        JobKind::Pipeline => sections.push(vec![
            p("concurrentBuild", move || Value::Bool(j.concurrent)),
            p("disabled", move || Value::Bool(j.disabled)),
            p("inQueue", in_queue),
            p("queueItem", queue_item),
            p("resumeBlocked", || Value::Bool(false)),
        ]),
        JobKind::Freestyle | JobKind::Matrix => sections.push(vec![
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
        ]),
    }
    Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections,
    }
}

fn user_ref<'a>(ctx: Ctx<'a>, id: &str) -> Value<'a> {
    let name = ctx
        .world
        .user(id)
        .and_then(|u| u.full_name.clone())
        .unwrap_or_else(|| id.to_string());
    let url = format!("{}user/{}", ctx.root, raw_encode(id));
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.User"),
        show_class: false,
        sections: vec![vec![
            p("absoluteUrl", move || s(url)).vis(999),
            p("fullName", move || s(name)).vis(999),
        ]],
    })
}

fn cause<'a>(ctx: Ctx<'a>, c: &'a Cause) -> Value<'a> {
    let (class, props): (&str, Vec<Prop<'a>>) = match c {
        Cause::User { user } => {
            let name = ctx
                .world
                .user(user)
                .and_then(|u| u.full_name.clone())
                .unwrap_or_else(|| user.clone());
            let n2 = name.clone();
            (
                "hudson.model.Cause$UserIdCause",
                vec![
                    p("shortDescription", move || {
                        s(format!("Started by user {name}"))
                    }),
                    p("userId", move || s(user.as_str())),
                    p("userName", move || s(n2)),
                ],
            )
        }
        Cause::Upstream { project, build } => (
            "hudson.model.Cause$UpstreamCause",
            vec![
                p("shortDescription", move || {
                    s(format!(
                        "Started by upstream project \"{project}\" build number {build}"
                    ))
                }),
                p("upstreamBuild", move || Value::Int(*build as i64)),
                p("upstreamProject", move || s(project.as_str())),
                p("upstreamUrl", move || s(item_path(project))),
            ],
        ),
        Cause::Scm => (
            "hudson.triggers.SCMTrigger$SCMTriggerCause",
            vec![p("shortDescription", || s("Started by an SCM change"))],
        ),
        Cause::Timer => (
            "hudson.triggers.TimerTrigger$TimerTriggerCause",
            vec![p("shortDescription", || s("Started by timer"))],
        ),
        Cause::Remote { addr, note } => (
            "hudson.model.Cause$RemoteCause",
            vec![
                p("shortDescription", move || {
                    s(match note {
                        Some(n) => format!("Started by remote host {addr} with note: {n}"),
                        None => format!("Started by remote host {addr}"),
                    })
                }),
                p("addr", move || s(addr.as_str())),
                p("note", move || opt_s(note)),
            ],
        ),
        Cause::BranchIndexing => (
            "jenkins.branch.BranchIndexingCause",
            vec![p("shortDescription", || s("Branch indexing"))],
        ),
    };
    // shortDescription lives in Cause; subclass fields follow it. Cause exports everything
    // at visibility 3, so a build's causes show in full at depth 0 (actions → causes → fields).
    let mut props = props.into_iter();
    let first = props.next().map(|x| x.vis(3));
    let rest: Vec<Prop<'a>> = props.map(|x| x.vis(3)).collect();
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections: vec![first.into_iter().collect(), rest],
    })
}

fn cause_action<'a>(ctx: Ctx<'a>, causes: &'a [Cause]) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.CauseAction"),
        show_class: true,
        sections: vec![vec![p("causes", move || {
            Value::List(causes.iter().map(|c| cause(ctx, c)).collect())
        })
        .vis(2)]],
    })
}

fn param_value<'a>(v: &'a ParamValue) -> Value<'a> {
    let (class, value) = match v.kind {
        ParamKind::Boolean => (
            "hudson.model.BooleanParameterValue",
            Value::Bool(v.value == "true"),
        ),
        ParamKind::Password => ("hudson.model.PasswordParameterValue", Value::Null),
        ParamKind::Text => ("hudson.model.TextParameterValue", s(v.value.as_str())),
        ParamKind::String | ParamKind::Choice => {
            ("hudson.model.StringParameterValue", s(v.value.as_str()))
        }
    };
    parameter_value(class, &v.name, v.kind, value)
}

/// A `ParameterValue` bean: the name at visibility 3, the value at 4 (so `actions` at depth
/// 0 shows only the value, `property` both); a password's value is not exported.
fn parameter_value<'a>(
    class: &'static str,
    name: &'a str,
    kind: ParamKind,
    value: Value<'a>,
) -> Value<'a> {
    let mut props = vec![p("name", move || s(name)).vis(3)];
    if kind != ParamKind::Password {
        props.push(p("value", move || value).vis(4));
    }
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections: vec![props],
    })
}

fn git_build_data<'a>(ctx: Ctx<'a>, job: &'a Job, b: &'a Build) -> Option<Value<'a>> {
    let git = job.git.as_ref()?;
    let sha = b.revision.as_deref()?;
    let branch = format!(
        "refs/remotes/origin/{}",
        git.branch.as_deref().unwrap_or("main")
    );
    let _ = ctx;
    let revision = move |sha: &'a str, branch: String| {
        Value::Bean(Bean {
            class: Cow::Borrowed("hudson.plugins.git.Revision"),
            show_class: false,
            sections: vec![vec![
                p("SHA1", move || s(sha)).vis(999),
                p("branch", move || {
                    Value::List(vec![Value::Bean(Bean {
                        class: Cow::Borrowed("hudson.plugins.git.Branch"),
                        show_class: false,
                        sections: vec![vec![
                            p("SHA1", move || s(sha)).vis(999),
                            p("name", move || s(branch)).vis(999),
                        ]],
                    })])
                })
                .vis(999),
            ]],
        })
    };
    let b2 = branch.clone();
    let b3 = branch.clone();
    let number = b.number;
    Some(Value::Bean(Bean {
        class: Cow::Borrowed("hudson.plugins.git.util.BuildData"),
        show_class: true,
        sections: vec![vec![
            p("buildsByBranchName", move || {
                let entry = Value::Bean(Bean {
                    class: Cow::Borrowed("hudson.plugins.git.util.Build"),
                    show_class: true,
                    sections: vec![vec![
                        p("buildNumber", move || Value::Int(number as i64)).vis(999),
                        p("buildResult", || Value::Null).vis(999),
                        p("marked", {
                            let b = b2.clone();
                            move || revision(sha, b)
                        })
                        .vis(999),
                        p("revision", move || revision(sha, b2)).vis(999),
                    ]],
                });
                Value::Map(vec![(Cow::Owned(branch), entry)])
            })
            .vis(999),
            p("lastBuiltRevision", move || revision(sha, b3)).vis(999),
            p("remoteUrls", move || Value::List(vec![s(git.url.as_str())])).vis(999),
            p("scmName", || s("")).vis(999),
        ]],
    }))
}

fn test_action<'a>(b: &'a Build) -> Option<Value<'a>> {
    let t = b.tests.as_ref()?;
    let fail = t.failures.len() as i64;
    let total = t.passed as i64 + t.skipped as i64 + fail;
    Some(Value::Bean(Bean {
        class: Cow::Borrowed("hudson.tasks.junit.TestResultAction"),
        show_class: true,
        sections: vec![vec![
            p("failCount", move || Value::Int(fail)).vis(2),
            p("skipCount", move || Value::Int(t.skipped.into())).vis(2),
            p("totalCount", move || Value::Int(total)).vis(2),
            p("urlName", || s("testReport")).vis(2),
        ]],
    }))
}

fn change_set<'a>(ctx: Ctx<'a>, job: &'a Job, b: &'a Build, show_class: bool) -> Value<'a> {
    if job.git.is_none() && b.changes.is_empty() {
        return Value::Bean(Bean {
            class: Cow::Borrowed("hudson.scm.EmptyChangeLogSet"),
            show_class,
            sections: vec![vec![
                p("items", || Value::List(vec![])).vis(999),
                p("kind", || Value::Null).vis(999),
            ]],
        });
    }
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.plugins.git.GitChangeSetList"),
        show_class: true,
        sections: vec![vec![
            p("items", move || {
                Value::List(
                    b.changes
                        .iter()
                        .map(|c| {
                            let author = c.author.clone();
                            Value::Bean(Bean {
                                class: Cow::Borrowed("hudson.plugins.git.GitChangeSet"),
                                show_class: true,
                                sections: vec![
                                    vec![
                                        p("affectedPaths", move || {
                                            Value::List(c.paths.iter().map(|x| s(x.file.as_str())).collect())
                                        })
                                        .vis(999),
                                        p("commitId", move || s(c.commit.as_str())).vis(999),
                                        p("timestamp", move || Value::Int(c.timestamp)).vis(999),
                                    ],
                                    vec![
                                        p("author", move || user_ref(ctx, &author)).vis(999),
                                        p("authorEmail", move || opt_s(&c.email)).vis(999),
                                        p("comment", move || s(format!("{}\n", c.message))).vis(999),
                                        p("date", move || s(git_date(c.timestamp))).vis(999),
                                        p("id", move || s(c.commit.as_str())).vis(999),
                                        p("msg", move || s(c.message.as_str())).vis(999),
                                        p("paths", move || {
                                            Value::List(
                                                c.paths
                                                    .iter()
                                                    .map(|x| {
                                                        Value::Bean(Bean {
                                                            class: Cow::Borrowed("hudson.plugins.git.GitChangeSet$Path"),
                                                            show_class: false,
                                                            sections: vec![vec![
                                                                p("editType", move || s(x.edit.as_str())).vis(999),
                                                                p("file", move || s(x.file.as_str())).vis(999),
                                                            ]],
                                                        })
                                                    })
                                                    .collect(),
                                            )
                                        })
                                        .vis(999),
                                    ],
                                ],
                            })
                        })
                        .collect(),
                )
            })
            .vis(999),
            p("kind", || s("git")).vis(999),
        ]],
    })
}

/// `yyyy-MM-dd HH:mm:ss +0000` as git's changelog writes dates.
pub fn git_date(ms: i64) -> String {
    let (y, mo, d, h, mi, sec) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02} +0000")
}

/// Split epoch ms into UTC calendar fields.
pub fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
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
    let url = format!("{}{}{}/", ctx.root, item_path(&job_full_name), b.number);
    let display = b
        .display_name
        .clone()
        .unwrap_or_else(|| format!("#{}", b.number));
    let full_display = format!("{} {}", full_display_name(ctx, &job_full_name), display);
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
    // The order is the one the recordings show: actions attached while the build ran, in
    // that order, then the transient ones.
    match kind {
        JobKind::Pipeline => {
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
    let building = b.building();
    let in_progress = building;
    let artifacts = move || {
        let many = b.artifacts.len() > 20;
        Value::List(
            b.artifacts
                .iter()
                .map(|a| {
                    let file = a.path.rsplit('/').next().unwrap_or(&a.path).to_string();
                    Value::Bean(Bean {
                        class: Cow::Borrowed("hudson.model.Run$Artifact"),
                        show_class: false,
                        sections: vec![vec![
                            p("displayPath", move || {
                                if many {
                                    Value::Null
                                } else {
                                    s(file.clone())
                                }
                            })
                            .vis(3),
                            p("fileName", {
                                let file = a.path.rsplit('/').next().unwrap_or(&a.path);
                                move || s(file)
                            })
                            .vis(3),
                            p("relativePath", move || s(a.path.as_str())).vis(3),
                        ]],
                    })
                })
                .collect(),
        )
    };
    let url2 = url.clone();
    let run = vec![
        p("actions", move || Value::List(actions)),
        p("artifacts", artifacts),
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
        p("executor", move || {
            if !building {
                Value::Null
            } else if kind == JobKind::Pipeline {
                Value::Bean(Bean {
                    class: Cow::Borrowed("hudson.model.OneOffExecutor"),
                    show_class: true,
                    sections: vec![],
                })
            } else {
                Value::Bean(Bean {
                    class: Cow::Borrowed("hudson.model.Executor"),
                    show_class: false,
                    sections: vec![],
                })
            }
        }),
        p("fullDisplayName", move || s(full_display)),
        p("id", move || s(b.number.to_string())),
        p("keepLog", move || Value::Bool(b.keep_log)),
        p("number", move || Value::Int(b.number as i64)).vis(2),
        p("queueId", move || Value::Int(b.queue_id as i64)),
        p("result", move || {
            b.result.map_or(Value::Null, |r| s(r.as_str()))
        }),
        p("timestamp", move || Value::Int(b.timestamp)),
        p("url", move || s(url2)).vis(2),
    ];
    let culprits = move || Value::List(b.culprits.iter().map(|c| user_ref(ctx, c)).collect());
    let sections = match kind {
        JobKind::Pipeline => {
            let prev = job.builds.iter().rev().find(|x| x.number < b.number);
            let next = job.builds.iter().find(|x| x.number > b.number);
            let jf = job_full_name.clone();
            let link = move |x: Option<&Build>| match x {
                Some(x) => {
                    let url = format!("{}{}{}/", ctx.root, item_path(&jf), x.number);
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
                None => Value::Null,
            };
            let link2 = link.clone();
            let mut run = run;
            // WorkflowRun re-exports inProgress, so it moves to the subclass section.
            vec![
                std::mem::take(&mut run),
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
                    p("nextBuild", move || link(next)),
                    p("previousBuild", move || link2(prev)),
                ],
            ]
        }
        JobKind::Freestyle | JobKind::Matrix => {
            let mut run = run;
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

fn queue_class(state: QueueState) -> &'static str {
    match state {
        QueueState::Waiting => "hudson.model.Queue$WaitingItem",
        QueueState::Blocked => "hudson.model.Queue$BlockedItem",
        QueueState::Buildable => "hudson.model.Queue$BuildableItem",
    }
}

/// `?params` of a queue item: each entry prefixed with a newline; passwords masked.
fn queue_params(params: &[ParamValue]) -> String {
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

fn task<'a>(ctx: Ctx<'a>, full_name: &str) -> Value<'a> {
    match ctx.world.item(full_name) {
        Some(i) => Value::Bean(item(ctx, i, full_name.to_string(), true)),
        None => Value::Null,
    }
}

/// What every queue item exports (`Queue.Item`), whatever its state.
struct QueueFacts<'a> {
    id: u64,
    job: &'a str,
    causes: &'a [Cause],
    params: &'a [ParamValue],
    blocked: bool,
    buildable: bool,
    stuck: bool,
    since: i64,
    why: Option<String>,
}

fn queue_common<'a>(ctx: Ctx<'a>, q: QueueFacts<'a>) -> Vec<Prop<'a>> {
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

/// A queue item that has left the queue.
pub fn left_item<'a>(ctx: Ctx<'a>, l: &'a LeftItem) -> Bean<'a> {
    let job = &l.job;
    let kind = ctx.world.item(job).and_then(|i| i.as_job()).map(|(k, _)| k);
    let number = l.build;
    let jf = job.clone();
    Bean {
        class: Cow::Borrowed("hudson.model.Queue$LeftItem"),
        show_class: true,
        sections: vec![
            queue_common(
                ctx,
                QueueFacts {
                    id: l.id,
                    job,
                    causes: &l.causes,
                    params: &[],
                    blocked: false,
                    buildable: false,
                    stuck: false,
                    since: l.in_queue_since,
                    why: None,
                },
            ),
            vec![
                p("cancelled", move || Value::Bool(l.cancelled)).vis(999),
                p("executable", move || match (number, kind) {
                    (Some(n), Some(kind)) => {
                        let url = format!("{}{}{}/", ctx.root, item_path(&jf), n);
                        Value::Bean(Bean {
                            class: Cow::Borrowed(build_class(kind)),
                            show_class: true,
                            sections: vec![vec![
                                p("number", move || Value::Int(n as i64)).vis(2),
                                p("url", move || s(url)).vis(2),
                            ]],
                        })
                    }
                    _ => Value::Null,
                })
                .vis(999),
            ],
        ],
    }
}

/// The queue (`hudson.model.Queue`).
pub fn queue(ctx: Ctx<'_>) -> Bean<'_> {
    let w = ctx.world;
    Bean {
        class: Cow::Borrowed("hudson.model.Queue"),
        show_class: true,
        sections: vec![vec![
            p("discoverableItems", || Value::List(vec![])).inline(),
            p("items", move || {
                Value::List(
                    w.queue
                        .iter()
                        .map(|q| Value::Bean(queue_item(ctx, q)))
                        .collect(),
                )
            })
            .inline(),
        ]],
    }
}

/// What occupies a busy executor.
enum Occupant {
    /// A pipeline's `node {}` block (`ExecutorStepExecution.PlaceholderTask`).
    Placeholder,
    /// A build that needs a whole executor (freestyle, matrix).
    Build {
        /// Build class.
        class: &'static str,
        /// Build number.
        number: u64,
        /// Absolute build URL.
        url: String,
    },
}

/// Executors of one node. Jenkins replaces an executor when its build ends and appends the
/// new one, so busy executors (which took the lowest numbers) sort after the idle ones: the
/// recorded built-in node lists executors 1, 2, then the busy 0.
fn executors<'a>(total: u32, occupants: Vec<Occupant>) -> Value<'a> {
    let busy = (occupants.len() as u32).min(total);
    let idle = (busy..total).map(|n| (n, None));
    let taken = occupants
        .into_iter()
        .take(total as usize)
        .zip(0..)
        .map(|(o, n)| (n, Some(o)));
    Value::List(
        idle.chain(taken)
            .map(|(n, o)| executor(n as i64, o))
            .collect(),
    )
}

fn executor<'a>(number: i64, occupant: Option<Occupant>) -> Value<'a> {
    let idle = occupant.is_none();
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.Executor"),
        show_class: false,
        sections: vec![vec![
            p("currentExecutable", move || {
                match occupant {
                None => Value::Null,
                Some(Occupant::Placeholder) => Value::Bean(Bean {
                    class: Cow::Borrowed(
                        "org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$PlaceholderTask$PlaceholderExecutable",
                    ),
                    show_class: true,
                    sections: vec![],
                }),
                Some(Occupant::Build { class, number, url }) => Value::Bean(Bean {
                    class: Cow::Borrowed(class),
                    show_class: true,
                    sections: vec![vec![
                        p("number", move || Value::Int(number as i64)).vis(2),
                        p("url", move || s(url)).vis(2),
                    ]],
                }),
            }
            }),
            p("idle", move || Value::Bool(idle)),
            p("likelyStuck", || Value::Bool(false)),
            p("number", move || Value::Int(number)),
            p("progress", || Value::Int(-1)),
        ]],
    })
}

const LOAD_SERIES: [&str; 8] = [
    "availableExecutors",
    "busyExecutors",
    "connectingExecutors",
    "definedExecutors",
    "idleExecutors",
    "onlineExecutors",
    "queueLength",
    "totalExecutors",
];

/// `LoadStatistics`: its time series show as `{}` (their own fields are one level deeper).
fn load_statistics<'a>(class: &'static str, show_class: bool, overall: bool) -> Value<'a> {
    let series = || {
        Value::Bean(Bean {
            class: Cow::Borrowed("hudson.model.MultiStageTimeSeries"),
            show_class: false,
            sections: vec![],
        })
    };
    let mut sections = vec![LOAD_SERIES.iter().map(|n| p(n, series)).collect::<Vec<_>>()];
    if overall {
        sections.push(vec![p("totalQueueLength", series)]);
    }
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections,
    })
}

/// A label (`LabelAtom`) with the executors of the nodes carrying it.
fn label_atom<'a>(
    ctx: Ctx<'a>,
    name: String,
    busy: u32,
    total: u32,
    node: Option<String>,
) -> Value<'a> {
    let tied = name.clone();
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.labels.LabelAtom"),
        show_class: false,
        sections: vec![
            vec![
                p("actions", || Value::List(vec![])),
                p("busyExecutors", move || Value::Int(busy.into())),
                p("clouds", || Value::List(vec![])),
                p("description", || Value::Null),
                p("idleExecutors", move || {
                    Value::Int(total.saturating_sub(busy).into())
                }),
                p("loadStatistics", || {
                    load_statistics("hudson.model.Label$1", true, false)
                }),
                p("name", move || s(name)).vis(2),
                p("nodes", move || {
                    let (class, node_name) = match node {
                        None => (class::HUDSON, String::new()),
                        Some(n) => ("hudson.slaves.DumbSlave", n),
                    };
                    Value::List(vec![Value::Bean(Bean {
                        class: Cow::Borrowed(class),
                        show_class: true,
                        sections: vec![vec![p("nodeName", move || s(node_name)).vis(999)]],
                    })])
                }),
                p("offline", || Value::Bool(false)),
                p("tiedJobs", move || {
                    Value::List(
                        ctx.world
                            .jobs()
                            .into_iter()
                            .filter(|(_, _, j)| j.label.as_deref() == Some(tied.as_str()))
                            .filter_map(|(full, _, _)| {
                                let i = ctx.world.item(&full)?;
                                Some(Value::Bean(item(ctx, i, full, true)))
                            })
                            .collect(),
                    )
                }),
                p("totalExecutors", move || Value::Int(total.into())),
            ],
            vec![p("propertiesList", || Value::List(vec![]))],
        ],
    })
}

/// The node monitors' last readings, as the recorded built-in node reported them.
fn monitor_data<'a>(now: i64, online: bool) -> Value<'a> {
    let bean = |class: &'static str, sections: Vec<Vec<Prop<'a>>>| {
        Value::Bean(Bean {
            class: Cow::Borrowed(class),
            show_class: true,
            sections,
        })
    };
    let disk = |path: &'static str, stamp: i64| {
        bean(
            "hudson.node_monitors.DiskSpaceMonitorDescriptor$DiskSpace",
            vec![
                vec![p("timestamp", move || Value::Int(stamp))],
                vec![
                    p("path", move || s(path)),
                    p("size", || Value::Int(83_347_599_360)),
                    p("threshold", || Value::Int(1_073_741_824)),
                    p("totalSize", || Value::Int(270_553_174_016)),
                    p("warningThreshold", || Value::Int(2_147_483_648)),
                ],
            ],
        )
    };
    let entries: Vec<(&str, Value<'a>)> = if online {
        vec![
            (
                "hudson.node_monitors.SwapSpaceMonitor",
                bean(
                    "hudson.node_monitors.SwapSpaceMonitor$MemoryUsage2",
                    vec![vec![
                        p("availablePhysicalMemory", || Value::Int(24_154_845_184)),
                        p("availableSwapSpace", || Value::Int(0)),
                        p("totalPhysicalMemory", || Value::Int(25_276_502_016)),
                        p("totalSwapSpace", || Value::Int(0)),
                    ]],
                ),
            ),
            (
                "hudson.node_monitors.TemporarySpaceMonitor",
                disk("/opt/jenkins/tomcat-base/temp", now - 3),
            ),
            (
                "hudson.node_monitors.DiskSpaceMonitor",
                disk("/var/jenkins_home/main", now - 5),
            ),
            (
                "hudson.node_monitors.ArchitectureMonitor",
                s("Linux (amd64)"),
            ),
            (
                "hudson.node_monitors.ResponseTimeMonitor",
                bean(
                    "hudson.node_monitors.ResponseTimeMonitor$Data",
                    vec![
                        vec![p("timestamp", move || Value::Int(now))],
                        vec![p("average", || Value::Int(0))],
                    ],
                ),
            ),
            (
                "hudson.node_monitors.ClockMonitor",
                bean(
                    "hudson.util.ClockDifference",
                    vec![vec![p("diff", || Value::Int(0))]],
                ),
            ),
        ]
    } else {
        [
            "hudson.node_monitors.SwapSpaceMonitor",
            "hudson.node_monitors.TemporarySpaceMonitor",
            "hudson.node_monitors.DiskSpaceMonitor",
            "hudson.node_monitors.ArchitectureMonitor",
            "hudson.node_monitors.ResponseTimeMonitor",
            "hudson.node_monitors.ClockMonitor",
        ]
        .into_iter()
        .map(|k| (k, Value::Null))
        .collect()
    };
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect(),
    )
}

/// One computer (the built-in node or an agent), fully described by its caller.
struct ComputerSpec<'a> {
    class: &'static str,
    display: String,
    description: Option<String>,
    labels: Vec<Value<'a>>,
    total: u32,
    occupants: Vec<Occupant>,
    one_off: Vec<Value<'a>>,
    offline: bool,
    reason: Option<String>,
    temporarily: bool,
    now: i64,
}

fn computer(c: ComputerSpec<'_>) -> Value<'_> {
    let ComputerSpec {
        class,
        display,
        description,
        labels,
        total,
        occupants,
        one_off,
        offline,
        reason,
        temporarily,
        now,
    } = c;
    let idle = occupants.is_empty() && one_off.is_empty();
    let reason2 = reason.clone();
    let icon = if offline {
        "symbol-computer-offline"
    } else {
        "symbol-computer"
    };
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections: vec![vec![
            p("actions", || Value::List(vec![])),
            p("assignedLabels", move || Value::List(labels)),
            p("description", move || description.map_or(Value::Null, s)),
            p("displayName", move || s(display)),
            p("executors", move || executors(total, occupants)),
            p("icon", move || s(icon)),
            p("iconClassName", move || s(icon)),
            p("idle", move || Value::Bool(idle)),
            p("jnlpAgent", move || {
                Value::Bool(class != "hudson.model.Hudson$MasterComputer")
            }),
            p("launchSupported", || Value::Bool(true)),
            p("loadStatistics", || {
                load_statistics("hudson.model.Label$1", true, false)
            }),
            p("manualLaunchAllowed", || Value::Bool(true)),
            p("monitorData", move || monitor_data(now, !offline)).inline(),
            p("numExecutors", move || Value::Int(total.into())),
            p("offline", move || Value::Bool(offline)),
            p("offlineCause", move || match reason2 {
                Some(r) if offline => Value::Bean(Bean {
                    class: Cow::Borrowed(if temporarily {
                        "hudson.slaves.OfflineCause$UserCause"
                    } else {
                        "hudson.slaves.OfflineCause$ChannelTermination"
                    }),
                    show_class: true,
                    sections: vec![vec![p("description", move || s(r))]],
                }),
                _ => Value::Null,
            }),
            p("offlineCauseReason", move || {
                s(if offline {
                    reason.unwrap_or_default()
                } else {
                    String::new()
                })
            }),
            p("oneOffExecutors", move || Value::List(one_off)),
            p("temporarilyOffline", move || Value::Bool(temporarily)),
        ]],
    })
}

/// Builds running on the built-in node and what each occupies: a pipeline holds an
/// executor only inside its `node {}` block (not while it waits for input), and every
/// running pipeline also holds a one-off (flyweight) executor.
fn builtin_work(ctx: Ctx<'_>) -> (Vec<Occupant>, Vec<(String, u64)>) {
    let mut occupants = Vec::new();
    let mut one_off = Vec::new();
    for (full, kind, j) in ctx.world.jobs() {
        for b in j
            .builds
            .iter()
            .filter(|b| b.building() && b.built_on.is_empty())
        {
            match kind {
                JobKind::Pipeline => {
                    if b.input.is_none() {
                        occupants.push(Occupant::Placeholder);
                    }
                    one_off.push((full.clone(), b.number));
                }
                JobKind::Freestyle | JobKind::Matrix => occupants.push(Occupant::Build {
                    class: build_class(kind),
                    number: b.number,
                    url: format!("{}{}{}/", ctx.root, item_path(&full), b.number),
                }),
            }
        }
    }
    (occupants, one_off)
}

/// Busy executors of the built-in node.
fn builtin_busy(ctx: Ctx<'_>) -> u32 {
    (builtin_work(ctx).0.len() as u32).min(ctx.world.controller.num_executors)
}

/// The built-in node's label, `built-in`.
fn builtin_label(ctx: Ctx<'_>) -> Value<'_> {
    let total = ctx.world.controller.num_executors;
    label_atom(ctx, "built-in".into(), builtin_busy(ctx), total, None)
}

/// The computer set (`/computer/api/json`).
pub fn computers(ctx: Ctx<'_>) -> Bean<'_> {
    let w = ctx.world;
    let builtin_total = w.controller.num_executors;
    let builtin_busy = builtin_busy(ctx);
    let online_agents = || w.agents.iter().filter(|a| !a.offline);
    let busy: u32 = builtin_busy
        + online_agents()
            .map(|a| a.busy.min(a.executors))
            .sum::<u32>();
    let total: u32 = builtin_total + online_agents().map(|a| a.executors).sum::<u32>();
    Bean {
        class: Cow::Borrowed("hudson.model.ComputerSet"),
        show_class: true,
        sections: vec![vec![
            p("busyExecutors", move || Value::Int(busy.into())),
            p("computer", move || {
                let (occupants, one_off) = builtin_work(ctx);
                let one_off = one_off
                    .into_iter()
                    .map(|(full, n)| {
                        let url = format!("{}{}{}/", ctx.root, item_path(&full), n);
                        executor(
                            -1,
                            Some(Occupant::Build {
                                class: class::WORKFLOW_RUN,
                                number: n,
                                url,
                            }),
                        )
                    })
                    .collect();
                let mut list = vec![computer(ComputerSpec {
                    class: "hudson.model.Hudson$MasterComputer",
                    display: "Built-In Node".into(),
                    description: Some("the Jenkins controller's built-in node".into()),
                    labels: vec![builtin_label(ctx)],
                    total: builtin_total,
                    occupants,
                    one_off,
                    offline: false,
                    reason: None,
                    temporarily: false,
                    now: ctx.now,
                })];
                let mut agents: Vec<&Agent> = w.agents.iter().collect();
                agents.sort_by(|a, b| a.name.cmp(&b.name));
                list.extend(agents.into_iter().map(|a| {
                    let busy = if a.offline {
                        0
                    } else {
                        a.busy.min(a.executors)
                    };
                    let labels = std::iter::once(a.name.clone())
                        .chain(a.labels.iter().cloned())
                        .map(|l| label_atom(ctx, l, busy, a.executors, Some(a.name.clone())))
                        .collect();
                    computer(ComputerSpec {
                        class: "hudson.slaves.SlaveComputer",
                        display: a.name.clone(),
                        description: None,
                        labels,
                        total: a.executors,
                        occupants: (0..busy).map(|_| Occupant::Placeholder).collect(),
                        one_off: vec![],
                        offline: a.offline,
                        reason: a.offline_reason.clone(),
                        temporarily: a.temporarily_offline,
                        now: ctx.now,
                    })
                }));
                Value::List(list)
            })
            .inline(),
            p("displayName", || s("Nodes")),
            p("totalExecutors", move || Value::Int(total.into())),
        ]],
    }
}

/// `/whoAmI/api/json`.
pub fn who_am_i(name: Option<&str>) -> Bean<'static> {
    let anonymous = name.is_none();
    let name = name.unwrap_or("anonymous").to_string();
    Bean {
        class: Cow::Borrowed("hudson.security.WhoAmI"),
        show_class: true,
        sections: vec![vec![
            p("anonymous", move || Value::Bool(anonymous)),
            p("authenticated", move || Value::Bool(!anonymous)),
            p("authorities", move || {
                Value::List(if anonymous {
                    vec![s("anonymous")]
                } else {
                    vec![s("authenticated")]
                })
            }),
            p("name", move || s(name)),
        ]],
    }
}

/// `/crumbIssuer/api/json`.
pub fn crumb_issuer(crumb: String) -> Bean<'static> {
    Bean {
        class: Cow::Borrowed("hudson.security.csrf.DefaultCrumbIssuer"),
        show_class: true,
        sections: vec![vec![
            p("crumb", move || s(crumb)),
            p("crumbRequestField", || s("Jenkins-Crumb")),
        ]],
    }
}

/// `/user/ID/api/json`.
pub fn user<'a>(ctx: Ctx<'a>, id: &'a str) -> Bean<'a> {
    let name = ctx
        .world
        .user(id)
        .and_then(|u| u.full_name.clone())
        .unwrap_or_else(|| id.to_string());
    let url = format!("{}user/{}", ctx.root, raw_encode(id));
    Bean {
        class: Cow::Borrowed("hudson.model.User"),
        show_class: true,
        sections: vec![vec![
            p("absoluteUrl", move || s(url)).vis(999),
            p("description", || Value::Null),
            p("fullName", move || s(name)).vis(999),
            p("id", move || s(id)),
            p("property", || Value::List(vec![])).inline(),
        ]],
    }
}

/// `/job/X/N/testReport/api/json` (junit `TestResult`).
pub fn test_report<'a>(b: &'a Build) -> Option<Bean<'a>> {
    let t = b.tests.as_ref()?;
    let number = b.number;
    Some(Bean {
        class: Cow::Borrowed("hudson.tasks.junit.TestResult"),
        show_class: true,
        sections: vec![vec![
            p("duration", move || Value::Float(t.duration)),
            p("empty", move || {
                Value::Bool(t.passed == 0 && t.failures.is_empty() && t.skipped == 0)
            }),
            p("failCount", move || Value::Int(t.failures.len() as i64)),
            p("passCount", move || Value::Int(t.passed.into())),
            p("skipCount", move || Value::Int(t.skipped.into())),
            p("suites", move || {
                let mut by_class: Vec<(&str, Vec<&crate::world::TestFailure>)> = Vec::new();
                for f in &t.failures {
                    match by_class.iter_mut().find(|(c, _)| *c == f.class_name) {
                        Some((_, v)) => v.push(f),
                        None => by_class.push((&f.class_name, vec![f])),
                    }
                }
                Value::List(
                    by_class
                        .into_iter()
                        .map(|(class_name, cases)| {
                            Value::Bean(Bean {
                                class: Cow::Borrowed("hudson.tasks.junit.SuiteResult"),
                                show_class: false,
                                sections: vec![vec![
                                    p("cases", move || {
                                        Value::List(
                                            cases
                                                .into_iter()
                                                .map(|c| {
                                                    let age = (number + 1)
                                                        .saturating_sub(c.failed_since.max(1));
                                                    Value::Bean(Bean {
                                                        class: Cow::Borrowed(
                                                            "hudson.tasks.junit.CaseResult",
                                                        ),
                                                        show_class: false,
                                                        sections: vec![vec![
                                                            p("age", move || {
                                                                Value::Int(age as i64)
                                                            }),
                                                            p("className", move || {
                                                                s(c.class_name.as_str())
                                                            }),
                                                            p("duration", move || {
                                                                Value::Float(c.duration)
                                                            }),
                                                            p("errorDetails", move || {
                                                                opt_s(&c.error)
                                                            }),
                                                            p("errorStackTrace", move || {
                                                                opt_s(&c.error)
                                                            }),
                                                            p("failedSince", move || {
                                                                Value::Int(c.failed_since as i64)
                                                            }),
                                                            p("name", move || s(c.name.as_str())),
                                                            p("skipped", || Value::Bool(false)),
                                                            p("skippedMessage", || Value::Null),
                                                            p("status", move || {
                                                                s(if age > 1 {
                                                                    "FAILED"
                                                                } else {
                                                                    "REGRESSION"
                                                                })
                                                            }),
                                                            p("stderr", || Value::Null),
                                                            p("stdout", || Value::Null),
                                                        ]],
                                                    })
                                                })
                                                .collect(),
                                        )
                                    })
                                    .inline(),
                                    p("duration", || Value::Float(0.0)),
                                    p("enclosingBlockNames", || Value::List(vec![])),
                                    p("enclosingBlocks", || Value::List(vec![])),
                                    p("id", || Value::Null),
                                    p("name", move || s(class_name)),
                                    p("nodeId", || Value::Null),
                                    p("properties", || Value::Map(vec![])),
                                    p("stderr", || Value::Null),
                                    p("stdout", || Value::Null),
                                    p("timestamp", || Value::Null),
                                ]],
                            })
                        })
                        .collect(),
                )
            })
            .inline(),
            p("testActions", || Value::List(vec![])),
        ]],
    })
}
