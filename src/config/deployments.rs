//! The `[[deployments]]` section: which builds are deployments and to which environment.
//!
//! Each rule names deploy jobs by pattern and says where a build of theirs deploys: the
//! value of a parameter, a fixed environment, a word of the job's name, or the name of a
//! stage it ran (`Deploy Production`). Rules are tried in order; the first whose patterns
//! match a job decides for its builds. Without any `[[deployments]]` the gateway uses
//! [`DeploymentRule::default`], which fits the usual conventions (and the demo).

use std::collections::HashSet;

use serde::Deserialize;

use super::ConfigError;

/// One rule of `[[deployments]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentRule {
    /// Job name patterns (`*` stands for any run of characters, matched without regard to
    /// case): a job matching one is a deploy job and its builds deployments. A pattern
    /// with a `/` is matched against the job's full name (`ops/ship-*`), one without
    /// against the job's own name (`*deploy*`).
    pub jobs: Vec<String>,
    /// Only jobs on these connections (every connection when empty).
    pub connections: Vec<String>,
    /// Build parameters whose value names the environment; the first a build has wins.
    pub environment_parameters: Vec<String>,
    /// The environment of every build of the rule's jobs that no parameter names (a job
    /// that only ever deploys to production).
    pub environment: Option<String>,
    /// Environment names recognised as a word of the job's own name (`deploy-production`
    /// deploys to `production`), words being split at `-`, `_` and `.`.
    pub name_environments: Vec<String>,
    /// Patterns of stage names with one `*` that names the environment (`Deploy *` reads
    /// `Deploy Production` as `production`). Read from the Pipeline REST API's
    /// `wfapi/runs` (one request per job, its newest ten runs), and only for jobs whose
    /// builds no parameter, `environment` or name word places; a build may deploy to several
    /// environments this way (a promotion through staging to production).
    pub stages: Vec<String>,
}

impl Default for DeploymentRule {
    fn default() -> Self {
        let strings = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        DeploymentRule {
            jobs: strings(&["*deploy*"]),
            connections: Vec::new(),
            environment_parameters: strings(&[
                "ENVIRONMENT",
                "ENV",
                "DEPLOY_ENV",
                "TARGET_ENVIRONMENT",
            ]),
            environment: None,
            name_environments: strings(&[
                "production",
                "prod",
                "staging",
                "stage",
                "preprod",
                "uat",
                "qa",
                "test",
                "dev",
            ]),
            stages: strings(&["Deploy to *", "Deploy *"]),
        }
    }
}

/// The rules used when the file has no `[[deployments]]`.
pub(super) fn default_rules() -> Vec<DeploymentRule> {
    vec![DeploymentRule::default()]
}

/// Every rule names at least one job pattern, connections that exist, and stage patterns
/// with exactly one `*`.
pub(super) fn validate(
    rules: &[DeploymentRule],
    connections: &HashSet<&str>,
) -> Result<(), ConfigError> {
    for (i, rule) in rules.iter().enumerate() {
        let invalid = |field: &str, reason: String| ConfigError::InvalidValue {
            field: format!("deployments[{i}].{field}"),
            reason,
        };
        if rule.jobs.is_empty() || rule.jobs.iter().any(|p| p.trim().is_empty()) {
            return Err(invalid(
                "jobs",
                "list at least one non-empty job name pattern".into(),
            ));
        }
        if let Some(c) = rule
            .connections
            .iter()
            .find(|c| !connections.contains(c.as_str()))
        {
            return Err(invalid(
                "connections",
                format!("no connection is named {c:?}"),
            ));
        }
        if let Some(s) = rule.stages.iter().find(|s| s.matches('*').count() != 1) {
            return Err(invalid(
                "stages",
                format!("{s:?} must hold exactly one '*', where the environment's name is"),
            ));
        }
        if rule
            .environment
            .as_deref()
            .is_some_and(|e| e.trim().is_empty())
        {
            return Err(invalid("environment", "must not be empty".into()));
        }
    }
    Ok(())
}
