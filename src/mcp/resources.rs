//! Resources, for what an assistant may want to read whole: the GraphQL schema, and a
//! build's console log by URI (`majordomo://log/{connection}/{job}/{number}`) with a range
//! from its end (`?tail_lines=N&max_bytes=M`) or a search (`?grep=TEXT&context=N`), read
//! through the same GraphQL schema as the tools and bounded by `mcp.max_resource_bytes`.

use percent_encoding::percent_decode_str;
use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::{json, Value};

use super::ask::{documents, Asker};
use super::reply::Reply;

/// The schema's URI.
pub(crate) const SCHEMA_URI: &str = "majordomo://schema";
/// The prefix of log URIs.
const LOG_PREFIX: &str = "majordomo://log/";

/// The fixed resources.
pub(crate) fn list() -> Vec<Resource> {
    vec![Resource::new(SCHEMA_URI, "schema")
        .with_title("Majordomo GraphQL schema")
        .with_description(
            "The GraphQL schema (SDL) every tool reads through; every type and field is described.",
        )
        .with_mime_type("application/graphql")]
}

/// The resource templates.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    vec![ResourceTemplate::new(
        "majordomo://log/{connection}/{+job}/{number}{?tail_lines,max_bytes,grep,context}",
        "build-log",
    )
    .with_title("A build's console log")
    .with_description(
        "A build's console log, annotations stripped. Without parameters its last \
         max_resource_bytes; tail_lines keeps the last N lines, max_bytes reads less; grep \
         returns the matching lines with line numbers and context lines instead.",
    )
    .with_mime_type("text/plain")]
}

/// A log URI, parsed.
#[derive(Debug, PartialEq)]
struct LogUri {
    connection: String,
    job: String,
    number: u32,
    tail_lines: Option<u32>,
    max_bytes: Option<usize>,
    grep: Option<String>,
    context: Option<u32>,
}

fn parse_log_uri(uri: &str) -> Option<LogUri> {
    let rest = uri.strip_prefix(LOG_PREFIX)?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    let (connection, rest) = path.split_once('/')?;
    let (job, number) = rest.rsplit_once('/')?;
    let mut parsed = LogUri {
        connection: decode(connection),
        job: decode(job),
        number: number.parse().ok()?,
        tail_lines: None,
        max_bytes: None,
        grep: None,
        context: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "tail_lines" => parsed.tail_lines = Some(value.parse().ok()?),
            "max_bytes" => parsed.max_bytes = Some(value.parse().ok()?),
            "grep" => parsed.grep = Some(decode(value)),
            "context" => parsed.context = Some(value.parse().ok()?),
            _ => return None,
        }
    }
    (!parsed.job.is_empty()).then_some(parsed)
}

/// Read the resource `uri`: its text, or the error to answer with.
pub(crate) async fn read(
    asker: &Asker,
    uri: &str,
    max_bytes: usize,
) -> Result<ResourceContents, Reply> {
    if uri == SCHEMA_URI {
        return Ok(
            ResourceContents::text(crate::schema::sdl(), uri).with_mime_type("application/graphql")
        );
    }
    let Some(log) = parse_log_uri(uri) else {
        return Err(Reply::error(
            "RESOURCE_NOT_FOUND",
            format!("no resource {uri:?}"),
            "resources/list and resources/templates/list name what can be read",
        ));
    };
    let mut vars = json!({ "connection": log.connection, "job": log.job, "number": log.number });
    let document = match &log.grep {
        Some(pattern) => {
            vars["grep"] = json!(pattern);
            vars["context"] = json!(log.context.unwrap_or(2).min(50));
            vars["maxMatches"] = json!(100);
            vars["fromEnd"] = json!(false);
            documents::LOG_GREP
        }
        None => {
            vars["tailLines"] = json!(log.tail_lines);
            vars["maxBytes"] = json!(log.max_bytes.unwrap_or(max_bytes).min(max_bytes));
            documents::LOG_TAIL
        }
    };
    let answer = asker.ask(document, vars).await;
    let text_of = |log: &Value| match &log["text"] {
        Value::String(text) => text.clone(),
        _ => grep_text(log, max_bytes),
    };
    match answer.data["build"]["log"].as_object() {
        Some(_) => Ok(ResourceContents::text(
            text_of(&answer.data["build"]["log"]),
            uri,
        )),
        None if answer.data["build"].is_object() => Ok(ResourceContents::text("", uri)),
        None => Err(Reply::failed(&answer, "the build")),
    }
}

/// Search matches as text: `NUMBER: line`, context lines with `-`, groups split by `--`
/// (as `grep -n` prints them), at most `max_bytes`.
fn grep_text(log: &Value, max_bytes: usize) -> String {
    let mut out = String::new();
    for m in log["matches"].as_array().into_iter().flatten() {
        let n = m["lineNumber"].as_u64().unwrap_or(0);
        let lines = |key: &str| m[key].as_array().cloned().unwrap_or_default();
        let before = lines("before");
        let mut chunk = String::from("--\n");
        for (i, l) in before.iter().enumerate() {
            let at = (n as usize).saturating_sub(before.len()) + i;
            chunk.push_str(&format!("{at}-{}\n", l.as_str().unwrap_or("")));
        }
        chunk.push_str(&format!("{n}:{}\n", m["line"].as_str().unwrap_or("")));
        for (i, l) in lines("after").iter().enumerate() {
            chunk.push_str(&format!(
                "{}-{}\n",
                n as usize + 1 + i,
                l.as_str().unwrap_or("")
            ));
        }
        if out.len() + chunk.len() > max_bytes {
            out.push_str("[… more matches cut: narrow the search]\n");
            break;
        }
        out.push_str(&chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_uris_name_a_job_in_folders_and_a_range() {
        let uri = "majordomo://log/ci-prod/platform/api-server/57?tail_lines=200&grep=OutOfMemory%20Error";
        assert_eq!(
            parse_log_uri(uri),
            Some(LogUri {
                connection: "ci-prod".into(),
                job: "platform/api-server".into(),
                number: 57,
                tail_lines: Some(200),
                max_bytes: None,
                grep: Some("OutOfMemory Error".into()),
                context: None,
            })
        );
        assert_eq!(parse_log_uri("majordomo://log/ci-prod/57"), None);
        assert_eq!(parse_log_uri("majordomo://log/ci-prod/job/x"), None);
        assert_eq!(parse_log_uri("majordomo://log/ci-prod/job/1?nope=1"), None);
    }
}
