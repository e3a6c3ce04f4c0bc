//! Every field of every type reachable from `jobs`, `connection.root` and `health`,
//! generated from the schema by introspection and nested four object levels deep, over a
//! world with folders four levels deep, against a simulator that refuses requests over
//! 8 KiB as Jetty does: the only errors are the controller failure the test injects,
//! every job is there, and no request was too long.

mod gateway_common;

use std::collections::BTreeSet;

use gateway_common::{connection, dead_url, errors, Gateway, TOKEN, USER};
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::{SimBuilder, World};
use majordomo::config::{Config, ConnectionConfig};
use serde_json::Value;

/// Object levels a generated selection descends.
const LEVELS: usize = 4;

/// The schema's types by introspection: name → (kind, fields with their types).
struct Types(Value);

impl Types {
    async fn load() -> Types {
        let resp = majordomo::schema::bare_schema()
            .execute(
                "{ __schema { types { name kind possibleTypes { name }
                   fields { name args { type { kind } defaultValue }
                   type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }",
            )
            .await;
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        Types(resp.data.into_json().expect("JSON"))
    }

    fn get(&self, name: &str) -> &Value {
        self.0["__schema"]["types"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == name))
            .unwrap_or_else(|| panic!("no type {name}"))
    }

    /// The selection of every field of `ty` without required arguments, objects below it
    /// to `levels` more levels.
    fn select(&self, ty: &str, levels: usize) -> String {
        let t = self.get(ty);
        if t["kind"] == "INTERFACE" {
            let mut out = String::from("__typename ");
            for p in t["possibleTypes"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or("");
                let sub = self.select(name, levels);
                if !sub.trim().is_empty() {
                    out.push_str(&format!("... on {name} {{ {sub} }} "));
                }
            }
            return out;
        }
        let mut out = String::new();
        for f in t["fields"].as_array().into_iter().flatten() {
            let required = f["args"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null());
            if required {
                continue;
            }
            let name = f["name"].as_str().unwrap_or("");
            let mut inner = &f["type"];
            while inner["kind"] == "NON_NULL" || inner["kind"] == "LIST" {
                inner = &inner["ofType"];
            }
            match inner["kind"].as_str() {
                Some("OBJECT") | Some("INTERFACE") if levels > 0 => {
                    let sub = self.select(inner["name"].as_str().unwrap_or(""), levels - 1);
                    if !sub.trim().is_empty() {
                        out.push_str(&format!("{name} {{ {sub} }} "));
                    }
                }
                Some("OBJECT") | Some("INTERFACE") => {}
                _ => out.push_str(&format!("{name} ")),
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_on_a_deep_world_fits_the_controllers_request_limit() {
    let world = World::generate(&GenSpec {
        folders: 2,
        depth: 4,
        jobs_per_folder: 8,
        root_jobs: 2,
        builds_per_job: 3,
        multibranch: 1,
        branches: 2,
        log_bytes: 4 * 1024,
        ..GenSpec::default()
    });
    let expected: BTreeSet<String> = world.jobs().into_iter().map(|(name, _, _)| name).collect();
    let deepest = expected
        .iter()
        .map(|n| n.matches('/').count())
        .max()
        .unwrap_or(0);
    assert!(deepest >= 3, "folders four levels deep: {deepest}");
    // The simulator refuses heads over 8 KiB, as Jetty does by default.
    let sim = SimBuilder::new(world)
        .token(USER, TOKEN)
        .start()
        .await
        .expect("sim");
    let types = Types::load().await;
    let query = format!(
        "{{ jobs(first: 1000) {{ totalCount nodes {{ {job} }} }} \
           connections {{ name status root {{ {folder} }} }} \
           health {{ {health} }} }}",
        job = types.select("Job", LEVELS - 1),
        folder = types.select("Folder", LEVELS - 1),
        health = types.select("FleetHealth", LEVELS - 1),
    );
    // A selection this wide is far over the default document limits and cost budget: the
    // test raises them to see what the planner makes of it.
    let mut config = Config {
        connections: vec![
            connection("deep", &sim),
            ConnectionConfig::new("down", dead_url().await),
        ],
        ..Config::default()
    };
    let l = &mut config.limits;
    (l.max_tokens, l.max_fields, l.max_aliases, l.max_depth) = (1_000_000, 1_000_000, 1_000, 64);
    (l.max_estimated_requests, l.max_upstream_requests) = (u64::MAX, u64::MAX);
    l.max_request_bytes = 4 * 1024 * 1024;
    let gateway = Gateway::start_config(config).await;
    let body = gateway.query(&query).await;
    for e in errors(&body) {
        assert_eq!(
            e["extensions"]["connection"], "down",
            "only the injected failure: {e}"
        );
    }
    let jobs: BTreeSet<String> = body["data"]["jobs"]["nodes"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["fullName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(jobs, expected, "every job is present");
    let requests = sim.requests();
    assert!(requests.len() > 10, "{} requests", requests.len());
    for r in &requests {
        assert!(
            !matches!(r.status, 400 | 414 | 431),
            "refused for its size: {r:?}"
        );
        let target = r.path.len() + r.query.as_ref().map_or(0, |q| q.len() + 1);
        assert!(target < 8 * 1024, "{target} bytes: {r:?}");
    }
    gateway.stop().await;
    sim.shutdown().await;
}
