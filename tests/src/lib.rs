//! Helpers shared by the integration tests: a seeded app with a known
//! secret, request builders, and a token forger for hostile cases.

pub mod conformance;
pub mod stores;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use serde_json::Value;
use tower::ServiceExt as _;

pub mod net;
pub mod oidc_provider;

/// Test-only signing key; production code never has a fixed secret.
pub const TEST_SECRET: &[u8] = b"integration-tests-only-secret-0123456789";

/// The example app with the demo users, plus handles to poke at its state.
#[derive(Debug)]
pub struct TestApp {
    /// The real router.
    pub router: Router,
    /// The store the router reads, shared.
    pub users: MemoryUserStore,
    /// Token keys matching [`TEST_SECRET`].
    pub tokens: Tokens,
    /// The posts the router serves, shared.
    pub posts: example_app::Posts,
}

/// The example app, seeded with the demo users.
pub fn demo_app() -> TestApp {
    demo_app_configured(|auth| auth)
}

/// [`demo_app`] with its `Auth` changed by `configure`.
pub fn demo_app_configured(configure: impl FnOnce(Auth) -> Auth) -> TestApp {
    let users = MemoryUserStore::new();
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("test secret is long"));
    let auth = configure(
        Auth::new(tokens.clone(), users.clone()).with_scopes(example_app::scope_policy(false)),
    );
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let state = example_app::AppState::new(auth, users.clone());
    let posts = state.posts.clone();
    TestApp { router: example_app::app(state), users, tokens, posts }
}

/// The example app over `database` (seeded with the demo users if empty),
/// and a handle on its users.
pub async fn demo_app_on(
    database: example_app::db::Database,
) -> (Router, rbac_core::UserDirectory) {
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("test secret is long"));
    let auth = database
        .auth(tokens, PasswordHasher::default())
        .with_scopes(example_app::scope_policy(false));
    let users = database.users();
    example_app::seed_demo_users_if_empty(&users, auth.password_hasher().expect("an issuer"))
        .await
        .expect("seed");
    let state = example_app::AppState::with_directory(auth, users.clone());
    (example_app::app(state), users)
}

/// [`demo_app_on`] a new SQLite file.
pub async fn sqlite_demo_app() -> (Router, rbac_core::UserDirectory) {
    let url = stores::sqlite_url(&stores::temp_db_path());
    let options = example_app::db::StoreOptions {
        case_insensitive_usernames: false,
        cache_ttl: std::time::Duration::from_secs(1),
    };
    demo_app_on(example_app::db::Database::open(&url, options).await.expect("sqlite")).await
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body parsed as JSON (`Value::Null` when it is not JSON).
    pub json: Value,
}

impl Reply {
    /// The `detail` field of an error body.
    pub fn detail(&self) -> &str {
        self.json["detail"].as_str().unwrap_or_default()
    }

    /// A header as a string, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// Sends one request through `router` in-process.
pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, json }
}

/// `GET path`, with a bearer token when given.
pub fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).expect("valid request")
}

/// `POST /token` with a form body.
pub fn token_request(form: &str) -> Request<Body> {
    Request::post("/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("valid request")
}

/// A request with a method, an optional bearer token and an optional JSON body.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<&Value>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match json {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    request.body(body).expect("valid request")
}

/// Logs in through `/token` and returns the access token.
pub async fn login(router: &Router, username: &str, password: &str) -> String {
    let reply =
        send(router, token_request(&format!("username={username}&password={password}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "login as {username}: {:?}", reply.json);
    reply.json["access_token"].as_str().expect("access_token").to_owned()
}

/// A token of `username`'s from before they were disabled: `/token` issues
/// none to a disabled user, so enable them for the login and disable them again.
pub async fn login_then_disable(app: &TestApp, username: &str, password: &str) -> String {
    assert!(app.users.set_disabled(username, false), "{username} exists");
    let token = login(&app.router, username, password).await;
    app.users.set_disabled(username, true);
    token
}

/// A compact JWS with arbitrary header and payload JSON, HS256-signed with `secret`.
pub fn forge(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let key = jsonwebtoken::EncodingKey::from_secret(secret).expect("key");
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
            .expect("sign");
    format!("{input}.{signature}")
}

/// Percent-encodes everything but ASCII letters and digits, for form bodies.
pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Everything a test's log subscriber writes, kept in memory.
#[derive(Clone, Default, Debug)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// What was logged so far, one JSON object per line.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Captures this thread's logs (JSON, every level) until the guard drops.
///
/// In a binary that runs every suite: with a single subscriber registered,
/// tracing computes a callsite's interest from the registering thread's
/// default alone, so a callsite another test's thread hit first would be
/// cached as "nobody listens". A global no-op subscriber (set once) makes
/// tracing ask every registered subscriber, and the interest cache is
/// rebuilt once this one is set.
pub fn capture_logs() -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        let _ =
            tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    });
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    (captured, guard)
}

/// The README's example, compiled as a doc test so it cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExample;
