//! Test results (junit): the action on a build and `/testReport`.

use std::borrow::Cow;

use super::props::{bean, opt_s, p, s};
use crate::export::{Bean, Value};
use crate::world::{Build, TestFailure, TestPass};

pub(super) fn test_action<'a>(b: &'a Build) -> Option<Value<'a>> {
    let t = b.tests.as_ref()?;
    let fail = t.failures.len() as i64;
    let total = t.passed as i64 + t.skipped as i64 + fail;
    Some(bean(
        "hudson.tasks.junit.TestResultAction",
        true,
        vec![
            p("failCount", move || Value::Int(fail)).vis(2),
            p("skipCount", move || Value::Int(t.skipped.into())).vis(2),
            p("totalCount", move || Value::Int(total)).vis(2),
            p("urlName", || s("testReport")).vis(2),
        ],
    ))
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
                // One suite per test class, in the order the classes first come: failed
                // cases, then the passed ones the report names.
                let mut by_class: Vec<(&str, Vec<Case>)> = Vec::new();
                let cases = t
                    .failures
                    .iter()
                    .map(|f| (f.class_name.as_str(), Case::Failed(f)));
                let passed = t
                    .passing
                    .iter()
                    .map(|c| (c.class_name.as_str(), Case::Passed(c)));
                for (class, case) in cases.chain(passed) {
                    match by_class.iter_mut().find(|(c, _)| *c == class) {
                        Some((_, v)) => v.push(case),
                        None => by_class.push((class, vec![case])),
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

/// A case of a report: failed, or passed and named.
enum Case<'a> {
    Failed(&'a TestFailure),
    Passed(&'a TestPass),
}

/// A `SuiteResult`: the cases of one test class.
fn suite<'a>(class_name: &'a str, cases: Vec<Case<'a>>, number: u64) -> Value<'a> {
    bean(
        "hudson.tasks.junit.SuiteResult",
        false,
        vec![
            p("cases", move || {
                Value::List(
                    cases
                        .into_iter()
                        .map(|c| match c {
                            Case::Failed(f) => failed_case(f, number),
                            Case::Passed(p) => passed_case(p),
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
        ],
    )
}

/// A failed `CaseResult` of build `number`: a `REGRESSION` in the build it started failing
/// in, `FAILED` after.
fn failed_case(c: &TestFailure, number: u64) -> Value<'_> {
    let age = (number + 1).saturating_sub(c.failed_since.max(1));
    bean(
        "hudson.tasks.junit.CaseResult",
        false,
        vec![
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
        ],
    )
}

/// A passed `CaseResult`: `FIXED` when it failed in the build before, else `PASSED`.
fn passed_case(c: &TestPass) -> Value<'_> {
    bean(
        "hudson.tasks.junit.CaseResult",
        false,
        vec![
            p("age", || Value::Int(0)),
            p("className", move || s(c.class_name.as_str())),
            p("duration", move || Value::Float(c.duration)),
            p("errorDetails", || Value::Null),
            p("errorStackTrace", || Value::Null),
            p("failedSince", || Value::Int(0)),
            p("name", move || s(c.name.as_str())),
            p("skipped", || Value::Bool(false)),
            p("skippedMessage", || Value::Null),
            p("status", move || {
                s(if c.fixed { "FIXED" } else { "PASSED" })
            }),
            p("stderr", || Value::Null),
            p("stdout", || Value::Null),
        ],
    )
}
