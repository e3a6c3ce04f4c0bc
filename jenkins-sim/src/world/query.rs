//! Questions asked of a world: items by full name, every job, a job's builds and
//! permalinks, users' names, how results are spelled and colored.

use super::names::split_full_name;
use super::{
    Build, BuildResult, Folder, FolderKind, Item, Job, JobKind, Stage, TestReport, User, World,
};

impl World {
    /// The job with that full name.
    pub fn job(&self, full_name: &str) -> Option<&Job> {
        self.item(full_name)?.as_job().map(|(_, j)| j)
    }

    /// Every build that checked out this revision (git's `lastBuiltRevision`), with its
    /// job's full name: oldest first within a job.
    pub fn builds_of_revision(&self, sha: &str) -> Vec<(String, &Build)> {
        self.jobs()
            .into_iter()
            .flat_map(|(full, _, j)| {
                j.builds
                    .iter()
                    .filter(|b| b.revision.as_deref() == Some(sha))
                    .map(move |b| (full.clone(), b))
            })
            .collect()
    }

    /// Every build that deployed to `environment` (its `ENVIRONMENT` parameter), with
    /// its job's full name: oldest first within a job.
    pub fn deployments(&self, environment: &str) -> Vec<(String, &Build)> {
        self.jobs()
            .into_iter()
            .flat_map(|(full, _, j)| {
                j.builds
                    .iter()
                    .filter(|b| b.parameter("ENVIRONMENT") == Some(environment))
                    .map(move |b| (full.clone(), b))
            })
            .collect()
    }

    /// The item with that full name (names joined by `/`).
    pub fn item(&self, full_name: &str) -> Option<&Item> {
        let mut items = &self.items;
        let mut found = None;
        for name in split_full_name(full_name) {
            let item = items.iter().find(|i| i.name() == name)?;
            found = Some(item);
            items = match item.as_folder() {
                Some((_, f)) => &f.items,
                None => &EMPTY,
            };
        }
        found
    }

    /// Mutable access to the item with that full name.
    pub fn item_mut(&mut self, full_name: &str) -> Option<&mut Item> {
        let mut names = split_full_name(full_name).peekable();
        let mut items = &mut self.items;
        while let Some(name) = names.next() {
            let item = items.iter_mut().find(|i| i.name() == name)?;
            if names.peek().is_none() {
                return Some(item);
            }
            items = &mut item.as_folder_mut()?.items;
        }
        None
    }

    /// Every job in the world with its full name, depth first.
    pub fn jobs(&self) -> Vec<(String, JobKind, &Job)> {
        fn walk<'a>(prefix: &str, items: &'a [Item], out: &mut Vec<(String, JobKind, &'a Job)>) {
            for item in items {
                let full = if prefix.is_empty() {
                    item.name().to_string()
                } else {
                    format!("{prefix}/{}", item.name())
                };
                if let Some((kind, job)) = item.as_job() {
                    out.push((full, kind, job));
                } else if let Some((_, f)) = item.as_folder() {
                    walk(&full, &f.items, out);
                }
            }
        }
        let mut out = Vec::new();
        walk("", &self.items, &mut out);
        out
    }

    /// Sort every item list case-insensitively, as Jenkins keeps them.
    pub fn normalize(&mut self) {
        fn sort(items: &mut [Item]) {
            items.sort_by_key(|a| a.name().to_lowercase());
            for item in items.iter_mut() {
                if let Some(f) = item.as_folder_mut() {
                    sort(&mut f.items);
                } else if let Some(j) = item.as_job_mut() {
                    j.builds.sort_by_key(|b| b.number);
                }
            }
        }
        sort(&mut self.items);
        let max_queue = self
            .queue
            .iter()
            .map(|q| q.id)
            .chain(self.left_items.iter().map(|l| l.id))
            .max()
            .unwrap_or(0);
        if self.controller.next_queue_id <= max_queue {
            self.controller.next_queue_id = max_queue + 1;
        }
    }

    /// The user with that id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The name Jenkins shows for a user: the full name, or the id of an unknown user or
    /// one without a full name.
    pub fn user_name(&self, id: &str) -> String {
        self.user(id)
            .and_then(|u| u.full_name.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

static EMPTY: Vec<Item> = Vec::new();

impl Item {
    /// The item's name (one URL segment, before encoding).
    pub fn name(&self) -> &str {
        match self {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => &f.name,
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => &j.name,
        }
    }

    /// The folder inside, with its kind, if this is a folder.
    pub fn as_folder(&self) -> Option<(FolderKind, &Folder)> {
        match self {
            Item::Folder(f) => Some((FolderKind::Folder, f)),
            Item::Multibranch(f) => Some((FolderKind::Multibranch, f)),
            Item::Organization(f) => Some((FolderKind::Organization, f)),
            _ => None,
        }
    }

    /// Mutable access to the folder inside, if this is a folder.
    pub fn as_folder_mut(&mut self) -> Option<&mut Folder> {
        match self {
            Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => Some(f),
            _ => None,
        }
    }

    /// The job inside, with its kind, if this is a job.
    pub fn as_job(&self) -> Option<(JobKind, &Job)> {
        match self {
            Item::Freestyle(j) => Some((JobKind::Freestyle, j)),
            Item::Pipeline(j) => Some((JobKind::Pipeline, j)),
            Item::Matrix(j) => Some((JobKind::Matrix, j)),
            _ => None,
        }
    }

    /// Mutable access to the job inside, if this is a job.
    pub fn as_job_mut(&mut self) -> Option<&mut Job> {
        match self {
            Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => Some(j),
            _ => None,
        }
    }
}

impl Job {
    /// The number the next build gets.
    pub fn next_number(&self) -> u64 {
        self.next_build_number
            .unwrap_or_else(|| self.builds.last().map_or(1, |b| b.number + 1))
    }

    /// The build with that number.
    pub fn build(&self, number: u64) -> Option<&Build> {
        self.builds
            .binary_search_by_key(&number, |b| b.number)
            .ok()
            .map(|i| &self.builds[i])
    }

    /// The build a permalink names (`lastBuild`, `lastSuccessfulBuild`, …; see
    /// [`PERMALINKS`](super::PERMALINKS)), if there is one.
    pub fn permalink(&self, name: &str) -> Option<&Build> {
        match name {
            "firstBuild" => self.builds.first(),
            "lastBuild" => self.builds.last(),
            _ => {
                let (_, names) = LAST_BUILD_WHERE.iter().find(|(n, _)| *n == name)?;
                self.builds.iter().rev().find(|b| names(b))
            }
        }
    }
}

/// Whether a build is of the kind a permalink names.
type Named = fn(&Build) -> bool;

/// The permalinks that name the newest build of some kind, with what makes a build one.
const LAST_BUILD_WHERE: [(&str, Named); 6] = [
    ("lastCompletedBuild", |b| !b.building()),
    ("lastFailedBuild", |b| {
        b.result == Some(BuildResult::Failure)
    }),
    ("lastStableBuild", |b| {
        b.result == Some(BuildResult::Success)
    }),
    ("lastSuccessfulBuild", |b| {
        matches!(b.result, Some(BuildResult::Success | BuildResult::Unstable))
    }),
    ("lastUnstableBuild", |b| {
        b.result == Some(BuildResult::Unstable)
    }),
    ("lastUnsuccessfulBuild", |b| {
        b.result.is_some_and(|r| r != BuildResult::Success)
    }),
];

impl Build {
    /// The value of a parameter of the build.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }

    /// When the build ended (`timestamp + duration`); `None` while it runs.
    pub fn end(&self) -> Option<i64> {
        (!self.building()).then_some(self.timestamp + self.duration)
    }

    /// The stage of that name.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Whether the build is still running.
    pub fn building(&self) -> bool {
        self.result.is_none()
    }
}

impl BuildResult {
    /// Jenkins' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildResult::Success => "SUCCESS",
            BuildResult::Unstable => "UNSTABLE",
            BuildResult::Failure => "FAILURE",
            BuildResult::NotBuilt => "NOT_BUILT",
            BuildResult::Aborted => "ABORTED",
        }
    }

    /// The ball color of a build with this result.
    pub fn color(self) -> &'static str {
        match self {
            BuildResult::Success => "blue",
            BuildResult::Unstable => "yellow",
            BuildResult::Failure => "red",
            BuildResult::NotBuilt => "notbuilt",
            BuildResult::Aborted => "aborted",
        }
    }

    /// Ordinal as in `hudson.model.Result` (lower is better).
    pub fn ordinal(self) -> u8 {
        match self {
            BuildResult::Success => 0,
            BuildResult::Unstable => 1,
            BuildResult::Failure => 2,
            BuildResult::NotBuilt => 3,
            BuildResult::Aborted => 4,
        }
    }
}

impl TestReport {
    /// Whether the report has the case (class, name) failing.
    pub fn fails(&self, class_name: &str, name: &str) -> bool {
        self.failures
            .iter()
            .any(|f| f.class_name == class_name && f.name == name)
    }

    /// Whether the report names the case (class, name) as passed.
    pub fn passes(&self, class_name: &str, name: &str) -> bool {
        self.passing
            .iter()
            .any(|p| p.class_name == class_name && p.name == name)
    }
}
