//! The tools: for each, its name, a description a model can act on, and the JSON schema of
//! its input (derived from the struct its arguments are read into). Each is a thin layer
//! over the GraphQL schema (`fleet.rs`, `builds.rs`).

use std::sync::Arc;

use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde::de::DeserializeOwned;

use super::args::{
    ApprovalsArgs, BuildArgs, FailingJobsArgs, JobArgs, ListJobsArgs, LogArgs, NoArgs,
    PipelineArgs, QueueArgs,
};
use super::ask::Asker;
use super::reply::Reply;
use super::{builds, fleet};

/// One tool: name, title, description, input schema.
struct Spec {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    schema: fn() -> Arc<JsonObject>,
}

/// Every tool, in the order they are listed.
const SPECS: &[Spec] = &[
    Spec {
        name: "list_connections",
        title: "Connections",
        description: "Every Jenkins controller (connection) you can see: its status (ONLINE, UNAUTHORIZED, UNREACHABLE, TIMEOUT, …), Jenkins version, latency, and for one that fails the error code with a hint. Start here when unsure which controllers exist.",
        schema: schema_for_type::<NoArgs>,
    },
    Spec {
        name: "fleet_health",
        title: "Fleet health",
        description: "Health of the whole fleet in one answer: totals (connections online, jobs, failing jobs, queued and stuck items, offline agents), each controller's status, the failing jobs with their last failed build, stuck queue items and offline agents.",
        schema: schema_for_type::<NoArgs>,
    },
    Spec {
        name: "list_jobs",
        title: "List jobs",
        description: "Jobs across every controller, searched recursively through folders and multibranch projects, filtered by name glob, folder, connection, status, last result or building. Paged: pass `nextPage` back as `after`. Use it to find a job's full name and connection.",
        schema: schema_for_type::<ListJobsArgs>,
    },
    Spec {
        name: "failing_jobs",
        title: "Failing jobs",
        description: "Jobs whose status is FAILURE across controllers, each with its last failed build (number, time), the failing stage and its error for pipelines, and its last successful build (when it last worked).",
        schema: schema_for_type::<FailingJobsArgs>,
    },
    Spec {
        name: "job_details",
        title: "Job details",
        description: "One job: status, health score, last build, last successful and last failed build, recent builds, trend (success rate, failures, mean and p95 duration, flakiness), queue item and parameters. `job` may be a short name: it is resolved across controllers, and an ambiguous name returns the candidates.",
        schema: schema_for_type::<JobArgs>,
    },
    Spec {
        name: "build_details",
        title: "Build details",
        description: "One build (by number, or the last / last failed / last successful / last completed): result, duration, causes (who or what started it), parameters (passwords masked), code changes (commits, authors, files), culprits, test summary and failed tests, artifacts, pending approvals. Answers \"what changed in #142?\" and \"did it deploy?\".",
        schema: schema_for_type::<BuildArgs>,
    },
    Spec {
        name: "build_log",
        title: "Build log",
        description: "A build's console log without reading it whole. Tail mode (default): the last `tail_lines` lines. Search mode (`grep`): matching lines with line numbers and context, the last matches first. Sized to the byte budget; when cut it says so and what to ask next.",
        schema: schema_for_type::<LogArgs>,
    },
    Spec {
        name: "build_queue",
        title: "Build queue",
        description: "Items waiting in the build queues of every controller (or one): the job, why it waits in Jenkins' words, whether it is blocked, buildable or stuck, and for how long. Stuck and longest-waiting items first.",
        schema: schema_for_type::<QueueArgs>,
    },
    Spec {
        name: "pipeline_run",
        title: "Pipeline run",
        description: "A pipeline run's stages (the last run unless a number or `which` is given): each stage's status, duration and parallel branch, the failing stage's error and the tail of its log, and any input the run waits for.",
        schema: schema_for_type::<PipelineArgs>,
    },
    Spec {
        name: "pending_approvals",
        title: "Pending approvals",
        description: "Pipeline runs paused at an `input` step, waiting for someone to approve (a deployment gate, a release sign-off), across controllers: the job, the run, since when, and each question with its proceed text. Only the last run of each running pipeline is looked at.",
        schema: schema_for_type::<ApprovalsArgs>,
    },
];

/// The tools, as MCP lists them.
pub(crate) fn list() -> Vec<Tool> {
    SPECS
        .iter()
        .map(|s| {
            Tool::new(s.name, s.description, (s.schema)())
                .with_title(s.title)
                .with_annotations(
                    ToolAnnotations::with_title(s.title)
                        .read_only(true)
                        .destructive(false)
                        .idempotent(true)
                        .open_world(false),
                )
        })
        .collect()
}

/// Read a tool's arguments into its struct, or the error that says what is wrong.
fn args<T: DeserializeOwned>(arguments: Option<rmcp::model::JsonObject>) -> Result<T, Reply> {
    let value = serde_json::Value::Object(arguments.unwrap_or_default());
    serde_json::from_value(value).map_err(|e| {
        Reply::error(
            "BAD_ARGUMENT",
            format!("the arguments do not fit the tool's input schema: {e}"),
            "see the tool's inputSchema (tools/list)",
        )
    })
}

/// Run the tool `name`; `None` when there is no such tool.
pub(crate) async fn call(
    asker: &Asker,
    name: &str,
    arguments: Option<JsonObject>,
    budget: usize,
) -> Option<Reply> {
    let reply = match name {
        "list_connections" => fleet::connections(asker).await,
        "fleet_health" => fleet::health(asker).await,
        "list_jobs" => run(arguments, |a| fleet::list_jobs(asker, a)).await,
        "failing_jobs" => run(arguments, |a| fleet::failing_jobs(asker, a)).await,
        "build_queue" => run(arguments, |a| fleet::queue(asker, a)).await,
        "job_details" => run(arguments, |a| builds::job(asker, a)).await,
        "build_details" => run(arguments, |a| builds::build(asker, a)).await,
        "build_log" => run(arguments, |a| builds::log(asker, a, budget)).await,
        "pipeline_run" => run(arguments, |a| builds::pipeline(asker, a)).await,
        "pending_approvals" => run(arguments, |a| fleet::pending_approvals(asker, a)).await,
        _ => return None,
    };
    Some(reply)
}

async fn run<T: DeserializeOwned, F: std::future::Future<Output = Result<Reply, Reply>>>(
    arguments: Option<JsonObject>,
    tool: impl FnOnce(T) -> F,
) -> Reply {
    match args(arguments) {
        Ok(a) => tool(a).await.unwrap_or_else(|e| e),
        Err(e) => e,
    }
}
