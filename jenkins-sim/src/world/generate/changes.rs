//! Why a build started and what changed: causes, commits, their messages and paths.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::plan::{JobPlan, Lang, Trigger};
use super::vocabulary::{pascal, COMMIT_TEMPLATES, COMPONENTS, DEPENDENCIES, TOPICS};
use crate::world::{Cause, Change, ChangedPath};

impl Gen {
    pub(super) fn cause(&mut self, plan: &JobPlan, number: u64) -> Cause {
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

    pub(super) fn commit_message(&mut self, slug: &str) -> String {
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

    pub(super) fn paths(&mut self, lang: Lang, slug: &str, message: &str) -> Vec<ChangedPath> {
        let pkg = slug.split('-').next().unwrap_or(slug).replace('-', "");
        let comp = self.pick(COMPONENTS);
        let class = format!("{}{}", pascal(&pkg), pascal(comp));
        let files = &LANG_FILES
            .iter()
            .find(|(l, ..)| *l == lang)
            .unwrap_or(&LANG_FILES[0]);
        if message.starts_with("Bump ") {
            return vec![changed("edit", files.1)];
        }
        if message == "Update README" {
            return vec![changed("edit", "README.md")];
        }
        let n = self.rng.gen_range(1..=3);
        let mut out: Vec<ChangedPath> = files.2[..n]
            .iter()
            .map(|t| {
                let file = t.replace("{pkg}", &pkg).replace("{class}", &class);
                changed("edit", &file.replace("{comp}", comp))
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
            out.push(changed(self.pick(&["edit", "edit", "delete"]), extra));
        }
        out
    }

    /// Commits between the previous build (at `since`) and this one (at `until`).
    pub(super) fn changes(
        &mut self,
        plan: &JobPlan,
        cause: &Cause,
        since: i64,
        until: i64,
    ) -> Vec<Change> {
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
}

fn changed(edit: &str, file: &str) -> ChangedPath {
    ChangedPath {
        edit: edit.into(),
        file: file.into(),
    }
}

/// Per language: the dependency manifest a bump edits, and the files a change touches
/// (source, its test, configuration), with `{pkg}`, `{class}` and `{comp}` to fill in.
#[allow(clippy::type_complexity)]
const LANG_FILES: [(Lang, &str, [&str; 3]); 4] = [
    (
        Lang::Java,
        "build.gradle",
        [
            "src/main/java/com/acme/{pkg}/{class}.java",
            "src/test/java/com/acme/{pkg}/{class}Test.java",
            "src/main/resources/application.yml",
        ],
    ),
    (
        Lang::Node,
        "package.json",
        [
            "src/{comp}/index.ts",
            "src/{comp}/{comp}.test.ts",
            "src/config.ts",
        ],
    ),
    (
        Lang::Go,
        "go.mod",
        [
            "internal/{comp}/{comp}.go",
            "internal/{comp}/{comp}_test.go",
            "cmd/server/main.go",
        ],
    ),
    (
        Lang::Python,
        "requirements.txt",
        ["{pkg}/{comp}.py", "tests/test_{comp}.py", "pyproject.toml"],
    ),
];
