//! What the command line prints: connection tables and connection checks.

use std::process::ExitCode;

use crate::config::Config;
use crate::gateway::GatewayState;
use crate::jenkins::JenkinsError;

/// The table `majordomo connections list` prints: id, name, url, user, status.
pub async fn list_connections(config: Config) -> Result<String, String> {
    let checks = check(config.clone(), None).await?;
    let mut rows = vec![[
        "ID".to_string(),
        "NAME".into(),
        "URL".into(),
        "USER".into(),
        "STATUS".into(),
    ]];
    for (i, (c, r)) in config.connections.iter().zip(&checks).enumerate() {
        rows.push([
            (i + 1).to_string(),
            c.name.clone(),
            c.url.clone(),
            c.username.clone().unwrap_or_else(|| "(anonymous)".into()),
            r.status.clone(),
        ]);
    }
    Ok(table(&rows))
}

fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Outcome of checking one connection.
pub struct CheckResult {
    /// Connection name.
    pub name: String,
    /// `ONLINE` or an error code.
    pub status: String,
    /// Version, user, or the hint.
    pub detail: String,
}

/// Check connections with `api/json?tree=jobs[name]` and `whoAmI`.
pub async fn check(config: Config, only: Option<&str>) -> Result<Vec<CheckResult>, String> {
    if let Some(name) = only {
        if config.connection(name).is_none() {
            return Err(format!("no connection is named {name:?}"));
        }
    }
    let gateway = GatewayState::new(config).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for up in gateway
        .upstreams()
        .iter()
        .filter(|u| only.is_none_or(|n| n == &*u.name))
    {
        let probe: Result<(String, Option<String>), JenkinsError> = async {
            up.client.root(&crate::planner::probe_tree()).await?;
            let who = up.client.whoami().await?;
            let version = up.client.version().await?;
            Ok((who.name.clone().unwrap_or_default(), version))
        }
        .await;
        out.push(match probe {
            Ok((user, version)) => CheckResult {
                name: up.name.to_string(),
                status: "ONLINE".into(),
                detail: format!(
                    "Jenkins {} as {user}",
                    version.unwrap_or_else(|| "(version hidden)".into())
                ),
            },
            Err(e) => CheckResult {
                name: up.name.to_string(),
                status: e.code().into(),
                detail: format!("{e}; hint: {}", e.hint()),
            },
        });
    }
    Ok(out)
}

/// `majordomo connections test`: print a table; non-zero exit when any fails.
pub async fn test_connections(config: Config, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let results = check(config, only).await.map_err(|e| anyhow::anyhow!(e))?;
    let mut rows = vec![["NAME".to_string(), "STATUS".into(), "DETAIL".into()]];
    rows.extend(
        results
            .iter()
            .map(|r| [r.name.clone(), r.status.clone(), r.detail.clone()]),
    );
    print!("{}", table(&rows));
    Ok(if results.iter().all(|r| r.status == "ONLINE") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Try to open a URL in the user's browser; say so when there is none.
pub fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let opened = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok();
    if !opened {
        println!("open {url} in a browser");
    }
}
