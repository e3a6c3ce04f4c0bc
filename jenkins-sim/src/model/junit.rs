//! Test results (junit): the action on a build and `/testReport`.

use std::borrow::Cow;

use super::props::{opt_s, p, s};
use crate::export::{Bean, Value};
use crate::world::{Build, TestFailure};

pub(super) fn test_action<'a>(b: &'a Build) -> Option<Value<'a>> {
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
                // One suite per test class, in the order the classes first fail.
                let mut by_class: Vec<(&str, Vec<&TestFailure>)> = Vec::new();
                for f in &t.failures {
                    match by_class.iter_mut().find(|(c, _)| *c == f.class_name) {
                        Some((_, v)) => v.push(f),
                        None => by_class.push((&f.class_name, vec![f])),
                    }
                }
                Value::List(
                    by_class
                        .into_iter()
                        .map(|(class_name, cases)| suite(class_name, cases, number))
                        .collect(),
                )
            })
            .inline(),
            p("testActions", || Value::List(vec![])),
        ]],
    })
}

/// A `SuiteResult`: the cases of one test class.
fn suite<'a>(class_name: &'a str, cases: Vec<&'a TestFailure>, number: u64) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.tasks.junit.SuiteResult"),
        show_class: false,
        sections: vec![vec![
            p("cases", move || {
                Value::List(cases.into_iter().map(|c| failed_case(c, number)).collect())
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
}

/// A failed `CaseResult` of build `number`: a `REGRESSION` in the build it started failing
/// in, `FAILED` after.
fn failed_case(c: &TestFailure, number: u64) -> Value<'_> {
    let age = (number + 1).saturating_sub(c.failed_since.max(1));
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.tasks.junit.CaseResult"),
        show_class: false,
        sections: vec![vec![
            p("age", move || Value::Int(age as i64)),
            p("className", move || s(c.class_name.as_str())),
            p("duration", move || Value::Float(c.duration)),
            p("errorDetails", move || opt_s(&c.error)),
            p("errorStackTrace", move || opt_s(&c.error)),
            p("failedSince", move || Value::Int(c.failed_since as i64)),
            p("name", move || s(c.name.as_str())),
            p("skipped", || Value::Bool(false)),
            p("skippedMessage", || Value::Null),
            p("status", move || {
                s(if age > 1 { "FAILED" } else { "REGRESSION" })
            }),
            p("stderr", || Value::Null),
            p("stdout", || Value::Null),
        ]],
    })
}
