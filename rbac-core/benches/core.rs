//! Token issue and verify, and the role check.
//!
//! `cargo bench -p rbac-core`. `verify/jsonwebtoken_decode` is the plain
//! crate call with HS256 pinned, for comparison with our stricter verifier.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rbac_core::{Claims, JwtSecret, Role, Tokens, User};

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

fn role_check(c: &mut Criterion) {
    let mut user = User::new("janedoe");
    user.roles = ["viewer", "editor", "admin"].map(|r| Role::new(r).expect("role")).to_vec();
    let mut group = c.benchmark_group("role_check");
    group.bench_function("held", |b| b.iter(|| black_box(&user).has_role(black_box("admin"))));
    group.bench_function("missing", |b| b.iter(|| black_box(&user).has_role(black_box("ops"))));
    group.finish();
}

criterion_group!(benches, tokens, role_check);
criterion_main!(benches);
