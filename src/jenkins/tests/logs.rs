//! Console logs: tails read only the end, searches stream with context.

use super::*;
use crate::jenkins::log::LogSearch;

/// A raw Jenkins log: LF line endings, a console note on every third line.
fn raw_log(lines: usize) -> Vec<u8> {
    let mut log = Vec::new();
    for i in 1..=lines {
        if i % 3 == 0 {
            log.extend_from_slice(
                b"\x1b[8mha:////4Nmh6oaatwnj0b3R8D9RZyPf+oMqqhcL94GjzzeC8O9qAAAAlx+LCAAA=\x1b[0m",
            );
        }
        let level = if i % 1000 == 0 { "ERROR" } else { "INFO" };
        log.extend_from_slice(format!("{level} step {i} of the build\n").as_bytes());
    }
    log
}

/// Serves `progressiveText` like Jenkins: `start` is a byte offset,
/// `start > size` restarts at 0, LF becomes CRLF on the wire, the body
/// comes in odd-sized chunks so notes and CRLFs straddle chunk boundaries.
fn progressive_text(
    log: Arc<Vec<u8>>,
    more_data: bool,
) -> impl Fn(&Seen, usize) -> Reply + Send + Sync {
    move |seen, _| {
        if !seen.path.ends_with("/logText/progressiveText") {
            return Reply::now(status(404));
        }
        let size = log.len();
        let mut start: usize = seen
            .query
            .get("start")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if start > size {
            start = 0;
        }
        let mut wire = Vec::new();
        for &b in &log[start..] {
            if b == b'\n' {
                wire.push(b'\r');
            }
            wire.push(b);
        }
        let chunks: Vec<Result<Vec<u8>, Infallible>> =
            wire.chunks(777).map(|c| Ok(c.to_vec())).collect();
        let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
        let headers = response.headers_mut();
        headers.insert(
            "content-type",
            HeaderValue::from_static("text/plain;charset=UTF-8"),
        );
        headers.insert("x-text-size", HeaderValue::from(size as u64));
        if more_data {
            headers.insert("x-more-data", HeaderValue::from_static("true"));
        }
        Reply::now(response)
    }
}

#[tokio::test]
async fn log_tail_reads_only_the_end() {
    let log = Arc::new(raw_log(20_000));
    let size = log.len() as u64;
    let fake = FakeJenkins::start(progressive_text(Arc::clone(&log), false)).await;
    let client = client_for(connection(fake.url("/jenkins")));

    let tail = client
        .log_tail("folder/my job", 7, 1_000, &QueryBudget::unlimited())
        .await
        .expect("tail");
    assert!(tail.text.len() <= 1_000);
    assert!(tail.text.len() > 500, "{}", tail.text.len());
    assert!(
        tail.text.ends_with("INFO step 20000 of the build\n")
            || tail.text.ends_with("ERROR step 20000 of the build\n")
    );
    assert!(
        tail.text.starts_with("INFO step ") || tail.text.starts_with("ERROR step "),
        "whole first line: {:?}",
        &tail.text[..40]
    );
    assert!(!tail.text.contains('\x1b') && !tail.text.contains('\r'));
    assert_eq!(tail.total_bytes, size);
    assert!(tail.truncated);
    assert!(!tail.more_data);

    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, Method::HEAD);
    assert_eq!(
        seen[0].path,
        "/jenkins/job/folder/job/my%20job/7/logText/progressiveText"
    );
    assert_eq!(seen[1].method, Method::GET);
    let start: u64 = seen[1].query["start"].parse().expect("start");
    assert!(start <= size, "never beyond the size");
    assert_eq!(start, size - 2_000 - 1, "reads a small window at the end");

    // A finished log is immutable: no new request.
    client
        .log_tail("folder/my job", 7, 1_000, &QueryBudget::unlimited())
        .await
        .expect("tail");
    assert_eq!(fake.seen().len(), 2);
}

#[tokio::test]
async fn log_tail_of_a_short_running_log_is_the_whole_log() {
    let log = Arc::new(raw_log(10));
    let fake = FakeJenkins::start(progressive_text(Arc::clone(&log), true)).await;
    let client = client_for(connection(fake.url("")));
    let tail = client
        .log_tail("x", 1, 64 * 1024, &QueryBudget::unlimited())
        .await
        .expect("tail");
    assert_eq!(tail.text, decode_console(&log));
    assert!(!tail.truncated);
    assert!(tail.more_data);
    assert_eq!(fake.seen()[1].query["start"], "0");
    // Running: volatile, so it is fetched again after the volatile TTL.
    tokio::time::sleep(Duration::from_millis(120)).await;
    client
        .log_tail("x", 1, 64 * 1024, &QueryBudget::unlimited())
        .await
        .expect("tail");
    assert_eq!(fake.seen().len(), 4);
}

#[tokio::test]
async fn log_grep_streams_with_context() {
    let log = Arc::new(raw_log(20_000));
    let fake = FakeJenkins::start(progressive_text(Arc::clone(&log), false)).await;
    let client = client_for(connection(fake.url("")));

    let grep = client
        .log_grep(
            "x",
            3,
            &LogSearch {
                pattern: "ERROR".into(),
                context: 2,
                max_matches: 100,
                from_end: false,
            },
            &QueryBudget::unlimited(),
        )
        .await
        .expect("grep");
    let numbers: Vec<u64> = grep.matches.iter().map(|m| m.line_number).collect();
    assert_eq!(numbers, (1..=20).map(|k| k * 1000).collect::<Vec<_>>());
    let first = &grep.matches[0];
    assert_eq!(first.line, "ERROR step 1000 of the build");
    assert_eq!(
        first.before,
        vec!["INFO step 998 of the build", "INFO step 999 of the build"]
    );
    assert_eq!(
        first.after,
        vec!["INFO step 1001 of the build", "INFO step 1002 of the build"]
    );
    assert_eq!(
        grep.matches[19].after.len(),
        0,
        "nothing after the last line"
    );
    assert_eq!(grep.lines_scanned, 20_000);
    assert!(!grep.limit_reached);
    assert_eq!(grep.total_bytes, log.len() as u64);
    assert!(grep.matches.iter().all(|m| !m.line.contains('\x1b')));

    // Stops reading once enough matches are found.
    let grep = client
        .log_grep(
            "x",
            3,
            &LogSearch {
                pattern: "step 1".into(),
                context: 0,
                max_matches: 3,
                from_end: false,
            },
            &QueryBudget::unlimited(),
        )
        .await
        .expect("grep");
    let numbers: Vec<u64> = grep.matches.iter().map(|m| m.line_number).collect();
    assert_eq!(numbers, vec![1, 10, 11]);
    assert!(grep.limit_reached);
    assert!(grep.lines_scanned < 1_000, "{}", grep.lines_scanned);

    let e = client
        .log_grep(
            "x",
            3,
            &LogSearch {
                pattern: "".into(),
                context: 0,
                max_matches: 3,
                from_end: false,
            },
            &QueryBudget::unlimited(),
        )
        .await
        .expect_err("empty pattern");
    assert_eq!(e.code(), "BAD_REQUEST");
}
