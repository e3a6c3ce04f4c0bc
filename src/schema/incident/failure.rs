//! `Build.failure`: why a build failed, in one field: the failing stage and step, the
//! error Jenkins recorded, and the log lines around the last error lines (bounded bytes),
//! instead of a log of any size. For a pipeline: its `wfapi/describe` (shared with
//! `stages`), the failing stage's node (its steps) and the failing step's log (the last
//! 10 KiB); for other builds, or without the Pipeline REST API, the console log's tail.

use async_graphql::{Context, ErrorExtensions, Object};

use super::super::load::{loaders, stages_of};
use super::super::objects::{BuildObj, FailureObj, StageObj};
use super::super::values::ExcerptSource;
use crate::jenkins::log::strip_html;
use crate::jenkins::{wire, JenkinsError};

/// Bytes of a log excerpt when `maxBytes` is not given.
pub(crate) const DEFAULT_EXCERPT_BYTES: i32 = 4 * 1024;
/// Largest excerpt a caller may ask for.
const MAX_EXCERPT_BYTES: usize = 64 * 1024;
/// Lines kept before the first and after the last error line of the excerpt.
const CONTEXT_LINES: usize = 3;
/// Error lines at most this far apart belong to one block.
const BLOCK_GAP: usize = 6;

/// Whether a log line reports an error (not Jenkins' own closing words).
fn is_error_line(line: &str) -> bool {
    if line.starts_with("Finished:") || line.starts_with("[Pipeline]") {
        return false;
    }
    let l = line.to_ascii_lowercase();
    [
        "error",
        "exception",
        "failed",
        "failure",
        "fatal",
        "exit code",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// The lines around the last block of error lines of `text`, at most `max` bytes (its
/// end kept when longer); the tail of `text` when no line looks like an error.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let (start, end) = match lines.iter().rposition(|l| is_error_line(l)) {
        Some(last) => {
            let mut first = last;
            while let Some(p) = (first.saturating_sub(BLOCK_GAP)..first)
                .rev()
                .find(|&i| is_error_line(lines[i]))
            {
                first = p;
            }
            (
                first.saturating_sub(CONTEXT_LINES),
                (last + 1 + CONTEXT_LINES).min(lines.len()),
            )
        }
        None => (0, lines.len()),
    };
    let mut out = lines[start..end].join("\n");
    if out.len() > max {
        let mut cut = out.len() - max;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        // Start at a line when one begins in what is kept.
        let cut = out[cut..].find('\n').map_or(cut, |n| cut + n + 1);
        out.drain(..cut.min(out.len()));
    }
    out
}

/// The failing stage of a run: the first that failed on its own (a branch rather than
/// the stage holding it), else the first unstable or aborted one.
fn failing_stage(stages: &[StageObj]) -> Option<&StageObj> {
    let own = |s: &&StageObj, status: &str| {
        !s.run.skipped[s.index] && s.data().status.as_deref() == Some(status)
    };
    ["FAILED", "UNSTABLE", "ABORTED"]
        .iter()
        .find_map(|status| stages.iter().find(|s| own(s, status)))
}

/// The failing step among a stage's steps: the last with an error or a failed status,
/// else the last with a log.
fn failing_step(node: &wire::StageNodeExt) -> Option<&wire::StageNodeExt> {
    let steps: Vec<&wire::StageNodeExt> = node.stage_flow_nodes.iter().flatten().collect();
    let has_log =
        |s: &&&wire::StageNodeExt| s.links.as_ref().and_then(|l| l.log.as_ref()).is_some();
    steps
        .iter()
        .rev()
        .find(|s| s.error.is_some() || s.status.as_deref() == Some("FAILED"))
        .or_else(|| steps.iter().rev().find(has_log))
        .copied()
}

/// The failure of a pipeline run, when its stages can be read and one failed.
async fn from_stages(
    ctx: &Context<'_>,
    b: &BuildObj,
    max: usize,
) -> async_graphql::Result<Option<FailureObj>> {
    let l = loaders(ctx);
    let at = b.at();
    let run = match l.run(&at).await {
        Ok(r) => r,
        Err(JenkinsError::NotAPipeline { .. } | JenkinsError::PipelineApiMissing { .. }) => {
            return Ok(None)
        }
        Err(e) => return Err(e.extend()),
    };
    let stages = stages_of(&b.up, &at, &run);
    let Some(stage) = failing_stage(&stages).cloned() else {
        return Ok(None);
    };
    let stage_error = stage.data().error.clone();
    let Some(id) = stage.data().id.clone() else {
        return Ok(None);
    };
    let node = l.node(&at, &id).await.map_err(|e| e.extend())?;
    let step = failing_step(&node);
    let log = match step.and_then(|s| s.id.as_deref()) {
        Some(step_id) => Some(
            l.node_log(&at, step_id, true)
                .await
                .map_err(|e| e.extend())?,
        ),
        None => None,
    };
    let text = log
        .as_ref()
        .map(|g| strip_html(g.text.as_deref().unwrap_or("")))
        .unwrap_or_default();
    let error = step.and_then(|s| s.error.clone()).or(stage_error);
    Ok(Some(FailureObj {
        step: step.map(|s| {
            (
                s.name.clone().unwrap_or_default(),
                s.parameter_description.clone(),
            )
        }),
        error: error.map(|e| (e.message, e.kind)),
        excerpt: excerpt(&text, max),
        excerpt_source: ExcerptSource::StepLog,
        stage: Some(stage),
    }))
}

/// Why `b` failed; `None` for a build that is running or succeeded.
pub(crate) async fn failure_of(
    ctx: &Context<'_>,
    b: &BuildObj,
    max_bytes: i32,
) -> async_graphql::Result<Option<FailureObj>> {
    if !b.finished() || b.data.result.as_deref() == Some("SUCCESS") {
        return Ok(None);
    }
    let max = (max_bytes.max(1) as usize).min(MAX_EXCERPT_BYTES);
    if b.data.class.is_none() || b.data.is_pipeline() {
        if let Some(f) = from_stages(ctx, b, max).await? {
            return Ok(Some(f));
        }
    }
    // Read enough of the end for the error block and its context.
    let tail = (max * 4).clamp(16 * 1024, MAX_EXCERPT_BYTES);
    let text = match loaders(ctx).log_tail(&b.at(), tail).await {
        Ok(t) => t.text.clone(),
        Err(JenkinsError::NotFound { .. }) => String::new(),
        Err(e) => return Err(e.extend()),
    };
    Ok(Some(FailureObj {
        stage: None,
        step: None,
        error: None,
        excerpt: excerpt(&text, max),
        excerpt_source: ExcerptSource::Console,
    }))
}

/// Why a build failed: where, the error Jenkins recorded, and the log lines around it.
#[Object(name = "FailureSummary")]
impl FailureObj {
    /// The stage that failed on its own (a parallel branch rather than the stage holding
    /// it); null for freestyle builds.
    async fn stage(&self) -> Option<&StageObj> {
        self.stage.as_ref()
    }

    /// The failing step's name (e.g. `Shell Script`).
    async fn step(&self) -> Option<&str> {
        self.step.as_ref().map(|(n, _)| n.as_str())
    }

    /// What the failing step ran (its arguments as Jenkins summarises them, e.g. the
    /// shell command).
    async fn step_description(&self) -> Option<&str> {
        self.step.as_ref().and_then(|(_, d)| d.as_deref())
    }

    /// The error message Jenkins recorded for the step (or its stage), e.g.
    /// `script returned exit code 1`; null for freestyle builds, which record none.
    async fn message(&self) -> Option<&str> {
        self.error.as_ref().and_then(|(m, _)| m.as_deref())
    }

    /// The error's exception type, e.g. `hudson.AbortException`.
    async fn error_type(&self) -> Option<&str> {
        self.error.as_ref().and_then(|(_, k)| k.as_deref())
    }

    /// The log lines around the last block of error lines (three lines of context each
    /// side), at most `maxBytes` (its end kept when longer); the log's last lines when no
    /// line looks like an error.
    async fn log_excerpt(&self) -> &str {
        &self.excerpt
    }

    /// Which log the excerpt is from.
    async fn excerpt_source(&self) -> ExcerptSource {
        self.excerpt_source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_is_the_last_error_block_with_context() {
        let log = "a\nb\nc\nd\nERROR: one\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\ncompile failed\nx\ny\nFATAL: gave up\nz\nw\nv\nu\nFinished: FAILURE\n";
        let e = excerpt(log, 4096);
        assert_eq!(e, "l\nm\nn\ncompile failed\nx\ny\nFATAL: gave up\nz\nw\nv");
        // Bounded: the end is kept, from a line start.
        let short = excerpt(log, 12);
        assert_eq!(short, "z\nw\nv");
        // No error line: the tail.
        assert_eq!(excerpt("a\nb\nc", 3), "c");
    }
}
