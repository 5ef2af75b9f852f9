//! The secured router: guarded handlers answer through it as through axum's,
//! and its route table records every route, nested and merged paths joined,
//! with the escape hatches marked unchecked.

use axum::http::StatusCode;
use rbac_core::routing::{Access, SecureRouter, get, post};
use rbac_core::{
    Auth, CurrentUser, JwtSecret, MemoryUserStore, PasswordHasher, Requires, Role, Tokens, User,
    UserRecord, authenticated, public, requires, requires_role,
};
use tests::{TEST_SECRET, get as get_request, send};

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
    }
}

#[authenticated]
async fn me(user: CurrentUser) -> String {
    user.username.clone()
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[requires_role("admin")]
async fn stats() -> &'static str {
    "stats"
}

#[requires(any(role("admin"), owner(name)))]
async fn profile(axum::extract::Path(name): axum::extract::Path<String>) -> String {
    name
}

fn app() -> (SecureRouter<Auth>, Tokens) {
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let api = SecureRouter::new().route("/stats", get(stats)).route("/users/{name}", get(profile));
    let router = SecureRouter::new()
        .route("/users/me", get(me).post(me))
        .nest("/api", api)
        .merge(SecureRouter::new().route("/", post(stats)).route("/health", get(health)))
        .route_without_access_check("/raw", axum::routing::get(|| async { "raw" }));
    (router, tokens)
}

fn serve(router: SecureRouter<Auth>, tokens: &Tokens) -> axum::Router {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::fast_for_tests();
    for (name, role) in [("val", "viewer"), ("ada", "admin")] {
        let mut user = User::new(name);
        user.roles = vec![Role::new(role).expect("role")];
        let password_hash = hasher.hash_blocking("pw").expect("hash");
        users.insert(UserRecord { user, password_hash }).expect("insert");
    }
    router.with_state(Auth::new(tokens.clone(), users)).into_axum()
}

#[tokio::test]
async fn guarded_routes_answer_as_on_an_axum_router() {
    let (router, tokens) = app();
    let app = serve(router, &tokens);
    let token = |name: &str| tokens.issue(name).expect("issue").access_token;
    assert_eq!(send(&app, get_request("/users/me", None)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&app, get_request("/users/me", Some(&token("val")))).await.status,
        StatusCode::OK
    );
    let stats = |who: &str| get_request("/api/stats", Some(&token(who)));
    assert_eq!(send(&app, stats("val")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, stats("ada")).await.status, StatusCode::OK);
    let profile = get_request("/api/users/val", Some(&token("val")));
    assert_eq!(send(&app, profile).await.status, StatusCode::OK);
    // Open on purpose: no credentials needed, and a forged token is not read.
    assert_eq!(send(&app, get_request("/health", None)).await.status, StatusCode::OK);
    assert_eq!(send(&app, get_request("/health", Some("forged"))).await.status, StatusCode::OK);
    // The escape hatch is as open as it says.
    assert_eq!(send(&app, get_request("/raw", None)).await.status, StatusCode::OK);
}

#[test]
fn the_table_records_every_route_with_joined_paths() {
    let (router, _) = app();
    let table = router.routes();
    let rows: Vec<(&str, &str, Option<&str>, String)> = table
        .entries()
        .iter()
        .map(|entry| (entry.method, entry.path.as_str(), entry.handler, entry.access.to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            ("GET", "/users/me", Some("me"), "authenticated".to_owned()),
            ("POST", "/users/me", Some("me"), "authenticated".to_owned()),
            ("GET", "/api/stats", Some("stats"), r#"role("admin")"#.to_owned()),
            (
                "GET",
                "/api/users/{name}",
                Some("profile"),
                r#"any(role("admin"), owner(name))"#.to_owned()
            ),
            ("POST", "/", Some("stats"), r#"role("admin")"#.to_owned()),
            ("GET", "/health", Some("health"), "public".to_owned()),
            ("*", "/raw", None, "unchecked (route_without_access_check)".to_owned()),
        ]
    );
    let stats = table.get("GET", "/api/stats").expect("stats");
    assert_eq!(stats.access, Access::Requires(Requires::Role("admin")));
    assert_eq!(stats.policy, Some("crate::policy"));

    let printed = table.to_string();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["METHOD", "PATH", "HANDLER", "REQUIRES"]
    );
    let column = |line: &str| line.find('/').or_else(|| line.find("PATH"));
    assert!(lines.iter().all(|line| column(line) == column(lines[0])), "aligned:\n{printed}");
    assert!(printed.contains(r#"role("admin") (policy crate::policy)"#), "{printed}");

    let json = table.to_json();
    assert_eq!(json[2]["path"], "/api/stats");
    assert_eq!(json[2]["requires"], r#"role("admin")"#);
    assert_eq!(json[6]["handler"], serde_json::Value::Null);
    assert_eq!(
        table.get("GET", "/health").map(|r| r.access),
        Some(Access::Requires(Requires::Public))
    );
}
