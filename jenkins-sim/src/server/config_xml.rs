//! `config.xml` of jobs, as Jenkins stores the recorded ones.

use super::pages::{self, Resp};
use crate::world::{Job, JobKind, ParamDef, ParamKind};

/// Text for an XML element, escaped as the recorded `config.xml` shows (quotes stay as they
/// were submitted).
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn param_def_xml(p: &ParamDef) -> String {
    let class = match p.kind {
        ParamKind::String => "hudson.model.StringParameterDefinition",
        ParamKind::Boolean => "hudson.model.BooleanParameterDefinition",
        ParamKind::Choice => "hudson.model.ChoiceParameterDefinition",
        ParamKind::Password => "hudson.model.PasswordParameterDefinition",
        ParamKind::Text => "hudson.model.TextParameterDefinition",
    };
    let mut out = format!("<{class}><name>{}</name>", xml_text(&p.name));
    if let Some(d) = &p.description {
        out.push_str(&format!("<description>{}</description>", xml_text(d)));
    }
    let default = xml_text(p.default.as_deref().unwrap_or(""));
    match p.kind {
        ParamKind::String | ParamKind::Text => {
            out.push_str(&format!(
                "<defaultValue>{default}</defaultValue><trim>false</trim>"
            ));
        }
        ParamKind::Boolean => {
            let v = p.default.as_deref() == Some("true");
            out.push_str(&format!("<defaultValue>{v}</defaultValue>"));
        }
        ParamKind::Password => out.push_str(&format!("<defaultValue>{default}</defaultValue>")),
        ParamKind::Choice => {
            out.push_str(
                "<choices class=\"java.util.Arrays$ArrayList\"><a class=\"string-array\">",
            );
            for c in &p.choices {
                out.push_str(&format!("<string>{}</string>", xml_text(c)));
            }
            out.push_str("</a></choices>");
        }
    }
    out.push_str(&format!("</{class}>"));
    out
}

/// `config.xml` of a job, in the layout the recorded jobs were created with (Jenkins
/// serves the file as stored).
pub(super) fn config_xml(kind: JobKind, job: &Job) -> Resp {
    let mut properties = String::new();
    if !job.parameters.is_empty() {
        properties.push_str("<hudson.model.ParametersDefinitionProperty><parameterDefinitions>\n");
        for p in &job.parameters {
            properties.push_str(&format!("  {}\n", param_def_xml(p)));
        }
        properties.push_str("</parameterDefinitions></hudson.model.ParametersDefinitionProperty>");
    }
    if kind == JobKind::Pipeline && !job.concurrent {
        properties.push_str(
            "<org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>",
        );
    }
    let properties = if properties.is_empty() {
        "<properties/>".to_string()
    } else {
        format!("<properties>{properties}</properties>")
    };
    let description = xml_text(job.description.as_deref().unwrap_or(""));
    let script = xml_text(job.script.as_deref().unwrap_or(""));
    let xml = match kind {
        JobKind::Pipeline => format!(
            "<?xml version=\"1.1\" encoding=\"UTF-8\"?><flow-definition>\n  <description>{description}</description>\n  \
<keepDependencies>false</keepDependencies>\n  {properties}\n  \
<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\"><script>{script}</script><sandbox>true</sandbox></definition>\n  \
<triggers/>\n  <disabled>{}</disabled>\n</flow-definition>",
            job.disabled
        ),
        JobKind::Freestyle | JobKind::Matrix => {
            let root = if kind == JobKind::Matrix { "matrix-project" } else { "project" };
            let scm = match &job.git {
                Some(g) => format!(
                    "<scm class=\"hudson.plugins.git.GitSCM\"><configVersion>2</configVersion><userRemoteConfigs>\
<hudson.plugins.git.UserRemoteConfig><url>{}</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>\
<branches><hudson.plugins.git.BranchSpec><name>*/{}</name></hudson.plugins.git.BranchSpec></branches></scm>",
                    xml_text(&g.url),
                    xml_text(g.branch.as_deref().unwrap_or("main"))
                ),
                None => "<scm class=\"hudson.scm.NullSCM\"/>".to_string(),
            };
            let node = match &job.label {
                Some(l) => format!("<assignedNode>{}</assignedNode>\n  <canRoam>false</canRoam>", xml_text(l)),
                None => "<canRoam>true</canRoam>".to_string(),
            };
            format!(
                "<?xml version=\"1.1\" encoding=\"UTF-8\"?><{root}>\n  <description>{description}</description>\n  \
<keepDependencies>false</keepDependencies>\n  {properties}\n  {scm}\n  {node}\n  <disabled>{}</disabled>\n  \
<blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>\n  \
<blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>\n  <triggers/>\n  \
<concurrentBuild>{}</concurrentBuild>\n  \
<builders><hudson.tasks.Shell><command>{script}</command></hudson.tasks.Shell></builders>\n  \
<publishers/>\n  <buildWrappers/>\n</{root}>",
                job.disabled, job.concurrent
            )
        }
    };
    pages::config_xml(xml)
}
