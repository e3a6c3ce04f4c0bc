//! Literal console logs, shaped like the recorded ones.

use rand::Rng;

use super::builds::Drawn;
use super::generator::Gen;
use super::vocabulary::{full_name_of, is_test_stage};
use crate::world::{BuildResult, Cause, JobKind};

impl Gen {
    pub(super) fn cause_line(&mut self, cause: &Cause) -> String {
        match cause {
            Cause::User { user } => {
                // Jenkins hides a console note (a serialized hyperlink) before the user name.
                let note: String = (0..64)
                    .map(|_| {
                        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                        B64[self.rng.gen_range(0..B64.len())] as char
                    })
                    .collect();
                format!("Started by user \u{1b}[8mha:////4{note}=\u{1b}[0m{}", full_name_of(user))
            }
            Cause::Scm => "Started by an SCM change".into(),
            Cause::Timer => "Started by timer".into(),
            Cause::Upstream { project, build } => format!(
                "Started by upstream project \"{project}\" build number {build}\noriginally caused by:\n Started by an SCM change"
            ),
            Cause::Remote { addr, note } => match note {
                Some(n) => format!("Started by remote host {addr} with note: {n}"),
                None => format!("Started by remote host {addr}"),
            },
            Cause::BranchIndexing => "Branch indexing".into(),
        }
    }

    /// A literal console log, shaped like the recorded ones.
    pub(super) fn literal_log(&mut self, d: &Drawn) -> String {
        let mut out = self.cause_line(d.cause);
        out.push('\n');
        let plan = d.plan;
        if plan.kind == JobKind::Pipeline && !plan.job.stage_names.is_empty() {
            pipeline_log(d, &mut out);
        } else {
            self.freestyle_log(d, &mut out);
        }
        // A run paused at its input has not finished.
        if let Some(result) = d.course.result {
            out.push_str(&format!("Finished: {}\n", result.as_str()));
        }
        out
    }

    /// A freestyle build's shell script running through its phases.
    fn freestyle_log(&mut self, d: &Drawn, out: &mut String) {
        let (plan, built_on) = (d.plan, d.built_on);
        let ws = d.ctx.full.replace("%2F", "-");
        out.push_str("Running as SYSTEM\n");
        if built_on.is_empty() {
            out.push_str(&format!(
                "Building in workspace /var/jenkins_home/workspace/{ws}\n"
            ));
        } else {
            let labels = self
                .agents
                .iter()
                .find(|a| a.name == built_on)
                .map(|a| a.labels.join(" "))
                .unwrap_or_default();
            out.push_str(&format!(
                "Building remotely on {built_on} ({labels}) in workspace /home/jenkins/workspace/{ws}\n"
            ));
        }
        let script = format!(
            "/tmp/jenkins{}.sh",
            self.rng
                .gen_range(1_000_000_000_000_000_000u64..9_999_999_999_999_999_999)
        );
        let mut shell_started = false;
        for tr in d.traces.iter().filter(|t| !t.skipped) {
            for s in &tr.steps {
                if s.func == "sh" && !shell_started {
                    out.push_str(&format!("[{}] $ /bin/sh -xe {script}\n", plan.job.name));
                    shell_started = true;
                }
                match s.func {
                    "archiveArtifacts" => out.push_str("Archiving artifacts\n"),
                    "echo" => {}
                    _ => push_lines(out, &s.lines),
                }
            }
            if is_test_stage(&tr.name) && d.ctx.tests_total > 0 && plan.profile.tests > 0 {
                out.push_str("Recording test results\n");
            }
        }
        match d.course.result {
            Some(BuildResult::Failure) => {
                out.push_str("Build step 'Execute shell' marked build as failure\n")
            }
            Some(BuildResult::Aborted) => out.push_str(&format!(
                "Build was aborted\n{}\n",
                d.course
                    .error
                    .as_ref()
                    .map_or("Aborted", |e| e.message.as_str())
            )),
            Some(BuildResult::Unstable) => out.push_str(
                "Build step 'Publish JUnit test result report' changed build result to UNSTABLE\n",
            ),
            _ => {}
        }
    }
}

/// A pipeline's flow through its stages, as `[Pipeline]` lines and step output.
fn pipeline_log(d: &Drawn, out: &mut String) {
    let (plan, built_on) = (d.plan, d.built_on);
    let ws = d.ctx.full.replace("%2F", "-");
    if let Some(git) = &plan.job.git {
        if plan.job.branch.is_some() {
            out.push_str(&format!("Obtained Jenkinsfile from git {}\n", git.url));
        }
    }
    out.push_str("[Pipeline] Start of Pipeline\n[Pipeline] node\n");
    if built_on.is_empty() {
        out.push_str(&format!(
            "Running on Jenkins in /var/jenkins_home/workspace/{ws}\n"
        ));
    } else {
        out.push_str(&format!(
            "Running on {built_on} in /home/jenkins/workspace/{ws}\n"
        ));
    }
    out.push_str("[Pipeline] {\n");
    let groups = &plan.job.parallel;
    for (i, tr) in d.traces.iter().enumerate() {
        let branch = groups.iter().any(|g| g.branches.contains(&tr.name));
        if branch {
            out.push_str(&format!("[Pipeline] {{ (Branch: {})\n", tr.name));
        }
        out.push_str(&format!("[Pipeline] stage\n[Pipeline] {{ ({})\n", tr.name));
        if tr.skipped {
            out.push_str(&format!(
                "Stage \"{}\" skipped due to earlier failure(s)\n",
                tr.name
            ));
        }
        if groups.iter().any(|g| g.stage == tr.name) {
            out.push_str("[Pipeline] parallel\n");
            continue;
        }
        for s in &tr.steps {
            out.push_str(&format!("[Pipeline] {}\n", s.func));
            push_lines(out, &s.lines);
        }
        if d.course.paused && i + 1 == d.traces.len() {
            // Waiting at the input: nothing has closed yet.
            return;
        }
        out.push_str("[Pipeline] }\n[Pipeline] // stage\n");
        if branch {
            out.push_str("[Pipeline] }\n");
        }
        if groups.iter().any(|g| g.branches.last() == Some(&tr.name)) {
            out.push_str("[Pipeline] // parallel\n[Pipeline] }\n[Pipeline] // stage\n");
        }
    }
    out.push_str("[Pipeline] }\n[Pipeline] // node\n[Pipeline] End of Pipeline\n");
    if let (Some(BuildResult::Failure), Some(e)) = (d.course.result, &d.course.error) {
        out.push_str(&format!("ERROR: {}\n", e.message));
    }
}

fn push_lines(out: &mut String, lines: &[String]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
}
