//! A verification with a cached remote key against one with a local key,
//! through the request path (`Auth::authenticate` on a resource server),
//! all in one run, in five rounds, so the shared machine's load hits every
//! variant alike.
//!
//! `cargo bench -p rbac-core --features oidc --bench remote_keys`
//!
//! - `local_key`: `Tokens::verifier([key])`, the baseline.
//! - `remote_cached`: `Tokens::remote(jwks)` holding the same key, fetched
//!   once before measuring (each call checks staleness, then verifies).
//! - `issuers_own`: the same token through `TrustedIssuers` (own issuer
//!   plus an external one): `iss` is read first, then the same verification.
//! - `issuers_external`: an RFC 9068 token of the external issuer, with its
//!   `groups` and `scope` mapped.
//!
//! RS256 (the usual IdP default) is used throughout: its verification is the
//! cheapest of the asymmetric ones here, so any overhead shows the most.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hyper::body::Bytes;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rbac_core::{
    Auth, ClaimMapping, RemoteJwks, SigningKey, TokenSubject, Tokens, TrustedIssuer, TrustedIssuers,
};

rbac_core::policy! {
    mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer";
    }
}

const RSA_PEM: &[u8] = include_bytes!("../../testdata/keys/rs256-a.pem");
const OWN: &str = "https://app.bench";
const IDP: &str = "https://idp.bench";

/// A remote key set serving `keys`' JWKS from memory, fetched once.
fn remote(runtime: &tokio::runtime::Runtime, document: Bytes) -> RemoteJwks {
    let jwks = RemoteJwks::from_fetcher(move || {
        let document = document.clone();
        Box::pin(async move { Ok(document) })
    });
    runtime.block_on(jwks.refresh()).expect("fetch");
    jwks
}

fn verification(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let key = SigningKey::from_pem(RSA_PEM).expect("key");
    let document = Bytes::from(serde_json::to_vec(&Tokens::new(key.clone()).jwks()).expect("jwks"));
    let subject = TokenSubject { username: "johndoe", ..TokenSubject::default() };
    let own_token =
        Tokens::new(key.clone()).with_issuer(OWN).issue_for(&subject).expect("issue").access_token;

    let local = Auth::resource_server(Tokens::verifier([key.verification_key()]).with_issuer(OWN));
    let cached =
        Auth::resource_server(Tokens::remote(remote(&runtime, document.clone())).with_issuer(OWN));
    let issuers = TrustedIssuers::for_policy::<policy::Policy>([
        TrustedIssuer::own(Tokens::remote(remote(&runtime, document.clone())).with_issuer(OWN)),
        TrustedIssuer::external(IDP, remote(&runtime, document))
            .with_audience("reports-api")
            .with_mapping(
                ClaimMapping::groups("groups")
                    .group("/acme/editors", "editor")
                    .scope("reports.read", "items:read"),
            ),
    ])
    .expect("issuers");
    let trusting = Auth::resource_server_trusting(issuers);
    let external_token = external_token(&key);

    for (auth, token) in [
        (&local, &own_token),
        (&cached, &own_token),
        (&trusting, &own_token),
        (&trusting, &external_token),
    ] {
        runtime.block_on(auth.authenticate(token)).expect("verifies");
    }
    let variants = [
        ("local_key", &local, &own_token),
        ("remote_cached", &cached, &own_token),
        ("issuers_own", &trusting, &own_token),
        ("issuers_external", &trusting, &external_token),
    ];
    // Rounds, so that a burst of load from other work on the machine lands
    // on one round of every variant rather than on one variant.
    for round in 1..=5 {
        let mut group = c.benchmark_group(format!("verify_rs256/round{round}"));
        group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        for (name, auth, token) in variants {
            group.bench_function(name, |b| {
                b.iter(|| runtime.block_on(auth.authenticate(black_box(token))))
            });
        }
        group.finish();
    }
}

/// An RFC 9068 token as an OpenID provider issues them.
fn external_token(key: &SigningKey) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = serde_json::json!({
        "iss": IDP, "sub": "reports-editor", "aud": "reports-api", "client_id": "reports-editor",
        "iat": now, "exp": now + 3600, "jti": "bench", "scope": "reports.read reports.write",
        "groups": ["/acme/editors", "/acme/unmapped"],
    });
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(key.kid().to_owned());
    let encoding = EncodingKey::from_rsa_pem(RSA_PEM).expect("key");
    jsonwebtoken::encode(&header, &claims, &encoding).expect("sign")
}

criterion_group!(benches, verification);
criterion_main!(benches);
