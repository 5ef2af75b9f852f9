//! The guarded request's hot path, step by step, in process: what
//! `#[requires_role("user")]` in front of `/users/me` does per request with
//! `Auth::new(Tokens::hs256(..), MemoryUserStore)`, the policy's scopes, and
//! a login token (`jti`, `sid`, `scope`, `roles`, `generation`, `kid`).
//!
//! `cargo bench -p rbac-core --bench guard_path`. `guard_path/total` is the
//! whole guard (`Guard::from_request_parts`) plus the handler's `CurrentUser`;
//! `guard_path/hand_written` is the same work written by hand with
//! `jsonwebtoken::decode` (only `sub` read), a map lookup and a clone.
//! The steps overlap a little (each starts from the token where it must),
//! so they need not add up to the total exactly.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::pin;
use std::sync::RwLock;
use std::task::{Context, Poll, Waker};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rbac_core::__private::{Guard, Requirement, steps};
use rbac_core::{
    AccessPolicy, Auth, CurrentUser, JwtSecret, MemoryUserStore, PasswordHasher, Role, ScopePolicy,
    Tokens, User, UserRecord, requires_role,
};

rbac_core::policy! {
    /// The roles of the benchmark (as in `guard_rbac_core`).
    mod policy {
        role "user" grants "items:read";
        role "admin": "user" grants "users:manage";
    }
}

/// Never routed; its guard is what the bench runs.
#[allow(dead_code)]
#[requires_role("user")]
async fn me(CurrentUser(user): CurrentUser) -> String {
    user.username.clone()
}

type MeGuard = Guard<__rbac_requirement_me>;

const SECRET: &[u8] = b"benchmark-only-secret-0123456789abcdef";

/// Runs a future that the memory stores answer at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the memory stores never wait"),
    }
}

fn user() -> User {
    let mut john = User::new("johndoe");
    john.email = Some("johndoe@example.com".to_owned());
    john.full_name = Some("John Doe".to_owned());
    john.roles.push(Role::new("user").expect("role"));
    john
}

/// The app and a token from its login.
fn setup() -> (Auth, String) {
    let hasher = PasswordHasher::fast_for_tests();
    let store = MemoryUserStore::new();
    let password_hash = hasher.hash_blocking("secret").expect("hash");
    store.insert(UserRecord { user: user(), password_hash }).expect("insert");
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let auth = Auth::with_hasher(tokens, store, hasher)
        .with_scopes(ScopePolicy::from_policy::<policy::Policy>());
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let token = runtime.block_on(async {
        auth.revoke_all_tokens("johndoe").await.expect("revoke");
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        auth.login("johndoe", "secret".to_owned(), localhost).await.expect("login").access_token
    });
    (auth, token)
}

fn request(token: &str) -> Parts {
    let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    Request::builder()
        .uri("/users/me")
        .header(header::AUTHORIZATION, value)
        .body(())
        .expect("request")
        .into_parts()
        .0
}

fn guard_path(c: &mut Criterion) {
    let (auth, token) = setup();
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let parts = request(&token);
    let claims = tokens.verify(&token).expect("valid token");
    let payload_segment = token.split('.').nth(1).expect("payload");
    let json = steps::payload_json(&token);
    let john = user();
    assert_eq!(
        token.len(),
        345,
        "the login token of the load script: {}",
        String::from_utf8_lossy(&json)
    );

    let mut group = c.benchmark_group("guard_path");
    group.bench_function("1_header_parse", |b| {
        b.iter(|| steps::bearer_token(black_box(&parts.headers)).map(str::len))
    });
    group.bench_function("2_base64", |b| b.iter(|| steps::base64_segments(black_box(&token))));
    group.bench_function("3_jose_header", |b| b.iter(|| steps::header(&tokens, black_box(&token))));
    group.bench_function("4_hmac", |b| b.iter(|| steps::signature(&tokens, black_box(&token))));
    group
        .bench_function("5_duplicate_keys", |b| b.iter(|| steps::duplicate_keys(black_box(&json))));
    group.bench_function("6_claims", |b| b.iter(|| steps::claims(black_box(payload_segment))));
    group.bench_function("7_verify_token", |b| b.iter(|| tokens.verify(black_box(&token))));
    group.bench_function("8_revocation", |b| {
        b.iter(|| ready(steps::is_revoked(&auth, black_box(&claims))))
    });
    group.bench_function("9_user_lookup", |b| {
        b.iter(|| ready(steps::load_user(&auth, black_box("johndoe"))))
    });
    group.bench_function("10_scope_narrowing", |b| {
        b.iter(|| steps::narrow_scopes(&auth, black_box(&john), black_box(&claims)))
    });
    group.bench_function("11_arcs_extensions", |b| {
        b.iter_batched(
            || {
                (
                    parts.clone(),
                    ready(steps::load_user(&auth, "johndoe")).expect("user"),
                    claims.clone(),
                )
            },
            |(mut parts, user, claims)| steps::remember(&mut parts, &auth, user, claims),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("12_policy_check", |b| {
        b.iter(|| __rbac_requirement_me::decide(black_box(&john), black_box(&claims)))
    });
    group.bench_function("total", |b| {
        b.iter_batched(
            || parts.clone(),
            |mut parts| {
                ready(MeGuard::from_request_parts(&mut parts, &auth))
                    .map_err(drop)
                    .expect("admitted");
                ready(CurrentUser::from_request_parts(&mut parts, &auth))
                    .map_err(drop)
                    .expect("user")
            },
            criterion::BatchSize::SmallInput,
        )
    });

    let key = DecodingKey::from_secret(SECRET).expect("key");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let users = RwLock::new(HashMap::from([("johndoe".to_owned(), user())]));
    #[derive(serde::Deserialize)]
    struct Subject {
        sub: String,
    }
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let value = black_box(&parts.headers).get(header::AUTHORIZATION)?.to_str().ok()?;
            let token = value.strip_prefix("Bearer ")?;
            let data = jsonwebtoken::decode::<Subject>(token, &key, &validation).ok()?;
            let user = users.read().ok()?.get(&data.claims.sub).cloned()?;
            (!user.disabled && user.roles.iter().any(|role| role.as_str() == "user"))
                .then_some(user)
        })
    });
    group.finish();
    assert!(policy::Policy::grants(&john).roles != 0);
}

criterion_group!(benches, guard_path);
criterion_main!(benches);
