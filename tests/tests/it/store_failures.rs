//! A failing store is a 503 whose body says nothing about the cause, on
//! every path that reads or writes it (the cause goes to the log only).

use std::time::Duration;

use axum::http::StatusCode;
use example_app::db::{Database, StoreOptions};
use serde_json::json;
use tests::{demo_app_on, login, request, send, stores, token_request};

#[tokio::test]
async fn a_closed_database_answers_503_without_details() {
    let url = stores::sqlite_url(&stores::temp_db_path());
    // No cache: every request must reach the database.
    let options = StoreOptions { case_insensitive_usernames: false, cache_ttl: Duration::ZERO };
    let database = Database::open(&url, options).await.expect("sqlite");
    let (router, _) = demo_app_on(database.clone()).await;
    let admin = login(&router, "janedoe", "secret3").await;
    let Database::Sqlite(store) = &database else { panic!("a SQLite database") };
    store.pool().close().await;

    let new_user = json!({"username": "someone", "password": "long enough"});
    let replies = [
        send(&router, tests::get("/users/me", Some(&admin))).await,
        send(&router, token_request("username=janedoe&password=secret3")).await,
        send(&router, request("POST", "/admin/users", Some(&admin), Some(&new_user))).await,
    ];
    for reply in replies {
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", reply.json);
        let body = reply.json.to_string().to_lowercase();
        assert!(
            !body.contains("pool") && !body.contains("sqlite") && !body.contains("closed"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_admin_write_that_fails_in_the_store_is_503() {
    let url = stores::sqlite_url(&stores::temp_db_path());
    // A long cache lets the guard pass from memory once the database is gone,
    // so the failure happens in the write itself.
    let options =
        StoreOptions { case_insensitive_usernames: false, cache_ttl: Duration::from_secs(60) };
    let database = Database::open(&url, options).await.expect("sqlite");
    let (router, _) = demo_app_on(database.clone()).await;
    let admin = login(&router, "janedoe", "secret3").await;
    assert_eq!(send(&router, tests::get("/users/me", Some(&admin))).await.status, StatusCode::OK);
    assert_eq!(
        send(&router, tests::get("/admin/users", Some(&admin))).await.status,
        StatusCode::OK
    );
    let Database::Sqlite(store) = &database else { panic!("a SQLite database") };
    store.pool().close().await;

    let new_user = json!({"username": "someone", "password": "long enough"});
    let patch = json!({"disabled": true});
    let replies = [
        send(&router, request("POST", "/admin/users", Some(&admin), Some(&new_user))).await,
        send(&router, request("PATCH", "/admin/users/janedoe", Some(&admin), Some(&patch))).await,
        send(&router, request("DELETE", "/admin/users/janedoe", Some(&admin), None)).await,
        send(&router, tests::get("/admin/users", Some(&admin))).await,
        // Lookups of another user: a failure is not "User not found".
        send(&router, tests::get("/users/bob", Some(&admin))).await,
        send(&router, request("POST", "/admin/users/bob/revoke-tokens", Some(&admin), None)).await,
    ];
    for reply in replies {
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", reply.json);
        let body = reply.json.to_string().to_lowercase();
        assert!(!body.contains("pool") && !body.contains("sqlite"), "{body}");
    }
}
