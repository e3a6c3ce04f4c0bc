//! What a build checked out and what changed: git `BuildData` and change sets.

use std::borrow::Cow;

use super::ctx::Ctx;
use super::props::{bean, opt_s, p, s};
use super::users::user_ref;
use crate::export::{Bean, Value};
use crate::world::{Build, Job};

pub(super) fn git_build_data<'a>(ctx: Ctx<'a>, job: &'a Job, b: &'a Build) -> Option<Value<'a>> {
    let git = job.git.as_ref()?;
    let sha = b.revision.as_deref()?;
    let branch = format!(
        "refs/remotes/origin/{}",
        git.branch.as_deref().unwrap_or("main")
    );
    let _ = ctx;
    let revision = move |sha: &'a str, branch: String| {
        bean(
            "hudson.plugins.git.Revision",
            false,
            vec![
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
            ],
        )
    };
    let b2 = branch.clone();
    let b3 = branch.clone();
    let number = b.number;
    Some(bean(
        "hudson.plugins.git.util.BuildData",
        true,
        vec![
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
        ],
    ))
}

pub(super) fn change_set<'a>(
    ctx: Ctx<'a>,
    job: &'a Job,
    b: &'a Build,
    show_class: bool,
) -> Value<'a> {
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
    bean(
        "hudson.plugins.git.GitChangeSetList",
        true,
        vec![
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
        ],
    )
}

/// `yyyy-MM-dd HH:mm:ss +0000` as git's changelog writes dates.
pub fn git_date(ms: i64) -> String {
    let (y, mo, d, h, mi, sec) = crate::clock::civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02} +0000")
}
