//! "ci-prod": the production controller of the demo, one function per team.

use super::{
    add_teams, agents, company, deploy_cycle, finish, folder, queued, team, with_job, AgentRow,
};
use crate::world::generate::generator::Gen;
use crate::world::generate::incidents::{pin_regression, pin_slowing, release_commit};
use crate::world::generate::plan::Lang::{Go, Java, Python};
use crate::world::generate::plan::Trigger::{Manual, Scm, Timer, Upstream};
use crate::world::generate::plan::{Commit, Fate, JobPlan, Lang, Node, Waits};
use crate::world::generate::vocabulary::{
    param, DEPLOY_STAGES, ETL_STAGES, NODE_STAGES, RELEASE_STAGES, STAGE_SETS, TERRAFORM_STAGES,
};
use crate::world::JobKind::{Freestyle, Pipeline};
use crate::world::{BuildResult, Cause, Change, ChangedPath, LiveRule, ParamKind, World};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// ci-prod's agents: two Linux agents; the Windows agent was taken offline by an admin,
/// the Mac agent lost its connection.
const AGENTS: &[AgentRow] = &[
    ("linux-1", &["linux", "docker"], 2, None),
    ("linux-2", &["linux", "docker"], 2, None),
    (
        "windows-1",
        &["windows"],
        1,
        Some(("Disconnected by admin", true)),
    ),
    (
        "mac-1",
        &["macos", "xcode"],
        1,
        Some((
            "Connection was broken: java.nio.channels.ClosedChannelException",
            false,
        )),
    ),
];

/// "ci-prod": the production controller of the demo.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = company(seed ^ 0xC1_0000, now, (48, 5, 30));
    g.agents = agents(AGENTS);
    // Teams are planned in this order (each draws from the generator), then listed.
    let platform = platform(&mut g);
    let release = release(&mut g);
    let data = data(&mut g);
    let infra = infra(&mut g);
    let root = root_jobs(&mut g);
    let web_app = web_app(&mut g);
    let mut nodes = vec![platform, release, data, infra, web_app];
    nodes.extend(root);
    let queue = vec![
        queued("gpu-training", Waits::Stuck),
        queued("data/etl/nightly-etl", Waits::Blocked),
        queued("platform/web-frontend", Waits::Executor),
    ];
    let description = "ci-prod: production CI. Questions go to #ci-help.";
    let mut world = finish(g, description, None, nodes, queue);
    pin_build_142(&mut world, seed, now);
    let release = release_commit(seed, now);
    add_teams(&mut world, (seed ^ 0xC1_1000, now), (48, 5, 30), |g| {
        vec![commerce(g), delivery(g, &release)]
    });
    pin_regression(&mut world, "commerce/orders-api", 38);
    pin_slowing(
        &mut world,
        "commerce/search-service",
        "Integration Tests",
        10,
    );
    // Deployments say what they deployed.
    with_job(&mut world, "release/deploy-production", |job| {
        for b in &mut job.builds {
            let version = b
                .parameters
                .iter()
                .find(|p| p.name == "VERSION")
                .map(|p| p.value.clone());
            if let (Some(v), Some(BuildResult::Success)) = (version, b.result) {
                b.description = Some(format!("Deployed {v} to production"));
            }
        }
    });
    world
}

/// platform: the failing api-server, backend-service with its build #142, a running
/// auth-service and the web frontend.
fn platform(g: &mut Gen) -> Node {
    let mut job = team(g, "platform");
    let api = job("api-server", Freestyle, Scm, 48, Java)
        .tests(1_240)
        .artifacts()
        .flaky(0.12)
        .describe("The public REST API (Java, Gradle).")
        // The demo's incident: live mode leaves its failing last build (and its 128 MiB
        // log) as it is.
        .live(LiveRule::Still)
        .fates(&[
            (46, Fate::Success),
            (47, Fate::FailTests),
            (48, Fate::FailTests),
        ])
        .log_size(48, 128 * 1024 * 1024);
    let backend = job("backend-service", Pipeline, Scm, 160, Java)
        .stages(STAGE_SETS[1])
        .tests(860)
        .flaky(0.1)
        .cadence(3 * HOUR)
        .describe("Order and inventory backend.")
        .fates(&[
            (141, Fate::Success),
            (142, Fate::Success),
            (160, Fate::Success),
        ])
        .log_size(142, 48 * 1024);
    let auth = job("auth-service", Pipeline, Scm, 70, Go)
        .stages(STAGE_SETS[2])
        .tests(420)
        .running();
    let web = job("web-frontend", Pipeline, Scm, 60, Lang::Node)
        .stages(NODE_STAGES)
        .tests(310);
    folder(
        "platform",
        "Core services of the platform team",
        [api, backend, auth, web],
    )
}

/// release: the release pipeline and the production deployments it triggers.
fn release(g: &mut Gen) -> Node {
    let mut job = team(g, "release");
    let release = job("release-pipeline", Pipeline, Scm, 40, Java)
        .stages(RELEASE_STAGES)
        .tests(1_500)
        .artifacts()
        .cadence(20 * HOUR)
        .fates(&[
            (37, Fate::Success),
            (38, Fate::FailAt("Integration Tests")),
            (39, Fate::Success),
            (40, Fate::Success),
        ])
        .describe("Builds, tests and ships a release to staging and production.");
    let deploy = job("deploy-production", Pipeline, Upstream, 30, Java)
        .stages(DEPLOY_STAGES)
        .upstream("release/release-pipeline", 40)
        .tests(0)
        .cadence(20 * HOUR)
        .fates(&[(29, Fate::FailAt("Smoke Test")), (30, Fate::Success)])
        .params(vec![
            param(
                "VERSION",
                ParamKind::String,
                "Version to deploy, e.g. 2.14.0",
                Some(""),
                &[],
            ),
            param(
                "DRY_RUN",
                ParamKind::Boolean,
                "Only print what would change",
                Some("false"),
                &[],
            ),
        ])
        .describe("Deploys a released version to production.");
    folder("release", "Release and deployment", [release, deploy])
}

/// data: a nightly ETL (running now, its next run blocked behind it) and hourly syncs.
fn data(g: &mut Gen) -> Node {
    let mut job = team(g, "data");
    let etl = job("nightly-etl", Pipeline, Timer, 45, Python)
        .stages(ETL_STAGES)
        .cadence(DAY)
        .lasting(50 * 60_000)
        .running()
        .describe("Loads yesterday's orders into the warehouse, every night.");
    let sync = job("warehouse-sync", Freestyle, Timer, 60, Python)
        .cadence(HOUR)
        .running();
    let reports = job("reports-export", Pipeline, Timer, 20, Python).stages(ETL_STAGES);
    let jobs = vec![
        Node::folder("etl", None, vec![Node::job(etl)]),
        Node::job(sync),
        Node::job(reports),
    ];
    Node::folder("data", Some("Data engineering"), jobs)
}

/// infra: Terraform and image baking.
fn infra(g: &mut Gen) -> Node {
    let mut job = team(g, "infra");
    let tf = job("terraform-apply", Pipeline, Manual, 25, Go)
        .stages(TERRAFORM_STAGES)
        .tests(0);
    let ami = job("ami-bake", Freestyle, Timer, 10, Go);
    folder("infra", "Infrastructure as code", [tf, ami])
}

/// Jobs at the root: a retired deploy job, one never built, a parameterised migration and
/// a GPU job no agent can run.
fn root_jobs(g: &mut Gen) -> Vec<Node> {
    let legacy = team(g, "ops")("legacy-deploy", Freestyle, Manual, 12, Java)
        .disabled()
        .idle(140 * DAY)
        .describe("Deprecated: use release/deploy-production.");
    let fresh = team(g, "platform")("new-service", Pipeline, Scm, 0, Go)
        .describe("Created from the service template; not built yet.");
    let migrate = db_migrate(g);
    let gpu = team(g, "ml")("gpu-training", Pipeline, Manual, 6, Python)
        .stages(&[
            "Checkout",
            "Prepare Dataset",
            "Train",
            "Evaluate",
            "Register Model",
        ])
        .label("gpu")
        .idle(20 * DAY)
        .tests(0);
    [legacy, fresh, migrate, gpu]
        .into_iter()
        .map(Node::job)
        .collect()
}

/// A migration job with a parameter of every kind, a password among them.
fn db_migrate(g: &mut Gen) -> JobPlan {
    let mut job = team(g, "platform");
    job("db-migrate", Freestyle, Manual, 15, Java)
        .tests(0)
        .params(vec![
            param(
                "MIGRATION_VERSION",
                ParamKind::String,
                "Flyway target version",
                Some("latest"),
                &[],
            ),
            param(
                "TARGET",
                ParamKind::Choice,
                "Database to migrate",
                None,
                &["staging", "production"],
            ),
            param(
                "DRY_RUN",
                ParamKind::Boolean,
                "Validate only",
                Some("true"),
                &[],
            ),
            param(
                "DB_PASSWORD",
                ParamKind::Password,
                "Password of the migration user",
                None,
                &[],
            ),
        ])
}

/// web: the multibranch web app, its pull request PR-42 building now.
fn web_app(g: &mut Gen) -> Node {
    let branches = [
        ("main", 30),
        ("develop", 22),
        ("feature/login-page", 4),
        ("PR-42", 3),
    ];
    super::demo_multibranch(g, "web-app", "web", &branches, "PR-42")
}

/// commerce: a search service whose tests run in parallel branches.
fn commerce(g: &mut Gen) -> Node {
    let mut job = team(g, "commerce");
    let search = job("search-service", Pipeline, Scm, 36, Lang::Node)
        .tests_in_parallel()
        .tests(540)
        .cadence(4 * HOUR)
        .fates(&[
            (34, Fate::Success),
            (35, Fate::FailAt("Integration Tests")),
            (36, Fate::Success),
        ])
        .describe("Product search (Node.js); unit, integration and lint run in parallel.");
    let orders = job("orders-api", Pipeline, Scm, 40, Java)
        .stages(STAGE_SETS[1])
        .tests(900)
        .cadence(3 * HOUR)
        .regress_at(38)
        .live(LiveRule::Still)
        .describe("Order API (Java); its integration tests fail since the move to Java 21.");
    folder("commerce", "Orders, search and checkout", [search, orders])
}

/// delivery: a promotion pipeline whose last run waits for approval to go to
/// production, and the deployments of checkout-api (built on ci-staging): two failed
/// production deployments of the release, then the one that restored service.
fn delivery(g: &mut Gen, release: &Commit) -> Node {
    let mut job = team(g, "delivery");
    let backend = job("deploy-backend", Pipeline, Manual, 24, Java)
        .of("backend-service")
        .promoting("Deploy to production?", "Ship it", "release-managers")
        .tests(0)
        .cadence(8 * HOUR)
        .paused(2 * HOUR)
        .live(LiveRule::Still)
        .describe(
            "Promotes platform/backend-service to staging, then, once approved, to production.",
        );
    let checkout = job("deploy-checkout-api", Pipeline, Manual, 30, Go)
        .of("checkout-api")
        .repo("https://git.example.com/payments/checkout-api.git")
        .stages(DEPLOY_STAGES)
        .deploying(&deploy_cycle(30), None)
        .restoring(release)
        .tests(0)
        .cadence(40 * 60_000)
        .idle(5 * HOUR)
        .live(LiveRule::Still)
        .describe("Deploys payments/checkout-api, built on ci-staging, to ENVIRONMENT.");
    folder(
        "delivery",
        "Deployments to dev, staging and production",
        [backend, checkout],
    )
}

/// Build #142 of backend-service's commits: (author, message, hours before the build,
/// paths touched).
#[allow(clippy::type_complexity)]
const CHANGES_142: &[(&str, &str, i64, &[(&str, &str)])] = &[
    (
        "alice",
        "Add idempotency keys to order submission",
        5,
        &[
            ("edit", "src/main/java/com/acme/orders/OrderController.java"),
            (
                "add",
                "src/main/java/com/acme/orders/IdempotencyFilter.java",
            ),
        ],
    ),
    (
        "bob",
        "Bump jackson-databind from 2.17.1 to 2.17.2",
        3,
        &[("edit", "build.gradle")],
    ),
    (
        "carol",
        "Fix flaky OrderRepositoryTest on slow agents",
        1,
        &[(
            "edit",
            "src/test/java/com/acme/orders/OrderRepositoryTest.java",
        )],
    ),
];

/// Build #142 of backend-service: the example of "what changed in #142".
fn pin_build_142(world: &mut World, seed: u64, now: i64) {
    let mut g = Gen::new(seed ^ 0x142, now, false, 1024);
    with_job(world, "platform/backend-service", |job| {
        let Some(b) = job.builds.iter_mut().find(|b| b.number == 142) else {
            return;
        };
        let ts = b.timestamp;
        b.changes = CHANGES_142
            .iter()
            .map(|(author, message, hours, paths)| Change {
                commit: g.sha(),
                message: message.to_string(),
                author: author.to_string(),
                email: Some(format!("{author}@example.com")),
                timestamp: ts - hours * 3_600_000 - 17_000,
                paths: paths
                    .iter()
                    .map(|(edit, file)| ChangedPath {
                        edit: edit.to_string(),
                        file: file.to_string(),
                    })
                    .collect(),
            })
            .collect();
        b.causes = vec![Cause::Scm];
        b.revision = b.changes.last().map(|c| c.commit.clone());
        b.culprits = vec!["alice".into(), "bob".into(), "carol".into()];
    });
}
