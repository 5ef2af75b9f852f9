//! The scoped check on a cache hit against the global check, through one
//! router: `#[requires_role("editor", in = org)]` on
//! `GET /scoped/{org}` versus `#[requires_role("editor")]` on
//! `GET /global/{org}`, both reading the same `Path`, for a user who holds
//! `editor` globally and in `acme` (and a role in two other orgs), from a
//! SQLite store whose caches (users, scoped roles) are warm.
//!
//! `cargo bench -p rbac-core --features sqlite --bench scoped_check`. The
//! `argument` is the global check plus a `check(...)` reading the same
//! `Path`: the part of the difference that is re-extracting the argument in
//! the guard rather than the assignments' lookup. The variants are measured alternately, three times each, in one run, so a change in the
//! machine's load shows as a difference between the two rounds.

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use rbac_core::sql::{SqlOptions, SqliteStore};
use rbac_core::{
    Auth, JwtSecret, PasswordHasher, Role, ScopedRole, Tokens, User, UserRecord, UserStore,
    WritableUserStore, requires, requires_role,
};
use tower::ServiceExt;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "projects:read";
        role "editor": "viewer" grants "projects:write";
        role "admin": "editor";
        domain "org";
        global "admin" in "org";
    }
}

#[requires_role("editor")]
async fn global(Path(org): Path<String>) -> String {
    org
}

#[requires_role("editor", in = org)]
async fn scoped(Path(org): Path<String>) -> String {
    org
}

/// What re-extracting the argument in the guard costs, without the lookup:
/// the global check plus a `check(...)` reading the same `Path`.
#[requires(all(role("editor"), check(any_org(org))))]
async fn argument_only(Path(org): Path<String>) -> String {
    org
}

#[allow(clippy::ptr_arg, reason = "check(...) passes the argument as extracted: a &String")]
async fn any_org(_user: &User, org: &String) -> bool {
    !org.is_empty()
}

const SECRET: &[u8] = b"benchmark-only-secret-0123456789abcdef";

fn role(name: &str) -> Role {
    Role::new(name).expect("role")
}

async fn setup() -> (Router, String, SqliteStore) {
    let path = std::env::temp_dir().join(format!("scoped_check_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let options = SqlOptions { cache_ttl: Duration::from_secs(3600), ..SqlOptions::default() };
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = SqliteStore::connect(&url, options).await.expect("sqlite");
    let mut user = User::new("johndoe");
    user.roles = vec![role("editor")];
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let password_hash = PasswordHasher::new(params).hash_blocking("secret").expect("hash");
    store.create_user(UserRecord { user, password_hash }).await.expect("create");
    for (org, name) in [("acme", "editor"), ("beta", "viewer"), ("gamma", "admin")] {
        let grant = ScopedRole::new("org", org, role(name)).expect("grant");
        store.grant_scoped_role("johndoe", grant).await.expect("grant");
    }
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let token = tokens.issue("johndoe").expect("token").access_token;
    let auth = Auth::new(tokens, store.clone());
    let router = Router::new()
        .route("/global/{org}", get(global))
        .route("/scoped/{org}", get(scoped))
        .route("/argument/{org}", get(argument_only))
        .with_state(auth);
    (router, token, store)
}

fn request(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

fn scoped_check(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let (router, token, store) = runtime.block_on(setup());
    let call = |path: &'static str| {
        let router = router.clone();
        let request = request(path, &token);
        async move { router.oneshot(request).await.expect("infallible").status() }
    };
    // Warm both caches, and check both routes admit the user (and the scoped
    // one refuses another org), so the bench measures admissions.
    runtime.block_on(async {
        assert_eq!(call("/global/acme").await, StatusCode::OK);
        assert_eq!(call("/scoped/acme").await, StatusCode::OK);
        assert_eq!(call("/argument/acme").await, StatusCode::OK);
        assert_eq!(call("/scoped/delta").await, StatusCode::FORBIDDEN);
        assert_eq!(store.find_scoped_roles("johndoe").await.expect("cached").len(), 3);
    });

    let mut group = c.benchmark_group("scoped_check");
    for round in 1..=3 {
        let variants = [
            ("global", "/global/acme"),
            ("argument", "/argument/acme"),
            ("scoped", "/scoped/acme"),
        ];
        for (name, path) in variants {
            group.bench_function(format!("{name}_{round}"), |b| {
                b.iter(|| runtime.block_on(call(black_box(path))))
            });
        }
    }
    group.finish();
    let _ = std::fs::remove_file(
        std::env::temp_dir().join(format!("scoped_check_{}.db", std::process::id())),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = scoped_check
}
criterion_main!(benches);
