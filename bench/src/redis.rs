//! [`Redis`]: a `redis-server` for the replicas scenario, installed by the project's own
//! `.ci/install-tools redis`, on a free loopback port in a directory of its own, without
//! persistence; killed (its directory removed) when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server.
pub struct Redis {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Redis {
    /// Install redis-server if missing, then start it.
    pub fn start() -> anyhow::Result<Redis> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(root.join(".ci/install-tools"))
            .arg("redis")
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), ".ci/install-tools redis failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!("majordomo-bench-redis-{port}"));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .arg("--dir")
            .arg(&dir)
            .args(["--save", "", "--appendonly", "no"])
            .args(["--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let redis = Redis { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while redis.cli(&["PING"]).as_deref() != Some("PONG") {
            anyhow::ensure!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(redis)
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// One redis-cli command; its trimmed output.
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Remove every key.
    pub fn flush(&self) {
        let _ = self.cli(&["FLUSHALL"]);
    }

    /// Memory Redis uses, MiB (`used_memory`).
    pub fn used_mib(&self) -> f64 {
        self.cli(&["INFO", "memory"])
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(0.0, |b| b / 1024.0 / 1024.0)
    }

    /// Keys stored.
    pub fn keys(&self) -> u64 {
        self.cli(&["DBSIZE"])
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
