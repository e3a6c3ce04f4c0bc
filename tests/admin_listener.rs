//! `admin_listen`: `/metrics`, `/readyz` and `/healthz` on an address of their own, and
//! the API listener keeping only `/healthz` of them.

use std::time::Duration;

use majordomo::config::{Config, ConnectionConfig};
use majordomo::gateway::GatewayState;
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_move_to_their_own_listener() {
    let api = TcpListener::bind("127.0.0.1:0").await.expect("bind api");
    let admin = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
    let (api_addr, admin_addr) = (
        api.local_addr().expect("addr"),
        admin.local_addr().expect("addr"),
    );
    let mut config =
        Config::with_connections(vec![ConnectionConfig::new("ci", "http://127.0.0.1:9/")]);
    config.admin_listen = Some(admin_addr);
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
    let status = |addr: std::net::SocketAddr, path: &'static str| {
        let http = http.clone();
        async move {
            let r = http
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .expect("GET");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    let (code, metrics) = status(admin_addr, "/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("majordomo_upstream_circuit_state{"),
        "{metrics}"
    );
    let (code, ready) = status(admin_addr, "/readyz").await;
    assert_eq!(code, 200, "{ready}");
    let ready: serde_json::Value = serde_json::from_str(&ready).expect("json");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["connections"][0]["name"], "ci");
    assert_eq!(status(admin_addr, "/healthz").await.0, 200);
    assert_eq!(status(api_addr, "/healthz").await.0, 200);
    assert_eq!(status(api_addr, "/metrics").await.0, 404);
    assert_eq!(status(api_addr, "/readyz").await.0, 404);
    assert_eq!(status(admin_addr, "/graphql").await.0, 404);
    let _ = stop.send(());
    server.await.expect("join").expect("served");
}
