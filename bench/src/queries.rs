//! The GraphQL queries the benchmark sends.

/// The dashboard (`examples/queries/07-dashboard.graphql`): every connection, its folders
/// and jobs with status and last build, and the stages of each last build.
pub const DASHBOARD: &str = include_str!("../../examples/queries/07-dashboard.graphql");

/// Errors a correct answer may carry: none (a freestyle build's stages are null, not an error).
pub const ALLOWED_ERRORS: &[&str] = &[];

/// The dashboard without stages.
pub fn dashboard_without_stages() -> String {
    DASHBOARD.replace(" stages { name status }", "")
}

/// A small point query: one job's status and last build.
pub fn point(connection: &str, full_name: &str) -> String {
    format!(
        r#"{{ job(connection: "{connection}", fullName: "{full_name}") {{ status lastBuild {{ number result }} }} }}"#
    )
}

/// Every job of every controller (a recursive listing): the widest read, used to fill the
/// gateway's cache before its memory is read.
pub const ALL_JOBS: &str =
    "{ jobs(first: 1000) { totalCount nodes { fullName status lastBuild { number result } } } }";
