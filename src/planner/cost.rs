//! What a query will cost Jenkins, estimated from its document before anything is sent.
//!
//! The estimate counts upstream requests over every controller: each object's own
//! requests (a job fetched by name, a run's stages, a log), times how many such objects
//! the query can reach (the connections, `first` of a page, or an assumed size for lists
//! nothing bounds). What rides along in a listing (folder levels, last builds, pages of
//! builds inside Jenkins' window) costs nothing more. It is an upper bound in spirit,
//! not a promise: the runtime cap ([`crate::jenkins::QueryBudget`]) stops a query whose
//! estimate was low.

use std::collections::HashSet;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::incident::{DEFAULT_DEPLOYMENTS, DEFAULT_FLAKY_BUILDS, MAX_FLAKY_BUILDS};
use super::plans::{field_plan, Plan};
use super::{rides_along, DEFAULT_BUILDS_PAGE, DEFAULT_JOBS_PAGE, LISTING_DEPTH, MAX_PAGE};
use crate::jenkins::client::BUILDS_WINDOW;

/// Stages a run is assumed to have.
const STAGES_PER_RUN: u64 = 10;
/// Steps with a log a stage is assumed to have.
const LOGGED_STEPS_PER_STAGE: u64 = 3;
/// Requests `resolve` may send: the object, a permalink's number, a run's describe.
const RESOLVE_REQUESTS: u64 = 3;

/// Shared requests an object's fields may ask for; each is charged once per object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shared {
    Probe,
    Listing,
    Queue,
    Computers,
}

/// What one field costs and what it leads to.
struct Step {
    /// Requests for this field, per object of its parent type.
    own: u64,
    /// Charged once per object whichever field asks (the probe, a listing).
    shared: Option<Shared>,
    /// The type of the objects below it and how many per parent object.
    below: Option<(&'static str, u64)>,
    /// Folder levels still riding in the listing below it.
    depth: usize,
}

/// A step whose fields below are at the listing's full depth.
fn step(own: u64, shared: Option<Shared>, below: Option<(&'static str, u64)>) -> Step {
    Step {
        own,
        shared,
        below,
        depth: LISTING_DEPTH,
    }
}

/// The estimator of one request.
pub(crate) struct Estimate<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Connections the query can reach.
    connections: u64,
    /// Items assumed in a list nothing bounds.
    assumed: u64,
}

impl<'a> Estimate<'a> {
    /// An estimator over `connections` controllers, assuming unbounded lists hold
    /// `assumed` items.
    pub(crate) fn new(
        doc: &'a ExecutableDocument,
        variables: &'a Variables,
        connections: u64,
        assumed: u64,
    ) -> Self {
        Estimate {
            doc,
            variables,
            connections,
            assumed,
        }
    }

    /// Upstream requests the operation named `operation` (or the only one) will send.
    pub(crate) fn operation(&self, operation: Option<&str>) -> u64 {
        let op = match operation {
            Some(name) => self
                .doc
                .operations
                .iter()
                .find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
            None => self.doc.operations.iter().next(),
        };
        op.map_or(0, |(_, op)| {
            let root = match op.node.ty {
                OperationType::Subscription => "SubscriptionRoot",
                _ => "QueryRoot",
            };
            self.set(root, &op.node.selection_set.node, 1, 0, &mut Vec::new())
        })
    }

    /// Cost of `set` on `mult` objects of type `ty`.
    fn set(
        &self,
        ty: &'a str,
        set: &'a SelectionSet,
        mult: u64,
        depth: usize,
        spread: &mut Vec<&'a str>,
    ) -> u64 {
        let mut fields = Vec::new();
        self.fields(ty, set, &mut fields, spread);
        let mut charged = HashSet::new();
        let mut total = 0u64;
        for (ty, field) in fields {
            let step = self.step(ty, field, depth);
            let mut own = step.own;
            if let Some(shared) = step.shared {
                if charged.insert(shared) {
                    own = own.saturating_add(1);
                }
            }
            total = total.saturating_add(mult.saturating_mul(own));
            if let Some((below, per)) = step.below {
                let inner = &field.selection_set.node;
                let m = mult.saturating_mul(per);
                total = total.saturating_add(self.set(below, inner, m, step.depth, spread));
            }
        }
        total
    }

    /// The fields of `set` with the type each applies to, fragments inlined.
    fn fields(
        &self,
        ty: &'a str,
        set: &'a SelectionSet,
        out: &mut Vec<(&'a str, &'a Field)>,
        spread: &mut Vec<&'a str>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push((ty, &f.node)),
                Selection::InlineFragment(f) => {
                    let on = f
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| c.node.on.node.as_str());
                    self.fields(on, &f.node.selection_set.node, out, spread);
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    let Some((key, def)) = self.doc.fragments.get_key_value(name) else {
                        continue;
                    };
                    if spread.contains(&key.as_str()) {
                        continue;
                    }
                    spread.push(key.as_str());
                    let on = def.node.type_condition.node.on.node.as_str();
                    self.fields(on, &def.node.selection_set.node, out, spread);
                    spread.pop();
                }
            }
        }
    }

    fn arg(&self, field: &Field, name: &str) -> Option<Value> {
        let (_, v) = field
            .arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == name)?;
        v.node
            .clone()
            .into_const_with(|var| self.variables.get(&var).cloned().ok_or(()))
            .ok()
            .filter(|v| *v != Value::Null)
    }

    fn int(&self, field: &Field, name: &str, default: i32) -> i32 {
        match self.arg(field, name) {
            Some(Value::Number(n)) => n
                .as_i64()
                .map_or(default, |n| n.clamp(0, i64::from(MAX_PAGE)) as i32),
            _ => default,
        }
    }

    /// Connections a fleet-wide field covers: one named, the filter's, or all.
    fn reach(&self, field: &Field) -> u64 {
        if self.arg(field, "connection").is_some() {
            return 1;
        }
        match self.arg(field, "filter") {
            Some(Value::Object(filter)) => match filter.get(&Name::new("connections")) {
                Some(Value::List(list)) => (list.len() as u64).min(self.connections),
                _ => self.connections,
            },
            _ => self.connections,
        }
    }

    /// What `field` of `ty` costs per object, and what it leads to.
    fn step(&self, ty: &str, field: &Field, depth: usize) -> Step {
        match ty {
            "QueryRoot" | "SubscriptionRoot" | "BuildEvent" | "QueueEvent" | "ConnectionEvent" => {
                self.root_step(ty, field, depth)
            }
            "Connection" | "ConnectionHealth" | "FleetHealth" => self.fleet_step(ty, field, depth),
            _ => self.object_step(ty, field, depth),
        }
    }

    /// [`Self::step`] for the roots and the subscriptions' events.
    fn root_step(&self, ty: &str, field: &Field, depth: usize) -> Step {
        let (a, c) = (self.assumed, self.connections);
        match (ty, field.name.node.as_str()) {
            ("QueryRoot", "connections") => step(0, None, Some(("Connection", c))),
            ("QueryRoot", "connection") => step(0, None, Some(("Connection", 1))),
            ("QueryRoot", "job") => step(1, None, Some(("Job", 1))),
            ("QueryRoot", "build") => step(1, None, Some(("Build", 1))),
            ("QueryRoot", "node") => step(1, None, Some(("Node", 1))),
            ("QueryRoot", "jobs") => {
                let first = self.int(field, "first", DEFAULT_JOBS_PAGE) as u64;
                step(self.reach(field), None, Some(("JobPage", first)))
            }
            ("QueryRoot", "queue") => step(self.reach(field), None, Some(("QueueItem", a))),
            ("QueryRoot", "agents") => step(self.reach(field), None, Some(("Agent", a))),
            ("QueryRoot", "health") => step(0, None, Some(("FleetHealth", 1))),
            // A subscription is estimated per event: its pollers are shared by every
            // subscriber, and what each event loads is its selection's own cost.
            ("SubscriptionRoot", "buildEvents" | "buildWatch") => {
                step(0, None, Some(("BuildEvent", 1)))
            }
            ("SubscriptionRoot", "queueEvents") => step(0, None, Some(("QueueEvent", 1))),
            ("SubscriptionRoot", "connectionEvents") => step(0, None, Some(("ConnectionEvent", 1))),
            ("BuildEvent", "build") | ("QueueEvent", "build") => step(1, None, Some(("Build", 1))),
            ("BuildEvent", "job") => step(1, None, Some(("Job", 1))),
            ("BuildEvent", "queueItem") | ("QueueEvent", "item") => {
                step(0, None, Some(("QueueItem", 1)))
            }
            ("BuildEvent", "stage") => step(0, None, Some(("Stage", 1))),
            ("BuildEvent" | "QueueEvent" | "ConnectionEvent", "connection") => {
                step(0, None, Some(("Connection", 1)))
            }
            _ => self.incident(ty, field, depth),
        }
    }

    /// [`Self::step`] for a connection, its health and the fleet's.
    fn fleet_step(&self, ty: &str, field: &Field, depth: usize) -> Step {
        let (a, c) = (self.assumed, self.connections);
        match (ty, field.name.node.as_str()) {
            ("Connection", "job") => step(1, None, Some(("Job", 1))),
            ("Connection", "jobs") => {
                let first = self.int(field, "first", DEFAULT_JOBS_PAGE) as u64;
                step(0, Some(Shared::Listing), Some(("JobPage", first)))
            }
            (
                "Connection" | "ConnectionHealth",
                "status" | "version" | "latencyMs" | "quietingDown" | "error",
            ) => step(0, Some(Shared::Probe), None),
            ("Connection", "root" | "folder") => step(1, None, Some(("Folder", 1))),
            ("Connection" | "ConnectionHealth", "queue" | "stuckQueueItems" | "queueLength") => {
                step(0, Some(Shared::Queue), Some(("QueueItem", a)))
            }
            ("Connection" | "ConnectionHealth", "agents" | "offlineAgents") => {
                step(0, Some(Shared::Computers), Some(("Agent", a)))
            }
            ("Connection", "health") => step(0, None, Some(("ConnectionHealth", 1))),
            ("ConnectionHealth", "jobCount" | "failingJobs") => {
                step(0, Some(Shared::Listing), Some(("Job", a)))
            }
            ("FleetHealth", "connections") => step(0, None, Some(("ConnectionHealth", c))),
            ("FleetHealth", "failingJobs") => step(c, None, Some(("Job", a))),
            ("FleetHealth", "stuckQueueItems") => step(c, None, Some(("QueueItem", a))),
            ("FleetHealth", "offlineAgents") => step(c, None, Some(("Agent", a))),
            ("FleetHealth", "totals") => step(4 * c, None, None),
            _ => self.incident(ty, field, depth),
        }
    }

    /// [`Self::step`] for folders, jobs, builds, stages and the rest.
    fn object_step(&self, ty: &str, field: &Field, depth: usize) -> Step {
        match (ty, field.name.node.as_str()) {
            ("Folder" | "Item", "items" | "jobs" | "folders") => {
                // Folder levels ride in the listing that fetched the folder; past them,
                // a folder's children are a listing of their own.
                let (own, left) = match depth {
                    0 => (1, LISTING_DEPTH - 1),
                    d => (0, d - 1),
                };
                Step {
                    own,
                    shared: None,
                    below: Some(("Item", self.assumed)),
                    depth: left,
                }
            }
            ("Folder" | "Job" | "Item", "parent") => step(1, None, Some(("Folder", 1))),
            ("Job", "build") => step(1, None, Some(("Build", 1))),
            ("Build", "waitingForInput") => step(1, None, None),
            ("Build", "pendingInputs") => step(1, None, None),
            ("Job" | "Item", "builds") => self.builds(field),
            ("Job" | "Item", "trend") => step(1, None, None),
            ("JobPage", "nodes") => step(0, None, Some(("Job", 1))),
            ("BuildPage", "nodes") => step(0, None, Some(("Build", 1))),
            ("Build", "stages") => step(1, None, Some(("Stage", STAGES_PER_RUN))),
            ("Build", "failedTests") => step(1, None, None),
            ("Build", "log") => step(
                if self.arg(field, "grep").is_some() {
                    1
                } else {
                    2
                },
                None,
                None,
            ),
            ("Build", "job") | ("QueueItem", "job") => step(1, None, Some(("Job", 1))),
            ("Stage", "logTail") => step(1 + LOGGED_STEPS_PER_STAGE, None, None),
            _ => self.incident(ty, field, depth),
        }
    }

    /// The incident answers (see [`super::incident`] for the trees they read).
    fn incident(&self, ty: &str, field: &Field, depth: usize) -> Step {
        let step = |own: u64, below: Option<(&'static str, u64)>| Step {
            own,
            shared: None,
            below,
            depth: LISTING_DEPTH,
        };
        let a = self.assumed;
        let first = |default: i32| self.int(field, "first", default) as u64;
        let last =
            |default: i32, max: u32| (self.int(field, "last", default) as u64).min(u64::from(max));
        match (ty, field.name.node.as_str()) {
            // The item (or build), a permalink's number, a stage's describe.
            ("QueryRoot", "resolve") => step(RESOLVE_REQUESTS, Some(("Node", 1))),
            // Per controller: the listing of job names, a listing per deploy folder and a
            // `wfapi/runs` per stage-placed deploy job (each assumed as many as a list).
            ("QueryRoot", "deployments") => step(
                self.reach_many(field).saturating_mul(1 + 2 * a),
                Some(("Deployment", first(DEFAULT_DEPLOYMENTS))),
            ),
            ("QueryRoot", "dora") => step(self.reach_many(field).saturating_mul(1 + 2 * a), None),
            // Per controller: the listing of job names, a listing of builds per folder and
            // a `wfapi/runs` per stage-placed deploy job that built the commit.
            ("QueryRoot", "commit") => step(
                self.reach_many(field).saturating_mul(1 + 2 * a),
                Some(("Commit", 1)),
            ),
            ("Commit", "builds") => step(0, Some(("CommitBuild", a))),
            ("Commit", "deployments") => step(0, Some(("Deployment", a))),
            ("CommitBuild" | "Deployment", "build") => step(0, Some(("Build", 1))),
            // Per controller: the running pipelines, then each one's describe and, when it
            // waits, its pending inputs.
            ("QueryRoot", "pendingApprovals") => step(
                self.reach(field).saturating_mul(1 + 2 * a),
                Some(("PendingApproval", a)),
            ),
            ("PendingApproval", "build") => step(1, Some(("Build", 1))),
            ("Job" | "Item", "regression") => step(1, Some(("Regression", 1))),
            ("Regression", "lastGoodBuild" | "firstBadBuild") => step(0, Some(("Build", 1))),
            ("Regression", "newlyFailedStage") => step(2, Some(("Stage", 1))),
            ("Regression", "newlyFailingTests") => step(2, None),
            ("Job" | "Item", "stageTrends") => step(1, None),
            ("Job" | "Item", "flakyTests") => {
                step(1 + last(DEFAULT_FLAKY_BUILDS, MAX_FLAKY_BUILDS), None)
            }
            // The describe, the failing stage's node and the failing step's log (or the
            // console's tail).
            ("Build", "failure") => step(3, Some(("FailureSummary", 1))),
            ("FailureSummary", "stage") => step(0, Some(("Stage", 1))),
            _ => self.nested(ty, field.name.node.as_str(), depth),
        }
    }

    /// Connections a field with a `connections` list argument covers.
    fn reach_many(&self, field: &Field) -> u64 {
        match self.arg(field, "connections") {
            Some(Value::List(list)) => (list.len() as u64).min(self.connections),
            _ => self.connections,
        }
    }

    /// A page of builds: free in the listing inside the window, else the pager's reads.
    fn builds(&self, field: &Field) -> Step {
        let first = self.int(field, "first", DEFAULT_BUILDS_PAGE);
        let before = self.arg(field, "after").is_some();
        let filtered = self.arg(field, "result").is_some();
        let own = if rides_along(first, before, filtered) {
            0
        } else if filtered {
            u64::from(super::builds::MAX_SCAN / super::builds::FILTER_CHUNK)
        } else {
            let reads = (first as u64 + 1).div_ceil(u64::from(BUILDS_WINDOW));
            reads + u64::from(before)
        };
        Step {
            own,
            shared: None,
            below: Some(("BuildPage", first as u64)),
            depth: LISTING_DEPTH,
        }
    }

    /// Objects nested in their parent's data (`lastBuild`, `queueItem`, `causes`): free,
    /// but what they select may cost.
    fn nested(&self, ty: &str, name: &str, depth: usize) -> Step {
        let below = field_plan(ty, name).iter().find_map(|p| match p {
            Plan::Nested(_, inner) => Some((*inner, 1)),
            _ => None,
        });
        Step {
            own: 0,
            shared: None,
            below,
            depth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(query: &str, connections: u64) -> u64 {
        let doc = async_graphql::parser::parse_query(query).expect("valid");
        Estimate::new(&doc, &Variables::default(), connections, 50).operation(None)
    }

    #[test]
    fn the_amplification_query_is_estimated_far_above_the_budget() {
        // 80 bytes that became 17,429 requests on three demo controllers.
        let q = "{ jobs(first: 1000) { nodes { builds(first: 100) { nodes { stages { logTail } } } } } }";
        let e = estimate(q, 3);
        assert!(e > 1_000_000, "{e}");
    }

    #[test]
    fn a_dashboard_costs_its_listing_and_one_describe_per_run() {
        let q = "{ connections { status root { items { ... on Folder { items { ... on Job { lastBuild { stages { name } } } } } ... on Job { lastBuild { stages { name } } } } } } }";
        // Per connection: the root listing (the probe rides on it, charged once) and a
        // describe for each of 50 + 50×50 assumed last builds.
        assert_eq!(estimate(q, 1), 1 + 1 + 50 + 50 * 50);
        assert_eq!(estimate(q, 3), 3 * (2 + 50 + 50 * 50));
    }

    #[test]
    fn pages_inside_the_window_ride_along_and_others_do_not() {
        let inside =
            r#"{ job(connection: "c", fullName: "j") { builds(first: 20) { nodes { number } } } }"#;
        assert_eq!(estimate(inside, 1), 1);
        let beyond = r#"{ job(connection: "c", fullName: "j") { builds(first: 250) { nodes { stages { name } } } } }"#;
        assert_eq!(estimate(beyond, 1), 1 + 3 + 250);
        let filtered = r#"{ job(connection: "c", fullName: "j") { builds(first: 5, result: FAILURE) { nodes { number } } } }"#;
        assert_eq!(estimate(filtered, 1), 1 + 40);
    }

    #[test]
    fn incident_answers_are_estimated_per_controller() {
        // deployments: per controller 1 + 2 × 50 (deploy folders' listings, wfapi/runs);
        // its builds ride along.
        let q = r#"{ deployments(environment: "production") { jobName build { number } } }"#;
        assert_eq!(estimate(q, 3), 3 * 101);
        let one = r#"{ deployments(connections: ["a"]) { jobName } }"#;
        assert_eq!(estimate(one, 3), 101);
        // commit: per controller the names, a listing per folder and a wfapi/runs per
        // deploy job; a build's stages cost a describe each (50 assumed builds).
        let q = r#"{ commit(sha: "0123456") { builds { build { number stages { name } } } } }"#;
        assert_eq!(estimate(q, 2), 2 * 101 + 50);
        // pendingApprovals: the running pipelines, then 2 per run; each build read again.
        let q = "{ pendingApprovals { prompt build { number } } }";
        assert_eq!(estimate(q, 1), 1 + 2 * 50 + 50);
        // A job's regression with its stage and tests; a failure summary; trends.
        let q = r#"{ job(connection: "c", fullName: "j") { regression { newlyFailedStage { name } newlyFailingTests { name } }
                     stageTrends { runs } flakyTests(last: 100) { builds } lastFailedBuild { failure { message } } } }"#;
        assert_eq!(estimate(q, 1), 1 + (1 + 2 + 2) + 1 + (1 + 30) + 3);
        let q = r#"{ resolve(url: "http://x/job/a/1/") { id } }"#;
        assert_eq!(estimate(q, 1), 3);
    }

    #[test]
    fn variables_and_fragments_count() {
        let doc = async_graphql::parser::parse_query(
            "query Q($n: Int) { jobs(first: $n) { nodes { ...J } } } fragment J on Job { lastBuild { log { text } } }",
        )
        .expect("valid");
        let vars = Variables::from_json(serde_json::json!({ "n": 10 }));
        let e = Estimate::new(&doc, &vars, 2, 50).operation(Some("Q"));
        assert_eq!(e, 2 + 10 * 2);
    }
}
