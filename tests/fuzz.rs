//! Thousands of generated documents, variables and argument values thrown at a running
//! gateway: no panic, no abort, every answer well-formed with a code on every error, and
//! memory bounded.

mod gateway_common;

use gateway_common::{connection, recorded_sim, Gateway};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Value};

/// Fragments a hostile document is assembled from.
const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    ",",
    "...",
    "$v",
    "@skip(if: true)",
    "\"",
    "\"\"\"",
    "#",
    "\n",
    "query",
    "fragment F on Job",
    "...F",
    "on",
    "connections",
    "name",
    "status",
    "jobs",
    "first: ",
    "-1",
    "2147483648",
    "1e400",
    "nodes",
    "job",
    "fullName: ",
    "\"a/../b\"",
    "build",
    "number: ",
    "log",
    "grep: ",
    "tailLines: ",
    "maxBytes: ",
    "stages",
    "logTail",
    "node",
    "id: ",
    "\"not-an-id\"",
    "health",
    "failingJobs",
    "builds",
    "before: ",
    "result: ",
    "FAILURE",
    "__typename",
    "__schema",
    "types",
    "a: ",
    "\\u0000",
    "\u{202e}",
    "null",
    "true",
];

/// Valid queries that mutations start from.
const SEEDS: &[&str] = &[
    r#"{ connections { name status root { items { name ... on Job { status lastBuild { number result } } } } } }"#,
    r#"{ job(connection: "good", fullName: "hello-freestyle") { name builds(first: 5) { nodes { number log(tailLines: 3) { text } } } } }"#,
    r#"query Q($n: String!, $k: Int) { job(connection: "good", fullName: $n) { builds(first: $k) { pageInfo { endCursor } } } }"#,
    r#"{ health { totals { jobs } connections { status failingJobs { fullName } } } }"#,
];

fn piece_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..200).prop_map(|p| p.join(" "))
}

fn mutated_seed() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..12),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (at, c, op) in edits {
                let i = at.index(chars.len().max(1)).min(chars.len());
                match op {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
}

fn nested_literal() -> impl Strategy<Value = String> {
    (0usize..4000, prop::bool::ANY).prop_map(|(depth, list)| {
        let (open, close) = if list { ("[", "]") } else { ("{a:", "}") };
        format!(
            "{{ jobs(filter: {{ namePattern: {}\"x\"{} }}) {{ totalCount }} }}",
            open.repeat(depth),
            close.repeat(depth)
        )
    })
}

fn argument_values() -> impl Strategy<Value = String> {
    (
        any::<i64>(),
        "[ -~\\PC]{0,300}",
        prop::sample::select(&["first", "number", "tailLines", "maxBytes", "context", "maxMatches", "last"][..]),
    )
        .prop_map(|(n, s, arg)| {
            let s = s.replace('\\', "\\\\").replace('"', "\\\"");
            format!(
                r#"{{ job(connection: "good", fullName: "{s}") {{ trend(last: {}) {{ builds }} build(number: {n}) {{ log({arg}: {n}) {{ text }} }} }} build(connection: "{s}", job: "{s}", number: {n}) {{ number }} node(id: "{s}") {{ id }} }}"#,
                n.clamp(i32::MIN as i64, i32::MAX as i64)
            )
        })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,50}".prop_map(Value::from),
    ];
    leaf.prop_recursive(8, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::hash_map("[a-z$]{0,6}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn request() -> impl Strategy<Value = Value> {
    let document = prop_oneof![
        piece_soup(),
        mutated_seed(),
        nested_literal(),
        argument_values()
    ];
    (document, json_value(), prop::option::of("[ -~]{0,20}")).prop_map(|(query, vars, op)| {
        json!({ "query": query, "variables": { "n": vars, "k": vars, "v": vars }, "operationName": op })
    })
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_hostile_requests_never_break_the_gateway() {
    let good = recorded_sim().await;
    let gateway = Gateway::start(vec![connection("good", &good)]).await;
    let mut runner = TestRunner::new(RunnerConfig {
        // Deterministic, so a failure reproduces.
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..RunnerConfig::default()
    });
    let strategy = request();
    let before = rss_kib();
    let cases = 3_000;
    for i in 0..cases {
        let body = strategy
            .new_tree(&mut runner)
            .expect("a generated request")
            .current();
        let (status, answer) = gateway.post(body.clone()).await;
        assert!(
            matches!(status, 200 | 400 | 413),
            "case {i}: status {status} for {body:.500}: {answer:.500}"
        );
        let errors = answer["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            answer.get("data").is_some() || !errors.is_empty(),
            "case {i}: neither data nor errors: {answer:.500}"
        );
        for e in &errors {
            assert!(
                e["message"].is_string() && e["extensions"]["code"].is_string(),
                "case {i}: an error without a code: {e:.500} for {body:.500}"
            );
        }
    }
    let grown = rss_kib().saturating_sub(before);
    assert!(
        grown < 300 * 1024,
        "RSS grew by {grown} KiB over {cases} requests"
    );
    // Still serving.
    let data = gateway
        .data(r#"{ connection(name: "good") { status } }"#)
        .await;
    assert_eq!(data["connection"]["status"], "ONLINE");
    gateway.stop().await;
    good.shutdown().await;
}
