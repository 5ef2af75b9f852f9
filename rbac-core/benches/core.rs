//! Token issue and verify (per algorithm), and the role check.
//!
//! `cargo bench -p rbac-core`. `verify/jsonwebtoken_decode` is the plain
//! crate call with HS256 pinned, for comparison with our stricter verifier.
//! `verify_by_algorithm/*` verifies the same claims signed with each
//! supported algorithm (test-only keys from `testdata/keys`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rbac_core::__private::Requirement;
use rbac_core::{Claims, JwtSecret, Role, SigningKey, Tokens, User, requires};

rbac_core::policy! {
    /// 20 roles: a 10-deep chain and two branches, with permissions spread over them.
    mod policy {
        role "r0";
        role "r1": "r0" grants "p1";
        role "r2": "r1";
        role "r3": "r2" grants "p3";
        role "r4": "r3";
        role "r5": "r4" grants "p5";
        role "r6": "r5";
        role "r7": "r6";
        role "r8": "r7" grants "p8";
        role "r9": "r8";
        role "b1": "r2";
        role "b2": "b1" grants "p2";
        role "b3": "b2";
        role "b4": "b3", "r4";
        role "b5": "b4" grants "p6";
        role "c1": "r0";
        role "c2": "c1" grants "p7";
        role "c3": "c2";
        role "c4": "c3", "b2";
        role "c5": "c4", "r9" grants "p9";
    }
}

/// The nested combinator the bench checks (never routed; only its guard is used).
#[allow(dead_code)]
#[requires(any(
    role("r9"),
    all(role("b3"), permission("p6"), not(role("c1"))),
    all(any(role("c4"), permission("p8")), not(permission("p9")))
))]
async fn nested() {}

const SECRET: &[u8] = b"benchmark-only-secret-0123456789abcdef";

fn tokens(c: &mut Criterion) {
    let tokens = Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("secret"));
    let token = tokens.issue("johndoe").expect("issue").access_token;
    let key = DecodingKey::from_secret(SECRET).expect("key");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 30;

    c.bench_function("token/issue", |b| b.iter(|| tokens.issue(black_box("johndoe"))));
    let mut group = c.benchmark_group("token/verify");
    group.bench_function("rbac_core", |b| b.iter(|| tokens.verify(black_box(&token))));
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<Claims>(black_box(&token), &key, &validation))
    });
    group.finish();
}

fn verify_by_algorithm(c: &mut Criterion) {
    let keys = [
        ("HS256", SigningKey::hs256(&JwtSecret::new(SECRET.to_vec()).expect("secret"))),
        ("EdDSA", pem_key(include_bytes!("../../testdata/keys/ed25519-a.pem"))),
        ("ES256", pem_key(include_bytes!("../../testdata/keys/es256-a.pem"))),
        ("RS256", pem_key(include_bytes!("../../testdata/keys/rs256-a.pem"))),
    ];
    let mut group = c.benchmark_group("token/verify_by_algorithm");
    for (name, key) in keys {
        let tokens = Tokens::new(key);
        let token = tokens.issue("johndoe").expect("issue").access_token;
        group.bench_function(name, |b| b.iter(|| tokens.verify(black_box(&token))));
    }
    group.finish();
}

fn pem_key(pem: &[u8]) -> SigningKey {
    SigningKey::from_pem(pem).expect("test key")
}

fn policy_check(c: &mut Criterion) {
    let mut user = User::new("u");
    // Admitted through the third branch only, so every branch is evaluated.
    user.roles = ["c4", "b5"].map(|r| Role::new(r).expect("role")).to_vec();
    let claims = Tokens::hs256(JwtSecret::generate()).issue("u").expect("issue").claims;
    assert!(__rbac_requirement_nested::decide(&user, &claims).is_ok());
    let mut group = c.benchmark_group("policy_check");
    group.bench_function("grants", |b| b.iter(|| policy::grants(black_box(&user))));
    group.bench_function("nested_combinator", |b| {
        b.iter(|| __rbac_requirement_nested::decide(black_box(&user), black_box(&claims)))
    });
    group.finish();
}

fn role_check(c: &mut Criterion) {
    let mut user = User::new("janedoe");
    user.roles = ["viewer", "editor", "admin"].map(|r| Role::new(r).expect("role")).to_vec();
    let mut group = c.benchmark_group("role_check");
    group.bench_function("held", |b| {
        b.iter(|| black_box(&user).has_direct_role(black_box("admin")))
    });
    group.bench_function("missing", |b| {
        b.iter(|| black_box(&user).has_direct_role(black_box("ops")))
    });
    group.finish();
}

criterion_group!(benches, tokens, verify_by_algorithm, role_check, policy_check);
criterion_main!(benches);
