//! The root object (`hudson.model.Hudson`).

use std::borrow::Cow;

use super::computers::{builtin_label, load_statistics};
use super::ctx::{class, Ctx};
use super::items::{children, view};
use super::props::{opt_s, p, s};
use crate::export::{Bean, Value};

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
