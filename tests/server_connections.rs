//! The server bounds its connections: idle and silent sockets are closed, a request whose
//! headers never finish is cut, and connections beyond `max_connections` are refused with
//! 503 `OVERLOADED` while the others keep working. Raw sockets on loopback, so the test
//! controls exactly what each connection sends.

mod gateway_common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gateway_common::{connection, recorded_builder, Gateway};
use jenkins_sim::Faults;
use majordomo::config::{Config, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any bound below can take on a loaded machine; a socket still open then
/// was never going to be closed.
const NEVER: Duration = Duration::from_secs(15);

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: majordomo\r\n\r\n";

fn server(f: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    let mut server = ServerConfig::default();
    f(&mut server);
    server
}

async fn start(server: ServerConfig) -> (Gateway, SocketAddr) {
    let gateway = Gateway::start_config(Config {
        server,
        ..Config::default()
    })
    .await;
    let addr = addr_of(&gateway);
    (gateway, addr)
}

fn addr_of(gateway: &Gateway) -> SocketAddr {
    gateway
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches("/graphql")
        .parse()
        .expect("gateway address")
}

/// Read until the server closes the connection (or [`NEVER`]): what it sent, and how long
/// after `since` it closed, if it did.
async fn read_until_closed(stream: &mut TcpStream, since: Instant) -> (String, Option<Duration>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = since + NEVER;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into(),
                    Some(since.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Send `GET /healthz` on a kept-alive connection and read its answer: up to `ok`, or all
/// the server sent before closing.
async fn healthz(stream: &mut TcpStream) -> String {
    let _ = stream.write_all(HEALTHZ).await;
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    while !received.ends_with(b"\r\n\r\nok") {
        let read = tokio::time::timeout(NEVER, stream.read(&mut buf))
            .await
            .expect("an answer to GET /healthz");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&received).into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let (gateway, addr) = start(server(|s| {
        s.idle_timeout_ms = 500;
        s.header_read_timeout_ms = 30_000;
    }))
    .await;

    // A socket that never sends a byte.
    let opened = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let (_, closed) = read_until_closed(&mut silent, opened).await;
    let closed = closed.expect("a silent connection is closed");
    assert!(
        closed >= Duration::from_millis(400),
        "closed early: {closed:?}"
    );

    // A kept-alive connection after its request was answered.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    let answer = healthz(&mut kept).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answered = Instant::now();
    let (rest, closed) = read_until_closed(&mut kept, answered).await;
    assert!(closed.is_some(), "an idle kept-alive connection is closed");
    assert_eq!(rest, "", "nothing more is sent before closing");

    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_query_outlives_the_idle_timeout() {
    let latency = Duration::from_millis(1_500);
    let sim = recorded_builder()
        .faults(Faults {
            latency_ms: latency.as_millis() as u64,
            ..Faults::default()
        })
        .start()
        .await
        .expect("sim");
    let gateway = Gateway::start_config(Config {
        server: server(|s| s.idle_timeout_ms = 300),
        ..Config::with_connections(vec![connection("slow", &sim)])
    })
    .await;
    let started = Instant::now();
    let data = gateway.data("{ connections { name status } }").await;
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    assert_eq!(
        data["connections"],
        serde_json::json!([{ "name": "slow", "status": "ONLINE" }])
    );
    gateway.stop().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_after_the_header_read_timeout() {
    let (gateway, addr) = start(server(|s| {
        s.header_read_timeout_ms = 500;
        s.idle_timeout_ms = 60_000;
    }))
    .await;

    // Headers that stop half-way.
    let sent = Instant::now();
    let mut half = TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: majordomo\r\nContent-")
        .await
        .expect("send");
    let (_, closed) = read_until_closed(&mut half, sent).await;
    let closed = closed.expect("a half-sent request is closed");
    assert!(
        closed >= Duration::from_millis(400),
        "closed early: {closed:?}"
    );

    // Headers that trickle in a byte at a time keep bytes moving, but never finish in time.
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let header = format!(
        "GET /healthz HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(500)
    );
    let mut cut = false;
    for byte in header.as_bytes() {
        if trickle.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        if started.elapsed() > NEVER {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !cut {
        let (answer, closed) = read_until_closed(&mut trickle, started).await;
        assert!(
            !answer.starts_with("HTTP/1.1 200"),
            "a trickled request was served after {:?}",
            started.elapsed()
        );
        assert!(closed.is_some(), "a trickling connection is closed");
    }

    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_connections_a_new_connection_gets_503_overloaded() {
    let (gateway, addr) = start(server(|s| s.max_connections = 2)).await;
    let mut first = TcpStream::connect(addr).await.expect("connect");
    let mut second = TcpStream::connect(addr).await.expect("connect");
    assert!(healthz(&mut first).await.starts_with("HTTP/1.1 200"));
    assert!(healthz(&mut second).await.starts_with("HTTP/1.1 200"));

    let mut third = TcpStream::connect(addr).await.expect("connect");
    let body = r#"{"query":"{ connections { name } }"}"#;
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: majordomo\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    third.write_all(request.as_bytes()).await.expect("send");
    let (answer, closed) = read_until_closed(&mut third, Instant::now()).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nretry-after: "), "{answer}");
    assert!(
        lower.contains("\r\ncontent-type: application/json"),
        "{answer}"
    );
    let json = answer.split("\r\n\r\n").nth(1).expect("a body");
    let json: serde_json::Value = serde_json::from_str(json).expect("a JSON body");
    assert_eq!(
        json["errors"][0]["extensions"]["code"], "OVERLOADED",
        "{json}"
    );
    assert!(closed.is_some(), "the refused connection is closed");

    // The connections within the limit keep working.
    assert!(healthz(&mut first).await.starts_with("HTTP/1.1 200"));
    assert!(healthz(&mut second).await.starts_with("HTTP/1.1 200"));

    // Once one closes, a new connection is served again.
    drop(first);
    let deadline = Instant::now() + NEVER;
    loop {
        let mut next = TcpStream::connect(addr).await.expect("connect");
        let answer = healthz(&mut next).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "never served again: {answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_body_is_answered_408_after_the_idle_timeout() {
    let (gateway, addr) = start(server(|s| {
        s.idle_timeout_ms = 500;
        s.header_read_timeout_ms = 30_000;
    }))
    .await;
    let sent = Instant::now();
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: majordomo\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"query\":",
        )
        .await
        .expect("send");
    let (answer, closed) = read_until_closed(&mut stalled, sent).await;
    let closed = closed.expect("the stalled request ends");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    assert!(
        closed >= Duration::from_millis(400),
        "answered early: {closed:?}"
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_served_and_an_idle_http2_connection_is_closed() {
    use http_body_util::BodyExt;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let (gateway, addr) = start(server(|s| {
        s.idle_timeout_ms = 500;
        s.header_read_timeout_ms = 30_000;
    }))
    .await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    let connection = tokio::spawn(conn);
    let request = hyper::Request::get(format!("http://{addr}/healthz"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    // The server's clock for idleness starts at its last write, after this.
    let sent = Instant::now();
    let response = send.send_request(request).await.expect("response");
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.expect("body");
    assert_eq!(&body.to_bytes()[..], b"ok");

    tokio::time::timeout(NEVER, connection)
        .await
        .expect("an idle HTTP/2 connection is closed")
        .expect("join")
        .ok();
    assert!(
        sent.elapsed() >= Duration::from_millis(500),
        "closed early: {:?}",
        sent.elapsed()
    );
    gateway.stop().await;
}
