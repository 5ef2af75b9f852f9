//! The admin API (`POST /admin/users`, `PATCH` and `DELETE
//! /admin/users/{username}`) through the real router, on the memory store
//! and on SQLite: status codes, validation, and nothing written on failure.

use axum::Router;
use axum::http::StatusCode;
use rbac_core::{UserDirectory, UserStore};
use serde_json::{Value, json};
use tests::{demo_app, login, request, send, sqlite_demo_app, token_request};

async fn apps() -> Vec<(&'static str, Router, UserDirectory)> {
    let memory = demo_app();
    let (sqlite, sqlite_users) = sqlite_demo_app().await;
    vec![
        ("memory", memory.router, UserDirectory::new(memory.users)),
        ("sqlite", sqlite, sqlite_users),
    ]
}

async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let reply = send(router, request(method, path, Some(token), body.as_ref())).await;
    (reply.status, reply.json)
}

async fn names(users: &UserDirectory) -> Vec<String> {
    users.list_users().await.expect("list").into_iter().map(|user| user.username).collect()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_log_in() {
    for (store, router, _) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let body = json!({"username": "newbie", "password": "long enough", "roles": ["editor"], "email": "n@example.com"});
        let (status, user) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{store}: {user}");
        assert_eq!(user["roles"], json!(["editor"]), "{store}");
        assert!(user.get("password").is_none() && user.get("password_hash").is_none());
        let token = login(&router, "newbie", "long%20enough").await;
        let me = send(&router, tests::get("/users/me", Some(&token))).await;
        assert_eq!(me.json["email"], "n@example.com", "{store}");
    }
}

#[tokio::test]
async fn a_duplicate_is_409_and_changes_nothing() {
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let body = json!({"username": "johndoe", "password": "whatever123", "roles": ["admin"]});
        let (status, reply) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{store}: {reply}");
        let johndoe = users.find_user("johndoe").await.expect("store").expect("johndoe");
        assert!(!johndoe.has_direct_role("admin"), "{store}: the existing user is untouched");
        login(&router, "johndoe", "secret").await;
    }
}

#[tokio::test]
async fn invalid_fields_are_422_and_nothing_is_written() {
    let long_password = "p".repeat(129);
    let cases = [
        json!({"username": "", "password": "long enough"}),
        json!({"username": "has space", "password": "long enough"}),
        json!({"username": "x'; DROP TABLE users; --", "password": "long enough"}),
        json!({"username": "a".repeat(65), "password": "long enough"}),
        json!({"username": "shorty", "password": "1234567"}),
        json!({"username": "longpw", "password": long_password}),
        json!({"username": "badrole", "password": "long enough", "roles": ["root"]}),
        json!({"username": "ctrl", "password": "long enough", "full_name": "a\u{7}b"}),
        json!({"username": "extra", "password": "long enough", "is_admin": true}),
        json!({"username": "typed", "password": 12345678}),
    ];
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let before = names(&users).await;
        for body in &cases {
            let (status, reply) =
                call(&router, "POST", "/admin/users", &admin, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{store}: {body} -> {reply}");
            assert!(reply["detail"].is_string(), "{store}: {reply}");
        }
        assert_eq!(names(&users).await, before, "{store}: nothing was created");
    }
}

#[tokio::test]
async fn patch_changes_roles_disabled_and_password() {
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let old_token = login(&router, "johndoe", "secret").await;
        let body = json!({"roles": ["editor"], "full_name": null});
        let (status, user) =
            call(&router, "PATCH", "/admin/users/johndoe", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{store}: {user}");
        assert_eq!(
            (user["roles"].clone(), user["full_name"].clone()),
            (json!(["editor"]), Value::Null)
        );
        assert_eq!(user["email"], "johndoe@example.com", "{store}: absent fields stay");
        let body = json!({"password": "a new password"});
        let (status, _) = call(&router, "PATCH", "/admin/users/johndoe", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{store}");
        let me = send(&router, tests::get("/users/me", Some(&old_token))).await;
        assert_eq!(
            me.status,
            StatusCode::UNAUTHORIZED,
            "{store}: a new password revokes old tokens"
        );
        let refused = send(&router, token_request("username=johndoe&password=secret")).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{store}");
        login(&router, "johndoe", "a%20new%20password").await;
        let (status, _) =
            call(&router, "PATCH", "/admin/users/johndoe", &admin, Some(json!({"disabled": true})))
                .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            users.find_user("johndoe").await.expect("store").expect("user").disabled,
            "{store}"
        );
    }
}

#[tokio::test]
async fn patch_refusals_write_nothing() {
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let before = users.find_user("johndoe").await.expect("store");
        for body in [
            json!({"roles": ["editor"], "password": "short"}),
            json!({"disabled": true, "roles": ["nope"]}),
            json!({"email": "x".repeat(201), "disabled": true}),
            json!({"username": "renamed"}),
        ] {
            let (status, reply) =
                call(&router, "PATCH", "/admin/users/johndoe", &admin, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{store}: {body} -> {reply}");
        }
        assert_eq!(users.find_user("johndoe").await.expect("store"), before, "{store}");
        let (status, _) =
            call(&router, "PATCH", "/admin/users/nobody", &admin, Some(json!({"disabled": true})))
                .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{store}");
    }
}

#[tokio::test]
async fn delete_removes_the_user_and_their_tokens() {
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let token = login(&router, "johndoe", "secret").await;
        let (status, _) = call(&router, "DELETE", "/admin/users/johndoe", &admin, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{store}");
        assert_eq!(users.find_user("johndoe").await.expect("store"), None, "{store}");
        let (status, _) = call(&router, "DELETE", "/admin/users/johndoe", &admin, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{store}");
        // Re-created under the same name, the old token still does not work.
        let body = json!({"username": "johndoe", "password": "brand new one", "roles": ["user"]});
        let (status, _) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{store}");
        let me = send(&router, tests::get("/users/me", Some(&token))).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{store}");
    }
}

#[tokio::test]
async fn only_admins_reach_the_admin_api_and_bodies_are_not_read_before() {
    for (store, router, users) in apps().await {
        let editor = login(&router, "bob", "secret4").await;
        let body = json!({"username": "sneaky", "password": "long enough", "roles": ["admin"]});
        let (status, _) = call(&router, "POST", "/admin/users", &editor, Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{store}");
        let (status, _) = call(&router, "DELETE", "/admin/users/johndoe", &editor, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{store}");
        let anonymous =
            send(&router, request("POST", "/admin/users", None, Some(&json!("not an object"))))
                .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{store}: 401 before the body");
        assert!(users.find_user("sneaky").await.expect("store").is_none(), "{store}");
        assert!(users.find_user("johndoe").await.expect("store").is_some(), "{store}");
    }
}

#[tokio::test]
async fn case_insensitive_usernames_when_configured() {
    let url = tests::stores::sqlite_url(&tests::stores::temp_db_path());
    let options = example_app::db::StoreOptions {
        case_insensitive_usernames: true,
        cache_ttl: std::time::Duration::from_secs(1),
    };
    let database = example_app::db::Database::open(&url, options).await.expect("sqlite");
    let (router, _) = tests::demo_app_on(database).await;
    let admin = login(&router, "JaneDoe", "secret3").await;
    let body = json!({"username": "Carol", "password": "long enough", "roles": ["viewer"]});
    let (status, _) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({"username": "carol", "password": "long enough", "roles": ["admin"]});
    let (status, _) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "Carol and carol are one user");
    let token = login(&router, "CAROL", "long%20enough").await;
    let me = send(&router, tests::get("/users/me", Some(&token))).await;
    assert_eq!(me.json["username"], "Carol", "the name keeps the case it was created with");
    // The setting is fixed with the database: opening it the other way fails.
    let exact = example_app::db::StoreOptions { case_insensitive_usernames: false, ..options };
    assert!(example_app::db::Database::open(&url, exact).await.is_err());
}

#[tokio::test]
async fn hostile_paths_and_bodies_get_a_4xx() {
    for (store, router, users) in apps().await {
        let admin = login(&router, "janedoe", "secret3").await;
        let before = names(&users).await;
        let huge = "u".repeat(100_000);
        let paths = [
            "/admin/users/%00",
            "/admin/users/%FF%FE",
            "/admin/users/..%2F..%2Fetc",
            "/admin/users/x'%20OR%20'1'='1",
        ];
        for path in paths {
            for method in ["PATCH", "DELETE"] {
                let body = (method == "PATCH").then(|| json!({"disabled": true}));
                let (status, reply) = call(&router, method, path, &admin, body).await;
                assert!(status.is_client_error(), "{store}: {method} {path} -> {status} {reply}");
            }
        }
        // (The real server refuses heads over 16 KiB before routing.)
        let path = format!("/admin/users/{}", &huge[..10_000]);
        let (status, _) = call(&router, "DELETE", &path, &admin, None).await;
        assert!(status.is_client_error(), "{store}: {status}");
        for body in [
            json!({"username": huge, "password": "long enough"}),
            json!({"username": "nul\u{0}byte", "password": "long enough"}),
            json!({"username": "deep", "password": "long enough", "roles": [[[[[["admin"]]]]]]}),
            json!([1, 2, 3]),
            json!(null),
        ] {
            let (status, reply) = call(&router, "POST", "/admin/users", &admin, Some(body)).await;
            assert!(status.is_client_error(), "{store}: {status} {reply}");
        }
        let not_json = send(
            &router,
            axum::http::Request::post("/admin/users")
                .header("authorization", format!("Bearer {admin}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(&b"{\"username\": \xff\xfe"[..]))
                .expect("request"),
        )
        .await;
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST, "{store}");
        assert_eq!(names(&users).await, before, "{store}: nothing was written");
    }
}

/// An admin token narrowed to other scopes cannot manage users: 403
/// `insufficient_scope` on every admin route, and nothing is written.
#[tokio::test]
async fn a_narrowed_admin_token_cannot_manage_users() {
    for (store, router, users) in apps().await {
        let form = "username=janedoe&password=secret3&scope=items:read";
        let reply = send(&router, token_request(form)).await;
        assert_eq!(reply.status, StatusCode::OK, "{store}: {:?}", reply.json);
        let narrowed = reply.json["access_token"].as_str().expect("access_token").to_owned();
        let before = names(&users).await;
        let attempts = [
            ("GET", "/admin/users", None),
            (
                "POST",
                "/admin/users",
                Some(json!({"username": "sneaky", "password": "long enough"})),
            ),
            ("PATCH", "/admin/users/johndoe", Some(json!({"roles": ["admin"]}))),
            ("DELETE", "/admin/users/bob", None),
            ("POST", "/admin/users/bob/revoke-tokens", None),
        ];
        for (method, path, body) in attempts {
            let reply = send(&router, request(method, path, Some(&narrowed), body.as_ref())).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{store}: {method} {path}");
            let challenge = reply.headers.get("www-authenticate").expect("challenge");
            let challenge = challenge.to_str().expect("ascii");
            assert!(challenge.contains("insufficient_scope"), "{store}: {challenge}");
        }
        assert_eq!(names(&users).await, before, "{store}: nothing was written");
        let johndoe = users.find_user("johndoe").await.expect("store").expect("johndoe");
        assert!(!johndoe.has_direct_role("admin"), "{store}");
        login(&router, "bob", "secret4").await;
    }
}

/// The self-service profile PATCH follows the admin API's text rules: NUL,
/// ANSI escapes and other control characters are a 422 (not a 503 from a
/// store that cannot hold them), and nothing is written.
#[tokio::test]
async fn profile_text_with_control_characters_is_422() {
    for (store, router, users) in apps().await {
        let johndoe = login(&router, "johndoe", "secret").await;
        let cases = [
            json!({"full_name": "\u{0}"}),
            json!({"full_name": "\u{1b}[31mred"}),
            json!({"email": "a\r\nb@example.com"}),
            json!({"full_name": "x".repeat(201)}),
        ];
        for body in cases {
            let (status, reply) =
                call(&router, "PATCH", "/users/johndoe", &johndoe, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{store}: {body} -> {reply}");
        }
        let stored = users.find_user("johndoe").await.expect("store").expect("johndoe");
        assert_eq!(stored.full_name.as_deref(), Some("John Doe"), "{store}: nothing written");
        assert_eq!(stored.email.as_deref(), Some("johndoe@example.com"), "{store}");
        let fine = json!({"full_name": "Jöhn Doe"});
        let (status, _) = call(&router, "PATCH", "/users/johndoe", &johndoe, Some(fine)).await;
        assert_eq!(status, StatusCode::OK, "{store}");
    }
}

/// "Log out everywhere" through a path spelled in another case revokes the
/// stored user's tokens, on every store (the memory one included).
#[tokio::test]
async fn revoking_tokens_ignores_the_case_of_the_path_when_configured() {
    let options = example_app::db::StoreOptions {
        case_insensitive_usernames: true,
        cache_ttl: std::time::Duration::from_secs(1),
    };
    let sqlite_url = tests::stores::sqlite_url(&tests::stores::temp_db_path());
    for url in ["memory:", sqlite_url.as_str()] {
        let database = example_app::db::Database::open(url, options).await.expect("store");
        let (router, _) = tests::demo_app_on(database).await;
        let admin = login(&router, "janedoe", "secret3").await;
        let token = login(&router, "johndoe", "secret").await;
        let (status, _) =
            call(&router, "POST", "/admin/users/JohnDoe/revoke-tokens", &admin, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{url}");
        let me = send(&router, tests::get("/users/me", Some(&token))).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{url}: johndoe's token is revoked");
    }
}
