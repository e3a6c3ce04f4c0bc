//! The words generated worlds are made of: developers, teams, services, commit messages,
//! test names, stage sets, parameters, and what a stage's name says about it.

use crate::world::{ParamDef, ParamKind, Permission, User};

/// Developers: ids and full names. Commit authors and culprits are drawn from them.
pub(super) const DEVELOPERS: &[(&str, &str)] = &[
    ("alice", "Alice Chen"),
    ("bob", "Bob Martinez"),
    ("carol", "Carol Nguyen"),
    ("dave", "Dave Okafor"),
    ("erin", "Erin Walsh"),
    ("frank", "Frank Müller"),
    ("grace", "Grace Kim"),
    ("heidi", "Heidi Johansson"),
    ("ivan", "Ivan Petrov"),
    ("judy", "Judy Alvarez"),
    ("mike", "Mike O'Brien"),
    ("nina", "Nina Patel"),
];

/// Teams: the folders at the root of a generic world.
#[rustfmt::skip]
pub(super) const TEAMS: &[&str] = &[
    "payments", "platform", "data", "mobile", "identity", "search", "growth", "billing",
    "infra", "security", "ml", "analytics", "checkout", "logistics", "messaging", "catalog",
    "fraud", "notifications", "observability", "storage", "networking", "web", "ads",
    "pricing", "inventory", "support", "partners", "compliance", "risk", "media", "maps",
    "recommendations", "reporting", "devex", "sre", "qa", "integrations", "accounts",
    "shipping", "orders", "reviews", "loyalty", "onboarding", "marketplace", "finance",
    "edge", "streaming", "warehouse",
];

/// Services: the first half of a generated job's name.
#[rustfmt::skip]
pub(super) const SERVICES: &[&str] = &[
    "checkout", "ledger", "billing", "invoice", "payment", "refund", "auth", "session",
    "profile", "catalog", "search", "cart", "order", "shipping", "inventory", "pricing",
    "tax", "fraud", "notification", "email", "sms", "push", "report", "analytics",
    "metrics", "audit", "gateway", "config", "feature-flag", "user", "account", "wallet",
    "subscription", "coupon", "review", "rating", "recommendation", "media", "image",
    "thumbnail", "upload", "export", "import", "scheduler", "geo", "currency", "settlement",
    "payout", "kyc", "consent",
];

/// Suffixes of job names; none of them is also a multibranch repository suffix.
pub(super) const JOB_SUFFIXES: &[&str] = &[
    "api", "worker", "service", "consumer", "producer", "cron", "bff", "sync", "etl", "proxy",
    "indexer", "exporter", "batch", "job", "admin",
];

/// Job name suffixes of jobs that mostly run on a timer.
pub(super) const TIMER_SUFFIXES: &[&str] = &["cron", "sync", "etl", "exporter", "batch"];

pub(super) const REPO_SUFFIXES: &[&str] = &["app", "web", "mobile", "monorepo", "sdk", "frontend"];

/// Subfolders of a team folder.
#[rustfmt::skip]
pub(super) const SUBFOLDERS_TOP: &[&str] = &[
    "services", "libraries", "tools", "deploy", "batch", "internal",
];

pub(super) const SUBFOLDERS_DEEP: &[&str] =
    &["legacy", "experimental", "nightly", "ops", "v2", "sandbox"];

/// Labels no generated agent has: jobs restricted to them sit stuck in the queue.
pub(super) const STUCK_LABELS: &[&str] = &["gpu", "arm64-large", "windows-2019", "macos-arm64"];

/// Topics of feature branches and pull requests.
#[rustfmt::skip]
pub(super) const TOPICS: &[&str] = &[
    "login-page", "dark-mode", "retry-budget", "new-checkout", "rate-limits",
    "cache-warmup", "search-facets", "otel-tracing", "java21", "node20", "flaky-tests",
    "payment-links",
];

/// Components of a service: in commit messages, paths and test classes.
#[rustfmt::skip]
pub(super) const COMPONENTS: &[&str] = &[
    "client", "handler", "repository", "scheduler", "cache", "validator", "router",
    "config", "metrics", "auth", "serializer", "batch", "retry", "webhook",
];

pub(super) const DEPENDENCIES: &[(&str, &str, &str)] = &[
    ("jackson-databind", "2.17.1", "2.17.2"),
    ("netty-codec-http", "4.1.108.Final", "4.1.112.Final"),
    ("spring-boot", "3.2.5", "3.3.2"),
    ("guava", "33.1.0-jre", "33.2.1-jre"),
    ("lodash", "4.17.20", "4.17.21"),
    ("axios", "1.6.8", "1.7.4"),
    ("react", "18.2.0", "18.3.1"),
    ("protobuf-java", "3.25.3", "3.25.5"),
    ("golang.org/x/net", "0.23.0", "0.26.0"),
    ("requests", "2.31.0", "2.32.3"),
];

pub(super) const COMMIT_TEMPLATES: &[&str] = &[
    "Fix null pointer when {c} response is empty",
    "Add retry with backoff to {c}",
    "Refactor {c} into its own module",
    "Handle timeouts in {c}",
    "Remove deprecated {c} endpoint",
    "Add metrics for {c}",
    "Fix flaky {c} test",
    "Increase {c} connection pool size",
    "Log request id in {c}",
    "Validate input in {c}",
    "Migrate {c} to the new config format",
    "Speed up {c} queries",
    "Add integration test for {c}",
    "Revert \"Add caching to {c}\"",
    "Update README",
    "Tidy up logging in {c}",
];

/// Test method names.
#[rustfmt::skip]
pub(super) const TEST_NAMES: &[&str] = &[
    "shouldRejectExpiredToken", "returnsNotFoundForUnknownId", "retriesOnTimeout",
    "handlesConcurrentUpdates", "parsesLegacyFormat", "roundTripsUnicodeNames",
    "computesTaxForEuOrders", "paginatesPastTheLastPage", "keepsIdempotencyKeys",
    "closesConnectionsOnShutdown", "appliesCouponOnlyOnce", "emitsMetricsOnFailure",
];

pub(super) const TEST_ERRORS: &[&str] = &[
    "java.lang.AssertionError: expected:<200> but was:<500>",
    "org.opentest4j.AssertionFailedError: expected: <true> but was: <false>",
    "java.util.concurrent.TimeoutException: Timed out after 30 seconds",
    "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"value\" is null",
    "org.opentest4j.AssertionFailedError: expected: <3> but was: <2>",
    "java.net.ConnectException: Connection refused (localhost:5432)",
];

pub(super) const STAGE_SETS: &[&[&str]] = &[
    &["Checkout", "Build", "Test", "Deploy"],
    &[
        "Checkout",
        "Build",
        "Unit Tests",
        "Integration Tests",
        "Package",
        "Publish",
    ],
    &[
        "Checkout",
        "Lint",
        "Build",
        "Test",
        "Docker Build",
        "Push Image",
        "Deploy",
    ],
    &["Prepare", "Compile", "Test", "Archive"],
    &["Checkout", "Build", "Test"],
];

pub(super) const NODE_STAGES: &[&str] =
    &["Checkout", "Install Dependencies", "Lint", "Test", "Build"];

pub(super) const ETL_STAGES: &[&str] = &["Extract", "Transform", "Load", "Publish Reports"];

pub(super) const DEPLOY_STAGES: &[&str] = &["Checkout", "Verify Artifact", "Deploy", "Smoke Test"];

pub(super) const TERRAFORM_STAGES: &[&str] = &["Checkout", "Init", "Plan", "Apply"];

/// A release pipeline's stages, from checkout to production.
#[rustfmt::skip]
pub(super) const RELEASE_STAGES: &[&str] = &[
    "Checkout", "Build", "Unit Tests", "Integration Tests", "Package", "Deploy Staging",
    "Deploy Production",
];

/// A pipeline whose tests run in parallel: "Tests" holds the three branches after it.
pub(super) const PARALLEL_STAGES: &[&str] = &[
    "Checkout",
    "Build",
    "Tests",
    "Unit Tests",
    "Integration Tests",
    "Lint",
    "Package",
];

/// The parallel stage of [`PARALLEL_STAGES`] and its branches.
pub(super) const PARALLEL_TESTS: (&str, &[&str]) =
    ("Tests", &["Unit Tests", "Integration Tests", "Lint"]);

/// A promotion pipeline: staging, then an approval, then production.
pub(super) const PROMOTION_STAGES: &[&str] = &[
    "Checkout",
    "Verify Artifact",
    "Deploy Staging",
    "Approve",
    "Deploy Production",
    "Smoke Test",
];

/// The phases a freestyle build's shell script goes through (for its console log).
pub(super) const FREESTYLE_PHASES: &[&str] = &["Checkout", "Build", "Test", "Archive"];

pub(super) fn pascal(s: &str) -> String {
    s.split(['-', '_', '.'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

pub(super) fn is_test_stage(name: &str) -> bool {
    let l = name.to_lowercase();
    l.contains("test") && !l.contains("smoke")
}

/// Relative time a stage takes.
pub(super) fn stage_weight(name: &str) -> f64 {
    let l = name.to_lowercase();
    if l.contains("integration") || l.contains("ui test") {
        4.0
    } else if l.contains("transform") {
        5.0
    } else if l.contains("extract") || l.contains("load") || l.contains("train") {
        3.0
    } else if l.contains("test") && !l.contains("smoke") {
        2.5
    } else if l.contains("build") || l.contains("compile") || l.contains("apply") {
        2.0
    } else if l.contains("deploy") || l.contains("docker") {
        1.5
    } else if l.contains("install") || l.contains("smoke") || l.contains("plan") {
        0.8
    } else if l.contains("lint") || l.contains("push") || l.contains("publish") {
        0.6
    } else {
        0.4
    }
}

/// How likely a failure lands in a stage.
pub(super) fn failure_weight(name: &str) -> f64 {
    let l = name.to_lowercase();
    if is_test_stage(name) {
        3.0
    } else if l.contains("build") || l.contains("compile") || l.contains("lint") {
        2.0
    } else if l.contains("deploy")
        || l.contains("apply")
        || l.contains("smoke")
        || l.contains("transform")
    {
        1.5
    } else if l.contains("checkout") || l.contains("prepare") {
        0.2
    } else {
        0.6
    }
}

pub(super) fn users(devs: usize) -> Vec<User> {
    let user = |id: &str, full: Option<&str>, permission| User {
        id: id.into(),
        full_name: full.map(str::to_string),
        password: Some(format!("{id}-password")),
        token: None,
        permission,
    };
    let mut out = vec![user("admin", None, Permission::Admin)];
    // The permission matrix knows three sets only; developers build and deploy, so admin.
    out.extend(
        DEVELOPERS[..devs]
            .iter()
            .map(|(id, full)| user(id, Some(full), Permission::Admin)),
    );
    out.push(user("reader", None, Permission::Read));
    out.push(user("nobody", None, Permission::None));
    out
}

pub(super) fn full_name_of(id: &str) -> &str {
    DEVELOPERS
        .iter()
        .find(|(d, _)| *d == id)
        .map_or(id, |(_, f)| f)
}

pub(super) fn param(
    name: &str,
    kind: ParamKind,
    description: &str,
    default: Option<&str>,
    choices: &[&str],
) -> ParamDef {
    ParamDef {
        name: name.into(),
        kind,
        description: (!description.is_empty()).then(|| description.to_string()),
        default: default.map(str::to_string),
        choices: choices.iter().map(|s| s.to_string()).collect(),
    }
}

/// DRY_RUN (boolean, default true), shared by generated jobs.
pub(super) fn dry_run_param() -> ParamDef {
    param(
        "DRY_RUN",
        ParamKind::Boolean,
        "Only print what would change",
        Some("true"),
        &[],
    )
}

/// ENVIRONMENT (a choice of dev, staging, production), shared by generated jobs.
pub(super) fn environment_param() -> ParamDef {
    param(
        "ENVIRONMENT",
        ParamKind::Choice,
        "Where to deploy",
        None,
        &["dev", "staging", "production"],
    )
}

pub(super) fn every_param_kind() -> Vec<ParamDef> {
    vec![
        param(
            "VERSION",
            ParamKind::String,
            "Version to build, e.g. 2.14.0",
            Some(""),
            &[],
        ),
        dry_run_param(),
        environment_param(),
        param(
            "API_TOKEN",
            ParamKind::Password,
            "Token for the deployment API",
            None,
            &[],
        ),
    ]
}
