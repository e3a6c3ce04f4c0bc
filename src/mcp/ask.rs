//! What a tool asks the gateway: one of the MCP documents (`documents/*.graphql`) run
//! through the same executor, guard, scope and cache as `/graphql`, for the caller the
//! transport authenticated. Its answer comes back compact: no nulls, `connection { name }`
//! as the name, and every GraphQL error as a fact (code, connection, message, hint).

use async_graphql::{Request, ServerError, Variables};
use serde_json::{json, Map, Value};

use crate::execute::Executor;
use crate::guard::auth::Caller;

/// The MCP documents, each a query the tools run with variables.
pub(crate) mod documents {
    pub(crate) const CONNECTIONS: &str = include_str!("documents/connections.graphql");
    pub(crate) const FLEET_HEALTH: &str = include_str!("documents/fleet_health.graphql");
    pub(crate) const JOBS: &str = include_str!("documents/jobs.graphql");
    pub(crate) const FAILING_JOBS: &str = include_str!("documents/failing_jobs.graphql");
    pub(crate) const FIND_JOB: &str = include_str!("documents/find_job.graphql");
    pub(crate) const LAST_BUILDS: &str = include_str!("documents/last_builds.graphql");
    pub(crate) const JOB: &str = include_str!("documents/job.graphql");
    pub(crate) const BUILD: &str = include_str!("documents/build.graphql");
    pub(crate) const LOG_TAIL: &str = include_str!("documents/log_tail.graphql");
    pub(crate) const LOG_GREP: &str = include_str!("documents/log_grep.graphql");
    pub(crate) const PIPELINE: &str = include_str!("documents/pipeline.graphql");
    pub(crate) const STAGE_LOG: &str = include_str!("documents/stage_log.graphql");
    pub(crate) const QUEUE: &str = include_str!("documents/queue.graphql");
    pub(crate) const PENDING_APPROVALS: &str = include_str!("documents/pending_approvals.graphql");
}

/// Runs documents for one caller.
#[derive(Clone)]
pub(crate) struct Asker {
    executor: Executor,
    caller: Caller,
}

/// A compact answer: its data and what went wrong on the way.
#[derive(Debug)]
pub(crate) struct Answer {
    /// `data`, compacted (`null` when nothing could be answered).
    pub(crate) data: Value,
    /// Every error, as `{code, connection, message, hint, status}`.
    pub(crate) problems: Vec<Value>,
}

impl Asker {
    /// Ask on behalf of `caller`.
    pub(crate) fn new(executor: Executor, caller: Caller) -> Self {
        Asker { executor, caller }
    }

    /// Run `document` with `variables`.
    pub(crate) async fn ask(&self, document: &str, variables: Value) -> Answer {
        let request = Request::new(document).variables(Variables::from_json(variables));
        let response = self.executor.execute(request, self.caller.clone()).await;
        let data = response.data.into_json().unwrap_or(Value::Null);
        Answer {
            data: compact(data),
            problems: response.errors.iter().map(problem).collect(),
        }
    }
}

/// A GraphQL error as a fact for the model.
fn problem(e: &ServerError) -> Value {
    let mut fact = Map::new();
    let ext = e.extensions.as_ref();
    let get = |key: &str| {
        ext.and_then(|x| x.get(key))
            .and_then(|v| v.clone().into_json().ok())
    };
    fact.insert(
        "code".into(),
        get("code").unwrap_or_else(|| json!("INTERNAL_ERROR")),
    );
    for key in ["connection", "status"] {
        if let Some(v) = get(key) {
            fact.insert(key.into(), v);
        }
    }
    fact.insert("message".into(), json!(e.message));
    if let Some(hint) = get("hint") {
        fact.insert("hint".into(), hint);
    }
    Value::Object(fact)
}

/// No nulls, and `{"name": x}` under `connection` as `x`.
pub(crate) fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("connection", Value::Object(mut c)) if c.len() == 1 => {
                            c.remove("name").unwrap_or(Value::Null)
                        }
                        (_, v) => compact(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(compact).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_drops_nulls_and_names_connections() {
        let v = json!({
            "jobs": [{ "fullName": "a/b", "connection": { "name": "ci-prod" }, "lastBuild": null }],
            "error": null
        });
        assert_eq!(
            compact(v),
            json!({ "jobs": [{ "fullName": "a/b", "connection": "ci-prod" }] })
        );
    }
}
