//! `majordomo health`, the container's health check: exit 0 only when `/healthz` answers
//! `200 ok`.

mod gateway_common;

use std::process::{Command, Output};

use gateway_common::{dead_url, Gateway};

async fn health(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_majordomo"))
            .arg("health")
            .args(args)
            .env_remove("MAJORDOMO_CONFIG")
            .env_remove("MAJORDOMO_LISTEN")
            .output()
            .expect("majordomo health runs")
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_exits_zero_against_a_running_gateway_and_non_zero_against_a_closed_port() {
    let gateway = Gateway::start(Vec::new()).await;
    let base = gateway.endpoint.trim_end_matches("/graphql").to_string();

    let up = health(vec!["--url".into(), base.clone()]).await;
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&up.stdout),
        String::from_utf8_lossy(&up.stderr)
    );

    // Without --url, the address comes from the configured `listen`.
    let dir = std::env::temp_dir().join(format!("majordomo-health-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("majordomo.toml");
    let listen = base.trim_start_matches("http://");
    std::fs::write(&config, format!("listen = \"{listen}\"\n")).expect("write config");
    let from_config = health(vec!["--config".into(), config.display().to_string()]).await;
    assert_eq!(
        from_config.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&from_config.stderr)
    );

    // A path that is not `/healthz` answering 200 `ok` is not healthy.
    let graphiql = health(vec!["--url".into(), format!("{base}/graphiql/")]).await;
    assert_ne!(graphiql.status.code(), Some(0));

    gateway.stop().await;

    let down = health(vec!["--url".into(), dead_url().await]).await;
    assert_eq!(
        down.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(!String::from_utf8_lossy(&down.stderr).is_empty());
}
