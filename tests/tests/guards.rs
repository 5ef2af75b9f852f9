//! The attributes on handlers of every shape, through a router with the
//! app's own state type.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rbac_core::{
    Auth, CurrentUser, JwtSecret, MemoryUserStore, PasswordHasher, StoreError, Tokens, User,
    UserRecord, UserStore, authenticated, public, requires, requires_role,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tests::{TEST_SECRET, send};

rbac_core::policy! {
    mod policy {
        role "editor";
        role "reviewer";
    }
}

#[derive(Clone)]
struct AppState {
    auth: Auth,
    greeting: &'static str,
}

impl FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Auth {
        state.auth.clone()
    }
}

/// Counts lookups so a test can prove the user is loaded once per request.
#[derive(Clone)]
struct CountingStore {
    inner: MemoryUserStore,
    lookups: Arc<AtomicUsize>,
}

impl UserStore for CountingStore {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.find_user(username).await
    }
    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.inner.find_credentials(username).await
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list_users().await
    }
}

#[derive(Deserialize)]
struct Paging {
    page: u32,
}

/// Path, Query, State and the user, in one handler.
#[requires_role("editor")]
async fn edit(
    Path(id): Path<u32>,
    Query(paging): Query<Paging>,
    State(state): State<AppState>,
    user: CurrentUser,
) -> impl IntoResponse {
    Json(json!({"id": id, "page": paging.page, "greeting": state.greeting, "by": user.username}))
}

/// Consumes the body; the guard must refuse before it is read.
#[authenticated]
async fn create(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

#[requires_role("editor")]
async fn publish(Json(body): Json<Value>) -> Result<Json<Value>, (StatusCode, &'static str)> {
    if body["title"].is_string() {
        Ok(Json(body))
    } else {
        Err((StatusCode::UNPROCESSABLE_ENTITY, "title"))
    }
}

/// Asks for the user three times: the guard, and two extractors.
#[authenticated]
async fn twice(first: CurrentUser, CurrentUser(second): CurrentUser) -> String {
    format!("{} {}", first.username, second.username)
}

/// Two stacked roles: both are required.
#[requires_role("editor")]
#[requires_role("reviewer")]
async fn review() -> &'static str {
    "reviewed"
}

/// An ownership check on a path argument, in front of a body.
#[requires(any(role("reviewer"), owner(name)))]
async fn edit_profile(Path(name): Path<String>, Json(body): Json<Value>) -> Json<Value> {
    Json(json!({"name": name, "body": body}))
}

/// Handlers as associated functions, guarded through `#[handlers]`.
struct Posts;

#[rbac_core::handlers]
impl Posts {
    #[requires_role("reviewer")]
    async fn stats(State(state): State<AppState>) -> &'static str {
        state.greeting
    }

    #[requires(any(role("reviewer"), owner(name)))]
    async fn drafts_of(Path(name): Path<String>) -> String {
        format!("drafts of {name}")
    }

    /// Not annotated: left as it is.
    fn helper() -> &'static str {
        "unguarded helper"
    }
}

/// Open to anyone. A public route does not authenticate at all: it never
/// reads the `Authorization` header, so a garbage token is ignored rather
/// than refused (unlike `Option<CurrentUser>`, which refuses a bad one).
#[public]
async fn status(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"status": state.greeting}))
}

async fn optional(user: Option<CurrentUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.username.clone())
}

struct Fixture {
    router: Router,
    lookups: Arc<AtomicUsize>,
    tokens: Tokens,
}

fn fixture() -> Fixture {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::default();
    for (name, roles) in [("ed", &["editor"][..]), ("rita", &["editor", "reviewer"]), ("val", &[])]
    {
        let mut user = User::new(name);
        user.roles = roles.iter().map(|r| rbac_core::Role::new(r).expect("role")).collect();
        let password_hash = hasher.hash_blocking("password").expect("hash");
        users.insert(UserRecord { user, password_hash }).expect("insert");
    }
    let lookups = Arc::new(AtomicUsize::new(0));
    let store = CountingStore { inner: users, lookups: Arc::clone(&lookups) };
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let state = AppState { auth: Auth::new(tokens.clone(), store), greeting: "hello" };
    let router = Router::new()
        .route("/posts/{id}", get(edit))
        .route("/posts", post(create))
        .route("/publish", post(publish))
        .route("/twice", get(twice))
        .route("/review", get(review))
        .route("/optional", get(optional))
        .route("/status", get(status))
        .route("/profiles/{name}", post(edit_profile))
        .route("/stats", get(Posts::stats))
        .route("/drafts/{name}", get(Posts::drafts_of))
        .with_state(state);
    Fixture { router, lookups, tokens }
}

fn token(fixture: &Fixture, user: &str) -> String {
    fixture.tokens.issue(user).expect("issue").access_token
}

/// A request body (one invalid JSON frame) that records whether anything ever polled it.
struct Tripwire(Arc<AtomicBool>);

impl http_body::Body for Tripwire {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.0.swap(true, Ordering::SeqCst) {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"{not json")))))
    }
}

fn post_json(path: &str, token: Option<&str>, read: &Arc<AtomicBool>) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::new(Tripwire(Arc::clone(read)))).expect("request")
}

fn get_as(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn guard_runs_before_the_body_is_read() {
    let fixture = fixture();
    let read = Arc::new(AtomicBool::new(false));
    let reply = send(&fixture.router, post_json("/posts", None, &read)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "not 422: the JSON is invalid but unread");
    assert_eq!(reply.detail(), "Not authenticated");
    assert!(!read.load(Ordering::SeqCst), "the body must never be polled");

    let reply =
        send(&fixture.router, post_json("/publish", Some(&token(&fixture, "val")), &read)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(!read.load(Ordering::SeqCst), "a forbidden request's body must never be polled");
}

#[tokio::test]
async fn an_authorised_request_then_reaches_the_body_extractor() {
    let fixture = fixture();
    let read = Arc::new(AtomicBool::new(false));
    let reply =
        send(&fixture.router, post_json("/posts", Some(&token(&fixture, "ed")), &read)).await;
    assert!(read.load(Ordering::SeqCst));
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "axum's JSON syntax rejection");
}

#[tokio::test]
async fn path_query_state_and_user_extractors_work_behind_the_guard() {
    let fixture = fixture();
    let reply = send(&fixture.router, get_as("/posts/7?page=2", &token(&fixture, "ed"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"id": 7, "page": 2, "greeting": "hello", "by": "ed"}));
    let reply = send(&fixture.router, get_as("/posts/7?page=2", &token(&fixture, "val"))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn result_return_types_pass_through() {
    let fixture = fixture();
    let ed = token(&fixture, "ed");
    let request = |body: &'static str| {
        Request::post("/publish")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {ed}"))
            .body(Body::from(body))
            .expect("request")
    };
    assert_eq!(send(&fixture.router, request(r#"{"title":"t"}"#)).await.status, StatusCode::OK);
    assert_eq!(
        send(&fixture.router, request(r#"{"body":1}"#)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_user_is_loaded_once_per_request() {
    let fixture = fixture();
    let before = fixture.lookups.load(Ordering::SeqCst);
    let reply = send(&fixture.router, get_as("/twice", &token(&fixture, "ed"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fixture.lookups.load(Ordering::SeqCst) - before, 1);

    let before = fixture.lookups.load(Ordering::SeqCst);
    send(&fixture.router, get_as("/review", &token(&fixture, "rita"))).await;
    assert_eq!(
        fixture.lookups.load(Ordering::SeqCst) - before,
        1,
        "two stacked guards, one lookup"
    );
}

#[tokio::test]
async fn stacked_roles_are_all_required() {
    let fixture = fixture();
    assert_eq!(
        send(&fixture.router, get_as("/review", &token(&fixture, "rita"))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&fixture.router, get_as("/review", &token(&fixture, "ed"))).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn optional_user_is_none_without_credentials_but_never_for_bad_ones() {
    let fixture = fixture();
    let anonymous = Request::get("/optional").body(Body::empty()).expect("request");
    assert_eq!(send(&fixture.router, anonymous).await.status, StatusCode::OK);
    let reply = send(&fixture.router, get_as("/optional", "forged.token.here")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&fixture.router, get_as("/optional", &token(&fixture, "ed"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_public_handler_answers_anyone_and_ignores_any_token() {
    let fixture = fixture();
    let anonymous = Request::get("/status").body(Body::empty()).expect("request");
    let reply = send(&fixture.router, anonymous).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"status": "hello"}));
    let garbage = send(&fixture.router, get_as("/status", "forged.token.here")).await;
    assert_eq!(garbage.status, StatusCode::OK, "a public route must not authenticate at all");
    assert_eq!(garbage.json, json!({"status": "hello"}));
    let valid = send(&fixture.router, get_as("/status", &token(&fixture, "val"))).await;
    assert_eq!(valid.status, StatusCode::OK);
    assert_eq!(fixture.lookups.load(Ordering::SeqCst), 0, "no user is ever loaded");
}

#[tokio::test]
async fn ownership_checks_run_before_the_body_is_read() {
    let fixture = fixture();
    let read = Arc::new(AtomicBool::new(false));
    let reply =
        send(&fixture.router, post_json("/profiles/ed", Some(&token(&fixture, "val")), &read))
            .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(!read.load(Ordering::SeqCst), "a non-owner's body must never be polled");

    let reply =
        send(&fixture.router, post_json("/profiles/ed", Some(&token(&fixture, "ed")), &read)).await;
    assert!(read.load(Ordering::SeqCst), "the owner's request goes on to the body");
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "and the tripwire body is invalid JSON");

    let reply =
        send(&fixture.router, post_json("/profiles/ed", None, &Arc::new(AtomicBool::new(false))))
            .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_reviewer_may_edit_anyone_and_an_owner_only_themselves() {
    let fixture = fixture();
    let json_to = |path: &str, user: &str| {
        Request::post(path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", token(&fixture, user)))
            .body(Body::from(r#"{"bio":"x"}"#))
            .expect("request")
    };
    assert_eq!(send(&fixture.router, json_to("/profiles/ed", "rita")).await.status, StatusCode::OK);
    let reply = send(&fixture.router, json_to("/profiles/ed", "ed")).await;
    assert_eq!(reply.json, json!({"name": "ed", "body": {"bio": "x"}}));
    assert_eq!(
        send(&fixture.router, json_to("/profiles/rita", "ed")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn handlers_expose_their_requirements() {
    use rbac_core::{Requires, requirements_of};

    assert_eq!(requirements_of!(edit).requires, Requires::Role("editor"));
    assert_eq!(requirements_of!(edit).policy, Some("crate::policy"));
    assert_eq!(requirements_of!(create).requires, Requires::Authenticated);
    assert_eq!(
        requirements_of!(review).requires,
        Requires::All(&[Requires::Role("editor"), Requires::Role("reviewer")])
    );
    let profile = requirements_of!(edit_profile);
    assert_eq!(
        profile.requires,
        Requires::Any(&[Requires::Role("reviewer"), Requires::Owner("name")])
    );
    assert_eq!(
        profile.to_string(),
        r#"edit_profile: any(role("reviewer"), owner(name)) (policy crate::policy)"#
    );
    assert_eq!(requirements_of!(create).to_string(), "create: authenticated");
    assert_eq!(requirements_of!(status).requires, Requires::Public);
    assert_eq!(requirements_of!(status).to_string(), "status: public");
}

/// A user verified by one `Auth` is not reused by a guard configured with
/// another (different key, different store).
#[tokio::test]
async fn the_request_cache_is_per_auth_configuration() {
    use axum::middleware::{self, Next};

    let fixture = fixture();
    let other = Auth::new(
        Tokens::hs256(
            JwtSecret::new(b"a-different-secret-that-is-long-enough".to_vec()).expect("secret"),
        ),
        MemoryUserStore::new(),
    );
    let outer = Auth::new(fixture.tokens.clone(), {
        let users = MemoryUserStore::new();
        let mut ed = User::new("ed");
        ed.roles = vec![rbac_core::Role::new("editor").expect("role")];
        let password_hash = PasswordHasher::default().hash_blocking("pw").expect("hash");
        users.insert(UserRecord { user: ed, password_hash }).expect("insert");
        users
    });
    // The middleware authenticates with `outer` (and caches the user); the
    // route's guard is configured with `other`.
    let router = Router::new()
        .route("/posts/{id}", get(edit))
        .with_state(AppState { auth: other, greeting: "hi" })
        .layer(middleware::from_fn_with_state(
            outer,
            |user: CurrentUser, request: axum::extract::Request, next: Next| async move {
                assert_eq!(user.username, "ed");
                next.run(request).await
            },
        ));
    let reply = send(&router, get_as("/posts/1?page=1", &token(&fixture, "ed"))).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "the other key must verify the token itself"
    );
}

#[tokio::test]
async fn associated_functions_are_guarded_through_handlers() {
    let fixture = fixture();
    let (ed, rita) = (token(&fixture, "ed"), token(&fixture, "rita"));
    assert_eq!(send(&fixture.router, get_as("/stats", &ed)).await.status, StatusCode::FORBIDDEN);
    let reviewer = send(&fixture.router, get_as("/stats", &rita)).await;
    assert_eq!(reviewer.status, StatusCode::OK);
    let anonymous = Request::get("/stats").body(Body::empty()).expect("request");
    assert_eq!(send(&fixture.router, anonymous).await.status, StatusCode::UNAUTHORIZED);
    // owner(...) reads the path argument in the associated function too.
    assert_eq!(send(&fixture.router, get_as("/drafts/ed", &ed)).await.status, StatusCode::OK);
    assert_eq!(
        send(&fixture.router, get_as("/drafts/rita", &ed)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(Posts::helper(), "unguarded helper");
}
