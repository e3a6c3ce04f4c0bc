//! The queue and the items that left it.

use std::borrow::Cow;

use super::builds::build_class;
use super::ctx::{item_path, Ctx};
use super::items::{queue_common, queue_item, QueueFacts};
use super::props::{p, s};
use crate::export::{Bean, Value};
use crate::world::LeftItem;

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
