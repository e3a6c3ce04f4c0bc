//! Paging through a job's builds, newest first, as a state machine: it says which range
//! to fetch next and takes the answer, so the planning stays free of I/O (the loaders
//! drive it) and is tested on its own.
//!
//! A page after a cursor first seeks the cursor's position in chunks of the 100-build
//! window (numbers only), then collects: `first + 1` builds at a time (one extra tells
//! whether a next page exists), or chunks of [`FILTER_CHUNK`] when filtering by result,
//! scanning at most [`MAX_SCAN`] builds so that a rare result cannot make a query read a
//! job's whole history.

use std::sync::Arc;

use super::builds_range;
use crate::jenkins::client::BUILDS_WINDOW;
use crate::jenkins::{wire, Tree};

/// Builds read per request while filtering by result.
pub(crate) const FILTER_CHUNK: u32 = 50;
/// Most builds one filtered page scans.
pub(crate) const MAX_SCAN: u32 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Looking for the first build numbered below the cursor.
    Seek {
        offset: u32,
    },
    /// Collecting builds from `start`.
    Collect {
        start: u32,
    },
    Done,
}

/// One page of builds being fetched.
#[derive(Debug)]
pub(crate) struct Pager {
    first: usize,
    before: Option<u32>,
    result: Option<String>,
    fields: Tree,
    phase: Phase,
    out: Vec<Arc<wire::Build>>,
    more: bool,
    scanned: u32,
}

impl Pager {
    /// A page of `first` builds numbered below `before` (all when `None`), with `result`
    /// (Jenkins' spelling) when given, each fetched with `fields`.
    pub(crate) fn new(
        first: usize,
        before: Option<u32>,
        result: Option<String>,
        fields: Tree,
    ) -> Pager {
        let phase = match before {
            Some(_) => Phase::Seek { offset: 0 },
            None => Phase::Collect { start: 0 },
        };
        Pager {
            first,
            before,
            result,
            fields,
            phase,
            out: Vec::new(),
            more: false,
            scanned: 0,
        }
    }

    fn chunk(&self) -> u32 {
        if self.result.is_some() {
            FILTER_CHUNK
        } else {
            u32::try_from(self.first + 1).unwrap_or(u32::MAX)
        }
    }

    /// The tree of the next request, or `None` once the page is complete.
    pub(crate) fn next_request(&self) -> Option<Tree> {
        match self.phase {
            Phase::Seek { offset } => {
                let mut number = Tree::new();
                number.leaf("number");
                Some(builds_range(&number, offset, offset + BUILDS_WINDOW))
            }
            Phase::Collect { start } => Some(builds_range(
                &self.fields,
                start,
                start.saturating_add(self.chunk()),
            )),
            Phase::Done => None,
        }
    }

    /// Take the builds the last request answered.
    pub(crate) fn feed(&mut self, list: &[wire::Build]) {
        let got = u32::try_from(list.len()).unwrap_or(u32::MAX);
        self.phase = match self.phase {
            Phase::Seek { offset } => {
                let before = self.before.unwrap_or(0);
                match list
                    .iter()
                    .position(|b| b.number.is_some_and(|n| n < before))
                {
                    Some(i) => Phase::Collect {
                        start: offset + i as u32,
                    },
                    None if got < BUILDS_WINDOW => Phase::Done,
                    None => Phase::Seek {
                        offset: offset + BUILDS_WINDOW,
                    },
                }
            }
            Phase::Collect { start } => {
                let chunk = self.chunk();
                for b in list {
                    if self.result.is_some() && b.result != self.result {
                        continue;
                    }
                    if self.out.len() == self.first {
                        self.more = true;
                        break;
                    }
                    self.out.push(Arc::new(b.clone()));
                }
                self.scanned = self.scanned.saturating_add(got);
                if self.more || got < chunk || self.scanned >= MAX_SCAN {
                    Phase::Done
                } else {
                    Phase::Collect {
                        start: start + chunk,
                    }
                }
            }
            Phase::Done => Phase::Done,
        };
    }

    /// The builds of the page and whether more follow.
    pub(crate) fn finish(self) -> (Vec<Arc<wire::Build>>, bool) {
        (self.out, self.more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds numbered `from` down to `to`, alternately SUCCESS and FAILURE.
    fn builds(range: std::ops::RangeInclusive<u32>) -> Vec<wire::Build> {
        range
            .rev()
            .map(|n| wire::Build {
                number: Some(n),
                result: Some(if n % 2 == 0 { "SUCCESS" } else { "FAILURE" }.into()),
                ..Default::default()
            })
            .collect()
    }

    /// Drive a pager over a job whose builds are `all` (newest first).
    fn run(mut pager: Pager, all: &[wire::Build]) -> (Vec<u32>, bool, Vec<String>) {
        let mut requests = Vec::new();
        while let Some(tree) = pager.next_request() {
            let text = tree.render();
            let (list, range) = text.split_once('[').expect("a list");
            let (_, range) = range.rsplit_once('{').expect("a range");
            let (a, b) = range
                .trim_end_matches('}')
                .split_once(',')
                .expect("min,max");
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            requests.push(format!("{list}{{{a},{b}}}"));
            pager.feed(&all[a.min(all.len())..b.min(all.len())]);
        }
        let (page, more) = pager.finish();
        (
            page.iter().filter_map(|b| b.number).collect(),
            more,
            requests,
        )
    }

    fn fields() -> Tree {
        let mut t = Tree::new();
        t.leaves(&["number", "result"]);
        t
    }

    #[test]
    fn a_first_page_is_one_request_with_one_extra() {
        let all = builds(1..=300);
        let (page, more, requests) = run(Pager::new(3, None, None, fields()), &all);
        assert_eq!(page, vec![300, 299, 298]);
        assert!(more);
        assert_eq!(requests, vec!["builds{0,4}"]);
    }

    #[test]
    fn a_cursor_past_the_window_seeks_then_reads_all_builds() {
        let all = builds(1..=300);
        let (page, more, requests) = run(Pager::new(2, Some(150), None, fields()), &all);
        assert_eq!(page, vec![149, 148]);
        assert!(more);
        assert_eq!(
            requests,
            vec!["builds{0,100}", "allBuilds{100,200}", "allBuilds{151,154}"]
        );
    }

    #[test]
    fn filtering_scans_in_chunks_and_stops_at_the_end() {
        let all = builds(1..=120);
        let (page, more, requests) = run(
            Pager::new(100, None, Some("FAILURE".into()), fields()),
            &all,
        );
        assert_eq!(page.len(), 60);
        assert!(page.iter().all(|n| n % 2 == 1));
        assert!(!more);
        assert_eq!(
            requests,
            vec!["builds{0,50}", "builds{50,100}", "allBuilds{100,150}"]
        );
    }

    #[test]
    fn a_cursor_below_every_build_is_an_empty_last_page() {
        let all = builds(1..=10);
        let (page, more, requests) = run(Pager::new(5, Some(1), None, fields()), &all);
        assert!(page.is_empty() && !more);
        assert_eq!(requests, vec!["builds{0,100}"]);
    }
}
