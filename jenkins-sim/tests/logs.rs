//! Console logs over HTTP: tailing a 128 MiB log through `progressiveText`, the edge
//! cases of `start`, `X-More-Data`, and streaming `consoleText` with bounded memory.

use futures::StreamExt;
use jenkins_sim::{SimHandle, World};

mod common;
use common::{client, get};

async fn start() -> SimHandle {
    common::start(World::demo(3, 0)).await
}

const BIG_LOG: &str = "job/platform/job/api-server/lastFailedBuild/";
const RUNNING: &str = "job/data/job/etl/job/nightly-etl/lastBuild/";
const MIB: u64 = 1024 * 1024;

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

fn text_size(resp: &reqwest::Response) -> u64 {
    header(resp, "x-text-size")
        .expect("X-Text-Size is sent")
        .parse()
        .unwrap()
}

/// Resident set size of this process, bytes (the simulator runs in it too).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[tokio::test]
async fn the_tail_of_a_huge_log_is_one_small_request() {
    let sim = start().await;
    // The size first, without a body: HEAD.
    let head = client()
        .head(format!(
            "{}{BIG_LOG}logText/progressiveText?start=0",
            sim.url()
        ))
        .basic_auth("admin", Some("t"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let size = text_size(&head);
    assert!(size >= 100 * MIB, "the log is {size} bytes");

    let start = size - 64 * 1024;
    let resp = get(
        &sim,
        &format!("{BIG_LOG}logText/progressiveText?start={start}"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(text_size(&resp), size, "X-Text-Size is the next offset");
    assert_eq!(
        header(&resp, "x-more-data"),
        None,
        "a finished build has no more data"
    );
    let body = resp.bytes().await.unwrap();
    // 64 KiB of raw log, each LF turned into CRLF.
    let lines = body.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(body.len() as u64, 64 * 1024 + lines);
    assert!(body.ends_with(b"Finished: FAILURE\r\n"));
    assert!(
        !body.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
        "every line ends in CRLF"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn start_beyond_the_end_reads_from_the_beginning_and_negative_start_fails() {
    let sim = start().await;
    let small = "job/platform/job/api-server/1/";
    let whole = get(&sim, &format!("{small}logText/progressiveText?start=0")).await;
    let size = text_size(&whole);
    let whole = whole.bytes().await.unwrap();
    assert!(size > 0 && size < MIB, "a small log: {size} bytes");

    let beyond = get(
        &sim,
        &format!("{small}logText/progressiveText?start={}", size + 1000),
    )
    .await;
    assert_eq!(beyond.status(), 200);
    assert_eq!(text_size(&beyond), size);
    assert_eq!(
        beyond.bytes().await.unwrap(),
        whole,
        "a start past the end returns the whole log"
    );

    let at_end = get(
        &sim,
        &format!("{small}logText/progressiveText?start={size}"),
    )
    .await;
    assert_eq!(text_size(&at_end), size);
    assert!(at_end.bytes().await.unwrap().is_empty());

    let negative = get(&sim, &format!("{small}logText/progressiveText?start=-1")).await;
    assert_eq!(negative.status(), 500);
    sim.shutdown().await;
}

#[tokio::test]
async fn more_data_is_flagged_only_while_the_build_runs() {
    let sim = start().await;
    let running = get(&sim, &format!("{RUNNING}logText/progressiveText?start=0")).await;
    assert_eq!(running.status(), 200);
    assert_eq!(header(&running, "x-more-data").as_deref(), Some("true"));
    let size = text_size(&running);
    let body = running.bytes().await.unwrap();
    assert!(!body.is_empty() && !body.ends_with(b"Finished: SUCCESS\r\n"));

    // Asking again from the returned offset gives nothing new (the world is not live).
    let next = get(
        &sim,
        &format!("{RUNNING}logText/progressiveText?start={size}"),
    )
    .await;
    assert_eq!(header(&next, "x-more-data").as_deref(), Some("true"));
    assert!(next.bytes().await.unwrap().is_empty());

    let done = get(&sim, &format!("{BIG_LOG}logText/progressiveText?start=0")).await;
    assert_eq!(header(&done, "x-more-data"), None);
    drop(done);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_a_huge_console_text_keeps_memory_bounded() {
    let sim = start().await;
    let head = client()
        .head(format!("{}{BIG_LOG}logText/progressiveText", sim.url()))
        .basic_auth("admin", Some("t"))
        .send()
        .await
        .unwrap();
    let size = text_size(&head);
    let before = rss();
    let resp = get(&sim, &format!("{BIG_LOG}consoleText")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("text/plain;charset=UTF-8")
    );
    let mut stream = resp.bytes_stream();
    let mut total = 0u64;
    let mut peak = before;
    let mut chunks = 0u64;
    let mut tail = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("the body streams without error");
        assert!(!chunk.contains(&b'\r'), "consoleText keeps LF line ends");
        total += chunk.len() as u64;
        chunks += 1;
        if chunks.is_multiple_of(256) {
            peak = peak.max(rss());
        }
        tail.extend_from_slice(&chunk);
        tail.drain(..tail.len().saturating_sub(64));
    }
    peak = peak.max(rss());
    assert_eq!(total, size, "consoleText is the whole log");
    assert!(tail.ends_with(b"Finished: FAILURE\n"));
    let grown = peak.saturating_sub(before);
    eprintln!("streamed {total} bytes in {chunks} chunks; RSS {before} -> peak {peak} (+{grown})");
    assert!(
        grown < 64 * MIB,
        "RSS grew by {grown} bytes while streaming {total}"
    );
    sim.shutdown().await;
}
