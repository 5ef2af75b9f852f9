//! `example-resource` trusting two issuers at once: `example-app`, and a
//! real OpenID provider (panva's `oidc-provider`, run by node from
//! `tests/oidc-provider`), configured through the service's own flags.
//!
//! The tests that need the provider are ignored where node and its npm
//! packages may be missing; `.ci/run` installs them (`npm ci`) and runs them
//! with `--ignored`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser as _;
use example_resource::Config;
use rbac_core::{Auth, MemoryUserStore, PasswordHasher, SigningKey, Tokens};
use serde_json::json;
use tests::net::{call, serve_on_loopback};
use tests::oidc_provider::{OTHER_API, OidcProvider, ProviderOptions, REPORTS_API};
use tests::{get as get_request, request, token_request};

const APP_ISSUER: &str = "http://app.test";

fn test_key(name: &str) -> SigningKey {
    let path = format!("{}/../testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    SigningKey::from_pem(&std::fs::read(path).expect("test key")).expect("key")
}

/// `example-app` on loopback, signing with `ed25519-a`, with the demo users.
async fn example_app() -> SocketAddr {
    let users = MemoryUserStore::new();
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let tokens = Tokens::new(test_key("ed25519-a.pem")).with_issuer(APP_ISSUER);
    let auth = Auth::new(tokens, users.clone()).with_scopes(example_app::scope_policy(false));
    serve_on_loopback(example_app::app(example_app::AppState::new(auth, users))).await
}

/// `example-resource`'s flags trusting `app` and the provider at `issuer`.
fn flags(app: SocketAddr, issuer: &str) -> Vec<String> {
    [
        "example-resource",
        "--jwks-url",
        &format!("http://{app}/.well-known/jwks.json"),
        "--jwt-issuer",
        APP_ISSUER,
        "--jwks-min-refetch-seconds",
        "1",
        "--oidc-issuer",
        issuer,
        "--oidc-audience",
        REPORTS_API,
        "--oidc-role",
        "/acme/editors=editor",
        "--oidc-role",
        "/acme/admins=admin",
        "--oidc-scope",
        "reports.read=items:read",
    ]
    .map(str::to_owned)
    .into()
}

/// `example-resource` on loopback, configured by `flags` as its binary is.
async fn resource(flags: Vec<String>) -> SocketAddr {
    let config = Config::try_parse_from(flags).expect("flags");
    let auth = example_resource::auth_from(&config).await.expect("configuration");
    serve_on_loopback(example_resource::app(auth)).await
}

fn with(mut flags: Vec<String>, more: &[&str]) -> Vec<String> {
    flags.extend(more.iter().map(|flag| (*flag).to_owned()));
    flags
}

async fn app_token(app: SocketAddr) -> String {
    let reply = call(app, token_request("username=janedoe&password=secret3")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["access_token"].as_str().expect("token").to_owned()
}

async fn status(resource: SocketAddr, method: &str, path: &str, token: &str) -> u16 {
    call(resource, request(method, path, Some(token), None)).await.status.as_u16()
}

async fn provider(keys: &[&str]) -> OidcProvider {
    OidcProvider::start(ProviderOptions { keys, ..ProviderOptions::default() }).await
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn provider_tokens_are_accepted_with_mapped_roles_beside_example_app_tokens() {
    let (app, idp) = (example_app().await, provider(&["es256-b.pem"]).await);
    let resource = resource(with(flags(app, &idp.issuer), &["--oidc-loopback-http"])).await;

    let editor = idp.token("reports-editor", REPORTS_API, "reports.read reports.write").await;
    let reply = call(resource, get_request("/whoami", Some(&editor))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    // `/acme/unmapped` and another client's Keycloak-style `admin` grant nothing.
    assert_eq!(reply.json, json!({"username": "reports-editor", "roles": ["editor"]}));
    assert_eq!(status(resource, "GET", "/reports", &editor).await, 200, "editor inherits viewer");
    assert_eq!(status(resource, "POST", "/reports", &editor).await, 201);
    assert_eq!(status(resource, "DELETE", "/reports/7", &editor).await, 403);
    assert_eq!(status(resource, "GET", "/items", &editor).await, 200, "reports.read → items:read");

    let narrow = idp.token("reports-editor", REPORTS_API, "reports.write").await;
    assert_eq!(status(resource, "GET", "/items", &narrow).await, 403, "no mapped scope");
    let admin = idp.token("reports-admin", REPORTS_API, "reports.read").await;
    assert_eq!(status(resource, "DELETE", "/reports/7", &admin).await, 200);
    let nobody = idp.token("reports-nobody", REPORTS_API, "reports.read").await;
    let reply = call(resource, get_request("/whoami", Some(&nobody))).await;
    assert_eq!(reply.json, json!({"username": "reports-nobody", "roles": []}));
    assert_eq!(status(resource, "GET", "/reports", &nobody).await, 403, "unmapped grants nothing");

    // example-app's own tokens on the same service, unchanged.
    let janedoe = app_token(app).await;
    let reply = call(resource, get_request("/whoami", Some(&janedoe))).await;
    assert_eq!(reply.json, json!({"username": "janedoe", "roles": ["admin"]}));
    assert_eq!(status(resource, "DELETE", "/reports/7", &janedoe).await, 200);
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn provider_tokens_for_another_audience_are_refused() {
    let (app, idp) = (example_app().await, provider(&["es256-b.pem"]).await);
    let resource = resource(with(flags(app, &idp.issuer), &["--oidc-loopback-http"])).await;
    let other = idp.token("reports-admin", OTHER_API, "reports.read").await;
    let reply = call(resource, get_request("/whoami", Some(&other))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="invalid_token""#);
    let ours = idp.token("reports-admin", REPORTS_API, "reports.read").await;
    assert_eq!(status(resource, "GET", "/whoami", &ours).await, 200, "the control");
}

/// A token signed with a PEM key, header and claims as given.
fn forge(pem_name: &str, kid: &str, typ: &str, claims: &serde_json::Value) -> String {
    let pem = std::fs::read(format!("{}/../testdata/keys/{pem_name}", env!("CARGO_MANIFEST_DIR")))
        .expect("key");
    let (alg, key) = if pem_name.starts_with("es256") {
        (jsonwebtoken::Algorithm::ES256, jsonwebtoken::EncodingKey::from_ec_pem(&pem))
    } else {
        (jsonwebtoken::Algorithm::EdDSA, jsonwebtoken::EncodingKey::from_ed_pem(&pem))
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(kid.to_owned());
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(&header, claims, &key.expect("key")).expect("sign")
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn the_provider_key_cannot_sign_for_example_app_nor_the_reverse() {
    let (app, idp) = (example_app().await, provider(&["es256-b.pem"]).await);
    let resource = resource(with(flags(app, &idp.issuer), &["--oidc-loopback-http"])).await;
    let now = tests::now();
    let app_kid = test_key("ed25519-a.pem").kid().to_owned();
    let as_app = json!({
        "iss": APP_ISSUER, "sub": "janedoe", "roles": ["admin"], "jti": "j",
        "iat": now, "exp": now + 300,
    });
    // The provider's real signing key (its kid is the file stem), claiming example-app.
    for kid in ["es256-b", app_kid.as_str()] {
        let forged = forge("es256-b.pem", kid, "JWT", &as_app);
        assert_eq!(status(resource, "GET", "/whoami", &forged).await, 401, "kid {kid}");
    }
    // example-app's key claiming the provider, in the provider's token shape.
    let as_idp = json!({
        "iss": idp.issuer, "sub": "reports-admin", "aud": REPORTS_API,
        "client_id": "reports-admin", "jti": "j", "iat": now, "exp": now + 300,
        "groups": ["/acme/admins"], "scope": "reports.read",
    });
    for kid in ["es256-b", app_kid.as_str()] {
        let forged = forge("ed25519-a.pem", kid, "at+jwt", &as_idp);
        assert_eq!(status(resource, "GET", "/whoami", &forged).await, 401, "kid {kid}");
    }
    // The same claims signed by the provider's key verify: the refusals
    // above are the issuer binding, not a broken forger.
    let genuine = forge("es256-b.pem", "es256-b", "at+jwt", &as_idp);
    assert_eq!(status(resource, "GET", "/whoami", &genuine).await, 200);
    let genuine_app = forge("ed25519-a.pem", &app_kid, "JWT", &as_app);
    assert_eq!(status(resource, "GET", "/whoami", &genuine_app).await, 200);
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn a_key_rotation_at_the_provider_is_picked_up() {
    let (app, idp) = (example_app().await, provider(&["es256-b.pem"]).await);
    let resource = resource(with(flags(app, &idp.issuer), &["--oidc-loopback-http"])).await;
    let before = idp.token("reports-editor", REPORTS_API, "reports.read").await;
    assert_eq!(status(resource, "GET", "/whoami", &before).await, 200);

    // The provider restarts with a new signing key, still publishing the old one.
    let (issuer, port) = (idp.issuer.clone(), idp.address.port());
    idp.stop().await;
    let keys = ["es256-a.pem", "es256-b.pem"];
    let idp =
        OidcProvider::start(ProviderOptions { keys: &keys, port: Some(port), tls: false }).await;
    assert_eq!(idp.issuer, issuer);
    tokio::time::sleep(Duration::from_secs(1)).await; // the refetch rate limit
    let after = idp.token("reports-editor", REPORTS_API, "reports.read").await;
    assert_eq!(status(resource, "GET", "/whoami", &after).await, 200, "new kid fetched");
    assert_eq!(status(resource, "GET", "/whoami", &before).await, 200, "old key still published");
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn with_the_provider_down_cached_keys_work_until_their_bound_then_fail_closed() {
    let (app, idp) = (example_app().await, provider(&["es256-b.pem"]).await);
    // Keys refreshed after 3 s; kept at most 6 s without a successful fetch.
    let flags = with(
        flags(app, &idp.issuer),
        &["--oidc-loopback-http", "--oidc-jwks-max-age-seconds", "3"],
    );
    let config = Config::try_parse_from(flags).expect("flags");
    let auth = example_resource::auth_from(&config).await.expect("configuration");
    let fetched = Instant::now(); // the provider's keys were fetched just before
    let resource = serve_on_loopback(example_resource::app(auth)).await;
    let token = idp.token("reports-editor", REPORTS_API, "reports.read").await;
    idp.stop().await;

    assert_eq!(status(resource, "GET", "/whoami", &token).await, 200, "cached");
    tokio::time::sleep(Duration::from_millis(3_500).saturating_sub(fetched.elapsed())).await;
    assert_eq!(
        status(resource, "GET", "/whoami", &token).await,
        200,
        "stale, refetch failed, kept"
    );
    tokio::time::sleep(Duration::from_millis(6_500).saturating_sub(fetched.elapsed())).await;
    assert_eq!(status(resource, "GET", "/whoami", &token).await, 401, "past the bound: closed");
    // example-app's issuer is unaffected.
    assert_eq!(status(resource, "GET", "/whoami", &app_token(app).await).await, 200);
}

#[tokio::test]
#[ignore = "needs node and `npm ci` in tests/oidc-provider; .ci/run installs them and runs it"]
async fn discovery_over_tls_trusts_only_the_configured_roots() {
    let app = example_app().await;
    let keys = ["es256-b.pem"];
    let idp = OidcProvider::start(ProviderOptions { keys: &keys, port: None, tls: true }).await;
    assert!(idp.issuer.starts_with("https://127.0.0.1:"), "{}", idp.issuer);
    let ca = format!("{}/../testdata/tls/ca.pem", env!("CARGO_MANIFEST_DIR"));
    let trusting = resource(with(flags(app, &idp.issuer), &["--oidc-ca-file", &ca])).await;
    let token = idp.token("reports-editor", REPORTS_API, "reports.read").await;
    assert_eq!(status(trusting, "GET", "/whoami", &token).await, 200);
    // Mozilla's roots do not include the test CA: no keys, every token refused.
    let default_roots = resource(flags(app, &idp.issuer)).await;
    assert_eq!(status(default_roots, "GET", "/whoami", &token).await, 401);
}

#[tokio::test]
async fn a_mapping_to_a_role_the_policy_lacks_stops_the_service_at_start_up() {
    let app = example_app().await;
    // Nothing listens on the discard port; the mapping is checked before any fetch matters.
    let typo = with(
        flags(app, "http://127.0.0.1:9"),
        &["--oidc-loopback-http", "--oidc-role", "/acme/owners=owner"],
    );
    let config = Config::try_parse_from(typo).expect("flags");
    let error = example_resource::auth_from(&config).await.expect_err("unknown role").to_string();
    assert!(error.contains("`owner` is not a role of the policy"), "{error}");
    let no_issuer: Vec<String> = flags_without_jwt_issuer(app)
        .into_iter()
        .chain(["--oidc-loopback-http".to_owned()])
        .collect();
    let config = Config::try_parse_from(no_issuer).expect("flags");
    let error = example_resource::auth_from(&config).await.expect_err("no iss").to_string();
    assert!(error.contains("--jwt-issuer"), "{error}");
    let plain_http_elsewhere = flags(app, "http://idp.example.test");
    let config = Config::try_parse_from(plain_http_elsewhere).expect("flags");
    assert!(example_resource::auth_from(&config).await.is_err(), "discovery over TLS only");
}

fn flags_without_jwt_issuer(app: SocketAddr) -> Vec<String> {
    let mut flags = flags(app, "http://127.0.0.1:9");
    let at = flags.iter().position(|flag| flag == "--jwt-issuer").expect("flag");
    flags.drain(at..at + 2);
    flags
}

/// A discovery document served from loopback, naming `issuer` and `jwks_uri`.
async fn metadata_server(
    issuer: impl Fn(SocketAddr) -> String,
    jwks_uri: impl Fn(SocketAddr) -> String,
) -> SocketAddr {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let document = json!({ "issuer": issuer(address), "jwks_uri": jwks_uri(address) });
    let jwks = Tokens::new(test_key("es256-b.pem")).jwks();
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(document) }),
        )
        .route("/keys", get(move || async move { axum::Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

#[tokio::test]
async fn discovery_requires_the_exact_issuer_and_a_jwks_uri_it_may_fetch() {
    let honest =
        metadata_server(|at| format!("http://{at}"), |at| format!("http://{at}/keys")).await;
    let jwks =
        rbac_core::RemoteJwks::discover_loopback_http(&format!("http://{honest}")).expect("url");
    assert_eq!(jwks.refresh().await.expect("discovered"), 1);

    // The document must name the issuer asked about, exactly.
    let impostor =
        metadata_server(|_| "http://127.0.0.1:1".to_owned(), |at| format!("http://{at}/keys"))
            .await;
    let jwks =
        rbac_core::RemoteJwks::discover_loopback_http(&format!("http://{impostor}")).expect("url");
    let error = jwks.refresh().await.expect_err("another issuer").to_string();
    assert!(error.contains("another issuer"), "{error}");
    let slash =
        metadata_server(|at| format!("http://{at}/"), |at| format!("http://{at}/keys")).await;
    let jwks =
        rbac_core::RemoteJwks::discover_loopback_http(&format!("http://{slash}")).expect("url");
    assert!(jwks.refresh().await.is_err(), "a trailing slash is another issuer");

    // A jwks_uri the transport may not fetch: plain HTTP off this host.
    let elsewhere =
        metadata_server(|at| format!("http://{at}"), |_| "http://idp.example.test/keys".to_owned())
            .await;
    let jwks =
        rbac_core::RemoteJwks::discover_loopback_http(&format!("http://{elsewhere}")).expect("url");
    assert!(jwks.refresh().await.is_err());
}
