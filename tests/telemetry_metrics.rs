//! `/metrics` after a scripted sequence: the demo dashboard (two controllers that answer,
//! one whose token was revoked), the same dashboard again from the cache, and the fleet
//! health view. Every delta is checked against what the simulated controllers logged or
//! hold; every metric the README lists must be there; no label may carry a job name, a
//! token or a URL query. The Grafana dashboard's queries must name exported metrics.

mod gateway_common;

use std::collections::{BTreeMap, HashSet};

use gateway_common::Gateway;
use majordomo::demo::Demo;
use serde_json::Value;

/// One scrape: every sample, by series (`name{labels}` as exposed) and value.
#[derive(Debug, Default, Clone)]
struct Scrape {
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("{l}"));
                let value = value.parse().unwrap_or_else(|_| panic!("value of {l}"));
                (series.to_string(), value)
            })
            .collect();
        Scrape { samples }
    }

    /// The sum over the series of `name` whose labels include every one of `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(series, _)| {
                let (n, l) = split(series);
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// Names of every series (with `_bucket`, `_sum`, `_count`, `_total`, `_info` as
    /// exposed).
    fn names(&self) -> HashSet<String> {
        self.samples.keys().map(|s| split(s).0).collect()
    }

    /// Every label value of every series.
    fn label_values(&self) -> Vec<(String, String, String)> {
        self.samples
            .keys()
            .flat_map(|s| {
                let (name, labels) = split(s);
                labels.into_iter().map(move |(k, v)| (name.clone(), k, v))
            })
            .collect()
    }
}

/// A series' name and labels.
fn split(series: &str) -> (String, Vec<(String, String)>) {
    let Some((name, rest)) = series.split_once('{') else {
        return (series.to_string(), Vec::new());
    };
    let body = rest.trim_end_matches('}');
    let labels = body
        .split("\",")
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once("=\"").unwrap_or_else(|| panic!("label {p}"));
            (k.to_string(), v.trim_end_matches('"').to_string())
        })
        .collect();
    (name.to_string(), labels)
}

/// How a request the simulator logged counts in `upstream_requests_total`: its endpoint
/// kind, by hand from the path (a build is `…/<number>/api/json`).
fn endpoint_of(path: &str) -> &'static str {
    let before_api = path
        .strip_suffix("/api/json")
        .and_then(|p| p.rsplit('/').next());
    if path.ends_with("/wfapi/describe") {
        "describe"
    } else if path.ends_with("/wfapi/runs") {
        "runs"
    } else if path.ends_with("/wfapi/pendingInputActions") {
        "inputs"
    } else if path.ends_with("/queue/api/json") {
        "queue"
    } else if path.ends_with("/computer/api/json") {
        "computers"
    } else if before_api.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) {
        "build"
    } else if path.ends_with("/api/json") {
        "listing"
    } else {
        "other"
    }
}

/// The status class a logged status counts as.
fn class_of(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

async fn scrape(gateway: &Gateway) -> Scrape {
    let (status, text) = gateway.get("/metrics").await;
    assert_eq!(status, 200, "{text}");
    Scrape::parse(&text)
}

fn delta(after: &Scrape, before: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    after.sum(name, labels) - before.sum(name, labels)
}

fn dashboard() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/queries/07-dashboard.graphql"
    );
    std::fs::read_to_string(path).expect("the dashboard example")
}

const FLEET: &str = r#"query Fleet {
    health { connections { connection { name } status jobCount queueLength
        stuckQueueItems { id } offlineAgents { name } } }
}"#;

/// Upstream requests each controller logged since the last reset: `(path, status)`.
fn logged(demo: &Demo) -> BTreeMap<String, Vec<(String, u16)>> {
    demo.controllers
        .iter()
        .map(|(name, sim)| {
            let paths = sim
                .requests()
                .into_iter()
                .map(|r| (r.path, r.status))
                .collect();
            (name.clone(), paths)
        })
        .collect()
}

/// Requests answered 2xx: each is one loaded answer, one cache miss.
fn answered(log: &BTreeMap<String, Vec<(String, u16)>>) -> usize {
    log.values()
        .flatten()
        .filter(|(_, status)| (200..300).contains(status))
        .count()
}

fn reset(demo: &Demo) {
    for (_, sim) in &demo.controllers {
        sim.reset_requests();
    }
}

/// The demo controllers and a gateway whose cache keeps everything for the whole test.
async fn start() -> (Demo, Gateway) {
    let demo = majordomo::demo::start_with(42, false)
        .await
        .expect("demo controllers");
    let mut config = demo.config.clone();
    config.cache.listing_ttl_ms = 600_000;
    config.cache.volatile_ttl_ms = 600_000;
    let gateway = Gateway::start_config(config).await;
    (demo, gateway)
}

async fn stop(demo: Demo, gateway: Gateway) {
    gateway.stop().await;
    for (_, sim) in demo.controllers {
        sim.shutdown().await;
    }
}

/// The dashboard once cold: every upstream request the controllers logged is counted once,
/// by connection, endpoint kind and status class (the revoked controller's as 4xx, a
/// freestyle job's missing stages as a 4xx describe); the request once, as `partial` with
/// its first error's code; each answer loaded as a cache miss.
async fn cold_dashboard(demo: &Demo, gateway: &Gateway) -> Scrape {
    let before = scrape(gateway).await;
    reset(demo);
    let body = gateway.query(&dashboard()).await;
    let after = scrape(gateway).await;
    let log = logged(demo);
    let errors = gateway_common::errors(&body);
    let codes: Vec<&str> = errors
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or_default())
        .collect();
    // The world: one controller whose token was revoked (its root fails once).
    assert_eq!(
        codes.iter().filter(|c| **c == "UNAUTHORIZED").count(),
        1,
        "{body}"
    );
    let d = |name: &str, labels: &[(&str, &str)]| delta(&after, &before, name, labels);
    let request = [
        ("operation", "Dashboard"),
        ("operation_type", "query"),
        ("outcome", "partial"),
        ("code", codes[0]),
    ];
    assert_eq!(d("majordomo_graphql_requests_total", &request), 1.0);
    assert_eq!(d("majordomo_graphql_requests_total", &[]), 1.0);
    for code in &codes {
        let expected = codes.iter().filter(|c| *c == code).count();
        let labels = [("operation", "Dashboard"), ("code", *code)];
        assert_eq!(
            d("majordomo_graphql_errors_total", &labels),
            expected as f64
        );
    }
    let op = [("operation", "Dashboard")];
    assert_eq!(
        d("majordomo_graphql_request_duration_seconds_count", &op),
        1.0
    );
    assert_eq!(
        d("majordomo_graphql_gateway_overhead_seconds_count", &op),
        1.0
    );
    let sent: usize = log.values().map(Vec::len).sum();
    for (connection, requests) in &log {
        let mut kinds: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (path, status) in requests {
            *kinds
                .entry((endpoint_of(path), class_of(*status)))
                .or_default() += 1;
        }
        assert!(!kinds.keys().any(|(e, _)| *e == "other"), "{requests:?}");
        for ((endpoint, class), expected) in kinds {
            let labels = [
                ("connection", connection.as_str()),
                ("endpoint", endpoint),
                ("status_class", class),
            ];
            assert_eq!(
                d("majordomo_upstream_requests_total", &labels),
                expected as f64,
                "{connection} {endpoint} {class}: {requests:?}"
            );
        }
    }
    assert_eq!(d("majordomo_upstream_requests_total", &[]), sent as f64);
    assert_eq!(
        d("majordomo_graphql_upstream_requests_sum", &op),
        sent as f64
    );
    assert_eq!(
        d("majordomo_cache_misses_total", &[]),
        answered(&log) as f64
    );
    assert_eq!(d("majordomo_cache_hits_total", &[]), 0.0);
    assert_eq!(d("majordomo_upstream_retries_total", &[]), 0.0);
    assert!(d("majordomo_upstream_received_bytes_total", &[]) > 0.0);
    after
}

/// The same dashboard again: every answer stored by the cold run is a hit now (one per
/// earlier miss) and nothing new is loaded; what failed was not stored, so it is asked
/// again (the revoked controller's root, a freestyle job's stages), and only that reaches
/// the controllers.
async fn warm_dashboard(demo: &Demo, gateway: &Gateway, cold: &Scrape, cold_misses: f64) {
    reset(demo);
    gateway.query(&dashboard()).await;
    let after = scrape(gateway).await;
    let d = |name: &str, labels: &[(&str, &str)]| delta(&after, cold, name, labels);
    let log = logged(demo);
    assert_eq!(answered(&log), 0, "{log:?}");
    assert_eq!(d("majordomo_cache_hits_total", &[]), cold_misses);
    assert_eq!(d("majordomo_cache_misses_total", &[]), 0.0);
    let sent: usize = log.values().map(Vec::len).sum();
    assert_eq!(d("majordomo_upstream_requests_total", &[]), sent as f64);
    assert_eq!(
        d(
            "majordomo_graphql_requests_total",
            &[("operation", "Dashboard"), ("outcome", "partial")]
        ),
        1.0
    );
}

/// The fleet view: statuses, queue and agents as the simulated worlds hold them.
async fn fleet(demo: &Demo, gateway: &Gateway) -> Scrape {
    gateway.query(FLEET).await;
    let s = scrape(gateway).await;
    let get = |name: &str, labels: &[(&str, &str)]| s.sum(name, labels);
    let c = |name: &'static str| [("connection", name)];
    assert_eq!(get("majordomo_fleet_connection_up", &c("ci-prod")), 1.0);
    assert_eq!(get("majordomo_fleet_connection_up", &c("ci-legacy")), 0.0);
    assert_eq!(
        get(
            "majordomo_fleet_connection_status",
            &[("connection", "ci-legacy"), ("status", "UNAUTHORIZED")]
        ),
        1.0
    );
    assert_eq!(
        get("majordomo_fleet_connection_status", &c("ci-legacy")),
        1.0
    );
    for (name, sim) in &demo.controllers {
        if name == "ci-legacy" {
            continue;
        }
        let (queued, stuck, agents, offline, executors, jobs) = sim.with_world(|w| {
            let online = w.agents.iter().filter(|a| !a.offline);
            (
                w.queue.len(),
                w.queue.iter().filter(|q| q.stuck).count(),
                w.agents.len() + 1,
                w.agents.iter().filter(|a| a.offline).count(),
                w.controller.num_executors + online.map(|a| a.executors).sum::<u32>(),
                w.jobs().len(),
            )
        });
        let c = [("connection", name.as_str())];
        assert_eq!(
            get("majordomo_fleet_queue_items", &c),
            queued as f64,
            "{name}"
        );
        assert_eq!(
            get("majordomo_fleet_queue_stuck_items", &c),
            stuck as f64,
            "{name}"
        );
        assert_eq!(get("majordomo_fleet_agents", &c), agents as f64, "{name}");
        assert_eq!(
            get("majordomo_fleet_agents_offline", &c),
            offline as f64,
            "{name}"
        );
        assert_eq!(
            get("majordomo_fleet_executors", &c),
            f64::from(executors),
            "{name}"
        );
        // `health` lists every job recursively: the listing holds the whole world.
        assert_eq!(get("majordomo_fleet_jobs", &c), jobs as f64, "{name}");
    }
    s
}

/// Metric names in the README's Observability section (the first column of its tables).
fn readme_metrics() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `majordomo_"))
        .map(|rest| format!("majordomo_{}", rest.split('`').next().unwrap_or_default()))
        .collect()
}

/// Whether a metric the README names (as a counter with `_total`, a histogram by its base
/// name) is exposed.
fn exposed(names: &HashSet<String>, metric: &str) -> bool {
    ["", "_bucket", "_count", "_info"]
        .iter()
        .any(|suffix| names.contains(&format!("{metric}{suffix}")))
}

/// No label value is a job name, holds a token, or looks like a URL or its query.
fn assert_bounded_labels(s: &Scrape, demo: &Demo) {
    let mut jobs = HashSet::new();
    for (_, sim) in &demo.controllers {
        sim.with_world(|w| {
            for (full, _, _) in w.jobs() {
                let short = full.rsplit('/').next().unwrap_or_default().to_string();
                jobs.insert(full);
                jobs.insert(short);
            }
        });
    }
    let tokens: Vec<String> = demo
        .config
        .connections
        .iter()
        .filter_map(|c| c.credentials())
        .map(|(_, t)| secrecy::ExposeSecret::expose_secret(t).to_string())
        .collect();
    for (name, key, value) in s.label_values() {
        assert!(
            !jobs.contains(&value),
            "{name}{{{key}={value:?}}} is a job name"
        );
        assert!(
            !tokens.iter().any(|t| value.contains(t.as_str())),
            "{name}{{{key}}} holds a token"
        );
        assert!(
            !value.contains('?') && !value.contains('=') && !value.contains("://"),
            "{name}{{{key}={value:?}}} looks like a URL or a query"
        );
    }
}

/// A query the guard refuses once it is parsed is counted under its operation's name.
async fn refused(gateway: &Gateway) {
    let before = scrape(gateway).await;
    // One root field more than `limits.max_root_fields` (20 by default).
    let fields: Vec<String> = (0..21)
        .map(|i| format!("f{i}: connections {{ name }}"))
        .collect();
    let body = gateway
        .query(&format!("query TooWide {{ {} }}", fields.join(" ")))
        .await;
    let errors = gateway_common::errors(&body);
    let codes: Vec<&str> = errors
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["TOO_MANY_ROOT_FIELDS"], "{body}");
    let after = scrape(gateway).await;
    let labels = [
        ("operation", "TooWide"),
        ("outcome", "error"),
        ("code", "TOO_MANY_ROOT_FIELDS"),
    ];
    assert_eq!(
        delta(&after, &before, "majordomo_graphql_requests_total", &labels),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_a_scripted_sequence_exactly() {
    let (demo, gateway) = start().await;
    let (status, text) = gateway.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text: {text}");
    let cold = cold_dashboard(&demo, &gateway).await;
    let misses = cold.sum("majordomo_cache_misses_total", &[]);
    warm_dashboard(&demo, &gateway, &cold, misses).await;
    refused(&gateway).await;
    let s = fleet(&demo, &gateway).await;
    let names = s.names();
    let listed = readme_metrics();
    assert!(
        listed.len() >= 30,
        "the README lists the metrics: {listed:?}"
    );
    for metric in &listed {
        assert!(
            exposed(&names, metric),
            "{metric} is listed but not exposed"
        );
    }
    assert_bounded_labels(&s, &demo);
    stop(demo, gateway).await;
}

/// The metric names a PromQL expression reads (`majordomo_…` words).
fn metrics_in(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("majordomo_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

fn panel_exprs(panel: &Value, out: &mut Vec<String>) {
    for target in panel["targets"].as_array().into_iter().flatten() {
        if let Some(expr) = target["expr"].as_str() {
            out.push(expr.to_string());
        }
    }
    for inner in panel["panels"].as_array().into_iter().flatten() {
        panel_exprs(inner, out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grafana_query_names_an_exported_metric() {
    let (demo, gateway) = start().await;
    gateway.query(&dashboard()).await;
    gateway.query(FLEET).await;
    let names = scrape(&gateway).await.names();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana/majordomo.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the dashboard"))
            .expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        panel_exprs(panel, &mut exprs);
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] == "query" {
            let query = variable["query"]["query"]
                .as_str()
                .expect("a variable's query");
            exprs.push(query.to_string());
        }
    }
    assert!(exprs.len() >= 15, "{exprs:?}");
    for expr in &exprs {
        let used = metrics_in(expr);
        assert!(
            !used.is_empty(),
            "a query that reads no metric of ours: {expr}"
        );
        for metric in used {
            assert!(
                names.contains(&metric),
                "{metric} (in {expr}) is not exported"
            );
        }
    }
    stop(demo, gateway).await;
}
