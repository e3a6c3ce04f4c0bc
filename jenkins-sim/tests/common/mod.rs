//! What the simulator's HTTP tests share: a client, and GETs as the test admin.

#![allow(dead_code)]

use std::time::Duration;

use jenkins_sim::{SimBuilder, SimHandle, World};
use serde_json::Value;

/// The admin token every test simulator accepts.
pub const TOKEN: &str = "t";

/// Start a simulator on loopback with the test admin's token.
pub async fn start(world: World) -> SimHandle {
    SimBuilder::new(world)
        .token("admin", TOKEN)
        .start()
        .await
        .expect("the simulator starts")
}

/// A client whose requests give up after two minutes (the 128 MiB log takes a while).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("a client builds")
}

/// GET a path (relative to the controller root) as the test admin.
pub async fn get(sim: &SimHandle, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{}", sim.url(), path.trim_start_matches('/')))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .expect("request succeeds")
}

/// GET a path that must answer 200 with JSON.
pub async fn get_json(sim: &SimHandle, path: &str) -> Value {
    let resp = get(sim, path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.expect("body is JSON")
}
