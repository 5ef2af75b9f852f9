//! Every demo user against every route of the example app, with the
//! expected status of each cell.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, demo_app, login, login_then_disable, request, send};

/// Columns of the matrix.
const CALLERS: [&str; 5] =
    ["anonymous", "johndoe (user)", "alice (disabled)", "janedoe (admin)", "bob (editor)"];

struct Row {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    expected: [u16; 5],
}

fn row(method: &'static str, path: &'static str, body: Option<Value>, expected: [u16; 5]) -> Row {
    Row { method, path, body, expected }
}

fn matrix() -> Vec<Row> {
    vec![
        //                                                        anon johndoe alice janedoe bob
        row("GET", "/health", None, [200, 200, 200, 200, 200]),
        row("GET", "/users/me", None, [401, 200, 400, 200, 200]),
        row("GET", "/users/me/items", None, [401, 200, 400, 200, 200]),
        row("GET", "/admin/users", None, [401, 403, 400, 200, 403]),
        row("POST", "/token/introspect", Some(json!({"token": "x"})), [401, 403, 400, 400, 403]),
        row("GET", "/users/johndoe", None, [401, 200, 400, 200, 403]),
        row("GET", "/users/bob", None, [401, 403, 400, 200, 200]),
        row("GET", "/users/nobody", None, [401, 403, 400, 404, 403]),
        row(
            "PATCH",
            "/users/johndoe",
            Some(json!({"full_name": "J. Doe"})),
            [401, 200, 400, 200, 403],
        ),
        row(
            "PATCH",
            "/users/bob",
            Some(json!({"email": "b@example.com"})),
            [401, 403, 400, 200, 200],
        ),
        row("GET", "/posts", None, [401, 200, 400, 200, 200]),
        row("POST", "/posts", Some(json!({"title": "Hello"})), [401, 403, 400, 201, 201]),
        // `{bob}` / `{janedoe}`: a fresh post by that author for each cell.
        row("DELETE", "/posts/{bob}", None, [401, 403, 400, 204, 204]),
        row("DELETE", "/posts/{janedoe}", None, [401, 403, 400, 204, 403]),
        row("DELETE", "/posts/999999", None, [401, 403, 400, 404, 403]),
        // Last: it logs johndoe out everywhere.
        row("POST", "/admin/users/johndoe/revoke-tokens", None, [401, 403, 400, 204, 403]),
    ]
}

async fn tokens(app: &TestApp) -> [Option<String>; 5] {
    [
        None,
        Some(login(&app.router, "johndoe", "secret").await),
        Some(login_then_disable(app, "alice", "secret2").await),
        Some(login(&app.router, "janedoe", "secret3").await),
        Some(login(&app.router, "bob", "secret4").await),
    ]
}

fn path_for(app: &TestApp, template: &str) -> String {
    for author in ["bob", "janedoe"] {
        if template == format!("/posts/{{{author}}}") {
            let post = app.posts.create("t".into(), String::new(), author.into());
            return format!("/posts/{}", post.id);
        }
    }
    template.to_owned()
}

#[tokio::test]
async fn every_demo_user_against_every_route() {
    let app = demo_app();
    let tokens = tokens(&app).await;
    let mut mismatches = Vec::new();
    for row in matrix() {
        for (column, token) in tokens.iter().enumerate() {
            let path = path_for(&app, row.path);
            let reply =
                send(&app.router, request(row.method, &path, token.as_deref(), row.body.as_ref()))
                    .await;
            let expected = StatusCode::from_u16(row.expected[column]).expect("status");
            if reply.status != expected {
                mismatches.push(format!(
                    "{} {} as {}: expected {expected}, got {} {}",
                    row.method, row.path, CALLERS[column], reply.status, reply.json
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[tokio::test]
async fn profile_updates_change_only_profile_fields() {
    let app = demo_app();
    let johndoe = login(&app.router, "johndoe", "secret").await;
    let patch = json!({"full_name": "Johnny", "email": "j@example.com"});
    let reply =
        send(&app.router, request("PATCH", "/users/johndoe", Some(&johndoe), Some(&patch))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["full_name"], "Johnny");
    assert_eq!(reply.json["roles"], json!(["user"]));

    let escalate = json!({"roles": ["admin"]});
    let reply =
        send(&app.router, request("PATCH", "/users/johndoe", Some(&johndoe), Some(&escalate)))
            .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "roles are not a profile field");
    let me = send(&app.router, request("GET", "/users/me", Some(&johndoe), None)).await;
    assert_eq!(me.json["roles"], json!(["user"]));
}

#[tokio::test]
async fn posts_record_their_author() {
    let app = demo_app();
    let bob = login(&app.router, "bob", "secret4").await;
    let post = json!({"title": "  Spaced  ", "body": "text"});
    let reply = send(&app.router, request("POST", "/posts", Some(&bob), Some(&post))).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(
        (reply.json["author"].as_str(), reply.json["title"].as_str()),
        (Some("bob"), Some("Spaced"))
    );
    let empty = json!({"title": " "});
    let reply = send(&app.router, request("POST", "/posts", Some(&bob), Some(&empty))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = send(&app.router, request("GET", "/posts", Some(&bob), None)).await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(1));
}

#[test]
fn the_policy_describes_itself_for_audits() {
    let description = example_app::policy::describe();
    let admin = description.role("admin").expect("admin");
    assert_eq!(admin.inherits, ["editor"]);
    assert_eq!(admin.effective_roles, ["viewer", "editor", "admin"]);
    assert_eq!(
        admin.effective_permissions,
        ["items:read", "posts:write", "users:manage", "tokens:introspect"]
    );
    let viewer = description.role("user").expect("alias resolves");
    assert_eq!((viewer.name, viewer.aliases), ("viewer", &["user"][..]));
    assert_eq!(viewer.effective_permissions, ["items:read"]);
    let text = description.to_string();
    assert!(text.contains("role admin inherits editor"), "{text}");
    assert!(
        text.contains(
            "effective permissions: items:read, posts:write, users:manage, tokens:introspect"
        ),
        "{text}"
    );
}
