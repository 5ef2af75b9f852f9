//! App-wide denial responses: RFC 7807 bodies and login redirects keep or
//! deliberately change the status and `WWW-Authenticate`.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Role, Tokens, User, UserRecord};
use rbac_core::{rejection, requires_role};
use serde_json::json;
use tests::{TEST_SECRET, get as get_request, send};

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
    }
}

#[requires_role("admin")]
async fn admin() -> &'static str {
    "admin"
}

fn app(configure: impl FnOnce(Auth) -> Auth) -> (Router, String) {
    let users = MemoryUserStore::new();
    let mut user = User::new("val");
    user.roles = vec![Role::new("viewer").expect("role")];
    let password_hash = PasswordHasher::default().hash_blocking("pw").expect("hash");
    users.insert(UserRecord { user, password_hash }).expect("insert");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let token = tokens.issue("val").expect("issue").access_token;
    let auth = configure(Auth::new(tokens, users));
    (Router::new().route("/admin", get(admin)).with_state(auth), token)
}

#[tokio::test]
async fn problem_json_keeps_status_and_challenge() {
    let (router, token) = app(|auth| auth.with_rejection_responder(rejection::problem_json));

    let reply = send(&router, get_request("/admin", None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(reply.header("www-authenticate"), "Bearer");
    assert_eq!(
        reply.json,
        json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Not authenticated"})
    );

    let reply = send(&router, get_request("/admin", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="insufficient_scope""#);
    assert_eq!(reply.json["detail"], "Not enough permissions");

    let reply = send(&router, get_request("/admin", Some("forged"))).await;
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="invalid_token""#);
}

#[tokio::test]
async fn a_nested_route_shows_the_responder_the_path_the_client_asked_for() {
    let (nested, token) = app(|auth| {
        auth.with_rejection_responder(|error, parts| {
            axum::response::IntoResponse::into_response((
                error.status(),
                axum::Json(json!({"path": parts.uri.path()})),
            ))
        })
    });
    let router = Router::new().nest("/area", nested);
    let reply = send(&router, get_request("/area/admin", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json["path"], "/area/admin", "not the path inside the nest, `/admin`");
}

#[tokio::test]
async fn login_redirect_applies_to_browsers_only() {
    let (router, token) =
        app(|auth| auth.with_rejection_responder(rejection::login_redirect("/login")));
    let browser = |token: Option<&str>| {
        let mut request =
            Request::get("/admin").header("accept", "text/html,application/xhtml+xml");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Body::empty()).expect("request")
    };
    let reply = send(&router, browser(None)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), "/login");
    // A signed-in browser lacking the role is not sent to log in again.
    assert_eq!(send(&router, browser(Some(&token))).await.status, StatusCode::FORBIDDEN);
    // API clients keep the 401 and its challenge.
    let reply = send(&router, get_request("/admin", None)).await;
    assert_eq!(
        (reply.status, reply.header("www-authenticate")),
        (StatusCode::UNAUTHORIZED, "Bearer")
    );
}

#[tokio::test]
async fn the_default_stays_fastapi_shaped() {
    let (router, _) = app(|auth| auth);
    let reply = send(&router, get_request("/admin", None)).await;
    assert_eq!(reply.json, json!({"detail": "Not authenticated"}));
    assert_eq!(reply.header("content-type"), "application/json");
}
