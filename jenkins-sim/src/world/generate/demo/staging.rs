//! "ci-staging": the staging controller of the demo, one function per team.

use rand::Rng;

use super::{demo_agent, demo_multibranch, offline, strings};
use crate::world::generate::generator::Gen;
use crate::world::generate::plan::{Fate, Lang, Node, QueuePlan, Trigger, Waits};
use crate::world::generate::vocabulary::{users, STAGE_SETS};
use crate::world::{ControllerInfo, JobKind, World};

/// "ci-staging": the staging controller, with other teams.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = Gen::new(seed ^ 0xC1_0001, now, false, 32 * 1024);
    g.devs = 8;
    g.builds_per_job = 20;
    g.agents = vec![
        demo_agent("staging-linux-1", &["linux", "docker"], 3),
        demo_agent("staging-linux-2", &["linux", "docker"], 3),
        offline(
            demo_agent("android-emulator-1", &["android", "linux"], 1),
            "Disconnected by dave : emulator image upgrade",
            true,
        ),
    ];
    let nodes = vec![mobile(&mut g), payments(&mut g)];
    let queue = vec![QueuePlan {
        job: "mobile/ios-release".into(),
        waits: Waits::Stuck,
    }];
    let controller = ControllerInfo {
        session: format!("{:08x}", g.rng.gen::<u32>()),
        description: Some("ci-staging: staging CI for mobile and payments.".into()),
        num_executors: 0,
        ..ControllerInfo::default()
    };
    let users = users(g.devs);
    g.finish(controller, users, nodes, queue)
}

/// mobile: iOS and Android apps (Android's UI tests failing), a backend, and an iOS
/// release no agent can run.
fn mobile(g: &mut Gen) -> Node {
    let mut ios = g.plan_in(
        "ios-app",
        "mobile",
        JobKind::Pipeline,
        Trigger::Scm,
        34,
        Lang::Node,
    );
    ios.job.stage_names = strings(&["Checkout", "Install Pods", "Build", "UI Tests", "Archive"]);
    ios.profile.tests = 380;
    let mut android = g.plan_in(
        "android-app",
        "mobile",
        JobKind::Pipeline,
        Trigger::Scm,
        41,
        Lang::Java,
    );
    android.job.stage_names = strings(&["Checkout", "Build", "Unit Tests", "UI Tests", "Archive"]);
    android.profile.tests = 640;
    android.fates = vec![
        (39, Fate::Success),
        (40, Fate::FailAt("UI Tests")),
        (41, Fate::FailAt("UI Tests")),
    ];
    let mut mobile_backend = g.plan_in(
        "mobile-backend",
        "mobile",
        JobKind::Freestyle,
        Trigger::Scm,
        27,
        Lang::Go,
    );
    mobile_backend.profile.tests = 210;
    let mut ios_release = g.plan_in(
        "ios-release",
        "mobile",
        JobKind::Pipeline,
        Trigger::Manual,
        9,
        Lang::Node,
    );
    ios_release.job.stage_names = strings(&["Checkout", "Build", "Sign", "Upload to TestFlight"]);
    ios_release.job.label = Some("macos-arm64".into());
    ios_release.idle_ms = Some(9 * 86_400_000);

    Node::folder(
        "mobile",
        Some("Mobile apps"),
        vec![
            Node::job(ios),
            Node::job(android),
            Node::job(mobile_backend),
            Node::job(ios_release),
        ],
    )
}

/// payments: the staging api-server (green), a ledger failing its integration tests,
/// a running checkout API, refunds and the payments web app.
fn payments(g: &mut Gen) -> Node {
    let mut api = g.plan_in(
        "api-server",
        "payments",
        JobKind::Freestyle,
        Trigger::Scm,
        52,
        Lang::Java,
    );
    api.profile.tests = 990;
    api.profile.artifacts = true;
    api.fates = vec![(51, Fate::Success), (52, Fate::Success)];
    api.job.description = Some("Payments API (staging).".into());
    let mut ledger = g.plan_in(
        "ledger-worker",
        "payments",
        JobKind::Pipeline,
        Trigger::Scm,
        38,
        Lang::Java,
    );
    ledger.job.stage_names = strings(STAGE_SETS[1]);
    ledger.profile.tests = 720;
    ledger.fates = vec![
        (36, Fate::Success),
        (37, Fate::FailAt("Integration Tests")),
        (38, Fate::FailAt("Integration Tests")),
    ];
    let mut checkout = g.plan_in(
        "checkout-api",
        "payments",
        JobKind::Pipeline,
        Trigger::Scm,
        45,
        Lang::Go,
    );
    checkout.job.stage_names = strings(STAGE_SETS[2]);
    checkout.running = true;
    let mut refund = g.plan_in(
        "refund-service",
        "payments",
        JobKind::Freestyle,
        Trigger::Scm,
        18,
        Lang::Python,
    );
    refund.profile.tests = 150;
    let web = demo_multibranch(
        g,
        "payments-web",
        "payments",
        &[
            ("main", 25),
            ("develop", 14),
            ("feature/apple-pay", 3),
            ("PR-7", 2),
        ],
        "",
    );
    Node::folder(
        "payments",
        Some("Payments team"),
        vec![
            Node::job(api),
            Node::job(ledger),
            Node::job(checkout),
            Node::job(refund),
            web,
        ],
    )
}
