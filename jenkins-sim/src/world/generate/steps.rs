//! The steps of a stage, chosen by what its name says, with their raw log lines.

use rand::Rng;

use super::generator::Gen;
use super::plan::{Approval, Lang};
use super::vocabulary::{full_name_of, is_test_stage, pascal, COMPONENTS};
use crate::world::GitScm;

/// What the logs and step templates of one build need to know.
pub(super) struct RunCtx<'a> {
    pub(super) full: &'a str,
    pub(super) slug: &'a str,
    pub(super) team: &'a str,
    pub(super) lang: Lang,
    pub(super) git: Option<&'a GitScm>,
    pub(super) revision: Option<&'a str>,
    pub(super) commit_msg: Option<&'a str>,
    pub(super) number: u64,
    pub(super) timestamp: i64,
    /// The `input` step of the job's "Approve" stage.
    pub(super) approval: Option<&'a Approval>,
    /// The run waits at that input now.
    pub(super) paused: bool,
    pub(super) tests_total: u32,
    pub(super) tests_failed: u32,
    pub(super) tests_skipped: u32,
}

/// One step of a stage as planned: display name, Pipeline function, argument, raw log lines.
pub(super) struct StepPlan {
    pub(super) name: &'static str,
    pub(super) func: &'static str,
    pub(super) desc: Option<String>,
    pub(super) lines: Vec<String>,
}

/// What the steps of one stage depend on.
struct StageCall<'a> {
    /// The stage name as written.
    stage: &'a str,
    /// The stage name in lower case, which the table matches.
    l: &'a str,
    ctx: &'a RunCtx<'a>,
    /// Whether the stage's main step fails.
    fail: bool,
}

/// Plans the steps of one kind of stage.
type StepsOf = fn(&mut Gen, &StageCall) -> Vec<StepPlan>;

/// Kinds of stages, tried in order on the lower-cased stage name; the first that matches
/// plans the steps, and a stage of no known kind runs `make`.
#[allow(clippy::type_complexity)]
const STAGE_KINDS: &[(fn(&str, &RunCtx) -> bool, StepsOf)] = &[
    (|l, ctx| l == "approve" && ctx.approval.is_some(), approve),
    (
        |l, ctx| l.contains("checkout") || (l == "prepare" && ctx.git.is_some()),
        checkout,
    ),
    (|l, _| l.contains("pods"), pods),
    (|l, _| l.contains("install"), install),
    (|l, _| l.contains("lint"), lint),
    (
        |l, _| l.contains("integration") || l.contains("ui test"),
        integration,
    ),
    (|l, _| is_test_stage(l), unit_tests),
    (|l, _| l.contains("docker"), docker_build),
    (
        |l, _| l.contains("push") || (l.contains("publish") && !l.contains("report")),
        docker_push,
    ),
    (|l, _| l.contains("build") || l.contains("compile"), build),
    (
        |l, _| l.contains("package") || l.contains("archive"),
        package,
    ),
    (|l, _| l.contains("deploy"), deploy),
    (|l, _| l.contains("smoke"), smoke),
    (|l, _| l.contains("verify"), verify),
    (
        |l, _| {
            ["extract", "transform", "load", "report"]
                .iter()
                .any(|k| l.contains(k))
        },
        etl,
    ),
    (|l, _| matches!(l, "init" | "plan" | "apply"), terraform),
];

impl Gen {
    /// The steps of one stage, with their raw log lines.
    pub(super) fn step_plans(&mut self, stage: &str, ctx: &RunCtx, fail: bool) -> Vec<StepPlan> {
        let l = stage.to_lowercase();
        let call = StageCall {
            stage,
            l: &l,
            ctx,
            fail,
        };
        let steps = STAGE_KINDS
            .iter()
            .find(|(matches, _)| matches(&l, ctx))
            .map_or(make as StepsOf, |(_, steps)| *steps);
        steps(self, &call)
    }
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

/// The short revision and the image a run builds.
fn image(ctx: &RunCtx) -> (String, String) {
    let short = ctx.revision.map_or_else(
        || "0000000".to_string(),
        |r| r[..7.min(r.len())].to_string(),
    );
    let image = format!("registry.example.com/{}/{}:{short}", ctx.team, ctx.slug);
    (short, image)
}

fn checkout(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let (ctx, fail) = (c.ctx, c.fail);
    let Some(git) = ctx.git else {
        return vec![sh("rm -rf build && mkdir -p build".into(), vec![])];
    };
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
    vec![StepPlan {
        name: "Check out from version control",
        func: "checkout",
        desc: None,
        lines,
    }]
}

/// The `input` step of an approval: its message and buttons, and who approved once it
/// was answered (a paused run has no answer yet).
fn approve(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let Some(a) = c.ctx.approval else {
        return Vec::new();
    };
    let mut lines = vec![a.message.clone(), format!("{} or Abort", a.ok)];
    if !c.ctx.paused {
        lines.push(format!("Approved by {}", full_name_of(g.dev())));
    }
    vec![StepPlan {
        name: "Wait for interactive input",
        func: "input",
        desc: Some(a.message.clone()),
        lines,
    }]
}

fn pods(_: &mut Gen, _: &StageCall) -> Vec<StepPlan> {
    vec![sh(
        "bundle exec pod install".into(),
        vec!["Pod installation complete! There are 42 dependencies from the Podfile and 57 total pods installed.".into()],
    )]
}

fn install(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let (cmd, done) = match c.ctx.lang {
        Lang::Node => (
            "npm ci".to_string(),
            format!(
                "added {} packages in {}s",
                g.rng.gen_range(600..1800),
                g.rng.gen_range(12..70)
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
    let lines = if c.fail {
        vec![
            "npm ERR! code ECONNRESET".into(),
            "npm ERR! network aborted".into(),
        ]
    } else {
        vec![done]
    };
    vec![sh(cmd, lines)]
}

fn lint(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let cmd = match c.ctx.lang {
        Lang::Node => "npm run lint",
        Lang::Go => "golangci-lint run ./...",
        Lang::Python => "ruff check .",
        Lang::Java => "./gradlew checkstyleMain --no-daemon",
    };
    let lines = if c.fail {
        vec![
            format!("src/{}/index.ts:42:7  error  'retries' is assigned a value but never used  no-unused-vars", g.pick(COMPONENTS)),
            "1 problem (1 error, 0 warnings)".into(),
        ]
    } else {
        vec!["No problems found".into()]
    };
    vec![sh(cmd.into(), lines)]
}

fn integration(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let n = g.rng.gen_range(20..140);
    let mut lines = vec![
        "docker compose -f it/docker-compose.yml up -d".to_string(),
        "Container it-postgres-1  Started".into(),
        format!("Running {n} integration tests"),
    ];
    if c.fail {
        lines.push(format!(
            "FAIL it/{}: expected status 200, got 503",
            c.ctx.slug
        ));
        lines.push("make: *** [Makefile:41: integration-test] Error 1".into());
    } else {
        lines.push(format!("PASS ({n} tests)"));
    }
    vec![
        echo("Running integration tests".into()),
        sh("make integration-test".into(), lines),
    ]
}

fn unit_tests(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let ctx = c.ctx;
    let (slug, team) = (ctx.slug, ctx.team);
    let (total, failed, skipped) = (ctx.tests_total.max(1), ctx.tests_failed, ctx.tests_skipped);
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
                g.rng.gen_range(100..999)
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
    if c.fail {
        lines.push("FAILURE: Build failed with an exception.".into());
        lines.push("There were failing tests. See the report.".into());
    } else {
        lines.push("BUILD SUCCESSFUL".into());
    }
    let mut steps = Vec::new();
    if g.chance(0.5) {
        steps.push(echo(format!("Testing {slug}")));
    }
    steps.push(sh(cmd.into(), lines));
    steps
}

fn docker_build(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let (_, image) = image(c.ctx);
    vec![sh(
        format!("docker build -t {image} ."),
        vec![
            "#1 [internal] load build definition from Dockerfile".into(),
            "#9 exporting to image".into(),
            format!("#9 naming to {image} done"),
        ],
    )]
}

fn docker_push(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let (short, image) = image(c.ctx);
    let digest = format!("{short}: digest: sha256:{} size: 2417", g.hex(64));
    let lines = if c.fail {
        vec!["denied: requested access to the resource is denied".into()]
    } else {
        vec![digest]
    };
    vec![sh(format!("docker push {image}"), lines)]
}

fn build(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let ctx = c.ctx;
    let slug = ctx.slug;
    let (cmd, mut lines): (String, Vec<String>) = match ctx.lang {
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
                format!("{} modules transformed.", g.rng.gen_range(200..2000)),
            ],
        ),
        Lang::Go => (format!("go build -o bin/{slug} ./cmd/{slug}"), vec![]),
        Lang::Python => (
            "python -m build".into(),
            vec![format!("Successfully built {slug}-1.4.2.tar.gz")],
        ),
    };
    if c.fail {
        let class = format!("{}{}", pascal(slug), pascal(g.pick(COMPONENTS)));
        lines.push(format!(
            "src/main/java/com/acme/{class}.java:87: error: cannot find symbol"
        ));
        lines.push("FAILURE: Build failed with an exception.".into());
    } else if ctx.lang == Lang::Java {
        lines.push(format!("BUILD SUCCESSFUL in {}s", g.rng.gen_range(20..200)));
    }
    let mut steps = Vec::new();
    if g.chance(0.5) {
        steps.push(echo(format!("Building {slug}")));
    }
    steps.push(sh(cmd, lines));
    steps
}

fn package(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let mut steps = Vec::new();
    if c.ctx.lang == Lang::Java {
        steps.push(sh(
            "./gradlew bootJar --no-daemon".into(),
            vec!["> Task :bootJar".into()],
        ));
    }
    steps.push(StepPlan {
        name: "Archive the artifacts",
        func: "archiveArtifacts",
        desc: Some("build/libs/*.jar, dist/**".into()),
        lines: if c.fail {
            vec![
                "ERROR: No artifacts found that match the file pattern \"build/libs/*.jar\"".into(),
            ]
        } else {
            vec![]
        },
    });
    steps
}

fn deploy(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let ctx = c.ctx;
    let slug = ctx.slug;
    let env = if c.l.contains("production") || ctx.full.contains("production") {
        "production"
    } else if c.l.ends_with(" dev") {
        "dev"
    } else {
        "staging"
    };
    let lines = if c.fail {
        vec!["Error: UPGRADE FAILED: timed out waiting for the condition".into()]
    } else {
        vec![
            format!("Release \"{slug}\" has been upgraded. Happy Helming!"),
            format!("NAMESPACE: {env}"),
            "STATUS: deployed".into(),
            format!("REVISION: {}", ctx.number + 3),
        ]
    };
    vec![
        echo(format!("Deploying {slug} to {env}")),
        sh(
            format!("helm upgrade --install {slug} ./chart --namespace {env} --wait --timeout 5m"),
            lines,
        ),
    ]
}

fn smoke(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let status = if c.fail { 503 } else { 200 };
    let verdict = if c.fail {
        "smoke tests FAILED"
    } else {
        "smoke tests passed"
    };
    let lines = vec![
        "GET /healthz -> 200".into(),
        format!("GET /api/v1/status -> {status}"),
        verdict.into(),
    ];
    vec![sh("./scripts/smoke-test.sh production".into(), lines)]
}

fn verify(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let ctx = c.ctx;
    let (team, slug) = (ctx.team, ctx.slug);
    vec![sh(
        format!(
            "curl -fsSI https://artifacts.example.com/{team}/{slug}/{slug}-2.{}.tgz",
            ctx.number
        ),
        vec![if c.fail {
            "curl: (22) The requested URL returned error: 404".into()
        } else {
            "HTTP/2 200".into()
        }],
    )]
}

fn etl(g: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let date = iso_date(c.ctx.timestamp);
    let rows = g.rng.gen_range(200_000..4_000_000);
    let module = c.l.split_whitespace().next().unwrap_or("run").to_string();
    let mut lines = vec![format!("INFO  {module}: processed {rows} rows for {date}")];
    if c.fail {
        lines.push("ERROR Executor lost: OOMKilled (exit code 137)".into());
    }
    vec![sh(format!("python -m etl.{module} --date {date}"), lines)]
}

/// Terraform's command and its last line for each of its stages.
const TERRAFORM: &[(&str, &str, &str)] = &[
    (
        "init",
        "terraform init -input=false",
        "Terraform has been successfully initialized!",
    ),
    (
        "plan",
        "terraform plan -input=false -out=tfplan",
        "Plan: 2 to add, 1 to change, 0 to destroy.",
    ),
    (
        "apply",
        "terraform apply -input=false tfplan",
        "Apply complete! Resources: 2 added, 1 changed, 0 destroyed.",
    ),
];

fn terraform(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let (_, cmd, line) = TERRAFORM
        .iter()
        .find(|(stage, ..)| *stage == c.l)
        .unwrap_or(&TERRAFORM[2]);
    let lines = if c.fail {
        vec![
            "Error: creating IAM Role: AccessDenied: not authorized to perform iam:CreateRole"
                .into(),
        ]
    } else {
        vec![line.to_string()]
    };
    vec![sh(cmd.to_string(), lines)]
}

fn make(_: &mut Gen, c: &StageCall) -> Vec<StepPlan> {
    let target = c.l.replace(' ', "-");
    let lines = if c.fail {
        vec![format!("make: *** [Makefile:12: {target}] Error 1")]
    } else {
        vec![format!("{}: done", c.stage)]
    };
    vec![sh(format!("make {target}"), lines)]
}

pub(super) fn iso_date(ms: i64) -> String {
    let (y, mo, d, ..) = crate::clock::civil(ms);
    format!("{y:04}-{mo:02}-{d:02}")
}
