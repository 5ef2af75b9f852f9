//! The FastAPI security tutorial made real with `rbac-core`: an OAuth2
//! password flow at `/token`, JWT bearer tokens, `/users/me` and
//! role-protected routes.
//!
//! [`app`] builds the router, so tests drive it in-process with
//! `tower::ServiceExt::oneshot`; `main.rs` only adds configuration and a socket.

mod admin;
#[cfg(feature = "baseline")]
pub mod baseline;
pub mod config;
pub mod db;
pub mod docs;
mod feed;
pub mod orgs;
pub mod posts;
mod refusals;
mod routes;
pub mod routes_cli;
pub mod server;
mod ui;
pub mod users_cli;
pub mod validate;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use rbac_core::routing::SecureRouter;
use rbac_core::{
    AccessPolicy, Auth, MemoryUserStore, PasswordError, PasswordHasher, Role, ScopedRole, User,
    UserDirectory, UserRecord, UserStore, WritableUserStore,
};
use tower_http::timeout::TimeoutLayer;

pub use orgs::Orgs;
pub use posts::{Post, Posts};
pub use routes::Item;

rbac_core::policy! {
    /// Who may do what: `admin` > `editor` > `viewer`; `user` is another
    /// name for `viewer`, so the tutorial's users keep their role. Roles
    /// can also be held within one organization (`editor` in `org:acme`),
    /// with the same hierarchy there; a global `admin` counts as an admin
    /// of every organization.
    pub mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage", "tokens:introspect";
        alias "user" = "viewer";
        domain "org";
        global "admin" in "org";
    }
}

/// The app's OAuth2 scopes: the permissions of the policy. `/token` grants
/// a user at most what their roles allow; with `refuse_excess`, asking for
/// more is `invalid_scope` instead of being narrowed.
pub fn scope_policy(refuse_excess: bool) -> rbac_core::ScopePolicy {
    let scopes = rbac_core::ScopePolicy::from_policy::<policy::Policy>();
    if refuse_excess { scopes.refuse_excess() } else { scopes }
}

/// Everything the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Token keys, user store and password hasher.
    pub auth: Auth,
    /// The same users `auth` reads, for the admin routes and profiles.
    pub users: UserDirectory,
    /// The posts resource.
    pub posts: Posts,
    /// The organizations and their projects.
    pub orgs: Orgs,
}

impl AppState {
    /// State over `users` (the store `auth` reads), with no posts yet.
    pub fn new(auth: Auth, users: impl WritableUserStore) -> Self {
        let users = auth.user_directory(users);
        Self { auth, users, posts: Posts::default(), orgs: Orgs::demo() }
    }

    /// Like [`AppState::new`] with a store already behind a [`UserDirectory`];
    /// its revocations go through `auth`'s sessions where the store keeps none.
    pub fn with_directory(auth: Auth, users: UserDirectory) -> Self {
        let users = users.revoking_with(&auth);
        Self { auth, users, posts: Posts::default(), orgs: Orgs::demo() }
    }
}

impl FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Auth {
        state.auth.clone()
    }
}

impl FromRef<AppState> for Posts {
    fn from_ref(state: &AppState) -> Posts {
        state.posts.clone()
    }
}

impl FromRef<AppState> for Orgs {
    fn from_ref(state: &AppState) -> Orgs {
        state.orgs.clone()
    }
}

impl FromRef<AppState> for UserDirectory {
    fn from_ref(state: &AppState) -> UserDirectory {
        state.users.clone()
    }
}

/// The service: every route of [`secure_routes`] with the request limits.
/// Who may call what: `example-app routes`, or [`access_matrix`].
///
/// ```no_run
/// # async fn run() {
/// use example_app::{AppState, app};
/// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens};
///
/// let users = MemoryUserStore::new();
/// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), users.clone());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
/// axum::serve(listener, app(AppState::new(auth, users))).await.unwrap();
/// # }
/// ```
pub fn app(state: AppState) -> Router {
    with_request_limits(routes(state))
}

/// The routes of [`app`] without its request limits, to merge more routes
/// in before applying them.
pub fn routes(state: AppState) -> Router {
    secure_routes(state).into_axum()
}

/// [`routes`] with or without `/openapi.json` and the Swagger UI at
/// `/docs` (`--api-docs`, [`docs::ApiDocs`]).
pub fn routes_with_docs(state: AppState, docs: bool) -> Router {
    router(docs).with_state(state).into_axum()
}

/// The API's routes, and the docs routes if `docs`.
fn router(docs: bool) -> SecureRouter<AppState> {
    let api = routes::router();
    if docs { api.merge(docs::router()) } else { api }
}

/// The routes of [`app`] on the secured router, with their table
/// ([`SecureRouter::routes`]): for the test helpers of
/// [`rbac_core::testing`], which walk it.
pub fn secure_routes(state: AppState) -> SecureRouter {
    router(true).with_state(state)
}

/// Every route of [`app`] and what it requires; no state needed.
pub fn route_table() -> rbac_core::routing::RouteTable {
    router(true).routes().clone()
}

/// [`route_table`] against each role of [`policy`], plus an anonymous
/// caller: what `example-app routes` prints.
pub fn access_matrix() -> rbac_core::routing::AccessMatrix {
    route_table().access_matrix(<policy::Policy as AccessPolicy>::describe())
}

/// Whole-request deadline (408). It covers reading the body too, since
/// handlers read it inside the request's future, so a trickling body is cut
/// off by the same single timer (a second, per-body timer cost a timer per
/// request and bounded nothing more).
pub fn with_request_limits(router: Router) -> Router {
    router.layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}

/// The longest a request may take, body included.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A demo user: name, password, role, email, full name, disabled.
type DemoUser = (&'static str, &'static str, &'static str, &'static str, &'static str, bool);

/// The demo users seeded in development mode (never in production).
pub const DEMO_USERS: [DemoUser; 4] = [
    ("johndoe", "secret", "user", "johndoe@example.com", "John Doe", false),
    ("alice", "secret2", "user", "alice@example.com", "Alice Wonderson", true),
    ("janedoe", "secret3", "admin", "janedoe@example.com", "Jane Doe", false),
    ("bob", "secret4", "editor", "bob@example.com", "Bob Editor", false),
];

/// The demo users' roles within organizations (user, domain, scope id,
/// role): `johndoe` edits `acme` and views `beta`; `bob` is an editor
/// everywhere else but the admin of `beta` only. `janedoe`, a global admin,
/// needs none: the policy counts her in every org.
pub const DEMO_GRANTS: [(&str, &str, &str, &str); 3] = [
    ("johndoe", "org", "acme", "editor"),
    ("johndoe", "org", "beta", "viewer"),
    ("bob", "org", "beta", "admin"),
];

fn demo_grants() -> Result<Vec<(&'static str, ScopedRole)>, SeedError> {
    DEMO_GRANTS
        .iter()
        .map(|&(user, domain, scope, role)| {
            let role = Role::new(role).map_err(|_| SeedError)?;
            Ok((user, ScopedRole::new(domain, scope, role).map_err(|_| SeedError)?))
        })
        .collect()
}

/// A demo user's record and password.
fn demo_user(
    (username, password, role, email, full_name, disabled): DemoUser,
) -> Result<(User, &'static str), SeedError> {
    let user = User {
        username: username.to_owned(),
        email: Some(email.to_owned()),
        full_name: Some(full_name.to_owned()),
        disabled,
        roles: vec![Role::new(role).map_err(|_| SeedError)?],
    };
    Ok((user, password))
}

/// Adds [`DEMO_USERS`] to `store`, hashing their passwords with `hasher`.
/// Blocking: call it before serving or from `spawn_blocking`.
pub fn seed_demo_users(store: &MemoryUserStore, hasher: &PasswordHasher) -> Result<(), SeedError> {
    for demo in DEMO_USERS {
        let (user, password) = demo_user(demo)?;
        let password_hash = hasher.hash_blocking(password).map_err(|_: PasswordError| SeedError)?;
        store.insert(UserRecord { user, password_hash }).map_err(|_| SeedError)?;
    }
    for (user, grant) in demo_grants()? {
        if !store.grant(user, grant) {
            return Err(SeedError);
        }
    }
    Ok(())
}

/// Adds [`DEMO_USERS`] to `store` if it has no users at all (a fresh
/// database in development mode); `Ok(false)` if it already had some. Their
/// passwords are public: a server started with `--production` on this
/// database refuses to run until they are changed or the users deleted
/// ([`demo_passwords_in_use`]).
pub async fn seed_demo_users_if_empty(
    store: &UserDirectory,
    hasher: &PasswordHasher,
) -> Result<bool, SeedError> {
    if !store.list_users().await.map_err(|_| SeedError)?.is_empty() {
        return Ok(false);
    }
    for demo in DEMO_USERS {
        let (user, password) = demo_user(demo)?;
        let password_hash = hasher.hash(password.to_owned()).await.map_err(|_| SeedError)?;
        store.create_user(UserRecord { user, password_hash }).await.map_err(|_| SeedError)?;
    }
    for (user, grant) in demo_grants()? {
        store.grant_scoped_role(user, grant).await.map_err(|_| SeedError)?;
    }
    Ok(true)
}

/// The demo users in `store` whose password is still the public demo one
/// (from the FastAPI tutorial). Production refuses to start while any is
/// left: `janedoe` is an admin whose password everyone knows.
pub async fn demo_passwords_in_use(
    store: &UserDirectory,
    hasher: &PasswordHasher,
) -> Result<Vec<&'static str>, rbac_core::StoreError> {
    let mut found = Vec::new();
    for (username, password, ..) in DEMO_USERS {
        let Some(record) = store.find_credentials(username).await? else { continue };
        let known = hasher.verify(password.to_owned(), Some(&record.password_hash)).await;
        // A hash we cannot check counts as the demo password: refuse, not guess.
        if known.unwrap_or(true) {
            found.push(username);
        }
    }
    Ok(found)
}

/// Seeding failed: the store already held a demo user, or hashing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedError;

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("could not seed the demo users")
    }
}

impl std::error::Error for SeedError {}
