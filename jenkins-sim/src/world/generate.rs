//! Generated worlds: deterministic from a seed, sized by knobs; the demo and large worlds.
//!
//! Generation runs in two passes. First a *plan* of the item tree is drawn: names, job
//! kinds, how many builds each job has, how particular builds must end, which jobs are
//! running now and which wait in the queue. Then every job's builds are realised from its
//! plan (times, results, causes, commits, culprits, tests, artifacts, stages, steps, logs),
//! and queue ids, executors, the queue and recently left items are filled in over the
//! whole world. Splitting it so lets the demo worlds pin exact facts (build #142 of
//! `backend-service`, the failing last build of `api-server`) while everything around
//! them stays random but realistic. Only `ChaCha8Rng` draws decide anything, so a spec
//! (seed and `now_ms` included) always yields the same world.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    branch_item_name, Agent, Artifact, Build, BuildResult, Cause, Change, ChangedPath,
    ControllerInfo, Folder, FolderKind, GitScm, Item, Job, JobKind, LeftItem, Log, ParamDef,
    ParamKind, ParamValue, Permission, QueueItem, QueueState, Stage, StageError, Step, TestFailure,
    TestReport, User, World,
};

/// Knobs of a generated world.
#[derive(Debug, Clone)]
pub struct GenSpec {
    /// Seed: the same seed and `now_ms` give the same world.
    pub seed: u64,
    /// "Now", epoch ms: finished builds end before it, running builds started before it.
    pub now_ms: i64,
    /// Team folders at the root (`payments`, `platform`, …).
    pub folders: usize,
    /// Levels of folders in each team's tree, the team folder included (1 = flat).
    pub depth: usize,
    /// Jobs in each team folder, counted over all of its nested folders.
    pub jobs_per_folder: usize,
    /// Jobs directly at the root.
    pub root_jobs: usize,
    /// Builds of a typical job (jobs vary around it; a few were never built).
    pub builds_per_job: usize,
    /// Fraction (0.0..=1.0) of jobs that are pipelines; the rest are freestyle.
    pub pipeline_share: f64,
    /// Multibranch projects, spread over the team folders (or the root without folders).
    pub multibranch: usize,
    /// Branch jobs per multibranch project (`main`, `develop`, `feature/…`, `PR-N`, …).
    pub branches: usize,
    /// Items waiting in the queue (quiet period, blocked, waiting for an executor, stuck).
    pub queue: usize,
    /// Agents besides the built-in node.
    pub agents: usize,
    /// How many of those agents are offline.
    pub offline_agents: usize,
    /// Mean size of a generated console log, bytes (generated logs are never stored).
    pub log_bytes: u64,
}

/// 2026-01-01T00:00:00Z: the default "now", fixed so that the default spec is deterministic.
const DEFAULT_NOW_MS: i64 = 1_767_225_600_000;

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            seed: 1,
            now_ms: DEFAULT_NOW_MS,
            folders: 3,
            depth: 2,
            jobs_per_folder: 6,
            root_jobs: 3,
            builds_per_job: 8,
            pipeline_share: 0.5,
            multibranch: 1,
            branches: 3,
            queue: 4,
            agents: 3,
            offline_agents: 1,
            log_bytes: 16 * 1024,
        }
    }
}

/// Above this many jobs a world is generated lean: one short step per stage, no literal
/// logs, fewer commits, so that tens of thousands of jobs fit in a few hundred MB.
const LEAN_ABOVE_JOBS: usize = 5_000;

impl World {
    /// Generate a world from a spec; the same spec always gives the same world.
    pub fn generate(spec: &GenSpec) -> World {
        let total =
            spec.folders * spec.jobs_per_folder + spec.root_jobs + spec.multibranch * spec.branches;
        let mut g = Gen::new(
            spec.seed,
            spec.now_ms,
            total > LEAN_ABOVE_JOBS,
            spec.log_bytes,
        );
        g.devs = DEVELOPERS.len();
        g.builds_per_job = spec.builds_per_job.max(1) as u64;
        g.agents = g.random_agents(spec.agents, spec.offline_agents.min(spec.agents));
        let mut nodes = g.generic_tree(spec);
        let queue = g.choose_queue(&mut nodes, spec.queue);
        let controller = ControllerInfo {
            session: format!("{:08x}", g.rng.gen::<u32>()),
            num_executors: if spec.agents == 0 { 3 } else { 0 },
            ..ControllerInfo::default()
        };
        let users = users(g.devs);
        g.finish(controller, users, nodes, queue)
    }

    /// The demo world of controller `variant`: 0 is "ci-prod", 1 "ci-staging", 2
    /// "ci-legacy"; higher variants are medium-sized generated worlds.
    ///
    /// Times follow the real clock, so the world looks current. The gateway's examples
    /// and `majordomo demo` rely on the names in these worlds.
    pub fn demo(seed: u64, variant: usize) -> World {
        let now = crate::server::now_ms();
        match variant {
            0 => demo_prod(seed, now),
            1 => demo_staging(seed, now),
            2 => demo_legacy(seed, now),
            n => World::generate(&GenSpec {
                seed: seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                now_ms: now,
                folders: 4,
                jobs_per_folder: 8,
                builds_per_job: 12,
                ..GenSpec::default()
            }),
        }
    }

    /// A large world for benchmarks: 40 team folders × 500 jobs three levels deep (about
    /// 20,000 jobs, 5 builds each, 40% pipelines), 50 multibranch projects × 4 branches,
    /// 200 queue items and 50 agents (5 offline). Logs are generated, steps kept short.
    pub fn large(seed: u64) -> World {
        World::generate(&GenSpec {
            seed,
            now_ms: crate::server::now_ms(),
            folders: 40,
            depth: 3,
            jobs_per_folder: 500,
            root_jobs: 0,
            builds_per_job: 5,
            pipeline_share: 0.4,
            multibranch: 50,
            branches: 4,
            queue: 200,
            agents: 50,
            offline_agents: 5,
            log_bytes: 32 * 1024,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Vocabulary.

/// Developers: ids and full names. Commit authors and culprits are drawn from them.
const DEVELOPERS: &[(&str, &str)] = &[
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

const TEAMS: &[&str] = &[
    "payments",
    "platform",
    "data",
    "mobile",
    "identity",
    "search",
    "growth",
    "billing",
    "infra",
    "security",
    "ml",
    "analytics",
    "checkout",
    "logistics",
    "messaging",
    "catalog",
    "fraud",
    "notifications",
    "observability",
    "storage",
    "networking",
    "web",
    "ads",
    "pricing",
    "inventory",
    "support",
    "partners",
    "compliance",
    "risk",
    "media",
    "maps",
    "recommendations",
    "reporting",
    "devex",
    "sre",
    "qa",
    "integrations",
    "accounts",
    "shipping",
    "orders",
    "reviews",
    "loyalty",
    "onboarding",
    "marketplace",
    "finance",
    "edge",
    "streaming",
    "warehouse",
];

const SERVICES: &[&str] = &[
    "checkout",
    "ledger",
    "billing",
    "invoice",
    "payment",
    "refund",
    "auth",
    "session",
    "profile",
    "catalog",
    "search",
    "cart",
    "order",
    "shipping",
    "inventory",
    "pricing",
    "tax",
    "fraud",
    "notification",
    "email",
    "sms",
    "push",
    "report",
    "analytics",
    "metrics",
    "audit",
    "gateway",
    "config",
    "feature-flag",
    "user",
    "account",
    "wallet",
    "subscription",
    "coupon",
    "review",
    "rating",
    "recommendation",
    "media",
    "image",
    "thumbnail",
    "upload",
    "export",
    "import",
    "scheduler",
    "geo",
    "currency",
    "settlement",
    "payout",
    "kyc",
    "consent",
];

/// Suffixes of job names; none of them is also a multibranch repository suffix.
const JOB_SUFFIXES: &[&str] = &[
    "api", "worker", "service", "consumer", "producer", "cron", "bff", "sync", "etl", "proxy",
    "indexer", "exporter", "batch", "job", "admin",
];

/// Job name suffixes of jobs that mostly run on a timer.
const TIMER_SUFFIXES: &[&str] = &["cron", "sync", "etl", "exporter", "batch"];

const REPO_SUFFIXES: &[&str] = &["app", "web", "mobile", "monorepo", "sdk", "frontend"];

const SUBFOLDERS_TOP: &[&str] = &[
    "services",
    "libraries",
    "tools",
    "deploy",
    "batch",
    "internal",
];
const SUBFOLDERS_DEEP: &[&str] = &["legacy", "experimental", "nightly", "ops", "v2", "sandbox"];

/// Labels no generated agent has: jobs restricted to them sit stuck in the queue.
const STUCK_LABELS: &[&str] = &["gpu", "arm64-large", "windows-2019", "macos-arm64"];

const TOPICS: &[&str] = &[
    "login-page",
    "dark-mode",
    "retry-budget",
    "new-checkout",
    "rate-limits",
    "cache-warmup",
    "search-facets",
    "otel-tracing",
    "java21",
    "node20",
    "flaky-tests",
    "payment-links",
];

const COMPONENTS: &[&str] = &[
    "client",
    "handler",
    "repository",
    "scheduler",
    "cache",
    "validator",
    "router",
    "config",
    "metrics",
    "auth",
    "serializer",
    "batch",
    "retry",
    "webhook",
];

const DEPENDENCIES: &[(&str, &str, &str)] = &[
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

const COMMIT_TEMPLATES: &[&str] = &[
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

const TEST_NAMES: &[&str] = &[
    "shouldRejectExpiredToken",
    "returnsNotFoundForUnknownId",
    "retriesOnTimeout",
    "handlesConcurrentUpdates",
    "parsesLegacyFormat",
    "roundTripsUnicodeNames",
    "computesTaxForEuOrders",
    "paginatesPastTheLastPage",
    "keepsIdempotencyKeys",
    "closesConnectionsOnShutdown",
    "appliesCouponOnlyOnce",
    "emitsMetricsOnFailure",
];

const TEST_ERRORS: &[&str] = &[
    "java.lang.AssertionError: expected:<200> but was:<500>",
    "org.opentest4j.AssertionFailedError: expected: <true> but was: <false>",
    "java.util.concurrent.TimeoutException: Timed out after 30 seconds",
    "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"value\" is null",
    "org.opentest4j.AssertionFailedError: expected: <3> but was: <2>",
    "java.net.ConnectException: Connection refused (localhost:5432)",
];

const STAGE_SETS: &[&[&str]] = &[
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
const NODE_STAGES: &[&str] = &["Checkout", "Install Dependencies", "Lint", "Test", "Build"];
const ETL_STAGES: &[&str] = &["Extract", "Transform", "Load", "Publish Reports"];
const DEPLOY_STAGES: &[&str] = &["Checkout", "Verify Artifact", "Deploy", "Smoke Test"];
const TERRAFORM_STAGES: &[&str] = &["Checkout", "Init", "Plan", "Apply"];
const RELEASE_STAGES: &[&str] = &[
    "Checkout",
    "Build",
    "Unit Tests",
    "Integration Tests",
    "Package",
    "Deploy Staging",
    "Deploy Production",
];

/// The phases a freestyle build's shell script goes through (for its console log).
const FREESTYLE_PHASES: &[&str] = &["Checkout", "Build", "Test", "Archive"];

// ---------------------------------------------------------------------------------------
// Plans.

/// How a build must end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Success,
    Unstable,
    Aborted,
    /// A failure in a stage picked at random.
    Failure,
    /// A failure in the named stage.
    FailAt(&'static str),
    /// A failure of the tests, with failed test cases.
    FailTests,
}

impl Fate {
    fn result(self) -> BuildResult {
        match self {
            Fate::Success => BuildResult::Success,
            Fate::Unstable => BuildResult::Unstable,
            Fate::Aborted => BuildResult::Aborted,
            Fate::Failure | Fate::FailAt(_) | Fate::FailTests => BuildResult::Failure,
        }
    }
}

/// What usually starts a job's builds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Trigger {
    Scm,
    Timer,
    Manual,
    Upstream,
    Branch,
}

/// The language of a job's repository: it shapes paths, commands and artifacts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lang {
    Java,
    Node,
    Go,
    Python,
}

/// How a job behaves over time.
#[derive(Debug, Clone)]
struct Profile {
    /// Typical duration of a build, ms.
    duration_ms: i64,
    /// Typical time between builds, ms (exactly the period for timer jobs).
    cadence_ms: i64,
    /// Probability that a build fails after a good one.
    flaky: f64,
    /// Probability that a build fails after a failed one (failure streaks).
    sticky: f64,
    /// Size of the test suite (0: no test report).
    tests: u32,
    /// Whether good builds archive artifacts.
    artifacts: bool,
    trigger: Trigger,
    lang: Lang,
}

/// Everything needed to realise one job.
struct JobPlan {
    kind: JobKind,
    /// The job without builds.
    job: Job,
    /// Team (folder) the job belongs to: used in URLs, image names and paths.
    team: String,
    /// Short name used in commands and artifacts (the repository for branch jobs).
    slug: String,
    builds: u64,
    /// Whether the last build is still running.
    running: bool,
    /// Time since the last build ended, ms (drawn from the cadence when unset).
    idle_ms: Option<i64>,
    fates: Vec<(u64, Fate)>,
    /// Build number → generated log size, for builds whose log size matters.
    log_sizes: Vec<(u64, u64)>,
    /// Upstream job (full name) and its number of builds, for upstream-triggered jobs.
    upstream: Option<(String, u64)>,
    profile: Profile,
}

/// A node of the planned item tree.
enum Node {
    Folder {
        kind: FolderKind,
        folder: Folder,
        children: Vec<Node>,
    },
    Job(Box<JobPlan>),
}

impl Node {
    fn folder(name: &str, description: Option<&str>, children: Vec<Node>) -> Node {
        Node::Folder {
            kind: FolderKind::Folder,
            folder: Folder {
                name: name.into(),
                description: description.map(str::to_string),
                ..Folder::default()
            },
            children,
        }
    }

    fn job(plan: JobPlan) -> Node {
        Node::Job(Box::new(plan))
    }
}

/// Why a planned queue item waits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Waits {
    /// In the quiet period.
    Quiet,
    /// Behind its own running build.
    Blocked,
    /// For a free executor.
    Executor,
    /// For a label no node has.
    Stuck,
}

/// A planned queue item.
struct QueuePlan {
    job: String,
    waits: Waits,
}

// ---------------------------------------------------------------------------------------
// Small helpers.

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Step logs are served as HTML by the Pipeline REST API, so markup characters are escaped.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn pascal(s: &str) -> String {
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

fn is_test_stage(name: &str) -> bool {
    let l = name.to_lowercase();
    l.contains("test") && !l.contains("smoke")
}

/// Relative time a stage takes.
fn stage_weight(name: &str) -> f64 {
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
fn failure_weight(name: &str) -> f64 {
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

fn iso_date(ms: i64) -> String {
    let (y, mo, d, ..) = crate::model::civil(ms);
    format!("{y:04}-{mo:02}-{d:02}")
}

fn users(devs: usize) -> Vec<User> {
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

fn full_name_of(id: &str) -> &str {
    DEVELOPERS
        .iter()
        .find(|(d, _)| *d == id)
        .map_or(id, |(_, f)| f)
}

// ---------------------------------------------------------------------------------------
// The generator.

/// One step of a stage as planned: display name, Pipeline function, argument, raw log lines.
struct StepPlan {
    name: &'static str,
    func: &'static str,
    desc: Option<String>,
    lines: Vec<String>,
}

/// One stage as planned (or a freestyle phase).
struct StageTrace {
    name: String,
    /// Skipped after an earlier failure or abort.
    skipped: bool,
    steps: Vec<StepPlan>,
}

/// What the logs and step templates of one build need to know.
struct RunCtx<'a> {
    full: &'a str,
    slug: &'a str,
    team: &'a str,
    lang: Lang,
    git: Option<&'a GitScm>,
    revision: Option<&'a str>,
    commit_msg: Option<&'a str>,
    number: u64,
    timestamp: i64,
    tests_total: u32,
    tests_failed: u32,
    tests_skipped: u32,
}

/// Drawn facts about one build's course, before timings.
struct Course {
    result: Option<BuildResult>,
    /// Index of the stage that failed, aborted, went unstable, or is running.
    stop: Option<usize>,
    error: Option<StageError>,
}

struct Gen {
    rng: ChaCha8Rng,
    now: i64,
    lean: bool,
    log_bytes: u64,
    /// How many of [`DEVELOPERS`] are users of this controller.
    devs: usize,
    builds_per_job: u64,
    agents: Vec<Agent>,
}

impl Gen {
    fn new(seed: u64, now: i64, lean: bool, log_bytes: u64) -> Gen {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
            lean,
            log_bytes: log_bytes.max(1024),
            devs: 5,
            builds_per_job: 8,
            agents: Vec::new(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn dev(&mut self) -> &'static str {
        DEVELOPERS[self.rng.gen_range(0..self.devs.max(1))].0
    }

    fn sha(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.rng.gen::<u64>(),
            self.rng.gen::<u64>(),
            self.rng.gen::<u32>()
        )
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    /// A duration around `base`, log-normally spread (±30% typical, never under 3 s).
    fn duration(&mut self, base: i64) -> i64 {
        let z: f64 = (0..4).map(|_| self.rng.gen::<f64>()).sum::<f64>() - 2.0;
        ((base as f64) * (z * 0.5).exp()).max(3_000.0) as i64
    }

    /// Time between two builds: exponential around the cadence.
    fn gap(&mut self, cadence: i64) -> i64 {
        let u: f64 = self.rng.gen_range(0.02..1.0);
        ((-u.ln()) * cadence as f64).max(30_000.0) as i64
    }

    // ---- plans --------------------------------------------------------------------

    fn profile(&mut self, kind: JobKind, trigger: Trigger, lang: Lang) -> Profile {
        let duration_ms = if kind == JobKind::Pipeline {
            self.rng.gen_range(90_000..1_500_000)
        } else {
            self.rng.gen_range(20_000..480_000)
        };
        let cadence_ms = match trigger {
            Trigger::Timer if self.chance(0.2) => 3_600_000,
            Trigger::Timer => 86_400_000,
            Trigger::Manual => self.rng.gen_range(6 * 3_600_000..4 * 86_400_000),
            _ => self.rng.gen_range(20 * 60_000..36 * 3_600_000),
        };
        // A few jobs are simply broken; most fail now and then.
        let flaky = if self.chance(0.06) {
            0.45
        } else {
            self.rng.gen_range(0.02..0.15)
        };
        let sticky = self.rng.gen_range(0.35..0.75);
        let tests = if trigger != Trigger::Timer && self.chance(0.6) {
            self.rng.gen_range(40..2500)
        } else {
            0
        };
        Profile {
            duration_ms,
            cadence_ms,
            flaky,
            sticky,
            tests,
            artifacts: self.chance(0.4),
            trigger,
            lang,
        }
    }

    fn stage_set(&mut self, name: &str, trigger: Trigger, lang: Lang) -> Vec<String> {
        let set: &[&str] =
            if name.contains("etl") || (trigger == Trigger::Timer && self.chance(0.5)) {
                ETL_STAGES
            } else if name.contains("deploy") {
                DEPLOY_STAGES
            } else if name.contains("terraform") {
                TERRAFORM_STAGES
            } else if lang == Lang::Node && self.chance(0.7) {
                NODE_STAGES
            } else {
                self.pick(STAGE_SETS)
            };
        set.iter().map(|s| s.to_string()).collect()
    }

    /// A job plan with a random profile; callers adjust what they need.
    fn plan(
        &mut self,
        name: &str,
        team: &str,
        kind: JobKind,
        trigger: Trigger,
        builds: u64,
    ) -> JobPlan {
        let lang = self.pick(&[Lang::Java, Lang::Java, Lang::Node, Lang::Go, Lang::Python]);
        self.plan_in(name, team, kind, trigger, builds, lang)
    }

    fn plan_in(
        &mut self,
        name: &str,
        team: &str,
        kind: JobKind,
        trigger: Trigger,
        builds: u64,
        lang: Lang,
    ) -> JobPlan {
        let profile = self.profile(kind, trigger, lang);
        let git = if trigger != Trigger::Timer || self.chance(0.5) {
            let branch = if self.chance(0.9) { "main" } else { "master" };
            Some(GitScm {
                url: format!("https://git.example.com/{team}/{name}.git"),
                branch: Some(branch.into()),
            })
        } else {
            None
        };
        let stage_names = if kind == JobKind::Pipeline {
            self.stage_set(name, trigger, lang)
        } else {
            Vec::new()
        };
        JobPlan {
            kind,
            job: Job {
                name: name.into(),
                git,
                stage_names,
                ..Job::default()
            },
            team: team.into(),
            slug: name.into(),
            builds,
            running: false,
            idle_ms: None,
            fates: Vec::new(),
            log_sizes: Vec::new(),
            upstream: None,
            profile,
        }
    }

    /// `count` distinct job names made of a service and a suffix.
    fn names(&mut self, count: usize, suffixes: &[&str]) -> Vec<String> {
        let space = SERVICES.len() * suffixes.len();
        let name = |i: usize| {
            format!(
                "{}-{}",
                SERVICES[i / suffixes.len()],
                suffixes[i % suffixes.len()]
            )
        };
        let mut out: Vec<String> = rand::seq::index::sample(&mut self.rng, space, count.min(space))
            .iter()
            .map(name)
            .collect();
        out.extend((space..count).map(|k| format!("{}-{}", name(k % space), k / space + 1)));
        out
    }

    /// A random job of a team, as the generic worlds have them.
    fn random_job(&mut self, name: &str, team: &str, pipeline_share: f64) -> JobPlan {
        let mut kind = if self.chance(pipeline_share) {
            JobKind::Pipeline
        } else {
            JobKind::Freestyle
        };
        if kind == JobKind::Freestyle && !self.lean && self.chance(0.03) {
            kind = JobKind::Matrix;
        }
        let suffix = name.rsplit('-').next().unwrap_or("");
        let trigger = if TIMER_SUFFIXES.contains(&suffix) && self.chance(0.8) {
            Trigger::Timer
        } else {
            let r: f64 = self.rng.gen();
            if r < 0.7 {
                Trigger::Scm
            } else if r < 0.85 {
                Trigger::Manual
            } else {
                Trigger::Upstream
            }
        };
        let base = self.builds_per_job as f64;
        let builds = (base * self.rng.gen_range(0.5..1.5)).round().max(1.0) as u64;
        let mut plan = self.plan(name, team, kind, trigger, builds);
        let r: f64 = self.rng.gen();
        if r < 0.02 {
            plan.job.disabled = true;
            plan.idle_ms = Some(self.rng.gen_range(20..200) * 86_400_000);
            plan.job.description = Some(format!("Disabled: {name} was retired."));
        } else if r < 0.04 {
            plan.builds = 0;
            plan.job.description = Some("Created from the service template; not built yet.".into());
        } else if r < 0.5 {
            plan.job.description = Some(format!("Builds and tests {name} ({team} team)."));
        }
        if !self.agents.is_empty() && self.chance(0.08) {
            plan.job.label = Some(self.pick(&["docker", "linux"]).into());
        }
        if self.chance(0.08) {
            plan.job.parameters = self.some_params();
        }
        plan
    }

    fn some_params(&mut self) -> Vec<ParamDef> {
        let pool = [
            param(
                "BRANCH",
                ParamKind::String,
                "Git branch to build",
                Some("main"),
                &[],
            ),
            dry_run_param(),
            environment_param(),
            param("SKIP_TESTS", ParamKind::Boolean, "", Some("false"), &[]),
            param(
                "REGION",
                ParamKind::Choice,
                "",
                None,
                &["eu-west-1", "us-east-1", "ap-southeast-2"],
            ),
        ];
        let n = self.rng.gen_range(1..=3);
        let mut idx: Vec<usize> = (0..pool.len()).collect();
        idx.shuffle(&mut self.rng);
        idx.truncate(n);
        idx.sort_unstable();
        idx.into_iter().map(|i| pool[i].clone()).collect()
    }

    /// The team trees, root jobs and multibranch projects of a generic world.
    fn generic_tree(&mut self, spec: &GenSpec) -> Vec<Node> {
        let mut teams: Vec<&str> = TEAMS.to_vec();
        teams.shuffle(&mut self.rng);
        let depth = spec.depth.max(1);
        let mut nodes: Vec<Node> = Vec::new();
        for i in 0..spec.folders {
            let name = match i / teams.len() {
                0 => teams[i].to_string(),
                k => format!("{}-{}", teams[i % teams.len()], k + 1),
            };
            nodes.push(self.team_tree(
                &name,
                "",
                &name,
                1,
                depth,
                spec.jobs_per_folder,
                spec.pipeline_share,
            ));
        }
        let root_names = self.names(spec.root_jobs, JOB_SUFFIXES);
        let mut root_jobs: Vec<JobPlan> = root_names
            .iter()
            .map(|n| self.random_job(n, "ci", spec.pipeline_share))
            .collect();
        self.link_upstreams("", &mut root_jobs);
        nodes.extend(root_jobs.into_iter().map(Node::job));

        let mut repo_names: Vec<Vec<String>> = Vec::new();
        let targets = spec.folders.max(1);
        for t in 0..targets {
            let per = spec.multibranch / targets + usize::from(t < spec.multibranch % targets);
            repo_names.push(self.names(per, REPO_SUFFIXES));
        }
        for (t, names) in repo_names.into_iter().enumerate() {
            for name in names {
                if spec.folders == 0 {
                    let node = self.multibranch(&name, "", "web", spec.branches, None);
                    nodes.push(node);
                } else if let Node::Folder {
                    folder, children, ..
                } = &mut nodes[t]
                {
                    let team = folder.name.clone();
                    let node = self.multibranch(&name, &team, &team, spec.branches, None);
                    children.push(node);
                }
            }
        }
        self.give_every_param_kind(&mut nodes);
        self.ensure_idle_jobs(&mut nodes);
        nodes
    }

    /// Every controller of some size has a retired (disabled) job and one never built.
    fn ensure_idle_jobs(&mut self, nodes: &mut [Node]) {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        if plans.len() < 8 {
            return;
        }
        let mut candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i].1;
                p.job.branch.is_none()
                    && !p.job.disabled
                    && p.builds > 0
                    && p.job.parameters.is_empty()
            })
            .collect();
        candidates.shuffle(&mut self.rng);
        let mut candidates = candidates.into_iter();
        if !plans.iter().any(|(_, p)| p.job.disabled) {
            if let Some(i) = candidates.next() {
                let p = &mut plans[i].1;
                p.job.disabled = true;
                p.idle_ms = Some(self.rng.gen_range(20..200) * 86_400_000);
                p.job.description = Some(format!("Disabled: {} was retired.", p.job.name));
            }
        }
        if !plans
            .iter()
            .any(|(_, p)| p.builds == 0 && p.job.branch.is_none())
        {
            if let Some(i) = candidates.next() {
                let p = &mut plans[i].1;
                p.builds = 0;
                p.job.description =
                    Some("Created from the service template; not built yet.".into());
            }
        }
    }

    /// One team's folder tree, `depth` levels deep, holding `jobs` jobs in all.
    #[allow(clippy::too_many_arguments)]
    fn team_tree(
        &mut self,
        name: &str,
        prefix: &str,
        team: &str,
        level: usize,
        depth: usize,
        jobs: usize,
        pipeline_share: f64,
    ) -> Node {
        let full = join(prefix, name);
        let mut children = Vec::new();
        let mut own = jobs;
        if level < depth {
            // Two subfolders per level: this folder keeps its even share of the subtree.
            let folders_below = (1usize << (depth - level + 1)) - 1;
            own = jobs / folders_below;
            let rest = jobs - own;
            let pool = if level == 1 {
                SUBFOLDERS_TOP
            } else {
                SUBFOLDERS_DEEP
            };
            let mut names: Vec<&str> = pool.to_vec();
            names.shuffle(&mut self.rng);
            for (k, sub) in names.into_iter().take(2).enumerate() {
                let share = rest / 2 + usize::from(k == 0 && rest % 2 == 1);
                children.push(self.team_tree(
                    sub,
                    &full,
                    team,
                    level + 1,
                    depth,
                    share,
                    pipeline_share,
                ));
            }
        }
        let names = self.names(own, JOB_SUFFIXES);
        let mut plans: Vec<JobPlan> = names
            .iter()
            .map(|n| self.random_job(n, team, pipeline_share))
            .collect();
        self.link_upstreams(&full, &mut plans);
        children.extend(plans.into_iter().map(Node::job));
        let description = if level == 1 {
            Some(format!("Jobs of the {team} team"))
        } else {
            None
        };
        Node::folder(name, description.as_deref(), children)
    }

    /// Upstream-triggered jobs get a sibling with builds as their upstream.
    fn link_upstreams(&mut self, prefix: &str, plans: &mut [JobPlan]) {
        let built: Vec<(String, u64)> = plans
            .iter()
            .filter(|p| p.builds > 0 && p.profile.trigger != Trigger::Upstream)
            .map(|p| (join(prefix, &p.job.name), p.builds))
            .collect();
        for p in plans
            .iter_mut()
            .filter(|p| p.profile.trigger == Trigger::Upstream)
        {
            if built.is_empty() {
                p.profile.trigger = Trigger::Manual;
            } else {
                p.upstream = Some(built[self.rng.gen_range(0..built.len())].clone());
            }
        }
    }

    /// The first buildable job gets a parameter of every kind.
    fn give_every_param_kind(&mut self, nodes: &mut [Node]) {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        if let Some((_, p)) = plans
            .into_iter()
            .find(|(_, p)| !p.job.disabled && p.job.branch.is_none())
        {
            p.job.parameters = every_param_kind();
        }
    }

    fn branch_names(&mut self, n: usize) -> Vec<String> {
        let mut out: Vec<String> = ["main", "develop"]
            .iter()
            .take(n)
            .map(|s| s.to_string())
            .collect();
        let mut topics: Vec<&str> = TOPICS.to_vec();
        topics.shuffle(&mut self.rng);
        let mut k = 0;
        while out.len() < n {
            let topic = topics[k % topics.len()];
            let round = k / topics.len();
            let name = match k % 4 {
                0 => format!("feature/{topic}"),
                1 => format!("PR-{}", self.rng.gen_range(10..900)),
                2 => format!("bugfix/{topic}"),
                _ => format!("release/1.{}", self.rng.gen_range(2..40)),
            };
            let name = if round > 0 && !name.starts_with("PR-") {
                format!("{name}-{round}")
            } else {
                name
            };
            if !out.contains(&name) {
                out.push(name);
            }
            k += 1;
        }
        out
    }

    /// A multibranch project with branch jobs; `branches` overrides the random branch names.
    fn multibranch(
        &mut self,
        name: &str,
        prefix: &str,
        team: &str,
        n: usize,
        branches: Option<&[&str]>,
    ) -> Node {
        let url = format!("https://git.example.com/{team}/{name}.git");
        let names: Vec<String> = match branches {
            Some(b) => b.iter().map(|s| s.to_string()).collect(),
            None => self.branch_names(n),
        };
        let lang = self.pick(&[Lang::Node, Lang::Node, Lang::Java, Lang::Go]);
        let stages = if lang == Lang::Node {
            NODE_STAGES.iter().map(|s| s.to_string()).collect()
        } else {
            self.stage_set(name, Trigger::Branch, lang)
        };
        let base = self.builds_per_job;
        let children = names
            .iter()
            .map(|branch| {
                let builds = match branch.as_str() {
                    "main" | "master" => base + self.rng.gen_range(0..=base),
                    "develop" => (base * 4 / 5).max(1),
                    b if b.starts_with("PR-") => self.rng.gen_range(1..=3),
                    _ => self.rng.gen_range(1..=4),
                };
                let mut plan = self.plan_in(
                    &branch_item_name(branch),
                    team,
                    JobKind::Pipeline,
                    Trigger::Branch,
                    builds,
                    lang,
                );
                plan.slug = name.to_string();
                plan.job.display_name = Some(branch.clone());
                plan.job.branch = Some(branch.clone());
                plan.job.git = Some(GitScm {
                    url: url.clone(),
                    branch: Some(branch.clone()),
                });
                plan.job.stage_names = stages.clone();
                // Branches are built on every push.
                plan.profile.cadence_ms = self.rng.gen_range(30 * 60_000..12 * 3_600_000);
                if branch.starts_with("PR-") || branch.contains('/') {
                    plan.idle_ms = Some(self.rng.gen_range(10 * 60_000..3 * 86_400_000));
                }
                Node::job(plan)
            })
            .collect();
        let _ = prefix;
        Node::Folder {
            kind: FolderKind::Multibranch,
            folder: Folder {
                name: name.into(),
                description: Some(format!("Branches and pull requests of {url}")),
                source_url: Some(url),
                ..Folder::default()
            },
            children,
        }
    }

    fn random_agents(&mut self, n: usize, offline: usize) -> Vec<Agent> {
        let (mut linux, mut windows, mut mac) = (0, 0, 0);
        let mut agents = Vec::with_capacity(n);
        for i in 0..n {
            let (name, labels, executors): (String, Vec<&str>, u32) = match i % 10 {
                8 => {
                    windows += 1;
                    (
                        format!("windows-{windows}"),
                        vec!["windows"],
                        self.rng.gen_range(1..=2),
                    )
                }
                9 => {
                    mac += 1;
                    (format!("mac-{mac}"), vec!["macos", "xcode"], 1)
                }
                _ => {
                    linux += 1;
                    let mut l = vec!["linux", "docker"];
                    if self.chance(0.3) {
                        l.push("java17");
                    }
                    (format!("linux-{linux}"), l, self.rng.gen_range(2..=4))
                }
            };
            agents.push(Agent {
                name,
                labels: labels.into_iter().map(str::to_string).collect(),
                executors,
                busy: 0,
                offline: false,
                offline_reason: None,
                temporarily_offline: false,
            });
        }
        // Spread the offline agents over the list, from its end.
        let step = n.checked_div(offline).unwrap_or(0);
        for j in 0..offline {
            let i = n - 1 - j * step;
            let temporarily = j % 2 == 0;
            let reason = if temporarily {
                let why = self.pick(&[
                    "disk full, cleaning up",
                    "kernel upgrade",
                    "investigating a flaky docker daemon",
                ]);
                format!("Disconnected by {} : {why}", self.dev())
            } else {
                "Connection was broken: java.nio.channels.ClosedChannelException".to_string()
            };
            let a = &mut agents[i];
            a.offline = true;
            a.offline_reason = Some(reason);
            a.temporarily_offline = temporarily;
        }
        agents
    }

    /// Pick the jobs that wait in the queue, and the jobs that are running now.
    fn choose_queue(&mut self, nodes: &mut [Node], n: usize) -> Vec<QueuePlan> {
        let mut plans = Vec::new();
        plans_mut(nodes, "", &mut plans);
        let mut eligible: Vec<usize> = (0..plans.len())
            .filter(|&i| !plans[i].1.job.disabled && plans[i].1.job.label.is_none())
            .collect();
        eligible.shuffle(&mut self.rng);
        let stuck = if n > 0 { (n / 10).max(1) } else { 0 };
        let rest = n - stuck;
        let blocked = rest.div_ceil(3);
        let executor = (rest - blocked).div_ceil(2);
        let mut out = Vec::new();
        let mut it = eligible.into_iter();
        for k in 0..stuck {
            let Some(i) = it.next() else { break };
            let label = STUCK_LABELS[k % STUCK_LABELS.len()];
            plans[i].1.job.label = Some(label.into());
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Stuck,
            });
        }
        let mut rest_idx: Vec<usize> = it.collect();
        let mut take = |want: usize, need_builds: bool, plans: &mut Vec<(String, &mut JobPlan)>| {
            let mut got = Vec::new();
            rest_idx.retain(|&i| {
                if got.len() < want && (!need_builds || plans[i].1.builds > 0) {
                    got.push(i);
                    false
                } else {
                    true
                }
            });
            got
        };
        for i in take(blocked, true, &mut plans) {
            plans[i].1.running = true;
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Blocked,
            });
        }
        for i in take(executor, false, &mut plans) {
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Executor,
            });
        }
        for i in take(n - stuck - blocked - executor, false, &mut plans) {
            out.push(QueuePlan {
                job: plans[i].0.clone(),
                waits: Waits::Quiet,
            });
        }
        // A few more builds run without anything queued behind them, as executors allow.
        let capacity: usize = self
            .agents
            .iter()
            .filter(|a| !a.offline)
            .map(|a| a.executors as usize)
            .sum();
        let extra = (plans.len() / 150 + 1).min(capacity.saturating_sub(blocked));
        for i in take(extra, true, &mut plans) {
            plans[i].1.running = true;
        }
        out
    }

    // ---- realising builds ---------------------------------------------------------------

    fn realize(&mut self, nodes: Vec<Node>, prefix: &str) -> Vec<Item> {
        nodes
            .into_iter()
            .map(|node| match node {
                Node::Folder {
                    kind,
                    mut folder,
                    children,
                } => {
                    let full = join(prefix, &folder.name);
                    folder.items = self.realize(children, &full);
                    match kind {
                        FolderKind::Folder => Item::Folder(folder),
                        FolderKind::Multibranch => Item::Multibranch(folder),
                        FolderKind::Organization => Item::Organization(folder),
                    }
                }
                Node::Job(plan) => {
                    let full = join(prefix, &plan.job.name);
                    let builds = self.builds(&full, &plan);
                    let kind = plan.kind;
                    let mut job = plan.job;
                    job.builds = builds;
                    match kind {
                        JobKind::Freestyle => Item::Freestyle(job),
                        JobKind::Pipeline => Item::Pipeline(job),
                        JobKind::Matrix => Item::Matrix(job),
                    }
                }
            })
            .collect()
    }

    /// (timestamp, intended duration) of every build, oldest first.
    fn spans(&mut self, plan: &JobPlan) -> Vec<(i64, i64)> {
        let p = &plan.profile;
        let n = plan.builds;
        let mut spans = Vec::with_capacity(n as usize);
        let mut next_start = self.now;
        for number in (1..=n).rev() {
            let dur = self.duration(p.duration_ms);
            let start = if number == n {
                if plan.running {
                    self.now - (dur as f64 * self.rng.gen_range(0.15..0.85)) as i64
                } else {
                    let idle = match plan.idle_ms {
                        Some(i) => i,
                        None if p.trigger == Trigger::Timer => {
                            self.rng.gen_range(3_600_000..p.cadence_ms.max(7_200_000))
                        }
                        None => self.rng.gen_range(60_000..p.cadence_ms.max(120_000)),
                    };
                    self.now - idle - dur
                }
            } else if p.trigger == Trigger::Timer {
                let jitter = self.rng.gen_range(-120_000..120_000);
                (next_start - p.cadence_ms + jitter).min(next_start - dur - 60_000)
            } else {
                next_start - self.gap(p.cadence_ms) - dur
            };
            spans.push((start, dur));
            next_start = start;
        }
        spans.reverse();
        spans
    }

    fn roll_fate(&mut self, p: &Profile, prev_failed: bool) -> Fate {
        let pf = if prev_failed { p.sticky } else { p.flaky };
        // Only jobs that record tests go unstable.
        let unstable = if p.tests > 0 { 0.04 } else { 0.0 };
        let r: f64 = self.rng.gen();
        if r < pf {
            if p.tests > 0 && self.chance(0.6) {
                Fate::FailTests
            } else {
                Fate::Failure
            }
        } else if r < pf + unstable {
            Fate::Unstable
        } else if r < pf + unstable + 0.015 {
            Fate::Aborted
        } else {
            Fate::Success
        }
    }

    fn cause(&mut self, plan: &JobPlan, number: u64) -> Cause {
        let user = |g: &mut Gen| Cause::User {
            user: g.dev().to_string(),
        };
        match plan.profile.trigger {
            Trigger::Scm if self.chance(0.8) => Cause::Scm,
            Trigger::Timer if self.chance(0.92) => Cause::Timer,
            Trigger::Upstream => match &plan.upstream {
                Some((project, max)) if self.chance(0.85) => Cause::Upstream {
                    project: project.clone(),
                    build: ((max * number) / plan.builds.max(1)).clamp(1, *max),
                },
                _ => user(self),
            },
            Trigger::Branch if number == 1 || self.chance(0.1) => Cause::BranchIndexing,
            Trigger::Branch => Cause::Scm,
            Trigger::Manual if self.chance(0.05) => Cause::Remote {
                addr: format!(
                    "10.20.{}.{}",
                    self.rng.gen_range(0..8),
                    self.rng.gen_range(2..250)
                ),
                note: Some("triggered by the release bot".into()),
            },
            _ => user(self),
        }
    }

    fn commit_message(&mut self, slug: &str) -> String {
        if self.chance(0.12) {
            let (dep, from, to) = self.pick(DEPENDENCIES);
            return format!("Bump {dep} from {from} to {to}");
        }
        if self.chance(0.08) {
            let topic = self.pick(TOPICS);
            return format!(
                "Merge pull request #{} from acme/{topic}",
                self.rng.gen_range(100..4000)
            );
        }
        let comp = format!(
            "{} {}",
            slug.split('-').next().unwrap_or(slug),
            self.pick(COMPONENTS)
        );
        self.pick(COMMIT_TEMPLATES).replace("{c}", &comp)
    }

    fn paths(&mut self, lang: Lang, slug: &str, message: &str) -> Vec<ChangedPath> {
        let pkg = slug.split('-').next().unwrap_or(slug).replace('-', "");
        let comp = self.pick(COMPONENTS);
        let class = format!("{}{}", pascal(&pkg), pascal(comp));
        if message.starts_with("Bump ") {
            let file = match lang {
                Lang::Java => "build.gradle",
                Lang::Node => "package.json",
                Lang::Go => "go.mod",
                Lang::Python => "requirements.txt",
            };
            return vec![ChangedPath {
                edit: "edit".into(),
                file: file.into(),
            }];
        }
        if message == "Update README" {
            return vec![ChangedPath {
                edit: "edit".into(),
                file: "README.md".into(),
            }];
        }
        let candidates: Vec<String> = match lang {
            Lang::Java => vec![
                format!("src/main/java/com/acme/{pkg}/{class}.java"),
                format!("src/test/java/com/acme/{pkg}/{class}Test.java"),
                "src/main/resources/application.yml".into(),
            ],
            Lang::Node => vec![
                format!("src/{comp}/index.ts"),
                format!("src/{comp}/{comp}.test.ts"),
                "src/config.ts".into(),
            ],
            Lang::Go => vec![
                format!("internal/{comp}/{comp}.go"),
                format!("internal/{comp}/{comp}_test.go"),
                "cmd/server/main.go".into(),
            ],
            Lang::Python => vec![
                format!("{pkg}/{comp}.py"),
                format!("tests/test_{comp}.py"),
                "pyproject.toml".into(),
            ],
        };
        let n = self.rng.gen_range(1..=3);
        let mut out: Vec<ChangedPath> = candidates
            .into_iter()
            .take(n)
            .map(|file| ChangedPath {
                edit: "edit".into(),
                file,
            })
            .collect();
        if self.chance(0.15) {
            out[0].edit = "add".into();
        }
        if self.chance(0.1) {
            let extra = self.pick(&[
                "Dockerfile",
                "Jenkinsfile",
                "helm/values.yaml",
                ".github/CODEOWNERS",
            ]);
            out.push(ChangedPath {
                edit: self.pick(&["edit", "edit", "delete"]).into(),
                file: extra.into(),
            });
        }
        out
    }

    /// Commits between the previous build (at `since`) and this one (at `until`).
    fn changes(&mut self, plan: &JobPlan, cause: &Cause, since: i64, until: i64) -> Vec<Change> {
        if plan.job.git.is_none() {
            return Vec::new();
        }
        let n = match cause {
            _ if self.lean => usize::from(self.chance(0.4)),
            Cause::Scm => *[1, 1, 1, 1, 2, 2, 3, 4].choose(&mut self.rng).unwrap_or(&1),
            Cause::Upstream { .. } | Cause::Remote { .. } => 0,
            _ if self.chance(0.5) => 0,
            _ => self.rng.gen_range(1..=2),
        };
        let span = (until - since).max(60_000);
        let mut times: Vec<i64> = (0..n)
            .map(|_| until - self.rng.gen_range(30_000..span))
            .collect();
        times.sort_unstable();
        times
            .into_iter()
            .map(|timestamp| {
                let author = self.dev().to_string();
                let message = self.commit_message(&plan.slug);
                let paths = self.paths(plan.profile.lang, &plan.slug, &message);
                Change {
                    commit: self.sha(),
                    email: Some(format!("{author}@example.com")),
                    message,
                    author,
                    timestamp: timestamp - timestamp % 1000,
                    paths,
                }
            })
            .collect()
    }

    fn param_values(&mut self, defs: &[ParamDef], number: u64) -> Vec<ParamValue> {
        defs.iter()
            .map(|d| {
                let value = match (d.kind, d.name.as_str()) {
                    (ParamKind::String, "VERSION") => format!("2.{}.{}", number / 10, number % 10),
                    (ParamKind::Boolean, _) => {
                        let default = d.default.as_deref() == Some("true");
                        (default != self.chance(0.15)).to_string()
                    }
                    (ParamKind::Choice, _) if !d.choices.is_empty() => {
                        if self.chance(0.6) {
                            d.choices[0].clone()
                        } else {
                            d.choices[self.rng.gen_range(0..d.choices.len())].clone()
                        }
                    }
                    // Never exported: Jenkins masks password values.
                    (ParamKind::Password, _) => "correct-horse-battery-staple".into(),
                    _ => d.default.clone().unwrap_or_default(),
                };
                ParamValue {
                    name: d.name.clone(),
                    kind: d.kind,
                    value,
                }
            })
            .collect()
    }

    fn artifacts(&mut self, plan: &JobPlan, number: u64) -> Vec<Artifact> {
        let slug = &plan.slug;
        let version = format!("1.{}.{number}", number / 40);
        let mut out = vec![match plan.profile.lang {
            Lang::Java => Artifact {
                path: format!("build/libs/{slug}-{version}.jar"),
                size: self.rng.gen_range(18_000_000..90_000_000),
            },
            Lang::Node => Artifact {
                path: format!("dist/{slug}-{version}.tgz"),
                size: self.rng.gen_range(400_000..9_000_000),
            },
            Lang::Go => Artifact {
                path: format!("bin/{slug}-linux-amd64"),
                size: self.rng.gen_range(9_000_000..40_000_000),
            },
            Lang::Python => Artifact {
                path: format!("dist/{}-{version}-py3-none-any.whl", slug.replace('-', "_")),
                size: self.rng.gen_range(40_000..900_000),
            },
        }];
        if plan.profile.tests > 0 && self.chance(0.5) {
            out.push(Artifact {
                path: "reports/coverage.xml".into(),
                size: self.rng.gen_range(80_000..600_000),
            });
        }
        out
    }

    /// A node for a build: an agent matching the job's label (with a free executor if
    /// the build is running), or the built-in node.
    fn node_for(&mut self, label: Option<&str>, running: bool) -> String {
        let fits = |a: &Agent| match label {
            Some(l) => a.labels.iter().any(|x| x == l),
            None => a.labels.iter().any(|x| x == "linux"),
        };
        let candidates: Vec<usize> = (0..self.agents.len())
            .filter(|&i| fits(&self.agents[i]))
            .filter(|&i| {
                !running
                    || (!self.agents[i].offline && self.agents[i].busy < self.agents[i].executors)
            })
            .collect();
        if candidates.is_empty() {
            // A label nobody has: the node that built it is gone.
            return match (label, running) {
                (Some(l), false) => format!("{l}-1"),
                _ => String::new(),
            };
        }
        let i = candidates[self.rng.gen_range(0..candidates.len())];
        if running {
            self.agents[i].busy += 1;
        }
        self.agents[i].name.clone()
    }

    /// Where a build stops (fails, aborts, goes unstable, or is running now).
    fn course(&mut self, phases: &[String], fate: Option<Fate>) -> Course {
        let len = phases.len();
        let Some(fate) = fate else {
            return Course {
                result: None,
                stop: Some(self.rng.gen_range(0..len)),
                error: None,
            };
        };
        let first_test = phases.iter().position(|s| is_test_stage(s));
        let weighted = |g: &mut Gen| {
            let weights: Vec<f64> = phases.iter().map(|s| failure_weight(s)).collect();
            let total: f64 = weights.iter().sum();
            let mut x = g.rng.gen_range(0.0..total);
            for (i, w) in weights.iter().enumerate() {
                if x < *w {
                    return i;
                }
                x -= w;
            }
            len - 1
        };
        let stop = match fate {
            Fate::Success => None,
            Fate::Unstable => Some(first_test.unwrap_or(len - 1)),
            Fate::Aborted => Some(self.rng.gen_range(0..len)),
            Fate::FailAt(name) => Some(phases.iter().position(|s| s == name).unwrap_or(len - 1)),
            Fate::FailTests => Some(first_test.unwrap_or_else(|| weighted(self))),
            Fate::Failure => Some(weighted(self)),
        };
        let error = match fate {
            Fate::Aborted => {
                let message = if self.chance(0.3) {
                    "Timeout has been exceeded".to_string()
                } else {
                    format!("Aborted by {}", full_name_of(self.dev()))
                };
                Some(StageError {
                    message,
                    kind: "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException".into(),
                })
            }
            Fate::Failure | Fate::FailAt(_) | Fate::FailTests => Some(StageError {
                message: format!(
                    "script returned exit code {}",
                    self.pick(&[1, 1, 1, 2, 137])
                ),
                kind: "hudson.AbortException".into(),
            }),
            _ => None,
        };
        Course {
            result: Some(fate.result()),
            stop,
            error,
        }
    }

    /// Every build of a job, oldest first.
    fn builds(&mut self, full: &str, plan: &JobPlan) -> Vec<Build> {
        let n = plan.builds;
        if n == 0 {
            return Vec::new();
        }
        let p = plan.profile.clone();
        let spans = self.spans(plan);
        let pipeline = plan.kind == JobKind::Pipeline && !plan.job.stage_names.is_empty();
        let phases: Vec<String> = if pipeline {
            plan.job.stage_names.clone()
        } else {
            FREESTYLE_PHASES.iter().map(|s| s.to_string()).collect()
        };
        let mut out: Vec<Build> = Vec::with_capacity(n as usize);
        let mut prev_result: Option<BuildResult> = None;
        let mut prev_culprits: Vec<String> = Vec::new();
        let mut revision: Option<String> = None;
        let mut failing_tests: Vec<TestFailure> = Vec::new();
        let mut good_durations: Vec<i64> = Vec::new();
        let mut prev_ts = spans[0].0 - p.cadence_ms;
        for (i, &(ts, intended)) in spans.iter().enumerate() {
            let number = i as u64 + 1;
            let running = plan.running && number == n;
            let fate = if running {
                None
            } else {
                let forced = plan
                    .fates
                    .iter()
                    .find(|(k, _)| *k == number)
                    .map(|(_, f)| *f);
                Some(match forced {
                    Some(f) => f,
                    None => self.roll_fate(&p, prev_result == Some(BuildResult::Failure)),
                })
            };
            let course = self.course(&phases, fate);
            let cause = self.cause(plan, number);
            let changes = self.changes(plan, &cause, prev_ts, ts);
            if let Some(c) = changes.last() {
                revision = Some(c.commit.clone());
            } else if plan.job.git.is_some() && revision.is_none() {
                revision = Some(self.sha());
            }
            // Jenkins blames this build's authors, and those of the builds since the last success.
            let mut culprits: Vec<String> = Vec::new();
            let carried = if prev_result.is_some_and(|r| r != BuildResult::Success) {
                prev_culprits.clone()
            } else {
                Vec::new()
            };
            for a in changes.iter().map(|c| c.author.clone()).chain(carried) {
                if !culprits.contains(&a) {
                    culprits.push(a);
                }
            }

            let tests = self.tests(&p, &phases, &course, number, &mut failing_tests);
            let queue_duration = if self.chance(0.1) && !running {
                self.rng.gen_range(5_000..60_000)
            } else {
                self.rng.gen_range(2..2_500)
            };
            let duration = intended.max(queue_duration + 4_000);
            let run_start = ts + queue_duration;
            let run_end = ts + duration;
            let ctx = RunCtx {
                full,
                slug: &plan.slug,
                team: &plan.team,
                lang: p.lang,
                git: plan.job.git.as_ref(),
                revision: revision.as_deref(),
                commit_msg: changes.last().map(|c| c.message.as_str()),
                number,
                timestamp: ts,
                tests_total: tests
                    .as_ref()
                    .map_or(p.tests, |t| t.passed + t.skipped + t.failures.len() as u32),
                tests_failed: tests.as_ref().map_or(0, |t| t.failures.len() as u32),
                tests_skipped: tests.as_ref().map_or(0, |t| t.skipped),
            };
            let traces = self.traces(&phases, &course, &ctx);
            let stages = if pipeline {
                self.timed_stages(&traces, &course, run_start, run_end)
            } else {
                Vec::new()
            };
            let built_on = self.node_for(plan.job.label.as_deref(), running);
            let log = match plan.log_sizes.iter().find(|(k, _)| *k == number) {
                Some(&(_, bytes)) => Log {
                    text: None,
                    generated_bytes: Some(bytes),
                },
                None if !self.lean && !running && self.chance(0.25) => Log {
                    text: Some(
                        self.literal_log(plan, &cause, &traces, &course, &ctx, &built_on, &changes),
                    ),
                    generated_bytes: None,
                },
                None => {
                    let scale = duration as f64 / p.duration_ms.max(1) as f64;
                    let mut bytes = self.log_bytes as f64 * scale * self.rng.gen_range(0.6..1.4);
                    if running {
                        bytes *= ((self.now - run_start) as f64 / duration as f64).clamp(0.05, 1.0);
                    }
                    let bytes = bytes.clamp(2_048.0, self.log_bytes as f64 * 16.0) as u64;
                    Log {
                        text: None,
                        generated_bytes: Some(bytes / crate::log::LINE * crate::log::LINE),
                    }
                }
            };
            let estimated_duration = if good_durations.is_empty() {
                -1
            } else {
                let last = &good_durations[good_durations.len().saturating_sub(3)..];
                last.iter().sum::<i64>() / last.len() as i64
            };
            let artifacts = if p.artifacts
                && matches!(
                    course.result,
                    Some(BuildResult::Success | BuildResult::Unstable)
                ) {
                self.artifacts(plan, number)
            } else {
                Vec::new()
            };
            let parameters = self.param_values(&plan.job.parameters, number);
            let build = Build {
                number,
                result: course.result,
                timestamp: ts,
                duration: if running { 0 } else { duration },
                estimated_duration,
                queue_duration,
                queue_id: 0,
                description: None,
                display_name: None,
                keep_log: self.chance(0.005),
                built_on,
                causes: vec![cause],
                parameters,
                revision: plan.job.git.as_ref().and(revision.clone()),
                changes,
                culprits,
                artifacts,
                tests,
                stages,
                input: None,
                log,
            };
            if build.result == Some(BuildResult::Success) {
                good_durations.push(duration);
            }
            prev_ts = ts;
            prev_result = build.result;
            prev_culprits = build.culprits.clone();
            out.push(build);
        }
        out
    }

    /// The test report of a build, if its tests ran and were recorded.
    fn tests(
        &mut self,
        p: &Profile,
        phases: &[String],
        course: &Course,
        number: u64,
        streak: &mut Vec<TestFailure>,
    ) -> Option<TestReport> {
        if p.tests == 0 || course.result.is_none() {
            streak.clear();
            return None;
        }
        let test_stages: Vec<usize> = phases
            .iter()
            .enumerate()
            .filter(|(_, s)| is_test_stage(s))
            .map(|(i, _)| i)
            .collect();
        let stop = course.stop;
        let failing_here = |t: usize| {
            stop == Some(t)
                && matches!(
                    course.result,
                    Some(BuildResult::Failure | BuildResult::Unstable)
                )
        };
        let ran = test_stages
            .iter()
            .any(|&t| stop.is_none_or(|s| t < s || failing_here(t)))
            || (course.result == Some(BuildResult::Unstable) && !test_stages.is_empty());
        if !ran {
            streak.clear();
            return None;
        }
        let failed = if test_stages.iter().any(|&t| failing_here(t)) {
            match course.result {
                Some(BuildResult::Unstable) => self.rng.gen_range(1..=2),
                _ => *[1, 1, 1, 2, 2, 3, 4].choose(&mut self.rng).unwrap_or(&1),
            }
        } else {
            0
        };
        if failed == 0 {
            streak.clear();
        } else {
            // The same tests keep failing through a streak; failedSince stays put.
            streak.truncate(failed);
            while streak.len() < failed {
                let pkg = self.pick(SERVICES).replace('-', "");
                let class = format!(
                    "com.acme.{pkg}.{}{}Test",
                    pascal(&pkg),
                    pascal(self.pick(COMPONENTS))
                );
                let name = self.pick(TEST_NAMES).to_string();
                if streak
                    .iter()
                    .any(|f| f.class_name == class && f.name == name)
                {
                    continue;
                }
                streak.push(TestFailure {
                    class_name: class,
                    name,
                    error: Some(self.pick(TEST_ERRORS).to_string()),
                    duration: (self.rng.gen_range(0.005..4.0f64) * 1000.0).round() / 1000.0,
                    failed_since: number,
                });
            }
        }
        let grown = p.tests + (number / 4) as u32;
        let skipped = p.tests % 13;
        let passed = grown.saturating_sub(failed as u32 + skipped);
        Some(TestReport {
            passed,
            skipped,
            failures: streak.clone(),
            duration: ((passed as f64) * self.rng.gen_range(0.01..0.12) * 1000.0).round() / 1000.0,
        })
    }

    /// Which stages ran, skipped or are not reached yet, and the steps of those that ran.
    fn traces(&mut self, phases: &[String], course: &Course, ctx: &RunCtx) -> Vec<StageTrace> {
        let running = course.result.is_none();
        let mut out = Vec::with_capacity(phases.len());
        for (i, name) in phases.iter().enumerate() {
            let at_stop = course.stop == Some(i);
            let after_stop = course.stop.is_some_and(|s| i > s);
            if running && after_stop {
                break;
            }
            let skipped = after_stop
                && matches!(
                    course.result,
                    Some(BuildResult::Failure | BuildResult::Aborted)
                );
            let fail = at_stop && course.result == Some(BuildResult::Failure);
            let mut steps = if skipped {
                Vec::new()
            } else {
                self.step_plans(name, ctx, fail)
            };
            if running && at_stop && steps.len() > 1 {
                let keep = self.rng.gen_range(1..=steps.len());
                steps.truncate(keep);
            }
            if self.lean && !steps.is_empty() {
                // Keep the main (last) step with its first line only.
                let mut main = steps
                    .pop()
                    .unwrap_or_else(|| unreachable!("steps is not empty"));
                main.lines.truncate(1);
                steps = vec![main];
            }
            out.push(StageTrace {
                name: name.clone(),
                skipped,
                steps,
            });
        }
        out
    }

    fn sh(desc: String, lines: Vec<String>) -> StepPlan {
        let mut all = vec![format!("+ {desc}")];
        all.extend(lines);
        StepPlan {
            name: "Shell Script",
            func: "sh",
            desc: Some(desc),
            lines: all,
        }
    }

    fn echo(text: String) -> StepPlan {
        StepPlan {
            name: "Print Message",
            func: "echo",
            desc: Some(text.clone()),
            lines: vec![text],
        }
    }

    /// The steps of one stage, with their raw log lines.
    fn step_plans(&mut self, stage: &str, ctx: &RunCtx, fail: bool) -> Vec<StepPlan> {
        let l = stage.to_lowercase();
        let slug = ctx.slug;
        let team = ctx.team;
        let short = ctx.revision.map_or_else(
            || "0000000".to_string(),
            |r| r[..7.min(r.len())].to_string(),
        );
        let image = format!("registry.example.com/{team}/{slug}:{short}");
        let mut steps: Vec<StepPlan> = Vec::new();
        if l.contains("checkout") || (l == "prepare" && ctx.git.is_some()) {
            match ctx.git {
                Some(git) => {
                    let branch = git.branch.as_deref().unwrap_or("main");
                    let mut lines = vec![
                        "The recommended git tool is: NONE".to_string(),
                        "using credential git-ci".into(),
                        "Fetching changes from the remote Git repository".into(),
                        format!(" > git fetch --tags --force --progress -- {} +refs/heads/*:refs/remotes/origin/* # timeout=10", git.url),
                        format!("Checking out Revision {} (refs/remotes/origin/{branch})", ctx.revision.unwrap_or("")),
                    ];
                    if let Some(m) = ctx.commit_msg {
                        lines.push(format!("Commit message: \"{m}\""));
                    }
                    if fail {
                        lines.push(format!(
                            "ERROR: Error fetching remote repo 'origin': could not read from {}",
                            git.url
                        ));
                    }
                    steps.push(StepPlan {
                        name: "Check out from version control",
                        func: "checkout",
                        desc: None,
                        lines,
                    });
                }
                None => steps.push(Gen::sh("rm -rf build && mkdir -p build".into(), vec![])),
            }
        } else if l.contains("pods") {
            steps.push(Gen::sh(
                "bundle exec pod install".into(),
                vec!["Pod installation complete! There are 42 dependencies from the Podfile and 57 total pods installed.".into()],
            ));
        } else if l.contains("install") {
            let (cmd, done) = match ctx.lang {
                Lang::Node => (
                    "npm ci".to_string(),
                    format!(
                        "added {} packages in {}s",
                        self.rng.gen_range(600..1800),
                        self.rng.gen_range(12..70)
                    ),
                ),
                Lang::Python => (
                    "pip install -r requirements.txt".to_string(),
                    "Successfully installed 48 packages".to_string(),
                ),
                Lang::Go => ("go mod download".to_string(), String::new()),
                Lang::Java => (
                    "./gradlew dependencies --no-daemon".to_string(),
                    "BUILD SUCCESSFUL in 21s".to_string(),
                ),
            };
            let mut lines = vec![done];
            if fail {
                lines = vec![
                    "npm ERR! code ECONNRESET".into(),
                    "npm ERR! network aborted".into(),
                ];
            }
            steps.push(Gen::sh(cmd, lines));
        } else if l.contains("lint") {
            let cmd = match ctx.lang {
                Lang::Node => "npm run lint",
                Lang::Go => "golangci-lint run ./...",
                Lang::Python => "ruff check .",
                Lang::Java => "./gradlew checkstyleMain --no-daemon",
            };
            let lines = if fail {
                vec![
                    format!("src/{}/index.ts:42:7  error  'retries' is assigned a value but never used  no-unused-vars", self.pick(COMPONENTS)),
                    "1 problem (1 error, 0 warnings)".into(),
                ]
            } else {
                vec!["No problems found".into()]
            };
            steps.push(Gen::sh(cmd.into(), lines));
        } else if l.contains("integration") || l.contains("ui test") {
            let n = self.rng.gen_range(20..140);
            let mut lines = vec![
                "docker compose -f it/docker-compose.yml up -d".to_string(),
                "Container it-postgres-1  Started".into(),
                format!("Running {n} integration tests"),
            ];
            if fail {
                lines.push(format!("FAIL it/{slug}: expected status 200, got 503"));
                lines.push("make: *** [Makefile:41: integration-test] Error 1".into());
            } else {
                lines.push(format!("PASS ({n} tests)"));
            }
            steps.push(Gen::echo("Running integration tests".into()));
            steps.push(Gen::sh("make integration-test".into(), lines));
        } else if is_test_stage(stage) {
            let (total, failed, skipped) =
                (ctx.tests_total.max(1), ctx.tests_failed, ctx.tests_skipped);
            let (cmd, mut lines) = match ctx.lang {
                Lang::Java => (
                    "./gradlew test --no-daemon",
                    vec![
                        "> Task :test".to_string(),
                        format!("{total} tests completed, {failed} failed, {skipped} skipped"),
                    ],
                ),
                Lang::Node => (
                    "npm test",
                    vec![format!(
                        "Tests:       {failed} failed, {} passed, {total} total",
                        total - failed.min(total)
                    )],
                ),
                Lang::Go => (
                    "go test ./...",
                    vec![format!(
                        "ok  \tgit.example.com/{team}/{slug}/internal/handler\t0.{}s",
                        self.rng.gen_range(100..999)
                    )],
                ),
                Lang::Python => (
                    "pytest -q",
                    vec![format!(
                        "{} passed, {skipped} skipped, {failed} failed",
                        total - failed.min(total)
                    )],
                ),
            };
            if fail {
                lines.push("FAILURE: Build failed with an exception.".into());
                lines.push("There were failing tests. See the report.".into());
            } else {
                lines.push("BUILD SUCCESSFUL".into());
            }
            if self.chance(0.5) {
                steps.push(Gen::echo(format!("Testing {slug}")));
            }
            steps.push(Gen::sh(cmd.into(), lines));
        } else if l.contains("docker") {
            steps.push(Gen::sh(
                format!("docker build -t {image} ."),
                vec![
                    "#1 [internal] load build definition from Dockerfile".into(),
                    "#9 exporting to image".into(),
                    format!("#9 naming to {image} done"),
                ],
            ));
        } else if l.contains("push") || (l.contains("publish") && !l.contains("report")) {
            let mut lines = vec![format!(
                "{short}: digest: sha256:{} size: 2417",
                self.hex(64)
            )];
            if fail {
                lines = vec!["denied: requested access to the resource is denied".into()];
            }
            steps.push(Gen::sh(format!("docker push {image}"), lines));
        } else if l.contains("build") || l.contains("compile") {
            let (cmd, lines): (String, Vec<String>) = match ctx.lang {
                Lang::Java => (
                    "./gradlew assemble --no-daemon".into(),
                    vec![
                        "> Task :compileJava".into(),
                        "> Task :processResources".into(),
                        "> Task :jar".into(),
                    ],
                ),
                Lang::Node => (
                    "npm run build".into(),
                    vec![
                        "> vite build".into(),
                        format!("{} modules transformed.", self.rng.gen_range(200..2000)),
                    ],
                ),
                Lang::Go => (format!("go build -o bin/{slug} ./cmd/{slug}"), vec![]),
                Lang::Python => (
                    "python -m build".into(),
                    vec![format!("Successfully built {slug}-1.4.2.tar.gz")],
                ),
            };
            let mut lines = lines;
            if fail {
                let class = format!("{}{}", pascal(slug), pascal(self.pick(COMPONENTS)));
                lines.push(format!(
                    "src/main/java/com/acme/{class}.java:87: error: cannot find symbol"
                ));
                lines.push("FAILURE: Build failed with an exception.".into());
            } else if ctx.lang == Lang::Java {
                lines.push(format!(
                    "BUILD SUCCESSFUL in {}s",
                    self.rng.gen_range(20..200)
                ));
            }
            if self.chance(0.5) {
                steps.push(Gen::echo(format!("Building {slug}")));
            }
            steps.push(Gen::sh(cmd, lines));
        } else if l.contains("package") || l.contains("archive") {
            if ctx.lang == Lang::Java {
                steps.push(Gen::sh(
                    "./gradlew bootJar --no-daemon".into(),
                    vec!["> Task :bootJar".into()],
                ));
            }
            steps.push(StepPlan {
                name: "Archive the artifacts",
                func: "archiveArtifacts",
                desc: Some("build/libs/*.jar, dist/**".into()),
                lines: if fail {
                    vec!["ERROR: No artifacts found that match the file pattern \"build/libs/*.jar\"".into()]
                } else {
                    vec![]
                },
            });
        } else if l.contains("deploy") {
            let env = if l.contains("production") || ctx.full.contains("production") {
                "production"
            } else {
                "staging"
            };
            let mut lines = vec![
                format!("Release \"{slug}\" has been upgraded. Happy Helming!"),
                format!("NAMESPACE: {env}"),
                "STATUS: deployed".into(),
                format!("REVISION: {}", ctx.number + 3),
            ];
            if fail {
                lines = vec!["Error: UPGRADE FAILED: timed out waiting for the condition".into()];
            }
            steps.push(Gen::echo(format!("Deploying {slug} to {env}")));
            steps.push(Gen::sh(
                format!(
                    "helm upgrade --install {slug} ./chart --namespace {env} --wait --timeout 5m"
                ),
                lines,
            ));
        } else if l.contains("smoke") {
            let lines = if fail {
                vec![
                    "GET /healthz -> 200".into(),
                    "GET /api/v1/status -> 503".into(),
                    "smoke tests FAILED".into(),
                ]
            } else {
                vec![
                    "GET /healthz -> 200".into(),
                    "GET /api/v1/status -> 200".into(),
                    "smoke tests passed".into(),
                ]
            };
            steps.push(Gen::sh("./scripts/smoke-test.sh production".into(), lines));
        } else if l.contains("verify") {
            steps.push(Gen::sh(
                format!(
                    "curl -fsSI https://artifacts.example.com/{team}/{slug}/{slug}-2.{}.tgz",
                    ctx.number
                ),
                vec![if fail {
                    "curl: (22) The requested URL returned error: 404".into()
                } else {
                    "HTTP/2 200".into()
                }],
            ));
        } else if l.contains("extract")
            || l.contains("transform")
            || l.contains("load")
            || l.contains("report")
        {
            let date = iso_date(ctx.timestamp);
            let rows = self.rng.gen_range(200_000..4_000_000);
            let module = l.split_whitespace().next().unwrap_or("run").to_string();
            let mut lines = vec![format!("INFO  {module}: processed {rows} rows for {date}")];
            if fail {
                lines.push("ERROR Executor lost: OOMKilled (exit code 137)".into());
            }
            steps.push(Gen::sh(
                format!("python -m etl.{module} --date {date}"),
                lines,
            ));
        } else if l == "init" || l == "plan" || l == "apply" {
            let (cmd, line) = match l.as_str() {
                "init" => (
                    "terraform init -input=false",
                    "Terraform has been successfully initialized!",
                ),
                "plan" => (
                    "terraform plan -input=false -out=tfplan",
                    "Plan: 2 to add, 1 to change, 0 to destroy.",
                ),
                _ => (
                    "terraform apply -input=false tfplan",
                    "Apply complete! Resources: 2 added, 1 changed, 0 destroyed.",
                ),
            };
            let lines = if fail {
                vec!["Error: creating IAM Role: AccessDenied: not authorized to perform iam:CreateRole".into()]
            } else {
                vec![line.into()]
            };
            steps.push(Gen::sh(cmd.into(), lines));
        } else {
            let target = l.replace(' ', "-");
            let mut lines = vec![format!("{stage}: done")];
            if fail {
                lines = vec![format!("make: *** [Makefile:12: {target}] Error 1")];
            }
            steps.push(Gen::sh(format!("make {target}"), lines));
        }
        steps
    }

    /// Stages with ids, times and statuses, fitted between the run's start and end.
    fn timed_stages(
        &mut self,
        traces: &[StageTrace],
        course: &Course,
        run_start: i64,
        run_end: i64,
    ) -> Vec<Stage> {
        let running = course.result.is_none();
        let mut t = run_start + self.rng.gen_range(120..600);
        let horizon = if running {
            self.now
        } else {
            run_end - self.rng.gen_range(80..400)
        };
        let skipped = traces.iter().filter(|s| s.skipped).count() as i64;
        let weights: Vec<f64> = traces
            .iter()
            .map(|s| {
                if s.skipped {
                    0.0
                } else {
                    stage_weight(&s.name) * self.rng.gen_range(0.6..1.4)
                }
            })
            .collect();
        let total_w: f64 = weights.iter().sum::<f64>().max(0.001);
        let avail =
            (horizon - t - skipped * 60 - traces.len() as i64 * 25).max(traces.len() as i64 * 10);
        let mut id: u64 = 6;
        let mut out = Vec::with_capacity(traces.len());
        for (i, tr) in traces.iter().enumerate() {
            let at_stop = course.stop == Some(i);
            let dur = if tr.skipped {
                self.rng.gen_range(15..80)
            } else {
                ((avail as f64) * weights[i] / total_w).max(5.0) as i64
            };
            let (status, error) = if tr.skipped {
                (
                    if course.result == Some(BuildResult::Aborted) {
                        "ABORTED"
                    } else {
                        "FAILED"
                    },
                    course.error.clone(),
                )
            } else if at_stop {
                match course.result {
                    None => ("IN_PROGRESS", None),
                    Some(BuildResult::Failure) => ("FAILED", course.error.clone()),
                    Some(BuildResult::Aborted) => ("ABORTED", course.error.clone()),
                    Some(BuildResult::Unstable) => ("UNSTABLE", None),
                    _ => ("SUCCESS", None),
                }
            } else {
                ("SUCCESS", None)
            };
            let mut stage = Stage {
                id: id.to_string(),
                name: tr.name.clone(),
                status: status.into(),
                start: t,
                duration: if running && at_stop {
                    (self.now - t).max(0)
                } else {
                    dur
                },
                pause: 0,
                error: error.clone(),
                parallel: None,
                steps: Vec::with_capacity(tr.steps.len()),
            };
            let step_w: Vec<f64> = tr
                .steps
                .iter()
                .map(|s| {
                    if s.func == "echo" {
                        0.01
                    } else {
                        self.rng.gen_range(0.5..1.5)
                    }
                })
                .collect();
            let step_total: f64 = step_w.iter().sum::<f64>().max(0.001);
            let inner = (dur - 10).max(tr.steps.len() as i64);
            let mut st = t + self.rng.gen_range(2..6).min(dur / 4 + 1);
            let mut sid = id;
            for (k, s) in tr.steps.iter().enumerate() {
                sid += 1;
                let last = k + 1 == tr.steps.len();
                let sdur = ((inner as f64) * step_w[k] / step_total).max(1.0) as i64;
                let (sstatus, serror) = if at_stop && last {
                    match course.result {
                        None => ("IN_PROGRESS", None),
                        Some(BuildResult::Failure) => ("FAILED", error.clone()),
                        Some(BuildResult::Aborted) => ("ABORTED", error.clone()),
                        Some(BuildResult::Unstable) => ("UNSTABLE", None),
                        _ => ("SUCCESS", None),
                    }
                } else {
                    ("SUCCESS", None)
                };
                let log = if s.lines.is_empty() {
                    None
                } else {
                    Some(html_escape(&(s.lines.join("\n") + "\n")))
                };
                stage.steps.push(Step {
                    id: sid.to_string(),
                    name: s.name.into(),
                    description: s.desc.clone(),
                    status: sstatus.into(),
                    start: st,
                    duration: sdur,
                    pause: 0,
                    parents: vec![if k == 0 {
                        id.to_string()
                    } else {
                        (sid - 1).to_string()
                    }],
                    error: serror,
                    log,
                });
                st += sdur + 1;
            }
            // Flow node ids: the stage, its body, its steps, then the block ends.
            id = sid + 4;
            t += dur + self.rng.gen_range(5..40);
            out.push(stage);
        }
        out
    }

    fn cause_line(&mut self, cause: &Cause) -> String {
        match cause {
            Cause::User { user } => {
                // Jenkins hides a console note (a serialized hyperlink) before the user name.
                let note: String = (0..64)
                    .map(|_| {
                        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                        B64[self.rng.gen_range(0..B64.len())] as char
                    })
                    .collect();
                format!("Started by user \u{1b}[8mha:////4{note}=\u{1b}[0m{}", full_name_of(user))
            }
            Cause::Scm => "Started by an SCM change".into(),
            Cause::Timer => "Started by timer".into(),
            Cause::Upstream { project, build } => format!(
                "Started by upstream project \"{project}\" build number {build}\noriginally caused by:\n Started by an SCM change"
            ),
            Cause::Remote { addr, note } => match note {
                Some(n) => format!("Started by remote host {addr} with note: {n}"),
                None => format!("Started by remote host {addr}"),
            },
            Cause::BranchIndexing => "Branch indexing".into(),
        }
    }

    /// A literal console log, shaped like the recorded ones.
    #[allow(clippy::too_many_arguments)]
    fn literal_log(
        &mut self,
        plan: &JobPlan,
        cause: &Cause,
        traces: &[StageTrace],
        course: &Course,
        ctx: &RunCtx,
        built_on: &str,
        changes: &[Change],
    ) -> String {
        let mut out = self.cause_line(cause);
        out.push('\n');
        let ws = ctx.full.replace("%2F", "-");
        let result = course.result.unwrap_or(BuildResult::Success);
        let pipeline = plan.kind == JobKind::Pipeline && !plan.job.stage_names.is_empty();
        if pipeline {
            if let Some(git) = &plan.job.git {
                if plan.job.branch.is_some() {
                    out.push_str(&format!("Obtained Jenkinsfile from git {}\n", git.url));
                }
            }
            out.push_str("[Pipeline] Start of Pipeline\n[Pipeline] node\n");
            if built_on.is_empty() {
                out.push_str(&format!(
                    "Running on Jenkins in /var/jenkins_home/workspace/{ws}\n"
                ));
            } else {
                out.push_str(&format!(
                    "Running on {built_on} in /home/jenkins/workspace/{ws}\n"
                ));
            }
            out.push_str("[Pipeline] {\n");
            for tr in traces {
                out.push_str(&format!("[Pipeline] stage\n[Pipeline] {{ ({})\n", tr.name));
                if tr.skipped {
                    out.push_str(&format!(
                        "Stage \"{}\" skipped due to earlier failure(s)\n",
                        tr.name
                    ));
                }
                for s in &tr.steps {
                    out.push_str(&format!("[Pipeline] {}\n", s.func));
                    for line in &s.lines {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                out.push_str("[Pipeline] }\n[Pipeline] // stage\n");
            }
            out.push_str("[Pipeline] }\n[Pipeline] // node\n[Pipeline] End of Pipeline\n");
            if let (BuildResult::Failure, Some(e)) = (result, &course.error) {
                out.push_str(&format!("ERROR: {}\n", e.message));
            }
        } else {
            out.push_str("Running as SYSTEM\n");
            if built_on.is_empty() {
                out.push_str(&format!(
                    "Building in workspace /var/jenkins_home/workspace/{ws}\n"
                ));
            } else {
                let labels = self
                    .agents
                    .iter()
                    .find(|a| a.name == built_on)
                    .map(|a| a.labels.join(" "))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "Building remotely on {built_on} ({labels}) in workspace /home/jenkins/workspace/{ws}\n"
                ));
            }
            let script = format!(
                "/tmp/jenkins{}.sh",
                self.rng
                    .gen_range(1_000_000_000_000_000_000u64..9_999_999_999_999_999_999)
            );
            let mut shell_started = false;
            for tr in traces.iter().filter(|t| !t.skipped) {
                for s in &tr.steps {
                    if s.func == "sh" && !shell_started {
                        out.push_str(&format!("[{}] $ /bin/sh -xe {script}\n", plan.job.name));
                        shell_started = true;
                    }
                    if s.func == "archiveArtifacts" {
                        out.push_str("Archiving artifacts\n");
                        continue;
                    }
                    if s.func == "echo" {
                        continue;
                    }
                    for line in &s.lines {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                if is_test_stage(&tr.name) && ctx.tests_total > 0 && plan.profile.tests > 0 {
                    out.push_str("Recording test results\n");
                }
            }
            match result {
                BuildResult::Failure => out.push_str("Build step 'Execute shell' marked build as failure\n"),
                BuildResult::Aborted => out.push_str(&format!(
                    "Build was aborted\n{}\n",
                    course.error.as_ref().map_or("Aborted", |e| e.message.as_str())
                )),
                BuildResult::Unstable => out.push_str("Build step 'Publish JUnit test result report' changed build result to UNSTABLE\n"),
                _ => {}
            }
            let _ = changes;
        }
        out.push_str(&format!("Finished: {}\n", result.as_str()));
        out
    }

    // ---- the whole world ------------------------------------------------------------

    /// Realise the plans and fill in what spans the whole world.
    fn finish(
        mut self,
        controller: ControllerInfo,
        users: Vec<User>,
        nodes: Vec<Node>,
        queue: Vec<QueuePlan>,
    ) -> World {
        let items = self.realize(nodes, "");
        let mut world = World {
            controller,
            users,
            items,
            queue: Vec::new(),
            left_items: Vec::new(),
            agents: Vec::new(),
        };
        let mut waiting = Vec::new();
        let mut blocked = Vec::new();
        let mut buildable = Vec::new();
        for q in queue {
            let Some((_, job)) = world.item(&q.job).and_then(Item::as_job) else {
                continue;
            };
            let last = job.builds.last();
            let causes = match last.and_then(|b| b.causes.first()) {
                Some(Cause::BranchIndexing) | Some(Cause::Remote { .. }) | None => {
                    vec![Cause::User {
                        user: self.dev().to_string(),
                    }]
                }
                Some(c) => vec![c.clone()],
            };
            let parameters: Vec<ParamValue> = job
                .parameters
                .iter()
                .map(|d| ParamValue {
                    name: d.name.clone(),
                    kind: d.kind,
                    value: d
                        .default
                        .clone()
                        .or_else(|| d.choices.first().cloned())
                        .unwrap_or_default(),
                })
                .collect();
            let (state, why, stuck, since) = match q.waits {
                Waits::Quiet => {
                    let ago = self.rng.gen_range(0..4_000);
                    let left = (5_000 - ago) / 1000;
                    (
                        QueueState::Waiting,
                        format!("In the quiet period. Expires in {left} sec"),
                        false,
                        self.now - ago,
                    )
                }
                Waits::Blocked => {
                    let running = last.filter(|b| b.building());
                    let number = running.map_or(job.next_number(), |b| b.number);
                    let started =
                        running.map_or(self.now - 60_000, |b| b.timestamp + b.queue_duration);
                    let since = self.rng.gen_range(started.min(self.now - 1_000)..self.now);
                    (
                        QueueState::Blocked,
                        format!("Build #{number} is already in progress (ETA: N/A)"),
                        false,
                        since,
                    )
                }
                Waits::Executor => (
                    QueueState::Buildable,
                    "Waiting for next available executor".into(),
                    false,
                    self.now - self.rng.gen_range(2_000..600_000),
                ),
                Waits::Stuck => {
                    let label = job.label.clone().unwrap_or_else(|| "gpu".into());
                    (
                        QueueState::Buildable,
                        format!("‘Jenkins’ doesn’t have label ‘{label}’"),
                        true,
                        self.now - self.rng.gen_range(20 * 60_000..6 * 3_600_000),
                    )
                }
            };
            let item = QueueItem {
                id: 0,
                job: q.job,
                state,
                why: Some(why),
                stuck,
                in_queue_since: since,
                causes,
                parameters,
            };
            match state {
                QueueState::Waiting => waiting.push(item),
                QueueState::Blocked => blocked.push(item),
                QueueState::Buildable => buildable.push(item),
            }
        }
        // Queue.getItems(): waiting, then blocked, then buildable newest first.
        buildable.sort_by_key(|q| std::cmp::Reverse(q.in_queue_since));
        world.queue = waiting
            .into_iter()
            .chain(blocked)
            .chain(buildable)
            .collect();
        world.agents = std::mem::take(&mut self.agents);
        self.assign_queue_ids(&mut world);
        world.left_items = left_items(&world, self.now);
        world.normalize();
        world
    }

    /// Queue ids grow with time across the controller: builds and waiting items alike.
    fn assign_queue_ids(&mut self, world: &mut World) {
        enum Slot<'a> {
            Build(&'a mut Build),
            Queued(&'a mut QueueItem),
        }
        let World { items, queue, .. } = world;
        let mut builds = Vec::new();
        collect_builds(items, &mut builds);
        let mut slots: Vec<(i64, Slot)> = builds
            .into_iter()
            .map(|b| (b.timestamp, Slot::Build(b)))
            .collect();
        slots.extend(
            queue
                .iter_mut()
                .map(|q| (q.in_queue_since, Slot::Queued(q))),
        );
        slots.sort_by_key(|(t, _)| *t);
        let mut id: u64 = self.rng.gen_range(100..2_000);
        for (_, slot) in slots {
            id += self.rng.gen_range(1..=2);
            match slot {
                Slot::Build(b) => b.queue_id = id,
                Slot::Queued(q) => q.id = id,
            }
        }
        world.controller.next_queue_id = id + 1;
    }
}

fn collect_builds<'a>(items: &'a mut [Item], out: &mut Vec<&'a mut Build>) {
    for item in items {
        match item {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => {
                collect_builds(&mut f.items, out)
            }
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => {
                out.extend(j.builds.iter_mut())
            }
        }
    }
}

/// Jenkins remembers queue items for five minutes after they left.
fn left_items(world: &World, now: i64) -> Vec<LeftItem> {
    let mut out: Vec<LeftItem> = world
        .jobs()
        .into_iter()
        .flat_map(|(full, _, job)| {
            job.builds
                .iter()
                .filter(|b| b.timestamp + b.queue_duration > now - 5 * 60_000)
                .map(move |b| LeftItem {
                    id: b.queue_id,
                    job: full.clone(),
                    in_queue_since: b.timestamp,
                    build: Some(b.number),
                    cancelled: false,
                    causes: b.causes.clone(),
                })
        })
        .collect();
    out.sort_by_key(|l| l.id);
    out
}

fn plans_mut<'a>(nodes: &'a mut [Node], prefix: &str, out: &mut Vec<(String, &'a mut JobPlan)>) {
    for node in nodes {
        match node {
            Node::Folder {
                folder, children, ..
            } => {
                let full = join(prefix, &folder.name);
                plans_mut(children, &full, out);
            }
            Node::Job(plan) => out.push((join(prefix, &plan.job.name), plan)),
        }
    }
}

fn param(
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
fn dry_run_param() -> ParamDef {
    param(
        "DRY_RUN",
        ParamKind::Boolean,
        "Only print what would change",
        Some("true"),
        &[],
    )
}

/// ENVIRONMENT (a choice of dev, staging, production), shared by generated jobs.
fn environment_param() -> ParamDef {
    param(
        "ENVIRONMENT",
        ParamKind::Choice,
        "Where to deploy",
        None,
        &["dev", "staging", "production"],
    )
}

fn every_param_kind() -> Vec<ParamDef> {
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

// ---------------------------------------------------------------------------------------
// Demo worlds.

fn demo_agent(name: &str, labels: &[&str], executors: u32) -> Agent {
    Agent {
        name: name.into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        executors,
        busy: 0,
        offline: false,
        offline_reason: None,
        temporarily_offline: false,
    }
}

fn offline(mut a: Agent, reason: &str, temporarily: bool) -> Agent {
    a.offline = true;
    a.offline_reason = Some(reason.into());
    a.temporarily_offline = temporarily;
    a
}

fn with_job(world: &mut World, full: &str, f: impl FnOnce(&mut Job)) {
    if let Some(job) = world.item_mut(full).and_then(Item::as_job_mut) {
        f(job);
    }
}

/// "ci-prod": the production controller of the demo.
fn demo_prod(seed: u64, now: i64) -> World {
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

    // platform
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

    // release
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

    // data
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

    // infra
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

    // root
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

    let web_app = demo_multibranch(
        &mut g,
        "web-app",
        "web",
        &[
            ("main", 30),
            ("develop", 22),
            ("feature/login-page", 4),
            ("PR-42", 3),
        ],
        "PR-42",
    );

    let nodes = vec![
        Node::folder(
            "platform",
            Some("Core services of the platform team"),
            vec![
                Node::job(api),
                Node::job(backend),
                Node::job(auth),
                Node::job(web),
            ],
        ),
        Node::folder(
            "release",
            Some("Release and deployment"),
            vec![Node::job(release), Node::job(deploy)],
        ),
        Node::folder(
            "data",
            Some("Data engineering"),
            vec![
                Node::folder("etl", None, vec![Node::job(etl)]),
                Node::job(sync),
                Node::job(reports),
            ],
        ),
        Node::folder(
            "infra",
            Some("Infrastructure as code"),
            vec![Node::job(tf), Node::job(ami)],
        ),
        web_app,
        Node::job(legacy),
        Node::job(fresh),
        Node::job(migrate),
        Node::job(gpu),
    ];
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

    // Build #142 of backend-service: the example of "what changed in #142".
    let mut g2 = Gen::new(seed ^ 0x142, now, false, 1024);
    with_job(&mut world, "platform/backend-service", |job| {
        let Some(b) = job.builds.iter_mut().find(|b| b.number == 142) else {
            return;
        };
        let ts = b.timestamp;
        let at = |h: i64| ts - h * 3_600_000 - 17_000;
        let change =
            |g: &mut Gen, author: &str, message: &str, t: i64, paths: &[(&str, &str)]| Change {
                commit: g.sha(),
                message: message.into(),
                author: author.into(),
                email: Some(format!("{author}@example.com")),
                timestamp: t,
                paths: paths
                    .iter()
                    .map(|(edit, file)| ChangedPath {
                        edit: edit.to_string(),
                        file: file.to_string(),
                    })
                    .collect(),
            };
        b.changes = vec![
            change(
                &mut g2,
                "alice",
                "Add idempotency keys to order submission",
                at(5),
                &[
                    ("edit", "src/main/java/com/acme/orders/OrderController.java"),
                    (
                        "add",
                        "src/main/java/com/acme/orders/IdempotencyFilter.java",
                    ),
                ],
            ),
            change(
                &mut g2,
                "bob",
                "Bump jackson-databind from 2.17.1 to 2.17.2",
                at(3),
                &[("edit", "build.gradle")],
            ),
            change(
                &mut g2,
                "carol",
                "Fix flaky OrderRepositoryTest on slow agents",
                at(1),
                &[(
                    "edit",
                    "src/test/java/com/acme/orders/OrderRepositoryTest.java",
                )],
            ),
        ];
        b.causes = vec![Cause::Scm];
        b.revision = b.changes.last().map(|c| c.commit.clone());
        b.culprits = vec!["alice".into(), "bob".into(), "carol".into()];
    });
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

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// A multibranch project with these branches (name, builds); `running` names a branch
/// whose last build is still running.
fn demo_multibranch(
    g: &mut Gen,
    name: &str,
    team: &str,
    branches: &[(&str, u64)],
    running: &str,
) -> Node {
    let names: Vec<&str> = branches.iter().map(|(b, _)| *b).collect();
    let mut node = g.multibranch(name, "", team, names.len(), Some(&names));
    if let Node::Folder { children, .. } = &mut node {
        for child in children.iter_mut() {
            if let Node::Job(plan) = child {
                let branch = plan.job.branch.clone().unwrap_or_default();
                if let Some((_, n)) = branches.iter().find(|(b, _)| *b == branch) {
                    plan.builds = *n;
                }
                plan.running = branch == running;
                if branch == "main" {
                    plan.idle_ms = Some(2 * 3_600_000);
                }
            }
        }
    }
    node
}

/// "ci-staging": the staging controller, with other teams.
fn demo_staging(seed: u64, now: i64) -> World {
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
        &mut g,
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
    let nodes = vec![
        Node::folder(
            "mobile",
            Some("Mobile apps"),
            vec![
                Node::job(ios),
                Node::job(android),
                Node::job(mobile_backend),
                Node::job(ios_release),
            ],
        ),
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
        ),
    ];
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

/// "ci-legacy": an old controller with a handful of freestyle jobs.
fn demo_legacy(seed: u64, now: i64) -> World {
    let mut g = Gen::new(seed ^ 0xC1_0002, now, false, 24 * 1024);
    g.devs = 4;
    let mut build = g.plan_in(
        "build-monolith",
        "legacy",
        JobKind::Freestyle,
        Trigger::Scm,
        120,
        Lang::Java,
    );
    build.profile.tests = 2_300;
    build.profile.artifacts = true;
    let mut deploy = g.plan_in(
        "deploy-monolith",
        "legacy",
        JobKind::Freestyle,
        Trigger::Manual,
        40,
        Lang::Java,
    );
    deploy.profile.tests = 0;
    deploy.job.parameters = vec![param(
        "ENV",
        ParamKind::Choice,
        "Environment",
        None,
        &["qa", "uat", "prod"],
    )];
    let mut backup = g.plan_in(
        "nightly-backup",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        30,
        Lang::Python,
    );
    backup.profile.cadence_ms = 86_400_000;
    let cleanup = g.plan_in(
        "cleanup-workspaces",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        14,
        Lang::Python,
    );
    let mut ldap = g.plan_in(
        "sync-ldap",
        "legacy",
        JobKind::Freestyle,
        Trigger::Timer,
        25,
        Lang::Python,
    );
    ldap.fates = vec![
        (23, Fate::Failure),
        (24, Fate::Failure),
        (25, Fate::Failure),
    ];
    let nodes = [build, deploy, backup, cleanup, ldap]
        .into_iter()
        .map(Node::job)
        .collect();
    let controller = ControllerInfo {
        version: "2.426.3".into(),
        session: format!("{:08x}", g.rng.gen::<u32>()),
        description: Some("ci-legacy: the old monolith's Jenkins. Do not add jobs here.".into()),
        num_executors: 2,
        ..ControllerInfo::default()
    };
    let users = users(g.devs);
    g.finish(controller, users, nodes, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_encoded_like_branch_api() {
        assert_eq!(
            branch_item_name("feature/login-page"),
            "feature%2Flogin-page"
        );
        assert_eq!(branch_item_name("PR-42"), "PR-42");
    }

    #[test]
    fn stage_ids_follow_flow_node_numbering() {
        let w = World::demo(7, 0);
        let (_, job) = w
            .item("release/release-pipeline")
            .and_then(Item::as_job)
            .unwrap();
        let b = job.build(38).unwrap();
        assert_eq!(b.result, Some(BuildResult::Failure));
        let mut ids: Vec<u64> = b
            .stages
            .iter()
            .flat_map(|s| std::iter::once(&s.id).chain(s.steps.iter().map(|x| &x.id)))
            .map(|id| id.parse().unwrap())
            .collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "ids are unique");
        let failed = b
            .stages
            .iter()
            .position(|s| s.name == "Integration Tests")
            .unwrap();
        assert_eq!(b.stages[failed].status, "FAILED");
        let err = b.stages[failed].error.clone().unwrap();
        for s in &b.stages[failed + 1..] {
            assert_eq!(s.status, "FAILED");
            assert_eq!(s.error.as_ref().unwrap().message, err.message);
        }
        let last = b.stages[failed].steps.last().unwrap();
        assert_eq!(last.status, "FAILED");
        assert!(last.error.is_some());
        // Stages lie within the run.
        for s in &b.stages {
            assert!(s.start >= b.timestamp + b.queue_duration);
            assert!(s.start + s.duration <= b.timestamp + b.duration);
        }
    }
}
