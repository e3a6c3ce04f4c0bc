//! Changes from two successive states of a controller's jobs. Pure functions, so that
//! what a missed poll means is decided here and tested without a controller: events come
//! from build numbers and what is known to run, never from having seen every moment, so a
//! build that started and finished between two polls still yields both events.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::sync::Arc;

use super::events::{BuildChange, BuildChangeKind};
use crate::jenkins::wire;

/// Builds a poll may add per job at most: after a long outage the newest ones only.
pub(crate) const MAX_NEW_BUILDS: u32 = 20;

/// What the poller knows of one job.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobState {
    /// Its last build, as the listing showed it.
    pub(crate) last: Option<Arc<wire::Build>>,
    /// Its item in the queue, if any.
    pub(crate) queue_item: Option<Arc<wire::QueueItem>>,
    /// Builds known to be running, by number.
    pub(crate) running: BTreeMap<u32, Arc<wire::Build>>,
}

impl JobState {
    fn last_number(&self) -> Option<u32> {
        self.last.as_ref().and_then(|b| b.number)
    }
}

/// Jobs by full name.
pub(crate) type Jobs = BTreeMap<String, JobState>;

/// A build of a job: the key of what must be fetched on its own.
pub(crate) type BuildKey = (String, u32);

fn finished(b: &wire::Build) -> bool {
    b.is_finished() == Some(true)
}

/// No build numbers.
fn no_numbers() -> RangeInclusive<u32> {
    RangeInclusive::new(1, 0)
}

fn new_numbers(prev: Option<&JobState>, cur: &JobState) -> RangeInclusive<u32> {
    let Some(last) = cur.last_number() else {
        return no_numbers();
    };
    let from = match prev {
        Some(p) => p.last_number().map_or(1, |n| n + 1),
        // A job seen for the first time: only its running build is news.
        None if cur.last.as_deref().is_some_and(|b| !finished(b)) => last,
        None => return no_numbers(),
    };
    from.max(last.saturating_sub(MAX_NEW_BUILDS - 1))..=last
}

/// The builds that must be read on their own to compare `cur` with `prev`: new builds
/// older than the last one, and builds known to run that are no longer the last one.
pub(crate) fn to_fetch(prev: &Jobs, cur: &Jobs) -> Vec<BuildKey> {
    let mut out = Vec::new();
    for (name, c) in cur {
        let p = prev.get(name);
        let last = c.last_number();
        for n in new_numbers(p, c) {
            if Some(n) != last {
                out.push((name.clone(), n));
            }
        }
        for n in p.into_iter().flat_map(|p| p.running.keys()) {
            if Some(*n) != last && !new_numbers(p, c).contains(n) {
                out.push((name.clone(), *n));
            }
        }
    }
    out
}

/// A job's state on the first poll: what runs now is known, nothing is news.
pub(crate) fn baseline(cur: &mut Jobs) {
    for c in cur.values_mut() {
        if let Some(b) = c.last.clone().filter(|b| !finished(b)) {
            if let Some(n) = b.number {
                c.running.insert(n, b);
            }
        }
    }
}

fn change(kind: BuildChangeKind, job: &str, n: u32, b: &Arc<wire::Build>) -> BuildChange {
    BuildChange {
        kind,
        job: job.to_string(),
        number: Some(n),
        build: Some(Arc::clone(b)),
        queue_item: None,
        stage: None,
    }
}

/// The changes from `prev` to `cur` (with the builds of [`to_fetch`] that could be read),
/// in the order they happened for each build; fills in what runs in `cur`. A running
/// build that could not be read stays running, to be read again next time.
pub(crate) fn changes(
    prev: &Jobs,
    cur: &mut Jobs,
    fetched: &HashMap<BuildKey, Arc<wire::Build>>,
) -> Vec<BuildChange> {
    let mut out = Vec::new();
    for (name, c) in cur.iter_mut() {
        let p = prev.get(name);
        let queued = c.queue_item.as_ref().and_then(|q| q.id);
        if queued.is_some() && queued != p.and_then(|p| p.queue_item.as_ref()?.id) {
            out.push(BuildChange {
                kind: BuildChangeKind::Queued,
                job: name.clone(),
                number: None,
                build: None,
                queue_item: c.queue_item.clone(),
                stage: None,
            });
        }
        let last = c.last.clone();
        let data = |n: u32| -> Option<Arc<wire::Build>> {
            match &last {
                Some(b) if b.number == Some(n) => Some(Arc::clone(b)),
                _ => fetched.get(&(name.clone(), n)).cloned(),
            }
        };
        let fresh = new_numbers(p, c);
        let mut running = BTreeMap::new();
        for (n, old) in p.into_iter().flat_map(|p| p.running.iter()) {
            if fresh.contains(n) {
                continue;
            }
            match data(*n) {
                Some(b) if finished(&b) => {
                    out.push(change(BuildChangeKind::Finished, name, *n, &b))
                }
                Some(b) => {
                    running.insert(*n, b);
                }
                None => {
                    running.insert(*n, Arc::clone(old));
                }
            }
        }
        for n in fresh {
            let Some(b) = data(n) else { continue };
            out.push(change(BuildChangeKind::Started, name, n, &b));
            if finished(&b) {
                out.push(change(BuildChangeKind::Finished, name, n, &b));
            } else {
                running.insert(n, b);
            }
        }
        c.running = running;
    }
    out
}

/// Whether a stage has begun (Jenkins lists stages not yet run as `NOT_EXECUTED`).
fn begun(s: &wire::StageNodeExt) -> bool {
    !matches!(s.status.as_deref(), None | Some("NOT_EXECUTED"))
}

/// The stages a run entered since `prev` (indices into `cur.stages`, in order). Seen for
/// the first time, a run that is `all_new` (it started since the last poll) reports every
/// stage it began; otherwise only the one it is in now.
pub(crate) fn entered_stages(
    prev: Option<&wire::RunExt>,
    cur: &wire::RunExt,
    all_new: bool,
) -> Vec<usize> {
    let stages = cur.stages.as_deref().unwrap_or(&[]);
    match prev {
        Some(prev) => {
            let before = prev.stages.as_deref().unwrap_or(&[]);
            stages
                .iter()
                .enumerate()
                .filter(|(_, s)| begun(s))
                .filter(|(_, s)| !before.iter().any(|b| b.id == s.id && begun(b)))
                .map(|(i, _)| i)
                .collect()
        }
        None if all_new => (0..stages.len()).filter(|i| begun(&stages[*i])).collect(),
        None => stages.iter().rposition(begun).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(n: u32, result: Option<&str>) -> Arc<wire::Build> {
        Arc::new(wire::Build {
            number: Some(n),
            building: Some(result.is_none()),
            result: result.map(str::to_string),
            ..wire::Build::default()
        })
    }

    fn job(last: Arc<wire::Build>) -> JobState {
        JobState {
            last: Some(last),
            ..JobState::default()
        }
    }

    fn kinds(changes: &[BuildChange]) -> Vec<(BuildChangeKind, Option<u32>)> {
        changes.iter().map(|c| (c.kind, c.number)).collect()
    }

    #[test]
    fn a_build_that_started_and_finished_between_polls_yields_both_events() {
        let mut prev = Jobs::from([("app".to_string(), job(build(4, Some("SUCCESS"))))]);
        baseline(&mut prev);
        let mut cur = Jobs::from([("app".to_string(), job(build(5, Some("FAILURE"))))]);
        assert!(to_fetch(&prev, &cur).is_empty());
        let c = changes(&prev, &mut cur, &HashMap::new());
        use BuildChangeKind::*;
        assert_eq!(kinds(&c), vec![(Started, Some(5)), (Finished, Some(5))]);
        assert!(cur["app"].running.is_empty());
    }

    #[test]
    fn builds_skipped_over_are_read_on_their_own() {
        let mut prev = Jobs::from([("app".to_string(), job(build(4, None)))]);
        baseline(&mut prev);
        assert!(prev["app"].running.contains_key(&4));
        let mut cur = Jobs::from([("app".to_string(), job(build(7, None)))]);
        let need = to_fetch(&prev, &cur);
        assert_eq!(
            need,
            vec![("app".into(), 5), ("app".into(), 6), ("app".into(), 4)]
        );
        let fetched = HashMap::from([
            (("app".to_string(), 4), build(4, Some("SUCCESS"))),
            (("app".to_string(), 5), build(5, Some("ABORTED"))),
            (("app".to_string(), 6), build(6, None)),
        ]);
        let c = changes(&prev, &mut cur, &fetched);
        use BuildChangeKind::*;
        assert_eq!(
            kinds(&c),
            vec![
                (Finished, Some(4)),
                (Started, Some(5)),
                (Finished, Some(5)),
                (Started, Some(6)),
                (Started, Some(7)),
            ]
        );
        assert_eq!(
            cur["app"].running.keys().copied().collect::<Vec<_>>(),
            vec![6, 7]
        );
    }

    #[test]
    fn a_running_build_that_cannot_be_read_stays_running() {
        let mut prev = Jobs::from([("app".to_string(), job(build(4, None)))]);
        baseline(&mut prev);
        let mut cur = Jobs::from([("app".to_string(), job(build(5, None)))]);
        let c = changes(&prev, &mut cur, &HashMap::new());
        assert_eq!(kinds(&c), vec![(BuildChangeKind::Started, Some(5))]);
        assert_eq!(cur["app"].running.len(), 2);
    }

    #[test]
    fn a_new_queue_item_is_queued_once() {
        let item = Arc::new(wire::QueueItem {
            id: Some(12),
            ..wire::QueueItem::default()
        });
        let prev = Jobs::from([("app".to_string(), job(build(1, Some("SUCCESS"))))]);
        let mut cur = prev.clone();
        if let Some(j) = cur.get_mut("app") {
            j.queue_item = Some(item);
        }
        let again = cur.clone();
        let c = changes(&prev, &mut cur, &HashMap::new());
        assert_eq!(kinds(&c), vec![(BuildChangeKind::Queued, None)]);
        let mut next = again.clone();
        assert!(changes(&again, &mut next, &HashMap::new()).is_empty());
    }

    fn stage(id: &str, status: &str) -> wire::StageNodeExt {
        wire::StageNodeExt {
            id: Some(id.into()),
            status: Some(status.into()),
            ..wire::StageNodeExt::default()
        }
    }

    fn run(stages: Vec<wire::StageNodeExt>) -> wire::RunExt {
        wire::RunExt {
            status: Some("IN_PROGRESS".into()),
            stages: Some(stages),
            ..wire::RunExt::default()
        }
    }

    #[test]
    fn stages_entered_since_the_last_poll_in_order() {
        let before = run(vec![
            stage("1", "SUCCESS"),
            stage("2", "IN_PROGRESS"),
            stage("3", "NOT_EXECUTED"),
            stage("4", "NOT_EXECUTED"),
        ]);
        let after = run(vec![
            stage("1", "SUCCESS"),
            stage("2", "SUCCESS"),
            stage("3", "SUCCESS"),
            stage("4", "IN_PROGRESS"),
        ]);
        assert_eq!(entered_stages(Some(&before), &after, false), vec![2, 3]);
        assert_eq!(entered_stages(None, &before, false), vec![1]);
        assert_eq!(entered_stages(None, &before, true), vec![0, 1]);
    }
}
