//! A `majordomo serve` process for the tests that signal it or limit it: started with a
//! config written to a temporary directory, its address read from its first line, its
//! logs kept in a file, killed if a test ends without stopping it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A `majordomo serve` process; killed if a test ends without stopping it.
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    logs: PathBuf,
}

impl Served {
    /// Start `majordomo serve` with this config (its `listen` must be `127.0.0.1:0`) and
    /// wait until it prints its address.
    pub async fn start(name: &str, config: &str) -> Served {
        Served::start_with(name, config, None).await
    }

    /// [`Served::start`] with the process's descriptor limit (soft and hard) set to
    /// `nofile`, when given.
    pub async fn start_with(name: &str, config: &str, nofile: Option<u64>) -> Served {
        let dir =
            std::env::temp_dir().join(format!("majordomo-served-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("majordomo.toml");
        std::fs::write(&path, config).expect("write config");
        let logs = dir.join("stderr.log");
        let bin = env!("CARGO_BIN_EXE_majordomo");
        let mut command = match nofile {
            None => Command::new(bin),
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(bin);
                sh
            }
        };
        let mut child = command
            .args(["serve", "--config"])
            .arg(&path)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&logs).expect("log file"))
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let first = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("join")
        .expect("the gateway prints its address");
        let url = first.split_whitespace().last().unwrap_or_default();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/graphql")
            .parse()
            .unwrap_or_else(|_| panic!("no address in {first:?}"));
        Served { child, addr, logs }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Send it SIGTERM.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM delivered");
    }

    /// The exit status, once the process has exited within `limit`.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        None
    }

    /// What it logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
