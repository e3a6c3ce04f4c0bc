//! Job names as a model says them: `api-server` finds `platform/api-server` on `ci-prod`
//! when exactly one job in the caller's scope has that name (or full name); an ambiguous
//! name answers with the candidates instead of guessing. Builds are named by number or
//! by which (`last`, `last_failed`, …).

use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ask::{documents, Answer, Asker};
use super::reply::Reply;

/// Most candidates listed for an ambiguous name.
const MAX_CANDIDATES: usize = 20;
/// Most jobs a name's search looks at (a substring can match many).
const SEARCHED: usize = 200;

/// Which build of a job, when no number is given.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "rmcp::schemars")]
pub(crate) enum Which {
    /// The newest build, running or finished.
    #[default]
    Last,
    /// The newest finished build.
    LastCompleted,
    /// The newest successful build.
    LastSuccessful,
    /// The newest failed build.
    LastFailed,
}

impl Which {
    fn field(self) -> &'static str {
        match self {
            Which::Last => "lastBuild",
            Which::LastCompleted => "lastCompletedBuild",
            Which::LastSuccessful => "lastSuccessfulBuild",
            Which::LastFailed => "lastFailedBuild",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Which::Last => "no build",
            Which::LastCompleted => "no completed build",
            Which::LastSuccessful => "no successful build",
            Which::LastFailed => "no failed build",
        }
    }
}

/// A job, found.
#[derive(Debug, Clone)]
pub(crate) struct JobRef {
    /// Its connection.
    pub(crate) connection: String,
    /// Its full name there.
    pub(crate) full_name: String,
    /// Its last builds (`lastBuild`, `lastFailedBuild`, …) as the job reported them.
    last: Value,
}

impl JobRef {
    /// The variables that name it (`connection`, `job`).
    pub(crate) fn vars(&self) -> Value {
        json!({ "connection": self.connection, "job": self.full_name })
    }

    /// The build `number`, or else the one `which` names.
    pub(crate) fn build_number(
        &self,
        number: Option<u32>,
        which: Option<Which>,
    ) -> Result<u32, Reply> {
        if let Some(n) = number {
            return Ok(n);
        }
        let which = which.unwrap_or_default();
        self.last[which.field()]["number"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                Reply::error(
                    "NO_SUCH_BUILD",
                    format!(
                        "{} on {} has {}",
                        self.full_name,
                        self.connection,
                        which.words()
                    ),
                    "job_details lists its recent builds",
                )
            })
    }
}

/// Find the job `name` (a name, a full name or a glob) on `connection` or anywhere the
/// caller may look.
pub(crate) async fn resolve_job(
    asker: &Asker,
    name: &str,
    connection: Option<&str>,
) -> Result<JobRef, Reply> {
    if let Some(connection) = connection {
        if let Some(found) = last_builds(asker, connection, name).await? {
            return Ok(found);
        }
    }
    let filter = json!({ "namePattern": name, "connections": connection.map(|c| vec![c]) });
    let answer = asker
        .ask(
            documents::FIND_JOB,
            json!({ "filter": filter, "first": SEARCHED }),
        )
        .await;
    let nodes = answer.data["jobs"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Without wildcards the search matches substrings: a job named exactly so wins.
    let exact: Vec<Value> = nodes
        .iter()
        .filter(|n| n["name"] == name || n["fullName"] == name)
        .cloned()
        .collect();
    let found = if exact.is_empty() { nodes } else { exact };
    match found.as_slice() {
        [] => Err(not_found(name, connection, &answer)),
        [one] => {
            let connection = one["connection"].as_str().unwrap_or_default();
            let full_name = one["fullName"].as_str().unwrap_or_default();
            last_builds(asker, connection, full_name)
                .await?
                .ok_or_else(|| not_found(name, Some(connection), &answer))
        }
        many => {
            let candidates: Vec<Value> = many
                .iter()
                .take(MAX_CANDIDATES)
                .map(|n| json!({ "connection": n["connection"], "fullName": n["fullName"] }))
                .collect();
            Err(Reply::error(
                "AMBIGUOUS_JOB",
                format!("{} jobs match {name:?}; none was chosen", many.len()),
                "call again with `connection` and the `job`'s full name, from the candidates",
            )
            .and("candidates", Value::Array(candidates)))
        }
    }
}

fn not_found(name: &str, connection: Option<&str>, answer: &Answer) -> Reply {
    let place = connection.map_or_else(|| "any connection".to_string(), |c| format!("{c:?}"));
    let mut reply = Reply::error(
        "JOB_NOT_FOUND",
        format!("no job named {name:?} on {place}"),
        "names are case-sensitive; search with list_jobs and a pattern such as name=\"*part*\"",
    );
    if !answer.problems.is_empty() {
        // A controller that could not be searched may hold it.
        reply = reply.and("problems", Value::Array(answer.problems.clone()));
    }
    reply
}

/// The job `full_name` on `connection` with its last builds; `None` when it does not exist.
async fn last_builds(
    asker: &Asker,
    connection: &str,
    full_name: &str,
) -> Result<Option<JobRef>, Reply> {
    let answer = asker
        .ask(
            documents::LAST_BUILDS,
            json!({ "connection": connection, "job": full_name }),
        )
        .await;
    let job = &answer.data["job"];
    if job.is_object() {
        return Ok(Some(JobRef {
            connection: connection.to_string(),
            full_name: job["fullName"].as_str().unwrap_or(full_name).to_string(),
            last: job.clone(),
        }));
    }
    // A connection that is down or unknown is the answer; a job that is not there is not.
    match answer.problems.first() {
        Some(p) => Err(Reply::from_problem(p)),
        None => Ok(None),
    }
}
