//! Shorthands for writing beans: string values and lazily computed properties.

use std::borrow::Cow;

use crate::export::{Bean, Prop, Value};

pub(super) fn s<'a>(v: impl Into<Cow<'a, str>>) -> Value<'a> {
    Value::Str(v.into())
}

pub(super) fn opt_s<'a>(v: &'a Option<String>) -> Value<'a> {
    match v {
        Some(v) => Value::Str(Cow::Borrowed(v)),
        None => Value::Null,
    }
}

pub(super) fn p<'a>(name: &'static str, value: impl FnOnce() -> Value<'a> + 'a) -> Prop<'a> {
    Prop::new(name, value)
}

pub(super) fn opaque_list<'a>(classes: &[Option<&'static str>]) -> Vec<Value<'a>> {
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

/// A bean of one section of properties, as most nested beans are.
pub(super) fn bean<'a>(class: &'static str, show_class: bool, props: Vec<Prop<'a>>) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections: vec![props],
    })
}
