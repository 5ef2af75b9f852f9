//! The guard's cost through the real router, in-process with `oneshot`:
//! the same `/users/me` work done bare (no auth), by hand (header parsing +
//! `jsonwebtoken::decode` + store read), with `#[authenticated]` and with
//! `#[requires_role]`.
//!
//! `cargo bench -p example-app --features baseline`

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use example_app::{AppState, baseline, seed_demo_users};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tower::ServiceExt as _;

const SECRET: &[u8] = b"benchmark-only-secret-0123456789abcdef";

fn router_and_token() -> (Router, String) {
    let users = MemoryUserStore::new();
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let auth = Auth::new(tokens, users.clone());
    seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    // A token from a real login, in a session, as clients hold them.
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let login = auth.login("johndoe", "secret".to_owned(), std::net::Ipv4Addr::LOCALHOST.into());
    let token = runtime.block_on(login).expect("login").access_token;
    let routes = example_app::routes(AppState::new(auth.clone(), users.clone()))
        .merge(baseline::router(SECRET, auth, rbac_core::UserDirectory::new(users)));
    let router = example_app::with_request_limits(routes);
    (router, token)
}

fn guard_overhead(c: &mut Criterion) {
    let (router, token) = router_and_token();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let bearer = format!("Bearer {token}");
    let call = |path: &'static str| {
        let request = Request::get(path)
            .header("authorization", bearer.as_str())
            .body(Body::empty())
            .expect("request");
        let response = runtime.block_on(router.clone().oneshot(request)).expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    };
    let mut group = c.benchmark_group("users_me");
    for (name, path) in [
        ("bare", "/baseline/bare"),
        ("hand_written", "/baseline/manual"),
        ("authenticated", "/users/me"),
        ("requires_role", "/baseline/role"),
    ] {
        group.bench_function(name, |b| b.iter(|| call(path)));
    }
    group.finish();
}

/// What the request limits cost on `/health`: none, the one timer
/// `with_request_limits` sets, and the two (whole request + body) it used
/// to set.
fn request_limits(c: &mut Criterion) {
    use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

    let users = MemoryUserStore::new();
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let routes = example_app::routes(AppState::new(Auth::new(tokens, users.clone()), users));
    let timeout = example_app::REQUEST_TIMEOUT;
    let variants = [
        ("no_limits", routes.clone()),
        ("one_timer", example_app::with_request_limits(routes.clone())),
        (
            "two_timers",
            routes.layer((
                TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout),
                RequestBodyTimeoutLayer::new(timeout),
            )),
        ),
    ];
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut group = c.benchmark_group("health_limits");
    for (name, router) in &variants {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let request = Request::get("/health").body(Body::empty()).expect("request");
                let response =
                    runtime.block_on(router.clone().oneshot(request)).expect("infallible");
                assert_eq!(response.status(), StatusCode::OK);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, guard_overhead, request_limits);
criterion_main!(benches);
