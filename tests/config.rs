//! The TOML configuration: defaults, validation errors with stable codes and
//! line numbers, token sources, environment overrides, and that `Debug`
//! never shows a token.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use majordomo::config::{Config, ConfigError, ConnectionConfig};
use secrecy::ExposeSecret;

const GOOD: &str = r#"
listen = "0.0.0.0:9090"

[cache]
max_bytes = 1048576
listing_ttl_ms = 3000

[[connections]]
name = "prod"
url = "https://ci.example.com:8443/jenkins"
username = "bot"
token = "inline-s3cr3t-token"
timeout_ms = 5000
max_concurrency = 4

[[connections]]
name = "lab"
url = "http://127.0.0.1:8081/"
"#;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A file in the system temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, content: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "majordomo-config-test-{}-{tag}",
            std::process::id()
        ));
        let mut file = std::fs::File::create(&path).expect("create temp file");
        file.write_all(content.as_bytes()).expect("write temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn err(source: &str) -> ConfigError {
    Config::from_toml_str(source).expect_err("config should be rejected")
}

#[test]
fn good_file_with_defaults() {
    let config = Config::from_toml_str(GOOD).expect("valid config");
    assert_eq!(config.listen, "0.0.0.0:9090".parse::<SocketAddr>().unwrap());
    assert_eq!(config.cache.max_bytes, 1_048_576);
    assert_eq!(config.cache.listing_ttl_ms, 3000);
    assert_eq!(config.cache.volatile_ttl_ms, 1000, "default");
    assert_eq!(config.connections.len(), 2);

    let prod = config.connection("prod").expect("prod");
    assert_eq!(prod.timeout_ms, 5000);
    assert_eq!(prod.max_concurrency, 4);
    assert!(prod.tls_verify);
    let (user, token) = prod.credentials().expect("credentials");
    assert_eq!(
        (user, token.expose_secret()),
        ("bot", "inline-s3cr3t-token")
    );
    assert_eq!(
        prod.base_url().unwrap().as_str(),
        "https://ci.example.com:8443/jenkins/"
    );

    let lab = config.connection("lab").expect("lab");
    assert_eq!(lab.timeout_ms, 10_000);
    assert_eq!(lab.max_concurrency, 64);
    assert_eq!(lab.min_concurrency, 2);
    assert!(lab.credentials().is_none(), "anonymous");

    let empty = Config::from_toml_str("").expect("empty config");
    assert_eq!(
        empty.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(empty.cache.listing_ttl_ms, 5000);
    assert!(empty.connections.is_empty());
}

#[test]
fn unknown_keys_and_syntax_errors_name_the_line() {
    let source = "listen = \"127.0.0.1:1\"\n\n[[connections]]\nname = \"a\"\nurl = \"http://a\"\ntimout_ms = 5\n";
    let e = err(source);
    assert_eq!(e.code(), "CONFIG_UNKNOWN_KEY");
    assert_eq!(e.line(), Some(6), "{e}");
    assert!(e.to_string().contains("line 6"), "{e}");
    assert!(e.to_string().contains("timout_ms"), "{e}");

    let e = err("[cache]\nmax_bytes = 1\nttl = 3\n");
    assert_eq!((e.code(), e.line()), ("CONFIG_UNKNOWN_KEY", Some(3)));

    let e = err("listen = \"127.0.0.1:1\"\n[[connections]\nname = \"a\"\n");
    assert_eq!((e.code(), e.line()), ("CONFIG_SYNTAX", Some(2)), "{e}");

    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\ntimeout_ms = \"soon\"\n");
    assert_eq!((e.code(), e.line()), ("CONFIG_SYNTAX", Some(4)), "{e}");
}

#[test]
fn validation_errors_have_codes() {
    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\n[[connections]]\nname = \"a\"\nurl = \"http://b\"\n");
    assert_eq!(e.code(), "DUPLICATE_CONNECTION");

    for url in [
        "ftp://a",
        "not a url",
        "http://user:hunter2@a/",
        "http://a/?x=1",
        "/relative",
    ] {
        let e = err(&format!("[[connections]]\nname = \"a\"\nurl = \"{url}\"\n"));
        assert_eq!(e.code(), "INVALID_URL", "{url}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    let e = err("[[connections]]\nname = \"has space\"\nurl = \"http://a\"\n");
    assert_eq!(e.code(), "INVALID_CONNECTION_NAME");

    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\nusername = \"u\"\ntoken = \"t\"\ntoken_env = \"T\"\n");
    assert_eq!(e.code(), "CONFLICTING_TOKEN_SOURCES");

    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\ntoken = \"t\"\n");
    assert_eq!(e.code(), "INCOMPLETE_CREDENTIALS");

    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\nmax_concurrency = 0\n");
    assert_eq!(e.code(), "INVALID_VALUE");

    let e = err("[[connections]]\nname = \"a\"\nurl = \"http://a\"\nusername = \"u\"\ntoken_file = \"/nonexistent/majordomo/token\"\n");
    assert_eq!(e.code(), "TOKEN_FILE_UNREADABLE");
}

#[test]
fn token_sources() {
    let file = TempFile::new("token", "  file-s3cr3t-token\n");
    let source = format!(
        "[[connections]]\nname = \"f\"\nurl = \"http://f\"\nusername = \"u\"\ntoken_file = {:?}\n\
         [[connections]]\nname = \"e\"\nurl = \"http://e\"\nusername = \"u\"\ntoken_env = \"CI_TOKEN\"\n",
        file.0.display().to_string()
    );
    let mut config = Config::from_toml_str(&source).expect("valid");
    let token = |config: &Config, name: &str| {
        config
            .connection(name)
            .and_then(|c| c.credentials())
            .map(|(_, t)| t.expose_secret().to_string())
    };
    assert_eq!(
        token(&config, "f").as_deref(),
        Some("file-s3cr3t-token"),
        "trimmed"
    );
    assert_eq!(
        token(&config, "e"),
        None,
        "token_env is resolved by apply_env"
    );

    let e = config
        .clone()
        .apply_env_from(env(&[]))
        .expect_err("unset variable");
    assert_eq!(e.code(), "TOKEN_ENV_UNSET");
    assert!(e.to_string().contains("CI_TOKEN"));

    config
        .apply_env_from(env(&[("CI_TOKEN", "env-s3cr3t-token")]))
        .expect("resolved");
    assert_eq!(token(&config, "e").as_deref(), Some("env-s3cr3t-token"));

    let empty = TempFile::new("empty", "\n");
    let e = err(&format!(
        "[[connections]]\nname = \"f\"\nurl = \"http://f\"\nusername = \"u\"\ntoken_file = {:?}\n",
        empty.0.display().to_string()
    ));
    assert_eq!(e.code(), "EMPTY_TOKEN");
}

#[test]
fn debug_never_shows_tokens() {
    let file = TempFile::new("debug", "file-s3cr3t-token");
    let source = format!(
        "{GOOD}\n[[connections]]\nname = \"f\"\nurl = \"http://f\"\nusername = \"u\"\ntoken_file = {:?}\n\
         [[connections]]\nname = \"e\"\nurl = \"http://e\"\nusername = \"u\"\ntoken_env = \"CI_TOKEN\"\n",
        file.0.display().to_string()
    );
    let mut config = Config::from_toml_str(&source).expect("valid");
    config
        .apply_env_from(env(&[("CI_TOKEN", "env-s3cr3t-token")]))
        .expect("resolved");
    let programmatic =
        ConnectionConfig::new("p", "http://127.0.0.1:1").with_credentials("u", "code-s3cr3t-token");
    config.connections.push(programmatic);
    let debug = format!("{config:?} {config:#?}");
    for secret in [
        "inline-s3cr3t-token",
        "file-s3cr3t-token",
        "env-s3cr3t-token",
        "code-s3cr3t-token",
        "s3cr3t",
    ] {
        assert!(!debug.contains(secret), "Debug shows {secret}");
    }
    assert!(debug.contains("REDACTED"));
}

#[test]
fn environment_overrides() {
    let mut config = Config::from_toml_str(GOOD).expect("valid");
    config
        .apply_env_from(env(&[
            ("MAJORDOMO_LISTEN", "127.0.0.1:7000"),
            ("JENKINS_TLS_REJECT_UNAUTHORIZED", "false"),
        ]))
        .expect("applied");
    assert_eq!(
        config.listen,
        "127.0.0.1:7000".parse::<SocketAddr>().unwrap()
    );
    assert!(config.connections.iter().all(|c| !c.tls_verify));

    let mut config = Config::from_toml_str(GOOD).expect("valid");
    config
        .apply_env_from(env(&[("JENKINS_TLS_REJECT_UNAUTHORIZED", "1")]))
        .expect("applied");
    assert!(
        config.connections.iter().all(|c| c.tls_verify),
        "only false/0 disable verification"
    );

    let e = Config::from_toml_str(GOOD)
        .expect("valid")
        .apply_env_from(env(&[("MAJORDOMO_LISTEN", "everywhere")]))
        .expect_err("bad listen");
    assert_eq!(e.code(), "INVALID_LISTEN");
}

#[test]
fn load_reads_a_file() {
    let file = TempFile::new("load.toml", GOOD);
    let config = Config::load(&file.0).expect("load");
    assert_eq!(config.connections.len(), 2);
    let e = Config::load("/nonexistent/majordomo.toml").expect_err("missing file");
    assert_eq!(e.code(), "CONFIG_UNREADABLE");
}

#[test]
fn programmatic_config() {
    let mut config = Config::with_connections(vec![
        ConnectionConfig::new("sim-a", "http://127.0.0.1:18080/jenkins")
            .with_credentials("admin", "t")
            .with_timeout(std::time::Duration::from_millis(1500))
            .with_max_concurrency(2),
        ConnectionConfig::new("sim-b", "http://127.0.0.1:18081"),
    ]);
    config.validate().expect("valid");
    assert_eq!(config.connections[0].timeout_ms, 1500);
    assert_eq!(
        config.connections[0].base_url().unwrap().as_str(),
        "http://127.0.0.1:18080/jenkins/"
    );
}

/// The configuration the README shows parses, once its secret file exists, and resolves
/// `token_env` from the environment.
#[test]
fn the_readme_config_example_is_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("```toml\n")
        .expect("a toml block in the README")
        + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("end of the toml block");
    let dir = std::env::temp_dir().join(format!("majordomo-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let secret = dir.join("ci-internal");
    std::fs::write(&secret, "file-token\n").expect("secret file");
    let toml = readme[start..end]
        .replace("/run/secrets/ci-internal", &secret.display().to_string())
        .replace(
            "ca_file = \"/etc/ssl/internal-ca.pem\"",
            "# ca_file elided: no such file here",
        );
    let mut config = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    config
        .apply_env_from(|name| (name == "CI_PROD_TOKEN").then(|| "env-token".to_string()))
        .expect("token_env resolves");
    let names: Vec<&str> = config.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["ci-prod", "ci-internal"]);
    let token = |i: usize| {
        config.connections[i]
            .credentials()
            .map(|(_, t)| t.expose_secret().to_string())
    };
    assert_eq!(token(0).as_deref(), Some("env-token"));
    assert_eq!(token(1).as_deref(), Some("file-token"));
}

/// The README's `[mcp]` block parses; budgets outside their range are refused with the
/// field's name.
#[test]
fn the_mcp_section_and_its_bounds() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("```toml\n[mcp]\n")
        .expect("the README's [mcp] block")
        + 8;
    let end = start + readme[start..].find("```").expect("end of the block");
    let config = Config::from_toml_str(&readme[start..end]).expect("the README's [mcp] block");
    assert!(config.mcp.enabled);
    assert_eq!(config.mcp.max_result_bytes, 16 * 1024);
    assert_eq!(config.mcp.max_resource_bytes, 256 * 1024);
    assert_eq!(Config::default().mcp.max_result_bytes, 16 * 1024);
    for (toml, field) in [
        ("[mcp]\nmax_result_bytes = 100\n", "mcp.max_result_bytes"),
        (
            "[mcp]\nmax_result_bytes = 2000000\n",
            "mcp.max_result_bytes",
        ),
        ("[mcp]\nmax_resource_bytes = 0\n", "mcp.max_resource_bytes"),
    ] {
        let e = Config::from_toml_str(toml).expect_err(toml);
        assert_eq!(e.code(), "INVALID_VALUE", "{toml}");
        assert!(e.to_string().contains(field), "{e}");
    }
    let e = Config::from_toml_str("[mcp]\nbudget = 1\n").expect_err("unknown key");
    assert!(e.to_string().contains("budget"), "{e}");
}

/// The `[[deployments]]` example of the README's "Incident answers" section, with the
/// connection it names.
fn readme_deployments() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = &readme[readme.find("### Incident answers").expect("the section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + section[start..].find("```").expect("end of the block");
    format!(
        "[[connections]]\nname = \"ci-prod\"\nurl = \"http://127.0.0.1:18080/\"\n\n{}",
        &section[start..end]
    )
}

#[test]
fn deployment_rules_parse_and_default_to_the_usual_conventions() {
    let config = Config::from_toml_str(&readme_deployments()).expect("the README's rules");
    let rules = &config.deployments;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].jobs, ["ops/ship-*", "release-to-prod"]);
    assert_eq!(rules[0].connections, ["ci-prod"]);
    assert_eq!(rules[0].environment.as_deref(), Some("production"));
    assert_eq!(rules[1].stages, ["Deploy to *", "Promote *"]);
    // Fields a rule leaves out take the default rule's values.
    assert_eq!(rules[0].stages, ["Deploy to *", "Deploy *"]);
    // Without any rule: one, for jobs named *deploy*.
    let bare = Config::from_toml_str(GOOD).expect("good");
    assert_eq!(bare.deployments.len(), 1);
    assert_eq!(bare.deployments[0].jobs, ["*deploy*"]);
    assert!(bare.deployments[0]
        .environment_parameters
        .contains(&"ENVIRONMENT".to_string()));
}

#[test]
fn bad_deployment_rules_are_refused_with_their_field() {
    let conn = "[[connections]]\nname = \"ci-prod\"\nurl = \"http://127.0.0.1:18080/\"\n";
    let cases = [
        ("jobs = []", "deployments[0].jobs"),
        (
            "jobs = [\"x\"]\nconnections = [\"nowhere\"]",
            "deployments[0].connections",
        ),
        (
            "jobs = [\"x\"]\nstages = [\"Deploy\"]",
            "deployments[0].stages",
        ),
        (
            "jobs = [\"x\"]\nstages = [\"* to *\"]",
            "deployments[0].stages",
        ),
        (
            "jobs = [\"x\"]\nenvironment = \" \"",
            "deployments[0].environment",
        ),
    ];
    for (rule, field) in cases {
        let toml = format!("{conn}\n[[deployments]]\n{rule}\n");
        match Config::from_toml_str(&toml) {
            Err(e @ ConfigError::InvalidValue { .. }) => {
                assert_eq!(e.code(), "INVALID_VALUE");
                assert!(e.to_string().contains(field), "{e}");
            }
            other => panic!("{rule}: {other:?}"),
        }
    }
    let unknown = format!("{conn}\n[[deployments]]\njobs = [\"x\"]\nenvirons = \"prod\"\n");
    assert!(
        Config::from_toml_str(&unknown).is_err(),
        "unknown fields are refused"
    );
}
/// The README's `[live]` example parses, and what it shows are the defaults.
#[test]
fn the_readme_live_example_is_valid_and_shows_the_defaults() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find("```toml\n[live]").expect("a [live] block") + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("end of the block");
    let config = Config::from_toml_str(&readme[start..end]).expect("valid");
    let shown = &config.live;
    let defaults = majordomo::config::LiveConfig::default();
    assert_eq!(
        (
            shown.poll_interval_ms,
            shown.log_interval_ms,
            shown.max_backoff_ms
        ),
        (
            defaults.poll_interval_ms,
            defaults.log_interval_ms,
            defaults.max_backoff_ms
        )
    );
    assert_eq!(
        (
            shown.subscriber_buffer,
            shown.keepalive_ms,
            shown.max_log_tails,
            shown.max_stage_reads
        ),
        (
            defaults.subscriber_buffer,
            defaults.keepalive_ms,
            defaults.max_log_tails,
            defaults.max_stage_reads
        )
    );
}

/// A poll interval short enough to load a controller is refused with its field named.
#[test]
fn live_intervals_below_the_floor_are_refused() {
    for field in ["poll_interval_ms", "log_interval_ms"] {
        let e = Config::from_toml_str(&format!("[live]\n{field} = 100\n")).expect_err("too short");
        assert_eq!(e.code(), "INVALID_VALUE", "{e}");
        assert!(e.to_string().contains(field), "{e}");
    }
    let e = Config::from_toml_str("[live]\nmax_log_tails = 0\n").expect_err("zero");
    assert!(e.to_string().contains("max_log_tails"), "{e}");
}
