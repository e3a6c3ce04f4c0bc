//! "ci-prod": the production controller of the demo, one function per team.

use rand::Rng;

use super::{demo_agent, demo_multibranch, offline, strings, with_job};
use crate::world::generate::generator::Gen;
use crate::world::generate::plan::{Fate, JobPlan, Lang, Node, QueuePlan, Trigger, Waits};
use crate::world::generate::vocabulary::{
    param, users, DEPLOY_STAGES, ETL_STAGES, NODE_STAGES, RELEASE_STAGES, STAGE_SETS,
    TERRAFORM_STAGES,
};
use crate::world::{
    BuildResult, Cause, Change, ChangedPath, ControllerInfo, JobKind, ParamKind, World,
};

/// "ci-prod": the production controller of the demo.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = Gen::new(seed ^ 0xC1_0000, now, false, 48 * 1024);
    g.devs = 5;
    g.builds_per_job = 30;
    g.agents = vec![
        demo_agent("linux-1", &["linux", "docker"], 2),
        demo_agent("linux-2", &["linux", "docker"], 2),
        offline(
            demo_agent("windows-1", &["windows"], 1),
            "Disconnected by admin",
            true,
        ),
        offline(
            demo_agent("mac-1", &["macos", "xcode"], 1),
            "Connection was broken: java.nio.channels.ClosedChannelException",
            false,
        ),
    ];

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
        QueuePlan {
            job: "gpu-training".into(),
            waits: Waits::Stuck,
        },
        QueuePlan {
            job: "data/etl/nightly-etl".into(),
            waits: Waits::Blocked,
        },
        QueuePlan {
            job: "platform/web-frontend".into(),
            waits: Waits::Executor,
        },
    ];
    let controller = ControllerInfo {
        session: format!("{:08x}", g.rng.gen::<u32>()),
        description: Some("ci-prod: production CI. Questions go to #ci-help.".into()),
        num_executors: 0,
        ..ControllerInfo::default()
    };
    let users = users(g.devs);
    let mut world = g.finish(controller, users, nodes, queue);
    pin_build_142(&mut world, seed, now);
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
    let mut api = g.plan_in(
        "api-server",
        "platform",
        JobKind::Freestyle,
        Trigger::Scm,
        48,
        Lang::Java,
    );
    api.profile.tests = 1_240;
    api.profile.artifacts = true;
    api.profile.flaky = 0.12;
    api.job.description = Some("The public REST API (Java, Gradle).".into());
    api.fates = vec![
        (46, Fate::Success),
        (47, Fate::FailTests),
        (48, Fate::FailTests),
    ];
    api.log_sizes = vec![(48, 128 * 1024 * 1024)];

    let mut backend = g.plan_in(
        "backend-service",
        "platform",
        JobKind::Pipeline,
        Trigger::Scm,
        160,
        Lang::Java,
    );
    backend.job.stage_names = strings(STAGE_SETS[1]);
    backend.profile.tests = 860;
    backend.profile.flaky = 0.1;
    backend.profile.cadence_ms = 3 * 3_600_000;
    backend.job.description = Some("Order and inventory backend.".into());
    backend.fates = vec![
        (141, Fate::Success),
        (142, Fate::Success),
        (160, Fate::Success),
    ];
    backend.log_sizes = vec![(142, 48 * 1024)];

    let mut auth = g.plan_in(
        "auth-service",
        "platform",
        JobKind::Pipeline,
        Trigger::Scm,
        70,
        Lang::Go,
    );
    auth.job.stage_names = strings(STAGE_SETS[2]);
    auth.profile.tests = 420;
    auth.running = true;

    let mut web = g.plan_in(
        "web-frontend",
        "platform",
        JobKind::Pipeline,
        Trigger::Scm,
        60,
        Lang::Node,
    );
    web.job.stage_names = strings(NODE_STAGES);
    web.profile.tests = 310;

    Node::folder(
        "platform",
        Some("Core services of the platform team"),
        vec![
            Node::job(api),
            Node::job(backend),
            Node::job(auth),
            Node::job(web),
        ],
    )
}

/// release: the release pipeline and the production deployments it triggers.
fn release(g: &mut Gen) -> Node {
    let mut release = g.plan_in(
        "release-pipeline",
        "release",
        JobKind::Pipeline,
        Trigger::Scm,
        40,
        Lang::Java,
    );
    release.job.stage_names = strings(RELEASE_STAGES);
    release.profile.tests = 1_500;
    release.profile.artifacts = true;
    release.profile.cadence_ms = 20 * 3_600_000;
    release.fates = vec![
        (37, Fate::Success),
        (38, Fate::FailAt("Integration Tests")),
        (39, Fate::Success),
        (40, Fate::Success),
    ];
    release.job.description =
        Some("Builds, tests and ships a release to staging and production.".into());

    let mut deploy = g.plan_in(
        "deploy-production",
        "release",
        JobKind::Pipeline,
        Trigger::Upstream,
        30,
        Lang::Java,
    );
    deploy.job.stage_names = strings(DEPLOY_STAGES);
    deploy.upstream = Some(("release/release-pipeline".into(), 40));
    deploy.profile.tests = 0;
    deploy.profile.cadence_ms = 20 * 3_600_000;
    deploy.fates = vec![(29, Fate::FailAt("Smoke Test")), (30, Fate::Success)];
    deploy.job.parameters = vec![
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
    ];
    deploy.job.description = Some("Deploys a released version to production.".into());

    Node::folder(
        "release",
        Some("Release and deployment"),
        vec![Node::job(release), Node::job(deploy)],
    )
}

/// data: a nightly ETL (running now, its next run blocked behind it) and hourly syncs.
fn data(g: &mut Gen) -> Node {
    let mut etl = g.plan_in(
        "nightly-etl",
        "data",
        JobKind::Pipeline,
        Trigger::Timer,
        45,
        Lang::Python,
    );
    etl.job.stage_names = strings(ETL_STAGES);
    etl.profile.cadence_ms = 86_400_000;
    etl.profile.duration_ms = 50 * 60_000;
    etl.running = true;
    etl.job.description = Some("Loads yesterday's orders into the warehouse, every night.".into());
    let mut sync = g.plan_in(
        "warehouse-sync",
        "data",
        JobKind::Freestyle,
        Trigger::Timer,
        60,
        Lang::Python,
    );
    sync.profile.cadence_ms = 3_600_000;
    sync.running = true;
    let mut reports = g.plan_in(
        "reports-export",
        "data",
        JobKind::Pipeline,
        Trigger::Timer,
        20,
        Lang::Python,
    );
    reports.job.stage_names = strings(ETL_STAGES);

    Node::folder(
        "data",
        Some("Data engineering"),
        vec![
            Node::folder("etl", None, vec![Node::job(etl)]),
            Node::job(sync),
            Node::job(reports),
        ],
    )
}

/// infra: Terraform and image baking.
fn infra(g: &mut Gen) -> Node {
    let mut tf = g.plan_in(
        "terraform-apply",
        "infra",
        JobKind::Pipeline,
        Trigger::Manual,
        25,
        Lang::Go,
    );
    tf.job.stage_names = strings(TERRAFORM_STAGES);
    tf.profile.tests = 0;
    let ami = g.plan_in(
        "ami-bake",
        "infra",
        JobKind::Freestyle,
        Trigger::Timer,
        10,
        Lang::Go,
    );

    Node::folder(
        "infra",
        Some("Infrastructure as code"),
        vec![Node::job(tf), Node::job(ami)],
    )
}

/// Jobs at the root: a retired deploy job, one never built, a parameterised migration and
/// a GPU job no agent can run.
fn root_jobs(g: &mut Gen) -> Vec<Node> {
    let mut legacy = g.plan_in(
        "legacy-deploy",
        "ops",
        JobKind::Freestyle,
        Trigger::Manual,
        12,
        Lang::Java,
    );
    legacy.job.disabled = true;
    legacy.idle_ms = Some(140 * 86_400_000);
    legacy.job.description = Some("Deprecated: use release/deploy-production.".into());
    let mut fresh = g.plan_in(
        "new-service",
        "platform",
        JobKind::Pipeline,
        Trigger::Scm,
        0,
        Lang::Go,
    );
    fresh.job.description = Some("Created from the service template; not built yet.".into());
    let migrate = db_migrate(g);
    let mut gpu = g.plan_in(
        "gpu-training",
        "ml",
        JobKind::Pipeline,
        Trigger::Manual,
        6,
        Lang::Python,
    );
    gpu.job.stage_names = strings(&[
        "Checkout",
        "Prepare Dataset",
        "Train",
        "Evaluate",
        "Register Model",
    ]);
    gpu.job.label = Some("gpu".into());
    gpu.idle_ms = Some(20 * 86_400_000);
    gpu.profile.tests = 0;

    [legacy, fresh, migrate, gpu]
        .into_iter()
        .map(Node::job)
        .collect()
}

/// A migration job with a parameter of every kind, a password among them.
fn db_migrate(g: &mut Gen) -> JobPlan {
    let mut migrate = g.plan_in(
        "db-migrate",
        "platform",
        JobKind::Freestyle,
        Trigger::Manual,
        15,
        Lang::Java,
    );
    migrate.profile.tests = 0;
    migrate.job.parameters = vec![
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
    ];
    migrate
}

/// web: the multibranch web app, its pull request PR-42 building now.
fn web_app(g: &mut Gen) -> Node {
    demo_multibranch(
        g,
        "web-app",
        "web",
        &[
            ("main", 30),
            ("develop", 22),
            ("feature/login-page", 4),
            ("PR-42", 3),
        ],
        "PR-42",
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
