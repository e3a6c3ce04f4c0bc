//! Parameter definitions of jobs and parameter values of builds.

use std::borrow::Cow;

use super::props::{opt_s, p, s};
use crate::export::{Bean, Value};
use crate::world::{Job, ParamDef, ParamKind, ParamValue};

pub(super) fn param_defs<'a>(defs: &'a [ParamDef]) -> Value<'a> {
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

pub(super) fn params_property<'a>(job: &'a Job) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.ParametersDefinitionProperty"),
        show_class: true,
        sections: vec![vec![p("parameterDefinitions", move || {
            param_defs(&job.parameters)
        })
        .vis(2)]],
    })
}

pub(super) fn param_value<'a>(v: &'a ParamValue) -> Value<'a> {
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
pub(super) fn parameter_value<'a>(
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
