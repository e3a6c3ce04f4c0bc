//! The table from GraphQL fields to Jenkins data: for every object type of the schema,
//! what each of its fields needs from Jenkins. The planner reads selections through it,
//! and a test walks the schema by introspection to check that every field has an entry
//! (and every entry a field), so the schema and the planner cannot drift apart.

/// What one GraphQL field needs from Jenkins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing beyond what identifies the object (its key, its connection, `_class`,
    /// which Jenkins sends with every object).
    Known,
    /// These Jenkins fields of the object itself.
    Read(&'static [&'static str]),
    /// These Jenkins fields below a path of the object (`author[fullName]`).
    At(&'static [&'static str], &'static [&'static str]),
    /// Objects of another GraphQL type below a path (`lastBuild` → `Build`): the field's
    /// own selection is planned with that type's table.
    Nested(&'static [&'static str], &'static str),
    /// A job's page of builds: rides along in the listing when it fits Jenkins' window.
    BuildsPage,
    /// The builds a job's trend is computed from.
    Trend,
    /// A folder's children: one more folder level in the same request.
    Children,
    /// Its own upstream request(s), planned when the field resolves (stages, logs, tests,
    /// the parent folder, a connection's probe, fleet-wide views).
    Own,
    /// Comes whole with the answer its parent was made from (a run's stages, a log).
    Whole,
}

use Plan::{At, BuildsPage, Children, Known, Nested, Own, Read, Trend, Whole};

/// The plan of one GraphQL object type.
pub(crate) struct TypePlan {
    /// The GraphQL type name.
    pub(crate) name: &'static str,
    /// Jenkins fields every object of this type is fetched with.
    pub(crate) base: &'static [&'static str],
    /// Field name → what it needs (several parts when it reads from several places).
    pub(crate) fields: &'static [(&'static str, &'static [Plan])],
}

const NAMED_BUILDS: [&str; 7] = [
    "lastBuild",
    "lastSuccessfulBuild",
    "lastFailedBuild",
    "lastCompletedBuild",
    "lastStableBuild",
    "lastUnstableBuild",
    "lastUnsuccessfulBuild",
];

const JOB: TypePlan = TypePlan {
    name: "Job",
    base: &["name", "url"],
    fields: &[
        ("id", &[Known]),
        ("name", &[Known]),
        ("fullName", &[Known]),
        ("displayName", &[Read(&["displayName"])]),
        ("url", &[Known]),
        ("description", &[Read(&["description"])]),
        ("kind", &[Known]),
        ("connection", &[Known]),
        ("parent", &[Own]),
        ("color", &[Read(&["color"])]),
        ("status", &[Read(&["color"])]),
        ("building", &[Read(&["color"])]),
        ("buildable", &[Read(&["buildable"])]),
        ("disabled", &[Read(&["disabled", "color"])]),
        ("inQueue", &[Read(&["inQueue"])]),
        ("nextBuildNumber", &[Read(&["nextBuildNumber"])]),
        ("health", &[Nested(&["healthReport"], "Health")]),
        (
            "parameters",
            &[Nested(
                &["property", "parameterDefinitions"],
                "ParameterDefinition",
            )],
        ),
        ("queueItem", &[Nested(&["queueItem"], "QueueItem")]),
        (NAMED_BUILDS[0], &[Nested(&[NAMED_BUILDS[0]], "Build")]),
        (NAMED_BUILDS[1], &[Nested(&[NAMED_BUILDS[1]], "Build")]),
        (NAMED_BUILDS[2], &[Nested(&[NAMED_BUILDS[2]], "Build")]),
        (NAMED_BUILDS[3], &[Nested(&[NAMED_BUILDS[3]], "Build")]),
        (NAMED_BUILDS[4], &[Nested(&[NAMED_BUILDS[4]], "Build")]),
        (NAMED_BUILDS[5], &[Nested(&[NAMED_BUILDS[5]], "Build")]),
        (NAMED_BUILDS[6], &[Nested(&[NAMED_BUILDS[6]], "Build")]),
        ("builds", &[BuildsPage]),
        ("build", &[Own]),
        ("trend", &[Trend]),
        ("regression", &[Own]),
        ("stageTrends", &[Own]),
        ("flakyTests", &[Own]),
    ],
};

const FOLDER: TypePlan = TypePlan {
    name: "Folder",
    base: &["name", "url"],
    fields: &[
        ("id", &[Known]),
        ("name", &[Known]),
        ("fullName", &[Known]),
        ("displayName", &[Read(&["displayName"])]),
        ("url", &[Known]),
        ("description", &[Read(&["description"])]),
        ("kind", &[Known]),
        ("connection", &[Known]),
        ("parent", &[Own]),
        ("health", &[Nested(&["healthReport"], "Health")]),
        ("items", &[Children]),
        ("jobs", &[Children]),
        ("folders", &[Children]),
    ],
};

const BUILD: TypePlan = TypePlan {
    name: "Build",
    base: &["number", "url"],
    fields: &[
        ("id", &[Known]),
        ("number", &[Known]),
        ("displayName", &[Read(&["displayName"])]),
        ("result", &[Read(&["result", "building"])]),
        ("building", &[Read(&["result", "building"])]),
        ("status", &[Read(&["result", "building"])]),
        ("timestamp", &[Read(&["timestamp"])]),
        ("duration", &[Read(&["duration", "building", "timestamp"])]),
        ("estimatedDuration", &[Read(&["estimatedDuration"])]),
        ("url", &[Known]),
        ("description", &[Read(&["description"])]),
        ("queueId", &[Read(&["queueId"])]),
        ("causes", &[Nested(&["actions", "causes"], "Cause")]),
        (
            "parameters",
            &[Nested(&["actions", "parameters"], "Parameter")],
        ),
        (
            "changes",
            &[
                Nested(&["changeSet", "items"], "Change"),
                Nested(&["changeSets", "items"], "Change"),
            ],
        ),
        ("culprits", &[Nested(&["culprits"], "UserRef")]),
        ("artifacts", &[Nested(&["artifacts"], "Artifact")]),
        (
            "revision",
            &[At(&["actions", "lastBuiltRevision"], &["SHA1"])],
        ),
        ("testSummary", &[Nested(&["actions"], "TestSummary")]),
        ("failedTests", &[Own]),
        ("log", &[Own]),
        ("stages", &[Own]),
        ("waitingForInput", &[Own]),
        ("pendingInputs", &[Own]),
        ("failure", &[Read(&["result", "building"]), Own]),
        ("job", &[Own]),
        ("connection", &[Known]),
    ],
};

const CAUSE: TypePlan = TypePlan {
    name: "Cause",
    base: &[],
    fields: &[
        ("kind", &[Known]),
        ("description", &[Read(&["shortDescription"])]),
        ("userId", &[Read(&["userId"])]),
        ("userName", &[Read(&["userName"])]),
        ("upstreamJob", &[Read(&["upstreamProject"])]),
        ("upstreamBuild", &[Read(&["upstreamBuild"])]),
    ],
};

const PARAMETER: TypePlan = TypePlan {
    name: "Parameter",
    base: &["name"],
    fields: &[
        ("name", &[Known]),
        ("kind", &[Known]),
        ("value", &[Read(&["value"])]),
    ],
};

const PARAMETER_DEFINITION: TypePlan = TypePlan {
    name: "ParameterDefinition",
    base: &["name"],
    fields: &[
        ("name", &[Known]),
        ("kind", &[Read(&["type"])]),
        ("description", &[Read(&["description"])]),
        (
            "defaultValue",
            &[Read(&["type"]), At(&["defaultParameterValue"], &["value"])],
        ),
        ("choices", &[Read(&["choices"])]),
    ],
};

const CHANGE: TypePlan = TypePlan {
    name: "Change",
    base: &[],
    fields: &[
        ("commitId", &[Read(&["commitId"])]),
        ("message", &[Read(&["msg"])]),
        ("fullMessage", &[Read(&["comment"])]),
        ("author", &[At(&["author"], &["fullName"])]),
        ("authorEmail", &[Read(&["authorEmail"])]),
        ("timestamp", &[Read(&["timestamp"])]),
        (
            "paths",
            &[Read(&["affectedPaths"]), Nested(&["paths"], "ChangedPath")],
        ),
    ],
};

const CHANGED_PATH: TypePlan = TypePlan {
    name: "ChangedPath",
    base: &[],
    fields: &[
        ("editType", &[Read(&["editType"])]),
        ("file", &[Read(&["file"])]),
    ],
};

const USER_REF: TypePlan = TypePlan {
    name: "UserRef",
    base: &[],
    fields: &[
        ("fullName", &[Read(&["fullName"])]),
        ("url", &[Read(&["absoluteUrl"])]),
    ],
};

const ARTIFACT: TypePlan = TypePlan {
    name: "Artifact",
    base: &[],
    fields: &[
        ("fileName", &[Read(&["fileName"])]),
        ("relativePath", &[Read(&["relativePath"])]),
        ("url", &[Read(&["relativePath"])]),
    ],
};

/// Read from the test result action among a build's actions, found by its counts.
const TEST_SUMMARY: TypePlan = TypePlan {
    name: "TestSummary",
    base: &["totalCount", "urlName"],
    fields: &[
        ("total", &[Known]),
        ("failed", &[Read(&["failCount"])]),
        ("skipped", &[Read(&["skipCount"])]),
        ("passed", &[Read(&["failCount", "skipCount"])]),
    ],
};

const HEALTH: TypePlan = TypePlan {
    name: "Health",
    base: &["score"],
    fields: &[
        ("score", &[Known]),
        ("description", &[Read(&["description"])]),
    ],
};

/// Queue items: the queue is read whole (see [`super::queue_tree`]); a job's own queue
/// item is read with the fields selected.
const QUEUE_ITEM: TypePlan = TypePlan {
    name: "QueueItem",
    base: &["id"],
    fields: &[
        ("id", &[Known]),
        ("queueId", &[Known]),
        ("state", &[Read(&["blocked", "buildable"])]),
        ("jobName", &[At(&["task"], &["name", "url", "fullName"])]),
        ("job", &[At(&["task"], &["name", "url", "fullName"])]),
        ("why", &[Read(&["why"])]),
        ("blocked", &[Read(&["blocked"])]),
        ("buildable", &[Read(&["buildable"])]),
        ("stuck", &[Read(&["stuck"])]),
        ("inQueueSince", &[Read(&["inQueueSince"])]),
        ("waitingMs", &[Read(&["inQueueSince"])]),
        ("params", &[Read(&["params"])]),
        ("causes", &[Nested(&["actions", "causes"], "Cause")]),
        ("connection", &[Known]),
    ],
};

/// Agents: the computer list is read whole (see [`super::computers_tree`]).
const AGENT: TypePlan = TypePlan {
    name: "Agent",
    base: &["displayName"],
    fields: &[
        ("id", &[Known]),
        ("name", &[Known]),
        ("offline", &[Read(&["offline"])]),
        ("temporarilyOffline", &[Read(&["temporarilyOffline"])]),
        ("offlineReason", &[Read(&["offlineCauseReason", "offline"])]),
        ("idle", &[Read(&["idle"])]),
        ("executors", &[Read(&["numExecutors"])]),
        ("busyExecutors", &[At(&["executors"], &["idle"])]),
        ("labels", &[At(&["assignedLabels"], &["name"])]),
        ("connection", &[Known]),
    ],
};

/// Failing test cases: the report is read with every field of this table.
const FAILED_TEST: TypePlan = TypePlan {
    name: "FailedTest",
    base: &["status"],
    fields: &[
        ("className", &[Read(&["className"])]),
        ("name", &[Read(&["name"])]),
        ("status", &[Known]),
        ("error", &[Read(&["errorDetails"])]),
        ("durationSeconds", &[Read(&["duration"])]),
        ("age", &[Read(&["age"])]),
    ],
};

const STAGE: TypePlan = TypePlan {
    name: "Stage",
    base: &[],
    fields: &[
        ("id", &[Whole]),
        ("nodeId", &[Whole]),
        ("name", &[Whole]),
        ("status", &[Whole]),
        ("startTime", &[Whole]),
        ("duration", &[Whole]),
        ("pauseDuration", &[Whole]),
        ("error", &[Whole]),
        ("concurrentWith", &[Whole]),
        ("parent", &[Whole]),
        ("branches", &[Whole]),
        ("logTail", &[Own]),
    ],
};

const CONNECTION: TypePlan = TypePlan {
    name: "Connection",
    base: &[],
    fields: &[
        ("id", &[Known]),
        ("name", &[Known]),
        ("url", &[Known]),
        ("status", &[Own]),
        ("version", &[Own]),
        ("latencyMs", &[Own]),
        ("quietingDown", &[Own]),
        ("error", &[Own]),
        ("root", &[Own]),
        ("folder", &[Own]),
        ("job", &[Own]),
        ("jobs", &[Own]),
        ("queue", &[Own]),
        ("agents", &[Own]),
        ("health", &[Own]),
    ],
};

const CONNECTION_HEALTH: TypePlan = TypePlan {
    name: "ConnectionHealth",
    base: &[],
    fields: &[
        ("connection", &[Known]),
        ("status", &[Own]),
        ("version", &[Own]),
        ("error", &[Own]),
        ("jobCount", &[Own]),
        ("failingJobs", &[Own]),
        ("stuckQueueItems", &[Own]),
        ("queueLength", &[Own]),
        ("offlineAgents", &[Own]),
    ],
};

const FLEET_HEALTH: TypePlan = TypePlan {
    name: "FleetHealth",
    base: &[],
    fields: &[
        ("connections", &[Own]),
        ("failingJobs", &[Own]),
        ("stuckQueueItems", &[Own]),
        ("offlineAgents", &[Own]),
        ("totals", &[Own]),
    ],
};

const QUERY_ROOT: TypePlan = TypePlan {
    name: "QueryRoot",
    base: &[],
    fields: &[
        ("connections", &[Known]),
        ("connection", &[Known]),
        ("job", &[Own]),
        ("build", &[Own]),
        ("jobs", &[Own]),
        ("queue", &[Own]),
        ("agents", &[Own]),
        ("health", &[Own]),
        ("node", &[Own]),
        ("resolve", &[Own]),
        ("deployments", &[Own]),
        ("commit", &[Own]),
        ("pendingApprovals", &[Own]),
        ("dora", &[Own]),
    ],
};

/// Deployments: read with their build in the deploy jobs' listings (see
/// [`super::incident::deploy_builds_tree`]); the build's fields are planned there.
const DEPLOYMENT: TypePlan = TypePlan {
    name: "Deployment",
    base: &[],
    fields: &[
        ("environment", &[Whole]),
        ("connection", &[Known]),
        ("jobName", &[Known]),
        ("build", &[Whole]),
        ("result", &[Whole]),
        ("status", &[Whole]),
        ("revision", &[Whole]),
        ("startedBy", &[Whole]),
        ("causes", &[Whole]),
        ("timestamp", &[Whole]),
        ("duration", &[Whole]),
        ("finishedAt", &[Whole]),
        ("stage", &[Whole]),
    ],
};

/// Builds waiting at an input: the waiting build is read again with its own selection.
const PENDING_APPROVAL: TypePlan = TypePlan {
    name: "PendingApproval",
    base: &[],
    fields: &[
        ("connection", &[Known]),
        ("jobName", &[Known]),
        ("buildNumber", &[Known]),
        ("build", &[Own]),
        ("stage", &[Whole]),
        ("input", &[Whole]),
        ("prompt", &[Whole]),
        ("waitingSince", &[Whole]),
        ("waitingMs", &[Whole]),
    ],
};

/// A regression: its two builds come from the job's history listing (see
/// [`super::incident::regression_tree`]); the stage and tests cost their own requests.
const REGRESSION: TypePlan = TypePlan {
    name: "Regression",
    base: &[],
    fields: &[
        ("lastGoodBuild", &[Whole]),
        ("firstBadBuild", &[Whole]),
        ("failingBuilds", &[Whole]),
        ("commits", &[Whole]),
        ("culprits", &[Whole]),
        ("changedParameters", &[Whole]),
        ("newlyFailedStage", &[Own]),
        ("newlyFailingTests", &[Own]),
    ],
};

/// Types made whole from what their parent already holds.
macro_rules! whole {
    ($name:literal: $($field:literal),+) => {
        TypePlan { name: $name, base: &[], fields: &[$(($field, &[Whole])),+] }
    };
}

/// Every object type of the schema.
pub(crate) const PLANS: &[TypePlan] = &[
    JOB,
    FOLDER,
    BUILD,
    CAUSE,
    PARAMETER,
    PARAMETER_DEFINITION,
    CHANGE,
    CHANGED_PATH,
    USER_REF,
    ARTIFACT,
    TEST_SUMMARY,
    HEALTH,
    QUEUE_ITEM,
    AGENT,
    FAILED_TEST,
    STAGE,
    CONNECTION,
    CONNECTION_HEALTH,
    FLEET_HEALTH,
    QUERY_ROOT,
    DEPLOYMENT,
    PENDING_APPROVAL,
    REGRESSION,
    whole!("Commit": "sha", "change", "builds", "deployments", "environments", "scannedBuilds"),
    whole!("CommitBuild": "build", "link", "connection", "jobName"),
    whole!("FailureSummary": "stage", "step", "stepDescription", "message", "errorType", "logExcerpt", "excerptSource"),
    whole!("ParameterChange": "name", "before", "after"),
    whole!("StageTrends": "runs", "stages", "slowerStage"),
    whole!("StageTrend": "name", "runs", "failures", "failureRate", "meanDuration", "p95Duration", "durationChange", "slower", "durations"),
    whole!("FlakyTests": "builds", "tests"),
    whole!("FlakyTest": "className", "name", "passes", "failures", "flips", "sameRevisionFlips", "flaky", "lastFailedBuild", "lastError"),
    whole!("DoraMetrics": "environment", "since", "until", "deployments", "deploymentFrequency", "leadTime", "changeFailureRate", "timeToRestore", "complete"),
    whole!("DoraRate": "value", "deployments"),
    whole!("DoraDuration": "median", "mean", "samples", "deployments"),
    whole!("StageError": "message", "kind"),
    whole!("PendingInput": "id", "message", "proceedText", "parameters", "url"),
    whole!("InputParameter": "name", "kind", "description"),
    whole!("Log": "text", "totalBytes", "truncated", "moreData", "matches", "matchLimitReached"),
    whole!("LogMatch": "lineNumber", "line", "before", "after"),
    whole!("Trend": "builds", "successes", "failures", "unstable", "aborted", "successRate", "meanDuration", "p95Duration", "flakiness"),
    whole!("PageInfo": "hasNextPage", "endCursor"),
    whole!("BuildPage": "nodes", "pageInfo"),
    whole!("JobPage": "nodes", "pageInfo", "totalCount"),
    whole!("FleetTotals": "connections", "online", "jobs", "failingJobs", "queued", "stuck", "offlineAgents"),
    whole!("UpstreamProblem": "code", "message", "hint", "httpStatus"),
];

/// The plan of a type; an interface (`Item`) is read through its implementors.
pub(crate) fn type_plan(name: &str) -> Option<&'static TypePlan> {
    PLANS.iter().find(|p| p.name == name)
}

/// What `field` of `ty` needs; for the `Item` interface, the first implementor that has it.
pub(crate) fn field_plan(ty: &str, field: &str) -> &'static [Plan] {
    let types: &[&str] = if ty == "Item" {
        &["Job", "Folder"]
    } else {
        &[ty]
    };
    types
        .iter()
        .filter_map(|t| type_plan(t))
        .find_map(|p| {
            p.fields
                .iter()
                .find(|(n, _)| *n == field)
                .map(|(_, plan)| *plan)
        })
        .unwrap_or(&[])
}

/// Jenkins fields every object of `ty` is fetched with.
pub(crate) fn base_of(ty: &str) -> &'static [&'static str] {
    let ty = if ty == "Item" { "Job" } else { ty };
    type_plan(ty).map_or(&[], |p| p.base)
}
