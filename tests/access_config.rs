//! The access sections of the config: the README's security example parses and starts a
//! gateway; each mistake is refused with its code and never echoes a key.

use majordomo::config::{AdminEndpoints, Config, ConnectionAuth, TrustedMode};
use majordomo::gateway::GatewayState;
use secrecy::ExposeSecret;

const OPS_KEY: &str = "ops-key-from-a-file-0123456789";
const DASHBOARD_KEY: &str = "dashboard-key-from-env-0123456789";

/// The toml block of the README's "Security" section.
fn readme_security_example() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme.find("## Security").expect("a Security section");
    let rest = &readme[section..];
    let start = rest.find("```toml\n").expect("a toml block in it") + "```toml\n".len();
    let end = start + rest[start..].find("```").expect("end of the block");
    rest[start..end].to_string()
}

#[test]
fn the_readme_security_example_is_valid_and_starts() {
    let dir = std::env::temp_dir().join(format!("majordomo-readme-auth-{}", std::process::id()));
    let trusted = dir.join("trusted");
    std::fs::create_dir_all(&trusted).expect("temp dir");
    std::fs::write(
        trusted.join("dashboard.graphql"),
        "{ connections { name } }",
    )
    .expect("write");
    let key_file = dir.join("ops-key");
    std::fs::write(&key_file, format!("{OPS_KEY}\n")).expect("key file");
    let toml = readme_security_example()
        .replace(
            "/run/secrets/majordomo-ops-key",
            &key_file.display().to_string(),
        )
        .replace("/etc/majordomo/trusted", &trusted.display().to_string());
    let mut config = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    config
        .apply_env_from(|name| match name {
            "CI_PROD_TOKEN" => Some("jenkins-token".into()),
            "MAJORDOMO_DASHBOARD_KEY" => Some(DASHBOARD_KEY.into()),
            _ => None,
        })
        .expect("the environment resolves");

    assert_eq!(config.connections[1].auth, ConnectionAuth::Forward);
    let auth = &config.auth;
    assert_eq!(auth.admin_endpoints, AdminEndpoints::Protected);
    let keys: Vec<(&str, bool)> = auth
        .keys
        .iter()
        .map(|k| (k.name.as_str(), k.admin))
        .collect();
    assert_eq!(
        keys,
        [
            ("ops", true),
            ("prod-dashboard", false),
            ("incident-bot", false)
        ]
    );
    let secret = |i: usize| {
        auth.keys[i]
            .key
            .as_ref()
            .map(|k| k.expose_secret().to_string())
    };
    assert_eq!(
        secret(0).as_deref(),
        Some(OPS_KEY),
        "read from the file, trimmed"
    );
    assert_eq!(
        secret(1).as_deref(),
        Some(DASHBOARD_KEY),
        "read from the environment"
    );
    assert_eq!(
        auth.keys[1].connections.as_deref(),
        Some(&["ci-prod".to_string()][..])
    );
    assert_eq!(auth.keys[1].requests_per_second, Some(20));
    let jwt = auth.jwt.as_ref().expect("[auth.jwt]");
    assert_eq!(jwt.connections_claim, "groups");
    assert_eq!(
        jwt.claim_map.as_ref().map(|m| m["ci-admins"].clone()),
        Some(vec!["*".to_string()])
    );
    assert_eq!(config.cors.allow_origins, ["https://dashboard.example.com"]);
    assert_eq!(config.trusted_documents.mode, TrustedMode::Enforce);

    // The keys never show in Debug output.
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(OPS_KEY) && !debug.contains(DASHBOARD_KEY),
        "{debug}"
    );
    // It starts: keys hashed, the JWT verifier built, the trusted folder read.
    GatewayState::new(config).expect("a gateway starts with it");
    let _ = std::fs::remove_dir_all(&dir);
}

fn code_of(toml: &str) -> &'static str {
    match Config::from_toml_str(toml) {
        Ok(mut c) => c.apply_env_from(|_| None).err().map_or("OK", |e| e.code()),
        Err(e) => {
            assert!(
                !e.to_string().contains("0123456789abcdef"),
                "a key was echoed: {e}"
            );
            e.code()
        }
    }
}

#[test]
fn mistakes_are_refused_with_their_codes() {
    let one = "[[connections]]\nname = \"a\"\nurl = \"http://127.0.0.1:1\"\n";
    let cases = [
        ("[[auth.keys]]\nname = \"k\"\nkey = \"short\"\n", "INVALID_API_KEY"),
        (
            "[[auth.keys]]\nname = \"k\"\nkey = \"k-0123456789abcdef\"\nkey_env = \"K\"\n",
            "INVALID_API_KEY",
        ),
        ("[[auth.keys]]\nname = \"k\"\n", "INVALID_API_KEY"),
        ("[[auth.keys]]\nname = \"k\"\nkey_env = \"UNSET_VARIABLE\"\n", "INVALID_API_KEY"),
        ("[[auth.keys]]\nname = \"k\"\nkey_sha256 = \"abc\"\n", "INVALID_API_KEY"),
        (
            "[[auth.keys]]\nname = \"k\"\nkey = \"k-0123456789abcdef\"\nconnections = [\"nope\"]\n",
            "INVALID_VALUE",
        ),
        (
            "[[auth.keys]]\nname = \"k\"\nkey = \"k-0123456789abcdef\"\nrequests_per_second = 0\n",
            "INVALID_VALUE",
        ),
        (
            "[[auth.keys]]\nname = \"k\"\nkey = \"k-0123456789abcdef\"\n[[auth.keys]]\nname = \"k\"\nkey = \"k-0123456789abcdeg\"\n",
            "INVALID_API_KEY",
        ),
        (
            "[auth.jwt]\nissuer = \"i\"\naudience = [\"a\"]\njwks_file = \"/j\"\nalgorithms = [\"HS256\"]\n",
            "INVALID_VALUE",
        ),
        ("[auth.jwt]\nissuer = \"i\"\naudience = [\"a\"]\n", "INVALID_VALUE"),
        ("[auth.jwt]\nissuer = \"i\"\naudience = []\njwks_file = \"/j\"\n", "INVALID_VALUE"),
        ("[cors]\nallow_origins = [\"*\"]\n", "INVALID_VALUE"),
        ("[cors]\nallow_origins = [\"https://a.example/path\"]\n", "INVALID_VALUE"),
        ("[cors]\nallow_origins = [\"https://a.example/\"]\n", "INVALID_VALUE"),
        ("[trusted_documents]\nmode = \"enforce\"\n", "INVALID_VALUE"),
        ("[auth]\nkeyz = []\n", "CONFIG_UNKNOWN_KEY"),
        ("[cors]\nallow_origins = [\"https://a.example:8443\"]\n", "OK"),
    ];
    for (section, code) in cases {
        let toml = format!("{one}{section}");
        assert_eq!(code_of(&toml), code, "{toml}");
    }
    let forward_with_token = "[[connections]]\nname = \"f\"\nurl = \"http://127.0.0.1:1\"\nauth = \"forward\"\nusername = \"u\"\ntoken = \"t\"\n";
    assert_eq!(code_of(forward_with_token), "INCOMPLETE_CREDENTIALS");
}
