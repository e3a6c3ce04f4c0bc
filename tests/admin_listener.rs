//! `admin_listen`: `/metrics`, `/readyz` and `/healthz` on an address of their own, and
//! the API listener keeping only `/healthz` of them. What guards the admin routes (an
//! admin key) guards them on either listener.

use std::net::SocketAddr;
use std::time::Duration;

use majordomo::config::{ApiKeyConfig, Config, ConnectionConfig};
use majordomo::gateway::GatewayState;
use tokio::net::TcpListener;

const OPS_KEY: &str = "ops-key-0123456789abcdef";
const TEAM_KEY: &str = "team-key-0123456789abcdef";

/// A gateway over one (unreachable) connection serving its API and admin listeners, a
/// client, and what stops it.
struct Served {
    api: SocketAddr,
    admin: SocketAddr,
    http: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    async fn start(keys: Vec<ApiKeyConfig>) -> Self {
        let api = TcpListener::bind("127.0.0.1:0").await.expect("bind api");
        let admin = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
        let (api_addr, admin_addr) = (
            api.local_addr().expect("addr"),
            admin.local_addr().expect("addr"),
        );
        let mut config =
            Config::with_connections(vec![ConnectionConfig::new("ci", "http://127.0.0.1:9/")]);
        config.admin_listen = Some(admin_addr);
        config.auth.keys = keys;
        config.validate().expect("valid config");
        let gateway = GatewayState::new(config).expect("gateway");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(majordomo::server::serve(api, Some(admin), gateway, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Served {
            api: api_addr,
            admin: admin_addr,
            http,
            stop,
            server,
        }
    }

    /// Status and body of a GET of `path` on `addr`, with `key` as a bearer token.
    async fn get(&self, addr: SocketAddr, path: &str, key: Option<&str>) -> (u16, String) {
        let mut request = self.http.get(format!("http://{addr}{path}"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let r = request.send().await.expect("GET");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("join").expect("served");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_move_to_their_own_listener() {
    let s = Served::start(Vec::new()).await;
    let (code, metrics) = s.get(s.admin, "/metrics", None).await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("majordomo_upstream_circuit_state{"),
        "{metrics}"
    );
    let (code, ready) = s.get(s.admin, "/readyz", None).await;
    assert_eq!(code, 200, "{ready}");
    let ready: serde_json::Value = serde_json::from_str(&ready).expect("json");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["connections"][0]["name"], "ci");
    assert_eq!(s.get(s.admin, "/healthz", None).await.0, 200);
    assert_eq!(s.get(s.api, "/healthz", None).await.0, 200);
    assert_eq!(s.get(s.api, "/metrics", None).await.0, 404);
    assert_eq!(s.get(s.api, "/readyz", None).await.0, 404);
    assert_eq!(s.get(s.admin, "/graphql", None).await.0, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_listener_still_needs_an_admin_key() {
    let s = Served::start(vec![
        ApiKeyConfig::new("ops", OPS_KEY).with_admin(true),
        ApiKeyConfig::new("team", TEAM_KEY),
    ])
    .await;
    for path in ["/metrics", "/readyz"] {
        let none = s.get(s.admin, path, None).await.0;
        let not_admin = s.get(s.admin, path, Some(TEAM_KEY)).await.0;
        let admin = s.get(s.admin, path, Some(OPS_KEY)).await.0;
        assert_eq!((none, not_admin, admin), (401, 403, 200), "{path}");
    }
    // Liveness stays open on both, for probes that send no header.
    assert_eq!(s.get(s.admin, "/healthz", None).await.0, 200);
    assert_eq!(s.get(s.api, "/healthz", None).await.0, 200);
    // The refusals above are counted, and what /metrics shows never holds a key.
    let (_, metrics) = s.get(s.admin, "/metrics", Some(OPS_KEY)).await;
    for line in [
        "majordomo_auth_refused_total{reason=\"missing\"} 2",
        "majordomo_auth_refused_total{reason=\"not_admin\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(!metrics.contains(OPS_KEY) && !metrics.contains(TEAM_KEY));
    s.stop().await;
}
