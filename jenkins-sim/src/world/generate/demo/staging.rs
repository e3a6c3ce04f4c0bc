//! "ci-staging": the staging controller of the demo, one function per team.

use super::{
    add_teams, agents, approval, company, demo_multibranch, deploy_cycle, finish, folder, queued,
    team, AgentRow,
};
use crate::world::generate::generator::Gen;
use crate::world::generate::incidents::{pin_flaky, release_commit};
use crate::world::generate::plan::Lang::{Go, Java, Python};
use crate::world::generate::plan::Trigger::{Manual, Scm};
use crate::world::generate::plan::{Commit, Fate, Lang, Node, Waits};
use crate::world::generate::vocabulary::{DEPLOY_STAGES, STAGE_SETS};
use crate::world::JobKind::{Freestyle, Pipeline};
use crate::world::{LiveRule, World};

const HOUR: i64 = 3_600_000;

/// ci-staging's agents: two Linux agents and an Android emulator being upgraded.
const AGENTS: &[AgentRow] = &[
    ("staging-linux-1", &["linux", "docker"], 3, None),
    ("staging-linux-2", &["linux", "docker"], 3, None),
    (
        "android-emulator-1",
        &["android", "linux"],
        1,
        Some(("Disconnected by dave : emulator image upgrade", true)),
    ),
];

/// "ci-staging": the staging controller, with other teams.
pub(in crate::world::generate) fn world(seed: u64, now: i64) -> World {
    let mut g = company(seed ^ 0xC1_0001, now, (32, 8, 20));
    g.agents = agents(AGENTS);
    let nodes = vec![mobile(&mut g), payments(&mut g)];
    let queue = vec![queued("mobile/ios-release", Waits::Stuck)];
    let description = "ci-staging: staging CI for mobile and payments.";
    let mut world = finish(g, description, None, nodes, queue);
    let release = release_commit(seed, now);
    add_teams(&mut world, (seed ^ 0xC1_1001, now), (32, 8, 20), |g| {
        vec![delivery(g), release_builds(g, &release), wallet(g)]
    });
    pin_flaky(&mut world, "wallet/wallet-service", 19);
    world
}

/// delivery: deployments of the ledger worker to dev, staging and production, the last
/// waiting for approval to go to production.
fn delivery(g: &mut Gen) -> Node {
    let mut job = team(g, "delivery");
    let approve = approval(
        "Deploy ledger-worker to production?",
        "Deploy",
        "alice,payments-leads",
    );
    let ledger = job("deploy-ledger-worker", Pipeline, Manual, 20, Java)
        .of("ledger-worker")
        .stages(DEPLOY_STAGES)
        .deploying(&deploy_cycle(20), Some(approve))
        .tests(0)
        .cadence(6 * 3_600_000)
        .paused(40 * 60_000)
        .live(LiveRule::Still)
        .describe("Deploys payments/ledger-worker to the environment ENVIRONMENT names.");
    folder(
        "delivery",
        "Deployments to dev, staging and production",
        [ledger],
    )
}

/// mobile: iOS and Android apps (Android's UI tests failing), a backend, and an iOS
/// release no agent can run.
fn mobile(g: &mut Gen) -> Node {
    let mut job = team(g, "mobile");
    let ios = job("ios-app", Pipeline, Scm, 34, Lang::Node)
        .stages(&["Checkout", "Install Pods", "Build", "UI Tests", "Archive"])
        .tests(380);
    let android = job("android-app", Pipeline, Scm, 41, Java)
        .stages(&["Checkout", "Build", "Unit Tests", "UI Tests", "Archive"])
        .tests(640)
        .fates(&[
            (39, Fate::Success),
            (40, Fate::FailAt("UI Tests")),
            (41, Fate::FailAt("UI Tests")),
        ]);
    let mobile_backend = job("mobile-backend", Freestyle, Scm, 27, Go).tests(210);
    let ios_release = job("ios-release", Pipeline, Manual, 9, Lang::Node)
        .stages(&["Checkout", "Build", "Sign", "Upload to TestFlight"])
        .label("macos-arm64")
        .idle(9 * 86_400_000);
    let jobs = [ios, android, mobile_backend, ios_release];
    Node::folder(
        "mobile",
        Some("Mobile apps"),
        jobs.into_iter().map(Node::job).collect(),
    )
}

/// payments: the staging api-server (green), a ledger failing its integration tests,
/// a running checkout API, refunds and the payments web app.
fn payments(g: &mut Gen) -> Node {
    let mut job = team(g, "payments");
    let api = job("api-server", Freestyle, Scm, 52, Java)
        .tests(990)
        .artifacts()
        .fates(&[(51, Fate::Success), (52, Fate::Success)])
        .describe("Payments API (staging).");
    let ledger = job("ledger-worker", Pipeline, Scm, 38, Java)
        .stages(STAGE_SETS[1])
        .tests(720)
        .fates(&[
            (36, Fate::Success),
            (37, Fate::FailAt("Integration Tests")),
            (38, Fate::FailAt("Integration Tests")),
        ]);
    let checkout = job("checkout-api", Pipeline, Scm, 45, Go)
        .stages(STAGE_SETS[2])
        .running();
    let refund = job("refund-service", Freestyle, Scm, 18, Python).tests(150);
    let branches = [
        ("main", 25),
        ("develop", 14),
        ("feature/apple-pay", 3),
        ("PR-7", 2),
    ];
    drop(job);
    let web = demo_multibranch(g, "payments-web", "payments", &branches, "");
    let mut jobs: Vec<Node> = [api, ledger, checkout, refund]
        .into_iter()
        .map(Node::job)
        .collect();
    jobs.push(web);
    Node::folder("payments", Some("Payments team"), jobs)
}

/// release: the release builds of checkout-api; its last built the release commit that
/// ci-prod deploys.
fn release_builds(g: &mut Gen, release: &Commit) -> Node {
    let mut job = team(g, "payments");
    let build = job("checkout-api", Pipeline, Scm, 16, Go)
        .repo("https://git.example.com/payments/checkout-api.git")
        .stages(&["Checkout", "Build", "Unit Tests", "Package", "Publish"])
        .tests(480)
        .artifacts()
        .cadence(12 * HOUR)
        .idle(28 * HOUR)
        .releasing(release)
        .live(LiveRule::Still)
        .describe("Builds and publishes checkout-api releases; ci-prod deploys them.");
    folder("release", "Release builds", [build])
}

/// wallet: a service that keeps building one revision, its concurrency test failing
/// every other build.
fn wallet(g: &mut Gen) -> Node {
    let mut job = team(g, "wallet");
    let wallet = job("wallet-service", Pipeline, Scm, 24, Java)
        .stages(STAGE_SETS[4])
        .tests(350)
        .cadence(2 * HOUR)
        .flaky_from(19)
        .live(LiveRule::Still)
        .describe("Wallet balances (Java); one concurrency test is flaky.");
    folder("wallet", "Wallets and balances", [wallet])
}
