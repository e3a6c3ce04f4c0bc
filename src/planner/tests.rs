//! The planner against the schema: every field planned, and selections become the
//! trees Jenkins needs.

use std::collections::{BTreeMap, BTreeSet};

use super::plans::{Plan, PLANS};

/// Object types of the schema and their fields, by introspection.
async fn schema_fields() -> BTreeMap<String, BTreeSet<String>> {
    let resp = crate::schema::bare_schema()
        .execute("{ __schema { types { name kind fields { name } } } }")
        .await;
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let data = resp.data.into_json().expect("JSON");
    let mut out = BTreeMap::new();
    for t in data["__schema"]["types"].as_array().expect("types") {
        let name = t["name"].as_str().unwrap_or("");
        if t["kind"] != "OBJECT" || name.starts_with("__") {
            continue;
        }
        let fields = t["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect();
        out.insert(name.to_string(), fields);
    }
    out
}

#[tokio::test]
async fn every_field_of_the_schema_is_planned_and_every_plan_is_a_field() {
    let schema = schema_fields().await;
    let mut missing = Vec::new();
    for (ty, fields) in &schema {
        let planned: BTreeSet<String> = PLANS
            .iter()
            .find(|p| p.name == ty)
            .map(|p| p.fields.iter().map(|(f, _)| f.to_string()).collect())
            .unwrap_or_default();
        for f in fields.difference(&planned) {
            missing.push(format!("{ty}.{f} has no plan"));
        }
        for f in planned.difference(fields) {
            missing.push(format!("{ty}.{f} is planned but not in the schema"));
        }
    }
    for p in PLANS {
        if !schema.contains_key(p.name) {
            missing.push(format!("{} is planned but is not an object type", p.name));
        }
        for (_, parts) in p.fields {
            for part in *parts {
                if let Plan::Nested(_, inner) = part {
                    if !schema.contains_key(*inner) {
                        missing.push(format!("{}: nested type {inner} is unknown", p.name));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
