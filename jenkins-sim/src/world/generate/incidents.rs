//! Incidents a responder asks about, as job histories: a regression, flaky tests, a
//! stage that gets slower, failed deployments and the one that restored service, and a
//! release commit built by one job and deployed by another (on another controller, in the
//! demo). Plans say what must happen; pins set, once the builds are realised, what only a
//! whole history can: the tests' names, the parameters, a stage's times.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::generator::Gen;
use super::plan::{Commit, CommitTime, Fate, JobPlan, Lang, Node, Trigger};
use super::vocabulary::{environment_param, param, DEPLOY_STAGES, STAGE_SETS};
use crate::world::{
    Build, BuildResult, GitScm, Item, JobKind, LiveRule, ParamKind, TestFailure, TestPass, World,
};

/// The tests a regression breaks: (class, name).
pub(super) const REGRESSED_TESTS: [(&str, &str); 2] = [
    ("com.acme.orders.OrderServiceTest", "computesTaxForEuOrders"),
    (
        "com.acme.orders.OrderRepositoryTest",
        "roundTripsUnicodeNames",
    ),
];

/// The test that fails now and then on the same revision.
pub(super) const FLAKY_TEST: (&str, &str) = (
    "com.acme.wallet.WalletConcurrencyTest",
    "handlesConcurrentUpdates",
);

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// The release commit of checkout-api. The same seed and `now` give the same commit; its
/// time rounds `now` down to ten minutes, so that two controllers whose worlds are made a
/// moment apart agree on it.
pub(super) fn release_commit(seed: u64, now: i64) -> Commit {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_C0DE);
    let sha = format!(
        "{:016x}{:016x}{:08x}",
        rng.gen::<u64>(),
        rng.gen::<u64>(),
        rng.gen::<u32>()
    );
    let ten_minutes = now - now.rem_euclid(10 * MINUTE);
    Commit {
        sha: Some(sha),
        author: "carol".into(),
        message: "Retry idempotent payment captures on 503".into(),
        paths: vec![
            ("edit".into(), "internal/capture/retry.go".into()),
            ("add".into(), "internal/capture/retry_test.go".into()),
        ],
        when: CommitTime::At(ten_minutes - 30 * HOUR),
    }
}

fn commit(author: &str, message: &str, paths: &[(&str, &str)], before: i64) -> Commit {
    Commit {
        sha: None,
        author: author.into(),
        message: message.into(),
        paths: paths
            .iter()
            .map(|(e, f)| (e.to_string(), f.to_string()))
            .collect(),
        when: CommitTime::Before(before),
    }
}

/// What a scenario needs of a job's plan.
impl JobPlan {
    /// A regression at build `at`: the build before is good; from `at` on every build
    /// fails its integration tests, after a commit that moves the build to Java 21 (the
    /// `JAVA_VERSION` parameter changes with it) and one that tries to fix the fallout.
    pub(super) fn regress_at(mut self, at: u64) -> Self {
        self.builds = self.builds.max(at + 2);
        let fail = Fate::FailAt("Integration Tests");
        self.fates = vec![(at - 1, Fate::Success)];
        self.fates.extend((at..=self.builds).map(|n| (n, fail)));
        self.job.parameters.push(param(
            "JAVA_VERSION",
            ParamKind::Choice,
            "JDK the build runs on",
            None,
            &["17", "21"],
        ));
        let java21 = [
            ("edit", "build.gradle"),
            ("edit", "Dockerfile"),
            ("edit", "Jenkinsfile"),
        ];
        let fix = [("edit", "src/main/java/com/acme/orders/OrderService.java")];
        self.commits = vec![
            (
                at,
                vec![commit("dave", "Build with Java 21", &java21, 40 * MINUTE)],
            ),
            (
                at + 1,
                vec![commit(
                    "erin",
                    "Use Clock.systemUTC() in OrderService",
                    &fix,
                    25 * MINUTE,
                )],
            ),
        ];
        self.same_revision_from = Some(at + 2);
        self
    }

    /// Flaky from build `from` on: the job keeps building one revision, and every other
    /// build goes unstable on [`FLAKY_TEST`].
    pub(super) fn flaky_from(mut self, from: u64) -> Self {
        self.builds = self.builds.max(from + 4);
        self.same_revision_from = Some(from);
        self.fates = (from..=self.builds)
            .map(|n| {
                let fails = (n - from) % 2 == 1;
                (n, if fails { Fate::Unstable } else { Fate::Success })
            })
            .collect();
        self
    }

    /// The last build builds the release commit, and succeeds.
    pub(super) fn releasing(mut self, release: &Commit) -> Self {
        self.fates.push((self.builds, Fate::Success));
        self.commits.push((self.builds, vec![release.clone()]));
        self
    }

    /// The last three builds deploy the release commit to production: the first two fail
    /// (its smoke test, then the rollout), the third restores service.
    pub(super) fn restoring(mut self, release: &Commit) -> Self {
        let n = self.builds;
        for k in n - 2..=n {
            self.environments.retain(|(b, _)| *b != k);
            self.environments.push((k, "production"));
        }
        self.fates.extend([
            (n - 3, Fate::Success),
            (n - 2, Fate::FailAt("Smoke Test")),
            (n - 1, Fate::FailAt("Deploy Production")),
            (n, Fate::Success),
        ]);
        self.commits.push((n - 2, vec![release.clone()]));
        self.same_revision_from = Some(n - 1);
        self
    }
}

/// The folder of incident jobs a generated world gets with
/// [`GenSpec::incidents`](super::GenSpec::incidents).
pub(super) fn incidents_folder(g: &mut Gen, release: &Commit) -> Node {
    let repo = "https://git.example.com/incidents/checkout-api.git";
    let mut plan = |name: &str, kind, builds, lang| {
        let mut p = g.plan_in(name, "incidents", kind, Trigger::Scm, builds, lang);
        p.job.live = LiveRule::Still;
        p
    };
    let mut build = plan("checkout-api", JobKind::Pipeline, 12, Lang::Go).releasing(release);
    build.idle_ms = Some(28 * HOUR);
    build.job.git = Some(repo_scm(repo));
    let mut deploy = plan("deploy-checkout-api", JobKind::Pipeline, 20, Lang::Go);
    deploy.slug = "checkout-api".into();
    deploy.job.git = Some(repo_scm(repo));
    deploy.job.stage_names = DEPLOY_STAGES.iter().map(|s| s.to_string()).collect();
    deploy.job.parameters.push(environment_param());
    deploy.environments = (1..=20)
        .map(|n| (n, ["dev", "staging"][(n % 2) as usize]))
        .collect();
    deploy.profile.cadence_ms = 40 * MINUTE;
    deploy.profile.tests = 0;
    deploy.idle_ms = Some(5 * HOUR);
    let deploy = deploy.restoring(release);
    let mut orders = plan("orders-api", JobKind::Pipeline, 20, Lang::Java).regress_at(18);
    orders.job.stage_names = STAGE_SETS[1].iter().map(|s| s.to_string()).collect();
    orders.profile.tests = orders.profile.tests.max(300);
    let mut wallet = plan("wallet-service", JobKind::Pipeline, 16, Lang::Java).flaky_from(11);
    wallet.job.stage_names = STAGE_SETS[4].iter().map(|s| s.to_string()).collect();
    wallet.profile.tests = wallet.profile.tests.max(200);
    let mut search = plan("search-service", JobKind::Pipeline, 16, Lang::Node);
    search.test_in_parallel();
    search.profile.tests = search.profile.tests.max(200);
    search.fates = (1..=16).map(|n| (n, Fate::Success)).collect();
    let jobs = [build, deploy, orders, wallet, search];
    let description = Some("Jobs whose histories hold incidents");
    Node::folder(
        "incidents",
        description,
        jobs.into_iter().map(Node::job).collect(),
    )
}

/// Pin what the incident jobs of [`incidents_folder`] need once realised.
pub(super) fn pin_incidents(world: &mut World) {
    pin_regression(world, "incidents/orders-api", 18);
    pin_flaky(world, "incidents/wallet-service", 11);
    pin_slowing(world, "incidents/search-service", "Integration Tests", 10);
}

fn repo_scm(url: &str) -> GitScm {
    GitScm {
        url: url.into(),
        branch: Some("main".into()),
    }
}

/// The builds of the job `full`, to change.
fn builds_mut<'w>(world: &'w mut World, full: &str) -> &'w mut [Build] {
    match world.item_mut(full).and_then(Item::as_job_mut) {
        Some(job) => &mut job.builds,
        None => &mut [],
    }
}

/// Name the regression's tests and set its parameter: they pass in build `at - 1` and
/// fail from `at` on (a `REGRESSION` there, `FAILED` after); `JAVA_VERSION` is 17 before
/// `at` and 21 from it.
pub(super) fn pin_regression(world: &mut World, full: &str, at: u64) {
    for b in builds_mut(world, full) {
        let java = if b.number < at { "17" } else { "21" };
        if let Some(v) = b.parameters.iter_mut().find(|p| p.name == "JAVA_VERSION") {
            v.value = java.into();
        }
        let Some(t) = b.tests.as_mut() else {
            continue;
        };
        if b.number + 1 == at {
            t.passing = REGRESSED_TESTS.iter().map(|c| passed(c, false)).collect();
        } else if b.number >= at {
            let total = t.passed + t.failures.len() as u32;
            t.failures = REGRESSED_TESTS
                .iter()
                .map(|c| failed(c, at, REGRESSION_ERROR))
                .collect();
            t.passed = total.saturating_sub(t.failures.len() as u32);
        }
    }
}

/// Name the flaky test: it fails in the unstable builds from `from` on and passes (fixed)
/// in the others.
pub(super) fn pin_flaky(world: &mut World, full: &str, from: u64) {
    let mut failed_before = false;
    for b in builds_mut(world, full) {
        let Some(t) = b.tests.as_mut().filter(|_| b.number >= from) else {
            continue;
        };
        let total = t.passed + t.failures.len() as u32;
        if b.result == Some(BuildResult::Unstable) {
            t.failures = vec![failed(&FLAKY_TEST, b.number, FLAKY_ERROR)];
            failed_before = true;
        } else {
            t.failures.clear();
            t.passing = vec![passed(&FLAKY_TEST, failed_before)];
            failed_before = false;
        }
        t.passed = total.saturating_sub(t.failures.len() as u32);
    }
}

/// Make `stage` slower, run after run, over the last `runs` builds in which it succeeded:
/// each takes about 9% more than the first, the stages after it and the build as much
/// later and longer.
pub(super) fn pin_slowing(world: &mut World, full: &str, stage: &str, runs: usize) {
    let builds = builds_mut(world, full);
    let mut done: Vec<&mut Build> = builds
        .iter_mut()
        .filter(|b| {
            !b.building()
                && b.stages
                    .iter()
                    .any(|s| s.name == stage && s.status == "SUCCESS")
        })
        .collect();
    let from = done.len().saturating_sub(runs);
    let slow = &mut done[from..];
    let Some(base) = slow
        .first()
        .and_then(|b| b.stages.iter().find(|s| s.name == stage))
    else {
        return;
    };
    let base = base.duration;
    for (k, b) in slow.iter_mut().enumerate() {
        let target = base + base * 9 * k as i64 / 100;
        stretch(b, stage, target);
    }
}

/// Give `stage` of build `b` this duration; what starts after it moves by as much.
fn stretch(b: &mut Build, stage: &str, target: i64) {
    let Some(i) = b.stages.iter().position(|s| s.name == stage) else {
        return;
    };
    let end = b.stages[i].start + b.stages[i].duration;
    let extra = target - b.stages[i].duration;
    let s = &mut b.stages[i];
    s.duration = target;
    if let Some(last) = s.steps.last_mut() {
        last.duration = (last.duration + extra).max(1);
    }
    for s in b.stages.iter_mut().filter(|s| s.start >= end) {
        s.start += extra;
        for step in &mut s.steps {
            step.start += extra;
        }
    }
    b.duration = (b.duration + extra).max(1);
}

/// What the regressed tests report.
const REGRESSION_ERROR: &str =
    "org.opentest4j.AssertionFailedError: expected: <19.00> but was: <18.99>";

/// What the flaky test reports when it fails.
const FLAKY_ERROR: &str = "java.util.ConcurrentModificationException: balance updated concurrently";

fn failed((class, name): &(&str, &str), since: u64, error: &str) -> TestFailure {
    TestFailure {
        class_name: class.to_string(),
        name: name.to_string(),
        error: Some(error.into()),
        duration: 0.412,
        failed_since: since,
    }
}

fn passed((class, name): &(&str, &str), fixed: bool) -> TestPass {
    TestPass {
        class_name: class.to_string(),
        name: name.to_string(),
        duration: 0.377,
        fixed,
    }
}
