//! A deleted user's tokens die with it, and a user re-created under the
//! same name inherits none of them: through the admin API (memory and
//! SQLite), and when the delete races a login.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::StatusCode;
use rbac_core::sql::{SqlOptions, SqliteStore};
use rbac_core::{
    Auth, AuthError, JwtSecret, MemoryUserStore, PasswordHasher, StoreError, Tokens, User,
    UserRecord, UserStore, WritableUserStore,
};
use serde_json::json;
use tests::stores::{sqlite_url, temp_db_path};
use tests::{TEST_SECRET, demo_app, get, login, request, send, sqlite_demo_app, token_request};

#[tokio::test]
async fn a_deleted_and_recreated_user_inherits_no_tokens() {
    let memory = demo_app();
    let (sqlite, _) = sqlite_demo_app().await;
    for (store, router) in [("memory", memory.router), ("sqlite", sqlite)] {
        let admin = login(&router, "janedoe", "secret3").await;
        let old = send(&router, token_request("username=johndoe&password=secret")).await;
        let access = old.json["access_token"].as_str().expect("access").to_owned();
        let refresh = old.json["refresh_token"].as_str().expect("refresh").to_owned();

        let deleted = send(&router, request("DELETE", "/admin/users/johndoe", Some(&admin), None));
        assert_eq!(deleted.await.status, StatusCode::NO_CONTENT, "{store}");
        let again = json!({"username": "johndoe", "password": "another password"});
        let created = send(&router, request("POST", "/admin/users", Some(&admin), Some(&again)));
        assert_eq!(created.await.status, StatusCode::CREATED, "{store}");

        let me = send(&router, get("/users/me", Some(&access))).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{store}: old access token");
        let form = format!("grant_type=refresh_token&refresh_token={refresh}");
        let refreshed = send(&router, token_request(&form)).await;
        assert_eq!(refreshed.status, StatusCode::BAD_REQUEST, "{store}: old refresh token");
        assert_eq!(refreshed.json["error"], "invalid_grant", "{store}");
        login(&router, "johndoe", "another%20password").await;
    }
}

/// A store whose user is deleted (and, with `recreate`, created again with
/// another password) right after a login has read and checked its
/// credentials: a delete committing between the check and the session.
#[derive(Clone)]
struct DeletedDuringLogin<S> {
    inner: S,
    armed: Arc<AtomicBool>,
    recreate: bool,
}

impl<S: WritableUserStore + Clone> UserStore for DeletedDuringLogin<S> {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.inner.find_user(username).await
    }
    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let found = self.inner.find_credentials(username).await?;
        if self.armed.swap(false, Ordering::SeqCst) {
            self.inner.delete_user(username).await.map_err(StoreError::new)?;
            if self.recreate {
                self.inner
                    .create_user(record(username, "another password"))
                    .await
                    .map_err(StoreError::new)?;
            }
        }
        Ok(found)
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list_users().await
    }
}

fn hasher() -> PasswordHasher {
    PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"))
}

fn record(name: &str, password: &str) -> UserRecord {
    UserRecord {
        user: User::new(name),
        password_hash: hasher().hash_blocking(password).expect("hash"),
    }
}

fn tokens() -> Tokens {
    Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"))
}

async fn login_racing_a_delete<S: WritableUserStore + Clone>(
    inner: S,
    auth: impl FnOnce(DeletedDuringLogin<S>) -> Auth,
    recreate: bool,
) -> Result<(), AuthError> {
    inner.create_user(record("olga", "first password")).await.expect("create");
    let store = DeletedDuringLogin { inner, armed: Arc::new(AtomicBool::new(true)), recreate };
    let auth = auth(store);
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    auth.login("olga", "first password".to_owned(), ip).await.map(drop)
}

#[tokio::test]
async fn a_login_racing_a_delete_gets_no_session() {
    for recreate in [false, true] {
        let sqlite = SqliteStore::connect(&sqlite_url(&temp_db_path()), SqlOptions::default())
            .await
            .expect("sqlite");
        let sessions = sqlite.clone();
        let outcome = login_racing_a_delete(
            sqlite,
            |store| Auth::with_hasher(tokens(), store, hasher()).with_session_store(sessions),
            recreate,
        )
        .await;
        assert_eq!(outcome, Err(AuthError::IncorrectCredentials), "sqlite, recreate {recreate}");

        let memory = MemoryUserStore::new();
        let outcome = login_racing_a_delete(
            memory,
            |store| Auth::with_hasher(tokens(), store, hasher()),
            recreate,
        )
        .await;
        assert_eq!(outcome, Err(AuthError::IncorrectCredentials), "memory, recreate {recreate}");
    }
}
