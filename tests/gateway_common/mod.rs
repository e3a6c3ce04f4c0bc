//! Shared helpers of the gateway integration tests: start jenkins-sim controllers and a
//! gateway on loopback, POST GraphQL over HTTP, and pick errors out of responses.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Duration;

use jenkins_sim::{SimBuilder, SimHandle, World};
use majordomo::config::{Config, ConnectionConfig};
use majordomo::gateway::GatewayState;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The Jenkins user the gateway authenticates as.
pub const USER: &str = "admin";

/// A recognisable API token: no response and no error message may ever contain it.
pub const TOKEN: &str = "s3cr3t-token-value";

/// A simulated controller serving the recorded world, with [`USER`] holding [`TOKEN`].
pub async fn recorded_sim() -> SimHandle {
    recorded_builder().start().await.expect("start jenkins-sim")
}

/// The builder of [`recorded_sim`], for tests that tweak it (faults, no wfapi) first.
pub fn recorded_builder() -> SimBuilder {
    SimBuilder::new(World::recorded()).token(USER, TOKEN)
}

/// A connection to `sim` as [`USER`] with [`TOKEN`].
pub fn connection(name: &str, sim: &SimHandle) -> ConnectionConfig {
    ConnectionConfig::new(name, sim.url()).with_credentials(USER, TOKEN)
}

/// A URL on loopback where nothing listens (a port bound, then released).
pub async fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

/// A gateway served on `127.0.0.1:0` by [`majordomo::server::run`].
pub struct Gateway {
    /// `http://127.0.0.1:PORT/graphql`.
    pub endpoint: String,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Gateway {
    /// Serve a gateway over these connections (in this order).
    pub async fn start(connections: Vec<ConnectionConfig>) -> Gateway {
        Gateway::start_config(Config {
            connections,
            ..Config::default()
        })
        .await
    }

    /// Serve a gateway with this whole configuration (its `listen` is ignored).
    pub async fn start_config(config: Config) -> Gateway {
        let state = GatewayState::new(config).expect("gateway state");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let addr = listener.local_addr().expect("gateway addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(majordomo::server::run(listener, state, async {
            let _ = rx.await;
        }));
        Gateway {
            endpoint: format!("http://{addr}/graphql"),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// POST a raw JSON body to `/graphql`: the HTTP status and the body as JSON.
    pub async fn post(&self, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(&self.endpoint)
            .json(&body)
            .send()
            .await
            .expect("POST /graphql");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("response body");
        assert_no_secret(&text);
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"));
        (status, value)
    }

    /// POST any bytes to `/graphql` with this content type: the HTTP status and the body as text.
    pub async fn post_raw(&self, body: &str, content_type: &str) -> (u16, String) {
        let resp = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("POST /graphql");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("response body");
        assert_no_secret(&text);
        (status, text)
    }

    /// Send `method` to `path` (e.g. `/graphql`, `/metrics?x`) with these headers and body:
    /// the HTTP status, the response headers and the body as text.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let url = self.endpoint.replace("/graphql", path);
        let mut request = self.http.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let resp = request.send().await.expect("request to the gateway");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("response body");
        assert_no_secret(&text);
        (status, headers, text)
    }

    /// POST a JSON body to `/graphql` with these headers (`Content-Type: application/json`
    /// is added): the HTTP status, the response headers and the body as JSON.
    pub async fn post_with_headers(
        &self,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        let (status, headers, text) = self
            .send(
                reqwest::Method::POST,
                "/graphql",
                &all,
                Some(body.to_string()),
            )
            .await;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"));
        (status, headers, value)
    }

    /// GET a path of the gateway (e.g. `/metrics`): the HTTP status and the body as text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let url = self.endpoint.replace("/graphql", path);
        let resp = self.http.get(url).send().await.expect("GET");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("response body");
        assert_no_secret(&text);
        (status, text)
    }

    /// Run a query with variables; asserts HTTP 200 and returns the whole response.
    pub async fn query_vars(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(status, 200, "HTTP status of {query}: {body}");
        body
    }

    /// Run a query; asserts HTTP 200 and returns the whole response (`data` and `errors`).
    pub async fn query(&self, query: &str) -> Value {
        self.query_vars(query, json!({})).await
    }

    /// Run a query that must answer without any error; returns `data`.
    pub async fn data(&self, query: &str) -> Value {
        let body = self.query(query).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors for {query}: {body:#}"
        );
        body["data"].clone()
    }

    /// Stop serving and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("gateway task").expect("gateway server");
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // A failed assertion skips `stop`; do not leave the server running.
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Panic if `text` contains the token.
pub fn assert_no_secret(text: &str) {
    assert!(
        !text.contains(TOKEN),
        "the token leaked into a response: {text}"
    );
}

/// The `errors` of a response (empty when there are none).
pub fn errors(body: &Value) -> Vec<Value> {
    body.get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The errors whose `extensions.code` is `code`.
pub fn errors_with_code(body: &Value, code: &str) -> Vec<Value> {
    errors(body)
        .into_iter()
        .filter(|e| e["extensions"]["code"] == code)
        .collect()
}

/// The one-and-only error at `path` (e.g. `["job", "lastBuild", "stages"]`).
pub fn error_at(body: &Value, path: &[Value]) -> Value {
    let found: Vec<Value> = errors(body)
        .into_iter()
        .filter(|e| e["path"].as_array().map(Vec::as_slice) == Some(path))
        .collect();
    assert_eq!(found.len(), 1, "expected one error at {path:?}: {body:#}");
    found.into_iter().next().unwrap_or_default()
}

/// The names (field `key`) of a list of objects, in order.
pub fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| {
            v[key]
                .as_str()
                .unwrap_or_else(|| panic!("no string {key} in {v}"))
                .to_string()
        })
        .collect()
}

/// Two controllers serving the recorded world (`alpha`, then `beta`) behind one gateway.
pub struct TwoControllers {
    /// The first connection, `alpha`.
    pub alpha: SimHandle,
    /// The second connection, `beta`.
    pub beta: SimHandle,
    /// The gateway over both.
    pub gateway: Gateway,
}

impl TwoControllers {
    /// Start both controllers and the gateway.
    pub async fn start() -> TwoControllers {
        let alpha = recorded_sim().await;
        let beta = recorded_sim().await;
        let gateway =
            Gateway::start(vec![connection("alpha", &alpha), connection("beta", &beta)]).await;
        TwoControllers {
            alpha,
            beta,
            gateway,
        }
    }

    /// Stop the gateway, then both controllers.
    pub async fn stop(self) {
        self.gateway.stop().await;
        self.alpha.shutdown().await;
        self.beta.shutdown().await;
    }
}

/// The demo's simulated controllers, standing still, and a fresh gateway (cold cache)
/// over them.
pub struct DemoFleet {
    /// The controllers and the config pointing at them.
    pub demo: majordomo::demo::Demo,
    /// The gateway.
    pub gateway: Gateway,
}

impl DemoFleet {
    /// Start the demo controllers (seed 42, not live) and a gateway.
    pub async fn start() -> DemoFleet {
        DemoFleet::start_with(|_| {}).await
    }

    /// Start them with a gateway whose configuration `tweak` adjusts.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> DemoFleet {
        let demo = majordomo::demo::start_with(42, false)
            .await
            .expect("demo controllers start");
        let mut config = demo.config.clone();
        tweak(&mut config);
        let gateway = Gateway::start_config(config).await;
        DemoFleet { demo, gateway }
    }

    /// Forget the requests every controller has logged.
    pub fn reset_counts(&self) {
        for (_, sim) in &self.demo.controllers {
            sim.reset_requests();
        }
    }

    /// Upstream requests per controller since the last reset (`METHOD path?query`).
    pub fn counts(&self) -> std::collections::HashMap<String, Vec<String>> {
        self.demo
            .controllers
            .iter()
            .map(|(name, sim)| {
                let reqs = sim
                    .requests()
                    .into_iter()
                    .map(|r| match r.query {
                        Some(q) => format!("{} {}?{}", r.method, r.path, q),
                        None => format!("{} {}", r.method, r.path),
                    })
                    .collect();
                (name.clone(), reqs)
            })
            .collect()
    }

    /// Read the world a controller serves.
    pub fn world<T>(&self, connection: &str, f: impl FnOnce(&World) -> T) -> T {
        let (_, sim) = self
            .demo
            .controllers
            .iter()
            .find(|(n, _)| n == connection)
            .unwrap_or_else(|| panic!("no controller {connection}"));
        sim.with_world(|w| f(w))
    }
}

/// What the process logs, captured from the first call to [`captured_logs`] on.
#[derive(Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything logged so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The logs of this test binary at DEBUG and above (a global subscriber, installed once).
pub fn captured_logs() -> LogBuffer {
    static LOGS: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    })
    .clone()
}

/// SHA-256 of `text` in lowercase hex, as `sha256sum` prints it.
pub fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
