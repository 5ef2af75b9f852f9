//! OAuth2 scopes at `/token` and on guarded routes, RFC 6749 §5.2 errors,
//! and RFC 7662 introspection, through the example app's router.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tests::{Reply, TEST_SECRET, demo_app, get, login, send, token_request, urlencode};

async fn token(router: &axum::Router, form: &str) -> Reply {
    send(router, token_request(form)).await
}

fn password_form(username: &str, password: &str, scope: Option<&str>) -> String {
    let mut form = format!("username={username}&password={password}");
    if let Some(scope) = scope {
        form.push_str(&format!("&scope={}", urlencode(scope)));
    }
    form
}

#[tokio::test]
async fn a_login_without_scope_gets_everything_its_roles_allow() {
    let app = demo_app();
    let reply = token(&app.router, &password_form("johndoe", "secret", None)).await;
    assert_eq!(reply.json["scope"], "items:read");
    let reply = token(&app.router, &password_form("janedoe", "secret3", None)).await;
    assert_eq!(reply.json["scope"], "items:read posts:write users:manage tokens:introspect");
    let access = reply.json["access_token"].as_str().expect("token");
    let claims = app.tokens.verify(access).expect("valid");
    assert_eq!(claims.scope.as_deref(), reply.json["scope"].as_str(), "the token carries it");
}

#[tokio::test]
async fn excess_scopes_are_narrowed_by_default() {
    let app = demo_app();
    let form = password_form("johndoe", "secret", Some("items:read users:manage"));
    let reply = token(&app.router, &form).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["scope"], "items:read", "users:manage needs the admin role");
    let claims = app.tokens.verify(reply.json["access_token"].as_str().expect("token"));
    assert!(!claims.expect("valid").has_scope("users:manage"));
}

#[tokio::test]
async fn a_missing_scope_is_insufficient_scope_naming_it() {
    let app = demo_app();
    // Narrowed to nothing: a valid token without `items:read`.
    let reply = token(&app.router, &password_form("johndoe", "secret", Some("users:manage"))).await;
    assert_eq!(reply.json["scope"], "");
    let narrowed = reply.json["access_token"].as_str().expect("token").to_owned();
    let reply = send(&app.router, get("/users/me/items", Some(&narrowed))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="items:read""#
    );
    // Routes that need no scope still work with it.
    assert_eq!(send(&app.router, get("/users/me", Some(&narrowed))).await.status, 200);
    let full = login(&app.router, "johndoe", "secret").await;
    assert_eq!(send(&app.router, get("/users/me/items", Some(&full))).await.status, 200);
}

#[tokio::test]
async fn a_lost_role_takes_its_scope_from_tokens_already_issued() {
    let app = demo_app();
    let token = login(&app.router, "janedoe", "secret3").await;
    assert_eq!(send(&app.router, get("/users/me/items", Some(&token))).await.status, 200);
    // Demoted to a role without `items:read`: the token still says it, but
    // its scopes count only while the roles allow them.
    let nobody = vec![rbac_core::Role::new("unassigned").expect("role")];
    assert!(app.users.set_roles("janedoe", nobody));
    let reply = send(&app.router, get("/users/me/items", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="items:read""#
    );
}

#[tokio::test]
async fn refusing_excess_scopes_answers_invalid_scope() {
    let users = MemoryUserStore::new();
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = Auth::new(tokens, users.clone()).with_scopes(example_app::scope_policy(true));
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let router = example_app::app(example_app::AppState::new(auth, users));
    let reply =
        token(&router, &password_form("johndoe", "secret", Some("items:read users:manage"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "invalid_scope");
    assert_eq!(reply.header("cache-control"), "no-store");
    let reply = token(&router, &password_form("johndoe", "secret", Some("items:read"))).await;
    assert_eq!((reply.status, reply.json["scope"].as_str()), (StatusCode::OK, Some("items:read")));
}

#[tokio::test]
async fn malformed_scopes_are_invalid_scope() {
    let app = demo_app();
    for scope in ["items:read \"x\"", "a\\b", "caf\u{e9}"] {
        let reply = token(&app.router, &password_form("johndoe", "secret", Some(scope))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{scope:?}");
        assert_eq!(reply.json["error"], "invalid_scope");
    }
    // Wrong credentials keep the foundation's answer, scope or not.
    let reply = token(&app.router, &password_form("johndoe", "wrong", Some("items:read"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.detail(), "Incorrect username or password");
}

#[tokio::test]
async fn refresh_keeps_narrows_and_never_widens_the_grant() {
    let app = demo_app();
    let login =
        token(&app.router, &password_form("janedoe", "secret3", Some("items:read users:manage")))
            .await;
    let refresh_token = login.json["refresh_token"].as_str().expect("refresh").to_owned();
    let refresh = |token: &str, scope: Option<&str>| {
        let mut form = format!("grant_type=refresh_token&refresh_token={}", urlencode(token));
        if let Some(scope) = scope {
            form.push_str(&format!("&scope={}", urlencode(scope)));
        }
        form
    };
    // Widening is refused, and the refused request spends nothing.
    let reply = token(&app.router, &refresh(&refresh_token, Some("items:read posts:write"))).await;
    assert_eq!(
        (reply.status, reply.json["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let reply = token(&app.router, &refresh(&refresh_token, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    assert_eq!(reply.json["scope"], "items:read users:manage", "kept");
    let next = reply.json["refresh_token"].as_str().expect("rotated").to_owned();
    let reply = token(&app.router, &refresh(&next, Some("users:manage"))).await;
    assert_eq!(reply.json["scope"], "users:manage", "narrowed");
}

async fn introspect(router: &axum::Router, caller: Option<&str>, token: &str) -> Reply {
    let mut request = Request::post("/token/introspect")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(caller) = caller {
        request = request.header(header::AUTHORIZATION, format!("Bearer {caller}"));
    }
    let body = Body::from(format!("token={}", urlencode(token)));
    send(router, request.body(body).expect("request")).await
}

#[tokio::test]
async fn introspection_reports_active_tokens_to_allowed_callers_only() {
    let app = demo_app();
    let admin = login(&app.router, "janedoe", "secret3").await;
    let user = login(&app.router, "johndoe", "secret").await;

    let reply = introspect(&app.router, Some(&admin), &user).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.json["active"], true);
    assert_eq!(
        (reply.json["sub"].as_str(), reply.json["username"].as_str()),
        (Some("johndoe"), Some("johndoe"))
    );
    assert_eq!(reply.json["scope"], "items:read");
    assert!(reply.json["exp"].is_u64() && reply.json["jti"].is_string());

    // Revoked, garbage, or a disabled user's: inactive, with nothing else said.
    let revoke = Request::post("/token/revoke")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={}", urlencode(&user))))
        .expect("request");
    assert_eq!(send(&app.router, revoke).await.status, StatusCode::OK);
    let alice = tests::login_then_disable(&app, "alice", "secret2").await;
    for token in [user.as_str(), "garbage", alice.as_str()] {
        let reply = introspect(&app.router, Some(&admin), token).await;
        assert_eq!(reply.json, serde_json::json!({"active": false}), "{token}");
    }

    // Only callers with `tokens:introspect`, as a permission and in the token's scopes, may ask.
    let form = "username=janedoe&password=secret3&scope=items:read";
    let narrowed = token(&app.router, form).await.json["access_token"].as_str().map(str::to_owned);
    let reply = introspect(&app.router, narrowed.as_deref(), &admin).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="tokens:introspect""#
    );
    let other = login(&app.router, "bob", "secret4").await;
    assert_eq!(introspect(&app.router, Some(&other), &admin).await.status, StatusCode::FORBIDDEN);
    assert_eq!(introspect(&app.router, None, &admin).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_errors_carry_rfc_6749_codes_next_to_detail() {
    let app = demo_app();
    let cases = [
        ("grant_type=client_credentials", "unsupported_grant_type"),
        ("grant_type=password&username=johndoe", "invalid_request"),
        ("grant_type=refresh_token&refresh_token=nope", "invalid_grant"),
        ("username=johndoe&password=secret&scope=%22", "invalid_scope"),
    ];
    for (form, error) in cases {
        let reply = token(&app.router, form).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{form}");
        assert_eq!(reply.json["error"], error, "{form}");
        assert!(!reply.detail().is_empty(), "{form}");
    }
}

#[tokio::test]
async fn tokens_for_another_issuer_or_audience_are_refused() {
    let users = MemoryUserStore::new();
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let secret = || JwtSecret::new(TEST_SECRET.to_vec()).expect("secret");
    let ours = Tokens::hs256(secret()).with_issuer("https://auth.test").with_audience("api");
    let router =
        example_app::app(example_app::AppState::new(Auth::new(ours.clone(), users.clone()), users));
    let good = ours.issue("johndoe").expect("issue").access_token;
    assert_eq!(send(&router, get("/users/me", Some(&good))).await.status, 200);
    let foreign = [
        Tokens::hs256(secret()).with_issuer("https://evil.test").with_audience("api"),
        Tokens::hs256(secret()).with_issuer("https://auth.test").with_audience("other"),
        Tokens::hs256(secret()),
    ];
    for tokens in foreign {
        let token = tokens.issue("johndoe").expect("issue").access_token;
        let reply = send(&router, get("/users/me", Some(&token))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{tokens:?}");
        assert_eq!(reply.detail(), "Could not validate credentials", "no reason given");
    }
}

#[tokio::test]
async fn a_scope_guard_on_an_issuer_without_scopes_says_why_once() {
    let (captured, _guard) = tests::capture_logs();

    let users = MemoryUserStore::new();
    example_app::seed_demo_users(&users, &PasswordHasher::default()).expect("seed");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    // No `with_scopes`: tokens carry no scopes, so scope guards can never pass.
    let auth = Auth::new(tokens, users.clone());
    let router = example_app::app(example_app::AppState::new(auth, users));
    let user = login(&router, "johndoe", "secret").await;
    for _ in 0..2 {
        let reply = send(&router, get("/users/me/items", Some(&user))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "still refused: fail closed");
    }
    let logs = captured.text();
    let hint = "Auth::with_scopes(ScopePolicy::from_policy::<crate::policy::Policy>())";
    assert_eq!(logs.matches(hint).count(), 1, "{logs}");
    assert!(logs.contains("`read_own_items` requires OAuth2 scopes"), "{logs}");
}
