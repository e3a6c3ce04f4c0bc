//! Why a build started: the causes of builds and queue items.

use std::borrow::Cow;

use super::ctx::{item_path, Ctx};
use super::props::{opt_s, p, s};
use crate::export::{Bean, Prop, Value};
use crate::world::Cause;

pub(super) fn cause<'a>(ctx: Ctx<'a>, c: &'a Cause) -> Value<'a> {
    let (class, props): (&str, Vec<Prop<'a>>) = match c {
        Cause::User { user } => {
            let name = ctx.world.user_name(user);
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

pub(super) fn cause_action<'a>(ctx: Ctx<'a>, causes: &'a [Cause]) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.CauseAction"),
        show_class: true,
        sections: vec![vec![p("causes", move || {
            Value::List(causes.iter().map(|c| cause(ctx, c)).collect())
        })
        .vis(2)]],
    })
}
