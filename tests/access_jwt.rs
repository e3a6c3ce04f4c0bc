//! Identity-provider tokens against a running gateway: a JWKS served by a small server on
//! loopback, tokens signed here with Ed25519 keys generated for the test. A valid token's
//! claim maps to its scope; an expired, wrongly signed, foreign or shared-secret token is
//! refused; a rotated key is fetched when a token names it; a provider that cannot be
//! reached makes the gateway answer 503, not let anyone in.

mod gateway_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use gateway_common::{captured_logs, connection, dead_url, recorded_sim, Gateway};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use majordomo::config::{Config, ConnectionConfig, JwtConfig};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ISSUER: &str = "https://idp.example.test";
const AUDIENCE: &str = "majordomo";

/// An Ed25519 signing key and its JWK.
struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    jwk: Value,
}

impl SigningKey {
    fn generate(kid: &str) -> SigningKey {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("an Ed25519 key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse it back");
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        SigningKey {
            kid: kid.to_string(),
            pkcs8: pkcs8.as_ref().to_vec(),
            jwk: json!({ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).expect("sign")
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn claims(sub: &str, extra: Value) -> Value {
    let mut c =
        json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": now() + 600, "iat": now() });
    for (k, v) in extra.as_object().expect("object") {
        c[k] = v.clone();
    }
    c
}

/// A JWKS endpoint on loopback whose keys the test can change; counts its fetches.
struct Jwks {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Jwks {
    async fn serve(keys: Vec<Value>) -> Jwks {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let (k, f) = (k.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    let keys = k.lock().expect("keys").clone();
                    axum::Json(json!({ "keys": keys }))
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind JWKS");
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().expect("addr")
        );
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Jwks {
            url,
            keys,
            fetches,
            stop: Some(tx),
            server: Some(server),
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

fn jwt_config(jwks_url: &str) -> JwtConfig {
    let toml = format!(
        r#"
        issuer = "{ISSUER}"
        audience = ["{AUDIENCE}"]
        jwks_url = "{jwks_url}"
        algorithms = ["EdDSA"]
        "#
    );
    toml::from_str(&toml).expect("a [auth.jwt] section")
}

fn config_with(connections: Vec<ConnectionConfig>, jwt: JwtConfig) -> Config {
    let mut config = Config::with_connections(connections);
    config.auth.jwt = Some(jwt);
    config.validate().expect("valid");
    config
}

async fn connections_seen(gateway: &Gateway, token: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = gateway
        .post_with_headers(
            json!({ "query": "{ connections { name } }" }),
            &[("authorization", &auth)],
        )
        .await;
    (status, body)
}

#[tokio::test]
async fn a_tokens_claim_is_its_scope_and_bad_tokens_are_refused() {
    let logs = captured_logs();
    let alpha = recorded_sim().await;
    let beta = recorded_sim().await;
    let key = SigningKey::generate("k1");
    let jwks = Jwks::serve(vec![key.jwk.clone()]).await;
    let gateway = Gateway::start_config(config_with(
        vec![connection("alpha", &alpha), connection("beta", &beta)],
        jwt_config(&jwks.url),
    ))
    .await;

    let alpha_only = key.sign(&claims(
        "alice",
        json!({ "majordomo_connections": ["alpha"] }),
    ));
    let (status, body) = connections_seen(&gateway, &alpha_only).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["connections"], json!([{ "name": "alpha" }]));
    let everything = key.sign(&claims("ops", json!({ "majordomo_connections": "*" })));
    let (_, body) = connections_seen(&gateway, &everything).await;
    assert_eq!(
        body["data"]["connections"],
        json!([{ "name": "alpha" }, { "name": "beta" }])
    );
    let spaced = key.sign(&claims(
        "bob",
        json!({ "majordomo_connections": "beta gamma" }),
    ));
    let (_, body) = connections_seen(&gateway, &spaced).await;
    assert_eq!(
        body["data"]["connections"],
        json!([{ "name": "beta" }]),
        "gamma does not exist"
    );
    let no_claim = key.sign(&claims("carol", json!({})));
    let (status, body) = connections_seen(&gateway, &no_claim).await;
    assert_eq!((status, &body["data"]["connections"]), (200, &json!([])));

    let other_key = SigningKey::generate("k1");
    let hmac = encode(
        &Header::new(Algorithm::HS256),
        &claims("mallory", json!({ "majordomo_connections": "*" })),
        &EncodingKey::from_secret(key.jwk["x"].as_str().expect("x").as_bytes()),
    )
    .expect("HS256");
    let refused = [
        (
            "expired",
            key.sign(&claims(
                "alice",
                json!({ "exp": now() - 3600, "majordomo_connections": "*" }),
            )),
        ),
        (
            "signed by another key",
            other_key.sign(&claims("alice", json!({ "majordomo_connections": "*" }))),
        ),
        (
            "another audience",
            key.sign(&claims(
                "alice",
                json!({ "aud": "someone-else", "majordomo_connections": "*" }),
            )),
        ),
        (
            "not valid yet",
            key.sign(&claims(
                "alice",
                json!({ "nbf": now() + 3600, "majordomo_connections": "*" }),
            )),
        ),
        (
            "another issuer",
            key.sign(&claims(
                "alice",
                json!({ "iss": "https://evil.test", "majordomo_connections": "*" }),
            )),
        ),
        ("a shared secret", hmac),
    ];
    for (what, token) in &refused {
        let (status, body) = connections_seen(&gateway, token).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.get("data").is_none(), "{what}: {body}");
    }
    let text = logs.text();
    for (what, token) in &refused {
        assert!(
            !text.contains(token.as_str()),
            "the {what} token was logged"
        );
    }
    assert!(!text.contains(&alpha_only), "a token was logged");

    gateway.stop().await;
    jwks.stop().await;
    alpha.shutdown().await;
    beta.shutdown().await;
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_claims_map_to_connections() {
    let alpha = recorded_sim().await;
    let old = SigningKey::generate("2024");
    let jwks = Jwks::serve(vec![old.jwk.clone()]).await;
    let mut jwt = jwt_config(&jwks.url);
    jwt.connections_claim = "groups".into();
    jwt.claim_map = Some([("ci-readers".to_string(), vec!["alpha".to_string()])].into());
    let gateway = Gateway::start_config(config_with(vec![connection("alpha", &alpha)], jwt)).await;

    let reader = old.sign(&claims(
        "dave",
        json!({ "groups": ["ci-readers", "unmapped"] }),
    ));
    let (status, body) = connections_seen(&gateway, &reader).await;
    assert_eq!(
        (status, &body["data"]["connections"]),
        (200, &json!([{ "name": "alpha" }]))
    );
    let outsider = old.sign(&claims("erin", json!({ "groups": ["alpha"] })));
    let (_, body) = connections_seen(&gateway, &outsider).await;
    assert_eq!(
        body["data"]["connections"],
        json!([]),
        "only mapped values grant"
    );
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        1,
        "the JWKS is fetched once and kept"
    );

    // The provider rotates to a new key: a token naming it makes the gateway fetch again.
    let new = SigningKey::generate("2025");
    *jwks.keys.lock().expect("keys") = vec![new.jwk.clone()];
    let rotated = new.sign(&claims("dave", json!({ "groups": ["ci-readers"] })));
    let (status, body) = connections_seen(&gateway, &rotated).await;
    assert_eq!(
        (status, &body["data"]["connections"]),
        (200, &json!([{ "name": "alpha" }]))
    );
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 2);
    // A token naming a key that does not exist does not make it fetch again at once.
    let stranger = SigningKey::generate("never-published");
    let (status, _) = connections_seen(&gateway, &stranger.sign(&claims("x", json!({})))).await;
    assert_eq!(status, 401);
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        2,
        "unknown key ids cannot hammer the provider"
    );

    gateway.stop().await;
    jwks.stop().await;
    alpha.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_provider_answers_503_and_lets_nobody_in() {
    let alpha = recorded_sim().await;
    let jwks_url = format!("{}jwks.json", dead_url().await);
    let gateway = Gateway::start_config(config_with(
        vec![connection("alpha", &alpha)],
        jwt_config(&jwks_url),
    ))
    .await;
    let key = SigningKey::generate("k");
    let (status, body) = connections_seen(
        &gateway,
        &key.sign(&claims("a", json!({ "majordomo_connections": "*" }))),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "AUTH_UNAVAILABLE");
    assert!(body.get("data").is_none());
    assert_eq!(alpha.request_count(), 0);
    gateway.stop().await;
    alpha.shutdown().await;
}
