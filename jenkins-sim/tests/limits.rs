//! Request head limits: heads over the limit are refused as Jetty (414 or 431) or Tomcat
//! (400) refuse them, are logged with their status, and close the connection; heads of
//! 8 to 100 KiB reach the check (hyper alone would refuse some of them unlogged).

use std::time::Duration;

use jenkins_sim::server::Container;
use jenkins_sim::{RequestRecord, SimBuilder, SimHandle, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The admin token of these simulators.
const TOKEN: &str = "t";

async fn start(builder: SimBuilder) -> SimHandle {
    builder
        .token("admin", TOKEN)
        .start()
        .await
        .expect("the simulator starts")
}

fn recorded() -> SimBuilder {
    SimBuilder::new(World::recorded())
}

/// `admin:t`, Basic-encoded.
const AUTH: &str = "Authorization: Basic YWRtaW46dA==\r\n";

/// A GET head of exactly `total` bytes: its target padded by a `tree=` query, or (with
/// `in_header`) a short target and an `X-Pad` header taking the rest.
fn head(total: usize, in_header: bool) -> String {
    let fixed =
        |target: &str, pad: &str| format!("GET {target} HTTP/1.1\r\nHost: sim\r\n{AUTH}{pad}\r\n");
    if in_header {
        let base = fixed("/api/json", "X-Pad: \r\n").len();
        fixed(
            "/api/json",
            &format!("X-Pad: {}\r\n", "a".repeat(total - base)),
        )
    } else {
        let base = fixed("/api/json?tree=jobs[name]&pad=", "").len();
        let target = format!("/api/json?tree=jobs[name]&pad={}", "a".repeat(total - base));
        fixed(&target, "")
    }
}

/// Send raw bytes on a fresh connection; read the answers until the server closes it
/// (or a second passes in silence).
async fn exchange(sim: &SimHandle, bytes: &[u8]) -> String {
    let mut conn = TcpStream::connect(sim.addr()).await.expect("connect");
    conn.write_all(bytes).await.expect("send");
    let mut out = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match tokio::time::timeout(Duration::from_secs(1), conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn statuses(answer: &str) -> Vec<u16> {
    answer
        .split("HTTP/1.1 ")
        .skip(1)
        .filter_map(|s| s.get(..3)?.parse().ok())
        .collect()
}

fn logged(sim: &SimHandle) -> Vec<(String, usize, u16)> {
    sim.requests()
        .into_iter()
        .map(
            |RequestRecord {
                 method,
                 path,
                 query,
                 status,
             }| {
                let len = path.len() + query.map_or(0, |q| q.len() + 1);
                (method, len, status)
            },
        )
        .collect()
}

/// The length of a head's request target.
fn target_len(head: &str) -> usize {
    head.split(' ').nth(1).map_or(0, str::len)
}

#[tokio::test]
async fn jetty_takes_a_head_of_8192_bytes_and_refuses_one_more() {
    let sim = start(recorded()).await;
    for in_header in [false, true] {
        let answer = exchange(&sim, head(8192, in_header).as_bytes()).await;
        assert_eq!(statuses(&answer), [200], "{in_header}: {answer:.200}");
        // One more byte: Jetty is past the target (in the version or the headers).
        let answer = exchange(&sim, head(8193, in_header).as_bytes()).await;
        assert_eq!(statuses(&answer), [431], "{answer}");
        assert!(answer.contains(
            "<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"
        ));
        assert!(answer.to_lowercase().contains("connection: close"));
    }
    // A target that alone passes the limit: Jetty is still reading it.
    let long = head(8192 + 100, false);
    let answer = exchange(&sim, long.as_bytes()).await;
    assert_eq!(statuses(&answer), [414], "{answer}");
    assert!(answer.contains("<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"));
    let log = logged(&sim);
    let statuses: Vec<u16> = log.iter().map(|l| l.2).collect();
    assert_eq!(statuses, [200, 431, 200, 431, 414], "{log:?}");
    assert_eq!(log[4], ("GET".to_string(), target_len(&long), 414));
}

#[tokio::test]
async fn heads_of_8_to_100_kib_are_refused_and_logged_whole() {
    let sim = start(recorded()).await;
    for kib in [8, 16, 63, 64, 65, 100] {
        for in_header in [false, true] {
            sim.reset_requests();
            let bytes = head(kib * 1024 + 100, in_header);
            let answer = exchange(&sim, bytes.as_bytes()).await;
            let want = if in_header { 431 } else { 414 };
            assert_eq!(statuses(&answer), [want], "{kib} KiB, header {in_header}");
            let log = logged(&sim);
            assert_eq!(log.len(), 1, "{kib} KiB: {log:?}");
            assert_eq!(log[0], ("GET".to_string(), target_len(&bytes), want));
        }
    }
}

#[tokio::test]
async fn tomcat_answers_400_for_any_over_long_head() {
    let sim = start(recorded().container(Container::Tomcat)).await;
    for in_header in [false, true] {
        let answer = exchange(&sim, head(9000, in_header).as_bytes()).await;
        assert_eq!(statuses(&answer), [400], "{answer}");
        assert!(answer.contains("HTTP Status 400 – Bad Request"));
        assert!(answer.contains("Request header is too large"));
    }
    assert_eq!(
        logged(&sim).iter().map(|l| l.2).collect::<Vec<_>>(),
        [400, 400]
    );
}

#[tokio::test]
async fn the_limit_is_configurable_and_can_be_lifted() {
    let small = start(recorded().request_header_size(1024)).await;
    let answer = exchange(&small, head(1025, true).as_bytes()).await;
    assert_eq!(statuses(&answer), [431]);
    let answer = exchange(&small, head(1024, true).as_bytes()).await;
    assert_eq!(statuses(&answer), [200]);

    let open = start(recorded().no_request_header_limit()).await;
    let long = head(20_000, false);
    let answer = exchange(&open, long.as_bytes()).await;
    assert_eq!(statuses(&answer), [200], "{answer:.300}");
    assert_eq!(logged(&open), [("GET".to_string(), target_len(&long), 200)]);
}

#[tokio::test]
async fn a_kept_alive_connection_is_checked_request_by_request() {
    let sim = start(recorded()).await;
    // A POST with a body, a good GET, an over-long GET, then one that is never read:
    // Jetty closes the connection after refusing a head.
    let body = "x".repeat(300);
    let post = format!(
        "POST /job/hello-freestyle/build HTTP/1.1\r\nHost: sim\r\n{AUTH}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let good = head(500, false);
    let bad = head(9000, true);
    let never = head(400, false);
    let answer = exchange(&sim, format!("{post}{good}{bad}{never}").as_bytes()).await;
    assert_eq!(statuses(&answer), [201, 200, 431], "{answer:.500}");
    let log: Vec<(String, u16)> = logged(&sim).into_iter().map(|(m, _, s)| (m, s)).collect();
    assert_eq!(
        log,
        [
            ("POST".to_string(), 201),
            ("GET".to_string(), 200),
            ("GET".to_string(), 431)
        ]
    );
}

#[tokio::test]
async fn ordinary_clients_see_the_same() {
    let sim = start(recorded()).await;
    let client = reqwest::Client::new();
    let long = format!("{}api/json?tree={}", sim.url(), "a".repeat(10_000));
    let resp = client
        .get(&long)
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status(), 414);
    let resp = client
        .get(format!("{}api/json", sim.url()))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status(), 200);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [414, 200]);
}

#[tokio::test]
async fn bytes_that_are_not_http_are_left_to_hyper() {
    let sim = start(recorded()).await;
    // The start of a TLS ClientHello, sent to the plain port.
    let t = std::time::Instant::now();
    let answer = exchange(
        &sim,
        &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc],
    )
    .await;
    assert!(t.elapsed() < Duration::from_millis(900), "answered at once");
    assert!(statuses(&answer).iter().all(|s| *s == 400), "{answer}");
    assert!(sim.requests().is_empty());
}
