//! `deploy/`: the Kubernetes manifests pass the Kubernetes API's own schemas
//! (kubernetes-validate, strict: no unknown field), the Compose file passes the Compose
//! specification's schema and its lint rules (dclint), and the gateway configurations both
//! carry parse as a gateway configuration. The validators are installed by
//! `.ci/install-tools kubernetes-validate` and `.ci/install-node-tools`.

use std::path::{Path, PathBuf};
use std::process::Command;

use majordomo::config::Config;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs one of the project's install scripts; what it prints on stdout (a directory).
fn install(script: &str, args: &[&str]) -> PathBuf {
    let out = Command::new(root().join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} could not install what this test needs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn run(command: &mut Command) -> (bool, String) {
    let out = command.output().expect("run the validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn manifests() -> Vec<PathBuf> {
    let dir = root().join("deploy/kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn kubernetes_manifests_pass_the_api_schemas() {
    let bin = install(".ci/install-tools", &["kubernetes-validate"]);
    let files = manifests();
    let (ok, report) = run(Command::new(bin.join("kubernetes-validate"))
        .arg("--strict")
        .args(&files));
    assert!(ok, "{report}");
    for kind in [
        "deployment/majordomo",
        "service/majordomo",
        "configmap/",
        "secret/",
    ] {
        assert!(report.contains(kind), "no {kind} validated: {report}");
    }
    // The checker does reject what the API would: an unknown field fails.
    let bad = std::env::temp_dir().join(format!("majordomo-bad-{}.yaml", std::process::id()));
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: 1\n",
    )
    .expect("write");
    let (ok, report) = run(Command::new(bin.join("kubernetes-validate"))
        .arg("--strict")
        .arg(&bad));
    let _ = std::fs::remove_file(&bad);
    assert!(!ok, "an unknown field passed: {report}");
}

#[test]
fn the_deployment_probes_the_admin_endpoints_and_mounts_the_secret() {
    let text = std::fs::read_to_string(root().join("deploy/kubernetes/deployment.yaml"))
        .expect("deployment.yaml");
    for needle in [
        "livenessProbe:\n            httpGet:\n              path: /healthz",
        "readinessProbe:\n            httpGet:\n              path: /readyz",
        "secretName: majordomo-secrets",
        "requests:",
    ] {
        assert!(text.contains(needle), "deployment.yaml lacks {needle:?}");
    }
}

#[test]
fn the_compose_file_passes_the_compose_schema() {
    let modules = install(".ci/install-node-tools", &[]);
    let dclint = modules.join(".bin/dclint");
    let file = root().join("deploy/compose/compose.yaml");
    let (ok, report) = run(Command::new(&dclint).arg("--color=false").arg(&file));
    assert!(ok, "{report}");
    let bad = std::env::temp_dir().join(format!("majordomo-bad-{}.yaml", std::process::id() + 1));
    std::fs::write(&bad, "services:\n  a:\n    image: x:1\n    bogus_key: 1\n").expect("write");
    let (ok, report) = run(Command::new(&dclint).arg("--color=false").arg(&bad));
    let _ = std::fs::remove_file(&bad);
    assert!(!ok, "an unknown key passed: {report}");
}

/// The TOML of a ConfigMap's `majordomo.toml` key (indented block scalar).
fn configmap_toml(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("configmap.yaml");
    let (_, block) = text
        .split_once("majordomo.toml: |\n")
        .expect("a majordomo.toml key");
    block
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_deployed_configurations_are_gateway_configurations() {
    let compose = std::fs::read_to_string(root().join("deploy/compose/majordomo.toml"))
        .expect("compose config");
    let kubernetes = configmap_toml(&root().join("deploy/kubernetes/configmap.yaml"));
    for (name, text) in [("compose", compose), ("kubernetes", kubernetes)] {
        // Parsed, not validated: the secret files they name exist only in the containers.
        let config: Config =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert!(config.cache.redis_url.is_some(), "{name} shares Redis");
        assert!(config.cache.redis_password_file.is_some(), "{name}");
        assert!(!config.connections.is_empty(), "{name}");
        assert!(
            config.connections.iter().all(|c| c.token_file.is_some()),
            "{name}: tokens come from mounted files"
        );
    }
}
