//! Users: references in causes and culprits, `/user/ID`, `whoAmI` and the crumb issuer.

use std::borrow::Cow;

use super::ctx::{raw_encode, Ctx};
use super::props::{p, s};
use crate::export::{Bean, Value};

pub(super) fn user_ref<'a>(ctx: Ctx<'a>, id: &str) -> Value<'a> {
    let (name, url) = (ctx.world.user_name(id), user_url(ctx, id));
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.User"),
        show_class: false,
        sections: vec![vec![
            p("absoluteUrl", move || s(url)).vis(999),
            p("fullName", move || s(name)).vis(999),
        ]],
    })
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
    let (name, url) = (ctx.world.user_name(id), user_url(ctx, id));
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

fn user_url(ctx: Ctx<'_>, id: &str) -> String {
    format!("{}user/{}", ctx.root, raw_encode(id))
}
