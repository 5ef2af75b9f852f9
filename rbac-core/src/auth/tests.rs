//! Login costs: every username the store is asked about goes through a
//! password verification, so response time does not say which exist.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::time::Duration;

use super::*;
use crate::store::MemoryUserStore;
use crate::token::JwtSecret;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// One hashing thread, no queue, and that thread kept busy: any login that
/// reaches verification is refused as `Overloaded`.
fn auth_with_a_busy_hasher() -> (Auth, mpsc::Sender<()>) {
    let params = argon2::Params::new(64, 1, 1, None).expect("params");
    let hasher = PasswordHasher::new(params).with_limits(1, 0);
    let auth =
        Auth::with_hasher(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new(), hasher)
            .without_login_throttle();
    let (release, gate) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let pool = Arc::clone(&auth.password_hasher().expect("an issuer").pool);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(pool.run(move || {
            let _ = started.send(());
            let _ = gate.recv();
        }))
    });
    running.recv_timeout(Duration::from_secs(5)).expect("the hashing thread is busy");
    (auth, release)
}

#[tokio::test]
async fn an_unknown_username_still_goes_through_a_verification() {
    let (auth, release) = auth_with_a_busy_hasher();
    // Had the unknown user been answered without hashing, this would be 401.
    let outcome = auth.login("nobody", "guess".to_owned(), CLIENT).await;
    assert_eq!(outcome.map(|_| ()), Err(AuthError::Overloaded));
    release.send(()).expect("release");
}

#[tokio::test]
async fn oversized_input_is_refused_before_any_hashing() {
    let (auth, release) = auth_with_a_busy_hasher();
    let long = "x".repeat(MAX_USERNAME_BYTES + 1);
    let outcome = auth.login(&long, "guess".to_owned(), CLIENT).await;
    assert_eq!(outcome.map(|_| ()), Err(AuthError::IncorrectCredentials));
    release.send(()).expect("release");
}

#[tokio::test(flavor = "current_thread")]
async fn a_resource_server_holds_no_issuer_parts() {
    let tokens = Tokens::hs256(JwtSecret::generate());
    let issued = tokens.issue("johndoe").expect("issue");
    let auth = Auth::resource_server(tokens).with_scopes(crate::ScopePolicy::new(|_| Vec::new()));
    assert!(auth.password_hasher().is_none(), "no hashing pool, and so no threads");
    assert!(auth.session_store().is_none());
    assert!(format!("{auth:?}").contains("resource server"));
    // Its users come from the claims; issuer-only operations are refused.
    assert_eq!(
        auth.authenticate(&issued.access_token).await.map(|u| u.username).as_deref(),
        Ok("johndoe")
    );
    assert_eq!(
        auth.login("johndoe", "pw".into(), [127, 0, 0, 1].into()).await.map(|_| ()),
        Err(AuthError::UnsupportedGrantType)
    );
    assert_eq!(auth.refresh("x.y.z", None).await.map(|_| ()), Err(AuthError::UnsupportedGrantType));
    assert!(matches!(auth.revoke_all_tokens("johndoe").await, Err(AuthError::InvalidRequest(_))));
    assert!(matches!(auth.logout(&issued.access_token).await, Err(AuthError::InvalidRequest(_))));
}
