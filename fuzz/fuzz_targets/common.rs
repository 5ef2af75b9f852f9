//! The example app with the demo users, built once per fuzzing process, with
//! cheap hashing parameters so `/token` cases run fast.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tower::ServiceExt as _;

pub struct Fuzzed {
    pub router: Router,
    pub runtime: tokio::runtime::Runtime,
}

pub fn app() -> &'static Fuzzed {
    static APP: OnceLock<Fuzzed> = OnceLock::new();
    APP.get_or_init(|| {
        let users = MemoryUserStore::new();
        let params = argon2::Params::new(64, 1, 1, None).expect("params");
        let hasher = PasswordHasher::new(params);
        example_app::seed_demo_users(&users, &hasher).expect("seed");
        let auth = Auth::with_hasher(Tokens::hs256(JwtSecret::generate()), users.clone(), hasher)
            .without_login_throttle();
        let router = example_app::app(example_app::AppState::new(auth, users));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Fuzzed { router, runtime }
    })
}

/// Sends the request; panics (a finding) on any 5xx.
pub fn expect_no_server_error(request: Request<Body>) -> u16 {
    let app = app();
    let response = app.runtime.block_on(app.router.clone().oneshot(request)).expect("infallible");
    let status = response.status();
    assert!(!status.is_server_error(), "server error {status}");
    status.as_u16()
}
