//! Property tests: random and mutated tokens, headers and forms thrown at
//! the real router. No panic, no 5xx, and the only successes are requests
//! carrying a genuinely valid token.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use proptest::prelude::*;
use tests::{TestApp, demo_app, send, urlencode};

struct Fixture {
    app: TestApp,
    valid: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let app = demo_app();
        let subject = rbac_core::TokenSubject {
            username: "janedoe",
            scope: Some("users:manage"),
            ..rbac_core::TokenSubject::default()
        };
        let valid = app.tokens.issue_for(&subject).expect("issue").access_token;
        Fixture { app, valid }
    })
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Ways to damage a token.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Append(String),
    Insert(prop::sample::Index, char),
    SwapSegments,
    DropSignature,
}

fn mutate(token: &str, mutation: &Mutation) -> String {
    let mut bytes = token.as_bytes().to_vec();
    match mutation {
        Mutation::Flip(index, xor) => {
            let i = index.index(bytes.len());
            bytes[i] ^= xor.max(&1);
        }
        Mutation::Truncate(index) => bytes.truncate(index.index(bytes.len())),
        Mutation::Append(tail) => bytes.extend_from_slice(tail.as_bytes()),
        Mutation::Insert(index, c) => {
            let mut buffer = [0; 4];
            let i = index.index(bytes.len());
            bytes.splice(i..i, c.encode_utf8(&mut buffer).bytes());
        }
        Mutation::SwapSegments => {
            let parts: Vec<&str> = token.split('.').collect();
            return format!("{}.{}.{}", parts[1], parts[0], parts[2]);
        }
        Mutation::DropSignature => {
            let cut = token.rfind('.').unwrap_or(token.len());
            bytes.truncate(cut + 1);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        "[A-Za-z0-9_.=-]{1,16}".prop_map(Mutation::Append),
        (any::<prop::sample::Index>(), any::<char>()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        Just(Mutation::SwapSegments),
        Just(Mutation::DropSignature),
    ]
}

fn guarded(path: &str, authorization: HeaderValue) -> Request<Body> {
    let mut request = Request::get(path).body(Body::empty()).expect("request");
    request.headers_mut().insert("authorization", authorization);
    request
}

fn check(status: StatusCode, succeeded_legitimately: bool) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "5xx: {status}");
    if status.is_success() {
        prop_assert!(succeeded_legitimately, "a request without a valid token got {status}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_tokens_never_get_in(mutation in mutation(), path in prop::sample::select(vec!["/users/me", "/admin/users", "/posts"])) {
        let fixture = fixture();
        let token = mutate(&fixture.valid, &mutation);
        let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) else { return Ok(()) };
        let reply = run(send(&fixture.app.router, guarded(path, value)));
        check(reply.status, token == fixture.valid)?;
    }

    #[test]
    fn random_authorization_headers_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let fixture = fixture();
        let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
        let reply = run(send(&fixture.app.router, guarded("/users/me", value)));
        check(reply.status, false)?;
        prop_assert!(reply.status.is_client_error());
    }

    #[test]
    fn random_token_forms_never_succeed(
        body in prop::collection::vec(any::<u8>(), 0..600),
        content_type in prop::sample::select(vec!["application/x-www-form-urlencoded", "application/json", "text/plain", ""]),
    ) {
        let fixture = fixture();
        let mut request = Request::post("/token");
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        let reply = run(send(&fixture.app.router, request.body(Body::from(body)).expect("request")));
        // Random bytes cannot spell a demo user's name and password.
        check(reply.status, false)?;
    }

    #[test]
    fn structured_but_wrong_forms_never_succeed(
        username in "[ -~]{0,40}",
        password in "[ -~]{0,40}",
        grant in prop::option::of("[a-z_]{0,12}"),
    ) {
        let fixture = fixture();
        // alice is disabled: her right password gets 400, never a token.
        let legit = ["johndoe:secret", "janedoe:secret3", "bob:secret4"]
            .contains(&format!("{username}:{password}").as_str());
        let mut form = format!("username={}&password={}", urlencode(&username), urlencode(&password));
        if let Some(grant) = &grant {
            form.push_str(&format!("&grant_type={grant}"));
        }
        let request = Request::post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request");
        let reply = run(send(&fixture.app.router, request));
        check(reply.status, legit && grant.as_deref().is_none_or(|g| g.is_empty() || g == "password"))?;
    }
}

#[test]
fn the_unmutated_token_does_get_in() {
    // Guards the properties above against passing because nothing ever succeeds.
    let fixture = fixture();
    let value = HeaderValue::from_str(&format!("Bearer {}", fixture.valid)).expect("header");
    assert_eq!(
        run(send(&fixture.app.router, guarded("/admin/users", value))).status,
        StatusCode::OK
    );
}
