//! `majordomo demo`: simulated controllers (jenkins-sim's demo worlds) plus the gateway,
//! with no configuration file. The only place the gateway's library uses the simulator.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use jenkins_sim::{Faults, LiveConfig, SimBuilder, SimHandle, World};

use crate::config::{Config, ConnectionConfig};

/// The controllers of the demo: name, world variant, and whether its token was revoked
/// (the others are live: builds start, run and finish).
const CONTROLLERS: [(&str, usize, bool); 3] = [
    ("ci-prod", 0, false),
    ("ci-staging", 1, false),
    ("ci-legacy", 2, true),
];

/// Running demo controllers and the config that points the gateway at them.
pub struct Demo {
    /// The simulated controllers (dropping them stops them).
    pub controllers: Vec<(String, SimHandle)>,
    /// A gateway config with one connection per controller.
    pub config: Config,
}

fn random_token() -> String {
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(std::process::id().into());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Start the demo controllers on loopback. `ci-legacy` has had its token revoked, so the
/// demo always shows how a failing controller looks next to healthy ones.
pub async fn start(seed: u64) -> std::io::Result<Demo> {
    start_with(seed, true).await
}

/// Start the demo controllers; with `live` off the worlds stand still (for tests).
pub async fn start_with(seed: u64, live_worlds: bool) -> std::io::Result<Demo> {
    let mut controllers = Vec::new();
    let mut connections = Vec::new();
    for (name, variant, revoked) in CONTROLLERS {
        let token = random_token();
        let mut b = SimBuilder::new(World::demo(seed, variant))
            .seed(seed + variant as u64)
            .token("admin", &token);
        if revoked {
            b = b.faults(Faults {
                reject_credentials: true,
                ..Faults::default()
            });
        } else if live_worlds {
            b = b.live(LiveConfig {
                trigger_every: Duration::from_secs(4),
                build_duration: Duration::from_secs(30),
                ..LiveConfig::default()
            });
        }
        let sim = b.start().await?;
        connections.push(ConnectionConfig::new(name, sim.url()).with_credentials("admin", token));
        controllers.push((name.to_string(), sim));
    }
    Ok(Demo {
        controllers,
        config: Config::with_connections(connections),
    })
}
