//! Serde structs that mirror Jenkins JSON, separate from the GraphQL types.
//!
//! Every field is optional: a `tree=` response holds only what was asked, and
//! Jenkins writes `null` for unset values; both become `None`. Unknown fields
//! are ignored. Lists of heterogeneous objects (`actions`, job `property`) are
//! parsed leniently: `{}` and classes we do not know yield an element with
//! every field `None` instead of failing the whole response.
//!
//! Two families, one file each: the classic remote API ([`classic`]: `api/json`,
//! Stapler export) and the Pipeline REST API ([`wfapi`]: Jackson), whose types end in
//! `Ext` like the plugin's own classes.

mod classic;
mod wfapi;

pub use classic::*;
pub use wfapi::*;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// `_class` of a Pipeline job.
pub const WORKFLOW_JOB_CLASS: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";
/// `_class` of a Pipeline run.
pub const WORKFLOW_RUN_CLASS: &str = "org.jenkinsci.plugins.workflow.job.WorkflowRun";

/// Parses a list element by element, turning elements that do not fit `T`
/// into `T::default()` with only their `_class` kept, so one odd plugin
/// action cannot fail a whole build response.
pub(crate) fn lenient_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default + HasClass,
{
    let raw: Option<Vec<serde_json::Value>> = Option::deserialize(deserializer)?;
    Ok(raw.map(|values| {
        values
            .into_iter()
            .map(|value| {
                let class = value
                    .get("_class")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string);
                match T::deserialize(value) {
                    Ok(parsed) => parsed,
                    Err(error) => {
                        tracing::debug!(?class, %error, "skipping an element Jenkins exported in an unexpected shape");
                        let mut fallback = T::default();
                        fallback.set_class(class);
                        fallback
                    }
                }
            })
            .collect()
    }))
}

/// Wire types that carry a `_class`.
pub trait HasClass {
    /// Sets the `_class` value.
    fn set_class(&mut self, class: Option<String>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_empty_actions_are_skipped() {
        let json = r#"{"_class":"hudson.model.FreeStyleBuild","number":3,"building":false,
            "actions":[{},{"_class":"x.Weird","causes":"not a list"},
                       {"_class":"hudson.model.CauseAction","causes":[{"shortDescription":"Started by user admin","userId":"admin"}]}]}"#;
        let build: Build = serde_json::from_str(json).unwrap();
        let actions = build.actions.as_ref().unwrap();
        assert_eq!(actions.len(), 3);
        assert_eq!(actions[1].class.as_deref(), Some("x.Weird"));
        assert!(actions[1].causes.is_none());
        assert_eq!(build.causes().count(), 1);
        assert_eq!(build.is_finished(), Some(true));
    }

    #[test]
    fn test_report_floats_with_exponents() {
        let json = r#"{"_class":"hudson.tasks.junit.TestResult","duration":1.0E-4,"failCount":1,
            "suites":[{"name":"s","duration":2.5E+1,"cases":[{"className":"a.B","name":"t","status":"REGRESSION","duration":3.0E-3}]}]}"#;
        let report: TestReport = serde_json::from_str(json).unwrap();
        assert_eq!(report.duration, Some(0.0001));
        let suite = &report.suites.as_ref().unwrap()[0];
        assert_eq!(suite.duration, Some(25.0));
        assert_eq!(suite.cases.as_ref().unwrap()[0].duration, Some(0.003));
    }

    #[test]
    fn crumb_is_hidden_from_debug() {
        let crumb = CrumbIssuer {
            crumb: Some("s3cr3t-crumb".into()),
            ..CrumbIssuer::default()
        };
        assert!(!format!("{crumb:?}").contains("s3cr3t"));
    }
}
