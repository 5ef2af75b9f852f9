//! Refresh tokens with rotation and reuse detection, revocation, logout and
//! "log out everywhere", through the real router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tests::{Reply, demo_app, get, send, token_request};

struct Pair {
    access: String,
    refresh: String,
}

fn pair(reply: &Reply) -> Pair {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    Pair {
        access: reply.json["access_token"].as_str().expect("access_token").to_owned(),
        refresh: reply.json["refresh_token"].as_str().expect("refresh_token").to_owned(),
    }
}

async fn login(router: &axum::Router, form: &str) -> Pair {
    pair(&send(router, token_request(form)).await)
}

async fn refresh(router: &axum::Router, token: &str) -> Reply {
    send(router, token_request(&format!("grant_type=refresh_token&refresh_token={token}"))).await
}

async fn status_of(router: &axum::Router, access: &str) -> StatusCode {
    send(router, get("/users/me", Some(access))).await.status
}

fn post_form(path: &str, form: &str, token: Option<&str>) -> Request<Body> {
    let mut request =
        Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::from(form.to_owned())).expect("request")
}

const JOHN: &str = "username=johndoe&password=secret";

fn assert_invalid_grant(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.json);
    assert_eq!(reply.json["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_are_opaque_and_rotate() {
    let app = demo_app();
    let first = login(&app.router, JOHN).await;
    assert_eq!(first.refresh.matches('.').count(), 2, "opaque, not a JWT");
    assert_eq!(first.refresh.len(), 22 + 1 + 43 + 1 + 43, "a session id and twice 256 random bits");

    let second = pair(&refresh(&app.router, &first.refresh).await);
    let third = pair(&refresh(&app.router, &second.refresh).await);
    assert_ne!(second.refresh, third.refresh);
    assert_ne!(second.access, third.access);
    assert_eq!(status_of(&app.router, &third.access).await, StatusCode::OK);
    let reply = refresh(&app.router, &third.refresh).await;
    assert!(reply.json["refresh_token"].is_string());
    assert_eq!(reply.header("cache-control"), "no-store");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_session() {
    let app = demo_app();
    let first = login(&app.router, JOHN).await;
    let other_session = login(&app.router, JOHN).await;
    let second = pair(&refresh(&app.router, &first.refresh).await);

    assert_invalid_grant(&refresh(&app.router, &first.refresh).await);
    // Everything of that session is gone: the newest refresh token and its access tokens.
    assert_invalid_grant(&refresh(&app.router, &second.refresh).await);
    assert_eq!(status_of(&app.router, &second.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app.router, &first.access).await, StatusCode::UNAUTHORIZED);
    // Another session of the same user is untouched.
    assert_eq!(status_of(&app.router, &other_session.access).await, StatusCode::OK);
    assert!(refresh(&app.router, &other_session.refresh).await.status.is_success());
}

#[tokio::test]
async fn refresh_fails_for_disabled_and_deleted_users() {
    let app = demo_app();
    let john = login(&app.router, JOHN).await;
    app.users.set_disabled("johndoe", true);
    assert_invalid_grant(&refresh(&app.router, &john.refresh).await);
    app.users.set_disabled("johndoe", false);
    assert_invalid_grant(&refresh(&app.router, &john.refresh).await); // the session was revoked

    let jane = login(&app.router, "username=janedoe&password=secret3").await;
    app.users.remove("janedoe");
    assert_invalid_grant(&refresh(&app.router, &jane.refresh).await);
}

#[tokio::test]
async fn garbage_and_missing_refresh_tokens() {
    let app = demo_app();
    assert_invalid_grant(&refresh(&app.router, "not-a-token").await);
    let reply = send(&app.router, token_request("grant_type=refresh_token")).await;
    assert_eq!(
        (reply.status, reply.json["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
}

#[tokio::test]
async fn revoking_an_access_token_refuses_it_on_the_next_request() {
    let app = demo_app();
    let john = login(&app.router, JOHN).await;
    assert_eq!(status_of(&app.router, &john.access).await, StatusCode::OK);
    let reply =
        send(&app.router, post_form("/token/revoke", &format!("token={}", john.access), None))
            .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(status_of(&app.router, &john.access).await, StatusCode::UNAUTHORIZED);
    // RFC 7009: unknown tokens get the same 200.
    let reply = send(&app.router, post_form("/token/revoke", "token=whatever", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session() {
    let app = demo_app();
    let john = login(&app.router, JOHN).await;
    let form = format!("token={}&token_type_hint=refresh_token", john.refresh);
    assert_eq!(
        send(&app.router, post_form("/token/revoke", &form, None)).await.status,
        StatusCode::OK
    );
    assert_invalid_grant(&refresh(&app.router, &john.refresh).await);
    assert_eq!(status_of(&app.router, &john.access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_current_session_only() {
    let app = demo_app();
    let laptop = login(&app.router, JOHN).await;
    let phone = login(&app.router, JOHN).await;
    let reply = send(&app.router, post_form("/logout", "", Some(&laptop.access))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app.router, &laptop.access).await, StatusCode::UNAUTHORIZED);
    assert_invalid_grant(&refresh(&app.router, &laptop.refresh).await);
    assert_eq!(status_of(&app.router, &phone.access).await, StatusCode::OK);
    let reply = send(&app.router, post_form("/logout", "", None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_can_log_a_user_out_everywhere() {
    let app = demo_app();
    let laptop = login(&app.router, JOHN).await;
    let phone = login(&app.router, JOHN).await;
    let admin = login(&app.router, "username=janedoe&password=secret3").await;

    let denied = send(
        &app.router,
        post_form("/admin/users/janedoe/revoke-tokens", "", Some(&laptop.access)),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let reply =
        send(&app.router, post_form("/admin/users/johndoe/revoke-tokens", "", Some(&admin.access)))
            .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    for session in [&laptop, &phone] {
        assert_eq!(status_of(&app.router, &session.access).await, StatusCode::UNAUTHORIZED);
        assert_invalid_grant(&refresh(&app.router, &session.refresh).await);
    }
    let fresh = login(&app.router, JOHN).await;
    assert_eq!(status_of(&app.router, &fresh.access).await, StatusCode::OK, "new logins work");
    assert_eq!(status_of(&app.router, &admin.access).await, StatusCode::OK, "others are untouched");
    let unknown =
        send(&app.router, post_form("/admin/users/nobody/revoke-tokens", "", Some(&admin.access)))
            .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_jwks_of_an_hmac_deployment_is_empty() {
    let app = demo_app();
    let reply = send(&app.router, get("/.well-known/jwks.json", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"keys": []}), "an HMAC secret is never published");
}
