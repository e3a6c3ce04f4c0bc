//! A gateway limited to few descriptors keeps serving under a flood of idle sockets: the
//! connections within its budget keep working, a new one is told 503 `OVERLOADED` (it is
//! not left hanging), the process does not spin, and service resumes once the flood goes.

mod served_common;

use std::time::{Duration, Instant};

use served_common::Served;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The process's descriptor limit: with no Jenkins connection the budget keeps 96 of them
/// (64 fixed, 32 for refusals), which leaves 160 client connections.
const NOFILE: u64 = 256;

/// More sockets than the whole descriptor limit.
const FLOOD: usize = 400;

const NEVER: Duration = Duration::from_secs(30);

/// Send `GET /healthz` and read the answer: up to `ok`, or what came before the close.
async fn healthz(stream: &mut TcpStream) -> String {
    let _ = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: majordomo\r\n\r\n")
        .await;
    let mut received = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + NEVER;
    while !received.ends_with(b"\r\n\r\nok") && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
        // A 503's body is JSON; it is complete once the server closes.
    }
    String::from_utf8_lossy(&received).into()
}

/// CPU time (user + system) the process has used, from `/proc/PID/stat`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_sockets_never_stops_the_service() {
    let served = Served::start_with(
        "flood",
        "listen = \"127.0.0.1:0\"\n\n[server]\nheader_read_timeout_ms = 120000\n\
         idle_timeout_ms = 120000\n",
        Some(NOFILE),
    )
    .await;
    let mut kept = TcpStream::connect(served.addr).await.expect("connect");
    assert!(healthz(&mut kept).await.starts_with("HTTP/1.1 200"));

    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        match TcpStream::connect(served.addr).await {
            Ok(s) => flood.push(s),
            Err(e) => panic!("the listener stopped taking connections: {e}"),
        }
    }

    // A client beyond the budget is told so (once a refusal slot is free), not left hanging.
    let started = Instant::now();
    let refused = loop {
        let mut extra = TcpStream::connect(served.addr).await.expect("connect");
        let answer = healthz(&mut extra).await;
        if answer.starts_with("HTTP/1.1 503") {
            break answer;
        }
        assert!(
            started.elapsed() < NEVER,
            "no 503 beyond the budget: {answer:?}\n{}",
            served.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(refused.contains("OVERLOADED"), "{refused}");

    // The connection within the budget keeps working, and the process is not spinning.
    let ticks = cpu_ticks(served.pid());
    tokio::time::sleep(Duration::from_secs(2)).await;
    if let (Some(before), Some(after)) = (ticks, cpu_ticks(served.pid())) {
        // Clock ticks are usually 1/100 s: a spinning accept loop burns about 200 in 2 s.
        assert!(after - before < 100, "{} ticks in 2 s", after - before);
    }
    assert!(healthz(&mut kept).await.starts_with("HTTP/1.1 200"));
    let logs = served.logs();
    assert!(logs.contains("max_connections=160"), "{logs}");
    assert!(!logs.contains("cannot accept connections"), "{logs}");

    // The flood goes; new clients are served again.
    drop(flood);
    let gone = Instant::now();
    loop {
        let mut next = TcpStream::connect(served.addr).await.expect("connect");
        if healthz(&mut next).await.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(gone.elapsed() < NEVER, "never served again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
