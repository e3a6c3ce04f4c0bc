//! Reading `[[deployments]]` rules: which jobs deploy, and where a build of theirs went.
//! Pure functions over names and values; nothing here fetches.

use crate::config::DeploymentRule;

/// Whether `text` matches `pattern`, where `*` stands for any run of characters and
/// letters match without regard to case.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    capture_all(pattern, text).is_some()
}

/// What each `*` of `pattern` stood for when `text` matches it (case-insensitive).
fn capture_all(pattern: &str, text: &str) -> Option<Vec<String>> {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.chars().collect();
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    if lower.len() != t.len() {
        // Lower-casing changed the length (rare scripts): compare as written.
        return captures(&pattern.chars().collect::<Vec<_>>(), &t, &t);
    }
    captures(&p, &lower, &t)
}

/// Backtracking match of `p` against `lower` (the lower-cased text), capturing from
/// `orig` (the text as written). Patterns are short, so this stays cheap.
fn captures(p: &[char], lower: &[char], orig: &[char]) -> Option<Vec<String>> {
    fn go(p: &[char], t: &[char], at: usize, orig: &[char], out: &mut Vec<String>) -> bool {
        match p.split_first() {
            None => at == t.len(),
            Some(('*', rest)) => (at..=t.len()).rev().any(|end| {
                out.push(orig[at..end].iter().collect());
                if go(rest, t, end, orig, out) {
                    return true;
                }
                out.pop();
                false
            }),
            Some((c, rest)) => t.get(at) == Some(c) && go(rest, t, at + 1, orig, out),
        }
    }
    let mut out = Vec::new();
    go(p, lower, 0, orig, &mut out).then_some(out)
}

/// Whether a job pattern matches a job: a pattern with a `/` is matched against the full
/// name, one without against the job's own name (so `*deploy*` does not claim every job
/// of a folder named `deploy`).
pub(crate) fn job_matches(pattern: &str, full_name: &str) -> bool {
    if pattern.contains('/') {
        glob(pattern, full_name)
    } else {
        glob(pattern, full_name.rsplit('/').next().unwrap_or(full_name))
    }
}

/// The first rule that claims the job `full_name` of connection `conn`.
pub(crate) fn rule_for<'r>(
    rules: &'r [DeploymentRule],
    conn: &str,
    full_name: &str,
) -> Option<&'r DeploymentRule> {
    rules.iter().find(|r| {
        (r.connections.is_empty() || r.connections.iter().any(|c| c == conn))
            && r.jobs.iter().any(|p| job_matches(p, full_name))
    })
}

/// Where a deployment's environment was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A build parameter.
    Parameter,
    /// The rule's fixed environment.
    Rule,
    /// A word of the job's name.
    JobName,
}

/// The environment of a build of a job the rule claims, from its parameters, the rule's
/// fixed environment or a word of the job's name; `None` when only stages can tell.
pub(crate) fn environment_of<'a>(
    rule: &DeploymentRule,
    job_name: &str,
    mut parameter: impl FnMut(&str) -> Option<&'a str>,
) -> Option<(String, Source)> {
    let from_parameter = rule
        .environment_parameters
        .iter()
        .find_map(|name| parameter(name).filter(|v| !v.trim().is_empty()));
    if let Some(v) = from_parameter {
        return Some((v.trim().to_string(), Source::Parameter));
    }
    if let Some(e) = &rule.environment {
        return Some((e.clone(), Source::Rule));
    }
    let short = job_name
        .rsplit('/')
        .next()
        .unwrap_or(job_name)
        .to_lowercase();
    short
        .split(['-', '_', '.'])
        .find_map(|word| {
            rule.name_environments
                .iter()
                .find(|e| e.eq_ignore_ascii_case(word))
        })
        .map(|e| (e.to_lowercase(), Source::JobName))
}

/// The environments a run deployed to by the names of its stages, in the run's order,
/// each with the stage that names it.
pub(crate) fn stage_environments<'s>(
    rule: &DeploymentRule,
    stages: impl IntoIterator<Item = &'s str>,
) -> Vec<(String, &'s str)> {
    let mut out: Vec<(String, &str)> = Vec::new();
    for stage in stages {
        let env = rule.stages.iter().find_map(|p| {
            let caught = capture_all(p, stage)?;
            let env = caught.into_iter().next()?.trim().to_lowercase();
            (!env.is_empty()).then_some(env)
        });
        if let Some(env) = env {
            if !out.iter().any(|(e, _)| *e == env) {
                out.push((env, stage));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_without_case_and_capture_the_star() {
        assert!(glob("*deploy*", "delivery/Deploy-Checkout-API"));
        assert!(glob("release/*", "release/deploy-production"));
        assert!(!glob("release/*", "platform/api"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert_eq!(
            capture_all("Deploy *", "Deploy Production"),
            Some(vec!["Production".to_string()])
        );
        assert_eq!(capture_all("Deploy *", "Checkout"), None);
    }

    #[test]
    fn the_default_rule_reads_parameters_then_names_then_stages() {
        let rule = DeploymentRule::default();
        let params = [("ENVIRONMENT", "staging")];
        let lookup = |n: &str| params.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        assert_eq!(
            environment_of(&rule, "delivery/deploy-checkout-api", lookup),
            Some(("staging".into(), Source::Parameter))
        );
        assert_eq!(
            environment_of(&rule, "release/deploy-production", |_| None),
            Some(("production".into(), Source::JobName))
        );
        assert_eq!(
            environment_of(&rule, "delivery/deploy-backend", |_| None),
            None
        );
        let stages = ["Checkout", "Deploy Staging", "Approve", "Deploy Production"];
        assert_eq!(
            stage_environments(&rule, stages),
            vec![
                ("staging".to_string(), "Deploy Staging"),
                ("production".to_string(), "Deploy Production")
            ]
        );
        assert!(stage_environments(&rule, ["Deploy"]).is_empty());
        assert_eq!(
            stage_environments(&rule, ["Deploy to QA"]),
            vec![("qa".to_string(), "Deploy to QA")]
        );
    }

    #[test]
    fn rules_are_tried_in_order_and_scoped_to_connections() {
        let fixed = DeploymentRule {
            jobs: vec!["ops/ship-*".into()],
            connections: vec!["prod".into()],
            environment: Some("production".into()),
            ..DeploymentRule::default()
        };
        let rules = vec![fixed.clone(), DeploymentRule::default()];
        assert_eq!(rule_for(&rules, "prod", "ops/ship-api"), Some(&fixed));
        assert_eq!(rule_for(&rules, "staging", "ops/ship-api"), None);
        // Without a `/`, a pattern reads the job's own name, not its folders'.
        assert_eq!(rule_for(&rules, "staging", "deploy/tools/indexer"), None);
        assert!(job_matches("*deploy*", "team/deploy-api"));
        assert!(!job_matches("team/*", "other/team-api"));
        assert_eq!(
            rule_for(&rules, "staging", "x/deploy-y"),
            Some(&DeploymentRule::default())
        );
    }
}
