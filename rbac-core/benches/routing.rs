//! The secured router's request-time cost: none, since every check it makes
//! is at compile time and it hands axum the same `MethodRouter`. The same
//! guarded handler, called through a plain `axum::Router` and through a
//! `SecureRouter` turned into one, in one run.
//!
//! `cargo bench -p rbac-core --bench routing`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use rbac_core::routing::SecureRouter;
use rbac_core::{
    Auth, CurrentUser, JwtSecret, MemoryUserStore, PasswordHasher, Role, Tokens, User, UserRecord,
    authenticated, public,
};
use tower::ServiceExt as _;

rbac_core::policy! { mod policy { role "viewer"; } }

#[authenticated]
async fn me(user: CurrentUser) -> String {
    user.username.clone()
}

#[public]
async fn health() -> &'static str {
    "ok"
}

fn routers() -> (axum::Router, axum::Router, String) {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"));
    let mut user = User::new("ann");
    user.roles = vec![Role::new("viewer").expect("role")];
    let password_hash = hasher.hash_blocking("pw").expect("hash");
    users.insert(UserRecord { user, password_hash }).expect("insert");
    let auth = Auth::with_hasher(Tokens::hs256(JwtSecret::generate()), users, hasher);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let login = auth.login("ann", "pw".to_owned(), std::net::Ipv4Addr::LOCALHOST.into());
    let token = runtime.block_on(login).expect("login").access_token;
    let plain = axum::Router::new()
        .route("/users/me", axum::routing::get(me))
        .route("/health", axum::routing::get(health))
        .with_state(auth.clone());
    let secured = SecureRouter::new()
        .route("/users/me", rbac_core::routing::get(me))
        .route("/health", rbac_core::routing::get(health))
        .with_state(auth)
        .into_axum();
    (plain, secured, token)
}

fn secured_router(c: &mut Criterion) {
    let (plain, secured, token) = routers();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let bearer = format!("Bearer {token}");
    let call = |router: &axum::Router, path: &str| {
        let request = Request::get(path)
            .header("authorization", bearer.as_str())
            .body(Body::empty())
            .expect("request");
        let response = runtime.block_on(router.clone().oneshot(request)).expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    };
    for path in ["/users/me", "/health"] {
        let mut group = c.benchmark_group(format!("router{path}"));
        group.bench_function("axum_router", |b| b.iter(|| call(&plain, path)));
        group.bench_function("secure_router", |b| b.iter(|| call(&secured, path)));
        group.finish();
    }
}

criterion_group!(benches, secured_router);
criterion_main!(benches);
