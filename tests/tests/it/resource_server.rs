//! Verification across services: `example-app` issues EdDSA tokens and
//! publishes its JWKS; `example-resource` holds no secret, fetches the JWKS
//! over loopback and guards its routes with the same attributes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rbac_core::{
    Auth, JwtSecret, MemoryUserStore, PasswordHasher, RemoteJwks, SigningKey, TokenSubject, Tokens,
};
use tests::net::{call, serve_on_loopback};
use tests::{get as get_request, request, token_request};

const ISSUER: &str = "http://issuer.test";

fn test_key(name: &str) -> SigningKey {
    let path = format!("{}/../testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    SigningKey::from_pem(&std::fs::read(path).expect("test key")).expect("key")
}

/// The example app on loopback, signing with `ed25519-a`, with the demo users.
async fn issuer() -> std::net::SocketAddr {
    let users = MemoryUserStore::new();
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let tokens = Tokens::new(test_key("ed25519-a.pem")).with_issuer(ISSUER);
    let auth = Auth::new(tokens, users.clone()).with_scopes(example_app::scope_policy(false));
    serve_on_loopback(example_app::app(example_app::AppState::new(auth, users))).await
}

/// The example resource server on loopback, trusting `jwks_url`.
async fn resource(jwks: RemoteJwks) -> std::net::SocketAddr {
    let auth = Auth::resource_server(Tokens::remote(jwks).with_issuer(ISSUER));
    serve_on_loopback(example_resource::app(auth)).await
}

async fn login(issuer: std::net::SocketAddr, form: &str) -> String {
    let reply = call(issuer, token_request(form)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn issuer_tokens_work_on_the_resource_server_and_others_do_not() {
    let issuer = issuer().await;
    let jwks_url = format!("http://{issuer}/.well-known/jwks.json");
    let resource = resource(RemoteJwks::http(&jwks_url).expect("url")).await;

    let admin = login(issuer, "username=janedoe&password=secret3").await;
    let reply = call(resource, get_request("/whoami", Some(&admin))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, serde_json::json!({"username": "janedoe", "roles": ["admin"]}));
    assert_eq!(
        call(resource, request("DELETE", "/reports/7", Some(&admin), None)).await.status,
        200
    );

    let user = login(issuer, "username=johndoe&password=secret").await;
    assert_eq!(call(resource, get_request("/reports", Some(&user))).await.status, 200);
    assert_eq!(call(resource, request("POST", "/reports", Some(&user), None)).await.status, 403);
    assert_eq!(
        call(resource, request("DELETE", "/reports/7", Some(&user), None)).await.status,
        403
    );
    assert_eq!(call(resource, get_request("/items", Some(&user))).await.status, 200);

    // A token whose scope was narrowed to nothing: insufficient_scope, naming the scope.
    let narrowed = login(issuer, "username=johndoe&password=secret&scope=users:manage").await;
    let reply = call(resource, get_request("/items", Some(&narrowed))).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="items:read""#
    );

    // Signed by a key the issuer does not publish, even one claiming the
    // issuer's kid, or with the HMAC the resource server cannot have.
    let subject = TokenSubject { username: "janedoe", ..TokenSubject::default() };
    let published_kid = test_key("ed25519-a.pem").kid().to_owned();
    let strangers = [
        Tokens::new(test_key("ed25519-b.pem")).with_issuer(ISSUER),
        Tokens::new(test_key("ed25519-b.pem").with_kid(published_kid.clone())).with_issuer(ISSUER),
        Tokens::new(SigningKey::hs256(&JwtSecret::generate()).with_kid(published_kid))
            .with_issuer(ISSUER),
        Tokens::new(test_key("es256-a.pem")).with_issuer(ISSUER),
    ];
    for stranger in strangers {
        let token = stranger.issue_for(&subject).expect("issue").access_token;
        let reply = call(resource, get_request("/whoami", Some(&token))).await;
        assert_eq!(reply.status, 401, "{stranger:?}");
        assert_eq!(reply.header("www-authenticate"), r#"Bearer error="invalid_token""#);
    }
    // The issuer's own key with another issuer: refused too.
    let elsewhere = Tokens::new(test_key("ed25519-a.pem")).with_issuer("http://elsewhere.test");
    let token = elsewhere.issue_for(&subject).expect("issue").access_token;
    assert_eq!(call(resource, get_request("/whoami", Some(&token))).await.status, 401);
    assert_eq!(call(resource, get_request("/whoami", None)).await.status, 401);
}

/// A JWKS endpoint whose keys the test swaps, counting fetches.
#[derive(Clone, Default)]
struct FakeIssuer {
    published: Arc<Mutex<Vec<SigningKey>>>,
    fetches: Arc<AtomicUsize>,
}

impl FakeIssuer {
    async fn serve(&self) -> String {
        let state = self.clone();
        let router = Router::new().route(
            "/jwks",
            get(move || {
                let state = state.clone();
                async move {
                    state.fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = state.published.lock().expect("lock").clone();
                    let tokens =
                        keys.iter().skip(1).fold(Tokens::new(keys[0].clone()), |tokens, key| {
                            tokens.with_verification_key(key.verification_key())
                        });
                    axum::Json(tokens.jwks())
                }
            }),
        );
        format!("http://{}/jwks", serve_on_loopback(router).await)
    }

    fn publish(&self, keys: &[SigningKey]) {
        *self.published.lock().expect("lock") = keys.to_vec();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn token(key: &SigningKey) -> String {
    let subject = TokenSubject { username: "johndoe", ..TokenSubject::default() };
    Tokens::new(key.clone()).with_issuer(ISSUER).issue_for(&subject).expect("issue").access_token
}

#[tokio::test]
async fn rotation_is_picked_up_and_garbage_kids_cannot_flood_the_issuer() {
    let (old, new) = (test_key("ed25519-a.pem"), test_key("es256-a.pem"));
    let fake = FakeIssuer::default();
    fake.publish(std::slice::from_ref(&old));
    let url = fake.serve().await;
    // The shortest interval `RemoteJwks` accepts.
    let interval = Duration::from_secs(1);
    let jwks = RemoteJwks::http(&url).expect("url").with_min_refetch_interval(interval);
    jwks.refresh().await.expect("first fetch");
    let resource = resource(jwks).await;
    assert_eq!(call(resource, get_request("/whoami", Some(&token(&old)))).await.status, 200);
    assert_eq!(fake.fetches(), 1, "known keys are served from the cache");

    // The issuer rotates: signs with the new key, still publishes the old one.
    fake.publish(&[new.clone(), old.clone()]);
    tokio::time::sleep(interval).await;
    assert_eq!(call(resource, get_request("/whoami", Some(&token(&new)))).await.status, 200);
    assert_eq!(call(resource, get_request("/whoami", Some(&token(&old)))).await.status, 200);
    assert_eq!(fake.fetches(), 2, "one refetch, for the unknown kid");

    // A flood of unknown kids costs at most one fetch per interval.
    let before = fake.fetches();
    let flood = std::time::Instant::now();
    for n in 0..50 {
        let garbage = token(&test_key("ed25519-b.pem").with_kid(format!("garbage-{n}")));
        assert_eq!(call(resource, get_request("/whoami", Some(&garbage))).await.status, 401);
    }
    let intervals = flood.elapsed().as_secs_f64() / interval.as_secs_f64();
    let allowed = 1 + intervals.floor() as usize;
    let fetched = fake.fetches() - before;
    assert!(
        fetched <= allowed,
        "{fetched} fetches for 50 garbage kids over {intervals:.2} intervals"
    );

    // Retired: once the issuer stops publishing the old key and the resource
    // server refetches, old tokens stop verifying.
    fake.publish(std::slice::from_ref(&new));
    tokio::time::sleep(interval).await;
    let unknown = token(&test_key("ed25519-b.pem"));
    assert_eq!(call(resource, get_request("/whoami", Some(&unknown))).await.status, 401);
    assert_eq!(call(resource, get_request("/whoami", Some(&token(&old)))).await.status, 401);
    assert_eq!(call(resource, get_request("/whoami", Some(&token(&new)))).await.status, 200);
}

#[tokio::test]
async fn an_unreachable_issuer_fails_closed() {
    // Nothing listens here once the listener is dropped.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/jwks", listener.local_addr().expect("addr"));
    drop(listener);
    let jwks = RemoteJwks::http(&url).expect("url");
    assert!(jwks.refresh().await.is_err());
    let resource = resource(jwks).await;
    let reply =
        call(resource, get_request("/whoami", Some(&token(&test_key("ed25519-a.pem"))))).await;
    assert_eq!(reply.status, 401);
    assert!(RemoteJwks::http("https://issuer.test/jwks").is_err(), "TLS is the caller's fetcher");
    assert!(RemoteJwks::http("http://issuer.test/jwks").is_err(), "no plain HTTP off this host");
}

#[tokio::test]
async fn a_disabled_user_gets_no_token_to_take_to_the_resource_server() {
    let issuer = issuer().await;
    let refused = call(issuer, token_request("username=alice&password=secret2")).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json["error"], "invalid_grant");
    assert!(refused.json.get("access_token").is_none());
}

#[tokio::test]
async fn fractional_numeric_dates_from_other_jose_libraries_are_accepted() {
    let issuer = issuer().await;
    let jwks = RemoteJwks::http(&format!("http://{issuer}/.well-known/jwks.json")).expect("url");
    let resource = resource(jwks).await;
    let pem =
        std::fs::read(format!("{}/../testdata/keys/ed25519-a.pem", env!("CARGO_MANIFEST_DIR")))
            .expect("test key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(test_key("ed25519-a.pem").kid().to_owned());
    let now = tests::now() as f64 + 0.72;
    let claims = serde_json::json!({
        "sub": "janedoe", "iss": ISSUER, "jti": "j", "roles": ["admin"],
        "iat": now, "exp": now + 600.0,
    });
    let key = jsonwebtoken::EncodingKey::from_ed_pem(&pem).expect("key");
    let token = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    let reply = call(resource, get_request("/whoami", Some(&token))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["username"], "janedoe");
}

#[tokio::test]
async fn every_guarded_route_of_the_resource_server_refuses_an_anonymous_request() {
    let verifier = Tokens::verifier([test_key("ed25519-a.pem").verification_key()]);
    let routes = example_resource::secure_routes(Auth::resource_server(verifier));
    assert_eq!(routes.routes().len(), 6);
    rbac_core::testing::assert_anonymous_denied(&routes).await;
}
