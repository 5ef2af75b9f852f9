//! The logs of a full login, refresh, revoke, logout and deny cycle never
//! contain a password, a token, a hash or the secret, while the audit events
//! themselves are there.

use axum::http::StatusCode;
use rbac_core::UserStore as _;
use tests::{TEST_SECRET, capture_logs, demo_app, get, login, send, token_request};

#[tokio::test]
async fn logs_carry_audit_events_but_no_secrets() {
    let (captured, _guard) = capture_logs();
    let app = demo_app();
    let first = send(&app.router, token_request("username=johndoe&password=secret")).await;
    let first_refresh = first.json["refresh_token"].as_str().expect("refresh").to_owned();
    let refreshed = send(
        &app.router,
        token_request(&format!("grant_type=refresh_token&refresh_token={first_refresh}")),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK);
    let token = refreshed.json["access_token"].as_str().expect("access").to_owned();
    let second_refresh = refreshed.json["refresh_token"].as_str().expect("refresh").to_owned();
    let reuse = format!("grant_type=refresh_token&refresh_token={first_refresh}");
    assert_eq!(send(&app.router, token_request(&reuse)).await.status, StatusCode::BAD_REQUEST);
    let token = {
        // The reuse revoked that session; start another one.
        let _ = token;
        login(&app.router, "johndoe", "secret").await
    };
    let admin_token = login(&app.router, "janedoe", "secret3").await;
    let wrong = send(&app.router, token_request("username=johndoe&password=hunter2-wrong")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    send(&app.router, token_request("username=ghost&password=ghost-password")).await;
    assert_eq!(send(&app.router, get("/users/me", Some(&token))).await.status, StatusCode::OK);
    assert_eq!(
        send(&app.router, get("/admin/users", Some(&token))).await.status,
        StatusCode::FORBIDDEN
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(
        send(&app.router, get("/users/me", Some(&forged))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app.router, get("/admin/users", Some(&admin_token))).await.status,
        StatusCode::OK
    );

    let logs = captured.text();
    for expected in [
        "login succeeded",
        "login failed",
        "access denied",
        "johndoe",
        "bad_credentials",
        "/admin/users",
    ] {
        assert!(logs.contains(expected), "missing {expected:?} in:\n{logs}");
    }

    let hash =
        app.users.find_credentials("johndoe").await.expect("store").expect("user").password_hash;
    let signature = token.rsplit('.').next().expect("signature");
    let secrets = [
        "secret\"", // the password as a JSON string value ("secret" alone also matches "secret3")
        "hunter2-wrong",
        "ghost-password",
        "secret3",
        token.as_str(),
        admin_token.as_str(),
        first_refresh.as_str(),
        second_refresh.as_str(),
        signature,
        forged.as_str(),
        hash.as_phc(),
        "$argon2id$",
        std::str::from_utf8(TEST_SECRET).expect("ascii"),
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs:\n{logs}");
    }
}

#[test]
fn debug_output_of_secret_holders_is_redacted() {
    let app = demo_app();
    let issued = app.tokens.issue("johndoe").expect("issue");
    let debug = format!(
        "{issued:?} {:?} {:?}",
        app.tokens,
        rbac_core::JwtSecret::new(TEST_SECRET.to_vec())
    );
    assert!(!debug.contains(&issued.access_token), "{debug}");
    assert!(!debug.contains(std::str::from_utf8(TEST_SECRET).expect("ascii")), "{debug}");
    let record = block_on(app.users.find_credentials("johndoe")).expect("store").expect("user");
    let debug = format!("{record:?}");
    assert!(debug.contains("[redacted]") && !debug.contains("$argon2id$"), "{debug}");
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(future)
}
