//! Reading a job's history: where it went from good to bad (and what changed between),
//! and which tests pass and fail by turns. Pure functions over the builds and reports
//! Jenkins sent.

use std::collections::{BTreeMap, HashSet};

use super::super::layout::RunLayout;
use crate::jenkins::wire;

/// A build's result as Jenkins spells it, when it has finished.
fn result(b: &wire::Build) -> Option<&str> {
    (b.building != Some(true))
        .then_some(b.result.as_deref())
        .flatten()
}

/// Where a failing job went bad.
#[derive(Debug)]
pub(crate) struct Span<'a> {
    /// The newest successful build before the failures (`None` when every build in the
    /// window failed).
    pub(crate) good: Option<&'a wire::Build>,
    /// The oldest failing build after it.
    pub(crate) first_bad: &'a wire::Build,
    /// The failing (or unstable) builds from it on, newest first.
    pub(crate) bad: Vec<&'a wire::Build>,
    /// Every build after the good one, newest first (aborted ones too).
    pub(crate) after_good: Vec<&'a wire::Build>,
}

/// The regression of a job whose builds (newest first) end in failure: the run of failed
/// or unstable builds since the last success. Aborted and not-built builds are passed
/// over; `None` when the newest completed build succeeded (or there is none).
pub(crate) fn regression_span(builds: &[wire::Build]) -> Option<Span<'_>> {
    let mut bad = Vec::new();
    let mut good = None;
    let mut after_good = Vec::new();
    for b in builds {
        match result(b) {
            Some("SUCCESS") => {
                good = Some(b);
                break;
            }
            Some("FAILURE" | "UNSTABLE") => bad.push(b),
            _ => {}
        }
        after_good.push(b);
    }
    let first_bad = *bad.last()?;
    Some(Span {
        good,
        first_bad,
        bad,
        after_good,
    })
}

impl Span<'_> {
    /// The commits of every build after the good one, oldest first, each once.
    pub(crate) fn commits(&self) -> Vec<&wire::ChangeSetItem> {
        let mut seen = HashSet::new();
        self.after_good
            .iter()
            .rev()
            .flat_map(|b| b.all_change_sets())
            .flat_map(|s| s.items.iter().flatten())
            .filter(|c| match c.commit_id.as_deref().or(c.id.as_deref()) {
                Some(id) => seen.insert(id.to_string()),
                None => true,
            })
            .collect()
    }

    /// The culprits of the failing builds, each once, oldest build's first.
    pub(crate) fn culprits(&self) -> Vec<&wire::User> {
        let mut seen = HashSet::new();
        self.bad
            .iter()
            .rev()
            .flat_map(|b| b.culprits.iter().flatten())
            .filter(|u| seen.insert(u.full_name.clone().or_else(|| u.id.clone())))
            .collect()
    }
}

/// A parameter that differs between two builds: its name, its value before (`None`:
/// the earlier build had no such parameter) and after (`None`: removed).
pub(crate) type ParameterDiff<'a> = (
    &'a str,
    Option<&'a wire::ParameterValue>,
    Option<&'a wire::ParameterValue>,
);

/// Parameters whose value differs between two builds, by name.
pub(crate) fn changed_parameters<'a>(
    before: &'a wire::Build,
    after: &'a wire::Build,
) -> Vec<ParameterDiff<'a>> {
    let by_name = |b: &'a wire::Build| -> BTreeMap<&'a str, &'a wire::ParameterValue> {
        b.parameters()
            .filter_map(|p| Some((p.name.as_deref()?, p)))
            .collect()
    };
    let (old, new) = (by_name(before), by_name(after));
    let names: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (o, n) = (old.get(name).copied(), new.get(name).copied());
            let same = matches!((o, n), (Some(o), Some(n)) if o.value == n.value);
            (!same).then_some((name, o, n))
        })
        .collect()
}

/// Whether a case failed (junit's `FAILED` or `REGRESSION`).
pub(crate) fn fails(c: &wire::TestCase) -> bool {
    matches!(c.status.as_deref(), Some("FAILED" | "REGRESSION"))
}

/// Whether a case passed (`PASSED`, or `FIXED`: passing after a failure).
fn passes(c: &wire::TestCase) -> bool {
    matches!(c.status.as_deref(), Some("PASSED" | "FIXED"))
}

fn cases(r: &wire::TestReport) -> impl Iterator<Item = &wire::TestCase> {
    r.suites
        .iter()
        .flatten()
        .flat_map(|s| s.cases.iter().flatten())
}

fn key(c: &wire::TestCase) -> (String, String) {
    (
        c.class_name.clone().unwrap_or_default(),
        c.name.clone().unwrap_or_default(),
    )
}

/// The cases failing in `bad` that did not fail in `good` (all of its failures without
/// a good build to compare with).
pub(crate) fn newly_failing<'a>(
    good: Option<&wire::TestReport>,
    bad: &'a wire::TestReport,
) -> Vec<&'a wire::TestCase> {
    let failed_before: HashSet<(String, String)> = good
        .map(|g| cases(g).filter(|c| fails(c)).map(key).collect())
        .unwrap_or_default();
    cases(bad)
        .filter(|c| fails(c) && !failed_before.contains(&key(c)))
        .collect()
}

/// The first stage of the bad run that failed on its own where the good run's stage of
/// that name did not fail (any failed stage without a good run to compare with).
pub(crate) fn newly_failed_stage(good: Option<&RunLayout>, bad: &RunLayout) -> Option<usize> {
    let failed = |l: &RunLayout, i: usize| {
        !l.skipped[i] && l.stages()[i].status.as_deref() == Some("FAILED")
    };
    (0..bad.stages().len()).find(|&i| {
        failed(bad, i)
            && good.is_none_or(|g| {
                !(0..g.stages().len())
                    .any(|j| g.stages()[j].name == bad.stages()[i].name && failed(g, j))
            })
    })
}

/// Whether `cur` built the same code as `prev`, the build before it: the same revision
/// when both name one, else no commits in `cur`.
pub(crate) fn same_code(prev: &wire::Build, cur: &wire::Build) -> bool {
    let rev = |b: &wire::Build| {
        b.git_build_data()
            .find_map(|a| a.last_built_revision.as_ref()?.sha1.clone())
    };
    match (rev(prev), rev(cur)) {
        (Some(a), Some(b)) => a == b,
        _ => cur
            .all_change_sets()
            .all(|s| s.items.as_ref().is_none_or(Vec::is_empty)),
    }
}

/// A test's outcomes over a window of builds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestRecord {
    /// Class (or suite) name.
    pub(crate) class_name: String,
    /// Test name.
    pub(crate) name: String,
    /// Builds it passed in.
    pub(crate) passes: usize,
    /// Builds it failed in.
    pub(crate) failures: usize,
    /// Times its outcome changed from one build (where it ran) to the next.
    pub(crate) flips: usize,
    /// Flips between builds of the same code.
    pub(crate) same_code_flips: usize,
    /// The newest build it failed in, and its error.
    pub(crate) last_failure: Option<(u32, Option<String>)>,
}

/// Where a test last ran (index into the runs) and whether it passed there.
type LastOutcome = Option<(usize, bool)>;

/// The tests that both passed and failed over `runs` (builds with their reports, oldest
/// first), most flips first.
pub(crate) fn flaky_tests(runs: &[(&wire::Build, &wire::TestReport)]) -> Vec<TestRecord> {
    // Whether every build from the one after `from` to `to` built the same code as its
    // predecessor.
    let steady =
        |from: usize, to: usize| (from + 1..=to).all(|i| same_code(runs[i - 1].0, runs[i].0));
    let mut seen: BTreeMap<(String, String), (TestRecord, LastOutcome)> = BTreeMap::new();
    for (i, (build, report)) in runs.iter().enumerate() {
        for c in cases(report) {
            let ok = if passes(c) {
                true
            } else if fails(c) {
                false
            } else {
                continue;
            };
            let (class_name, name) = key(c);
            let (rec, last) = seen.entry(key(c)).or_insert_with(|| {
                let rec = TestRecord {
                    class_name,
                    name,
                    passes: 0,
                    failures: 0,
                    flips: 0,
                    same_code_flips: 0,
                    last_failure: None,
                };
                (rec, None)
            });
            if ok {
                rec.passes += 1;
            } else {
                rec.failures += 1;
                rec.last_failure = Some((build.number.unwrap_or(0), c.error_details.clone()));
            }
            if let Some((j, was)) = *last {
                if was != ok {
                    rec.flips += 1;
                    rec.same_code_flips += usize::from(steady(j, i));
                }
            }
            *last = Some((i, ok));
        }
    }
    let mut out: Vec<TestRecord> = seen
        .into_values()
        .map(|(r, _)| r)
        .filter(|r| r.passes > 0 && r.failures > 0)
        .collect();
    out.sort_by(|a, b| b.flips.cmp(&a.flips).then_with(|| a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(n: u32, result: &str, rev: Option<&str>, commits: &[&str]) -> wire::Build {
        let mut b = wire::Build {
            number: Some(n),
            result: Some(result.into()),
            building: Some(false),
            ..Default::default()
        };
        if let Some(r) = rev {
            b.actions = Some(vec![wire::Action {
                class: Some("hudson.plugins.git.util.BuildData".into()),
                last_built_revision: Some(wire::Revision {
                    sha1: Some(r.into()),
                    branch: None,
                }),
                ..Default::default()
            }]);
        }
        b.change_sets = Some(vec![wire::ChangeSet {
            items: Some(
                commits
                    .iter()
                    .map(|c| wire::ChangeSetItem {
                        commit_id: Some(c.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }]);
        b
    }

    #[test]
    fn a_regression_spans_from_the_last_success_to_now() {
        // Newest first: 5 fails, 4 aborted, 3 fails, 2 good, 1 fails.
        let builds = vec![
            build(5, "FAILURE", None, &["e"]),
            build(4, "ABORTED", None, &["d"]),
            build(3, "FAILURE", None, &["c", "b"]),
            build(2, "SUCCESS", None, &["a"]),
            build(1, "FAILURE", None, &[]),
        ];
        let s = regression_span(&builds).unwrap();
        assert_eq!(s.good.and_then(|b| b.number), Some(2));
        assert_eq!(s.first_bad.number, Some(3));
        let ids: Vec<_> = s
            .commits()
            .iter()
            .filter_map(|c| c.commit_id.clone())
            .collect();
        assert_eq!(ids, ["c", "b", "d", "e"]);
        assert!(regression_span(&builds[3..]).is_none(), "newest is good");
        let all_bad = regression_span(&builds[..1]).unwrap();
        assert!(all_bad.good.is_none());
    }

    fn report(cases: &[(&str, &str)]) -> wire::TestReport {
        wire::TestReport {
            suites: Some(vec![wire::TestSuite {
                cases: Some(
                    cases
                        .iter()
                        .map(|(name, status)| wire::TestCase {
                            class_name: Some("C".into()),
                            name: Some(name.to_string()),
                            status: Some(status.to_string()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn flaky_tests_flip_on_the_same_code() {
        // Oldest first. `t` fails, passes, fails on one revision; `u` fails once after a
        // change of code; `v` always passes.
        let b = [
            build(1, "SUCCESS", Some("r1"), &["x"]),
            build(2, "UNSTABLE", Some("r2"), &["y"]),
            build(3, "SUCCESS", Some("r2"), &[]),
            build(4, "UNSTABLE", Some("r2"), &[]),
        ];
        let r = [
            report(&[("t", "PASSED"), ("u", "PASSED"), ("v", "PASSED")]),
            report(&[("t", "FAILED"), ("u", "REGRESSION"), ("v", "PASSED")]),
            report(&[("t", "FIXED"), ("u", "FAILED"), ("v", "PASSED")]),
            report(&[("t", "REGRESSION"), ("u", "FAILED"), ("v", "PASSED")]),
        ];
        let runs: Vec<_> = b.iter().zip(r.iter()).collect();
        let f = flaky_tests(&runs);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (
                f[0].name.as_str(),
                f[0].passes,
                f[0].failures,
                f[0].flips,
                f[0].same_code_flips
            ),
            ("t", 2, 2, 3, 2)
        );
        assert_eq!(
            (f[1].name.as_str(), f[1].flips, f[1].same_code_flips),
            ("u", 1, 0)
        );
        assert_eq!(f[0].last_failure, Some((4, None)));
    }
}
