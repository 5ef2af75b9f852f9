//! What widely used OAuth2 client libraries read from `/token` and the
//! introspection endpoint (Authlib, requests-oauthlib, oauth4webapi): error
//! codes, the strict RFC 6749 status, parameters sent empty, and refresh
//! tokens described by introspection.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rbac_core::oauth2::TokenErrorStyle;
use rbac_core::rejection;
use serde_json::json;
use tests::{Reply, demo_app, demo_app_configured, login, send, token_request, urlencode};

async fn token(router: &axum::Router, form: &str) -> Reply {
    send(router, token_request(form)).await
}

/// Authlib treats a body without `error` as a token; requests-oauthlib
/// raises `InvalidGrantError` only for `"error": "invalid_grant"`.
fn assert_parsed_as_invalid_grant(reply: &Reply, detail: &str) {
    assert_eq!(reply.json["error"], "invalid_grant", "{:?}", reply.json);
    assert_eq!(reply.json["error_description"], detail);
    assert_eq!(reply.json["detail"], detail, "the seed's clients read `detail`");
    assert!(reply.json.get("access_token").is_none());
    assert_eq!(reply.header("cache-control"), "no-store");
}

#[tokio::test]
async fn a_wrong_password_is_invalid_grant_with_the_seeds_401_by_default() {
    let app = demo_app();
    let reply = token(&app.router, "grant_type=password&username=johndoe&password=nope").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), "Bearer");
    assert_parsed_as_invalid_grant(&reply, "Incorrect username or password");
}

#[tokio::test]
async fn the_strict_style_answers_a_wrong_password_with_400() {
    let app = demo_app_configured(|auth| auth.with_token_error_style(TokenErrorStyle::Rfc6749));
    for form in ["username=johndoe&password=nope", "username=nobody&password=secret"] {
        let reply = token(&app.router, form).await;
        // oauth4webapi reads a 401 as a challenge, not as an error response.
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{form}");
        assert!(reply.headers.get(header::WWW_AUTHENTICATE).is_none());
        assert_parsed_as_invalid_grant(&reply, "Incorrect username or password");
    }
    // Everything else is as in the default style.
    let refused = token(&app.router, "username=alice&password=secret2").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_parsed_as_invalid_grant(&refused, "Inactive user");
    assert_eq!(token(&app.router, "username=johndoe&password=secret").await.status, StatusCode::OK);
}

#[tokio::test]
async fn parameters_sent_without_a_value_count_as_omitted() {
    let app = demo_app();
    let default = token(&app.router, "username=janedoe&password=secret3").await;
    let empty_scope = token(&app.router, "username=janedoe&password=secret3&scope=").await;
    assert_eq!(empty_scope.status, StatusCode::OK);
    assert_eq!(empty_scope.json["scope"], default.json["scope"], "the default grant, not none");
    assert!(!default.json["scope"].as_str().unwrap_or("").is_empty());

    let empty_grant_type = token(&app.router, "grant_type=&username=johndoe&password=secret").await;
    assert_eq!(empty_grant_type.status, StatusCode::OK, "the default grant type");

    for form in ["username=&password=secret", "username=johndoe&password="] {
        let reply = token(&app.router, form).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{form}");
        assert_eq!(reply.json["error"], "invalid_request");
    }
    let reply = token(&app.router, "grant_type=refresh_token&refresh_token=").await;
    assert_eq!(reply.json["error"], "invalid_request");
}

#[tokio::test]
async fn refreshing_for_a_disabled_user_is_invalid_grant_and_ends_the_session() {
    let app = demo_app();
    let login = token(&app.router, "username=johndoe&password=secret").await;
    let refresh = login.json["refresh_token"].as_str().expect("refresh_token").to_owned();
    let form = format!("grant_type=refresh_token&refresh_token={refresh}");
    app.users.set_disabled("johndoe", true);
    let refused = token(&app.router, &form).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_parsed_as_invalid_grant(&refused, "Inactive user");
    app.users.set_disabled("johndoe", false);
    let after = token(&app.router, &form).await;
    assert_parsed_as_invalid_grant(&after, "Invalid refresh token");
}

async fn introspect(router: &axum::Router, caller: &str, token: &str) -> Reply {
    let request = Request::post("/token/introspect")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, format!("Bearer {caller}"))
        .body(Body::from(format!("token={}&token_type_hint=refresh_token", urlencode(token))))
        .expect("request");
    send(router, request).await
}

#[tokio::test]
async fn introspection_describes_a_live_refresh_token_without_its_digest() {
    let app = demo_app();
    let admin = login(&app.router, "janedoe", "secret3").await;
    let issued = token(&app.router, "username=johndoe&password=secret").await;
    let refresh = issued.json["refresh_token"].as_str().expect("refresh_token").to_owned();

    let reply = introspect(&app.router, &admin, &refresh).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({
            "active": true,
            "token_type": "refresh_token",
            "sub": "johndoe",
            "username": "johndoe",
            "scope": "items:read",
        })
    );
    assert_eq!(reply.header("cache-control"), "no-store");

    // Spent by a rotation: no longer accepted, so inactive.
    let rotate = format!("grant_type=refresh_token&refresh_token={refresh}");
    let rotated = token(&app.router, &rotate).await;
    let next = rotated.json["refresh_token"].as_str().expect("rotated").to_owned();
    assert_eq!(introspect(&app.router, &admin, &refresh).await.json, json!({"active": false}));
    assert_eq!(introspect(&app.router, &admin, &next).await.json["active"], true);
    // Its user disabled: a refresh would be refused, so inactive too.
    app.users.set_disabled("johndoe", true);
    assert_eq!(introspect(&app.router, &admin, &next).await.json, json!({"active": false}));
}

#[tokio::test]
async fn token_errors_can_share_the_apps_denial_responder() {
    let app = demo_app_configured(|auth| {
        auth.with_rejection_responder(rejection::problem_json).with_responder_at_token_endpoint()
    });
    let reply = token(&app.router, "username=johndoe&password=nope").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(reply.json["detail"], "Incorrect username or password");
    // Opt-in: a responder alone leaves `/token` in the OAuth2 shape.
    let app = demo_app_configured(|auth| auth.with_rejection_responder(rejection::problem_json));
    let reply = token(&app.router, "username=johndoe&password=nope").await;
    assert_eq!(reply.header("content-type"), "application/json");
    assert_parsed_as_invalid_grant(&reply, "Incorrect username or password");
}

/// Runs `tests/clients/oauth2_clients.py` against the demo app on loopback.
async fn real_clients_against(app: tests::TestApp) {
    let address = tests::net::serve_on_loopback(app.router).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/oauth2_clients.py");
    let base = format!("http://{address}");
    let output = tokio::process::Command::new("python3")
        .args([script, &base])
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[tokio::test]
#[ignore = "needs python3 with authlib and requests-oauthlib; .ci/run installs them and runs it"]
async fn authlib_and_requests_oauthlib_read_our_token_endpoint() {
    // The seed's 401, and the strict style's 400: both read as invalid_grant.
    real_clients_against(demo_app()).await;
    let strict = demo_app_configured(|auth| auth.with_token_error_style(TokenErrorStyle::Rfc6749));
    real_clients_against(strict).await;
}
