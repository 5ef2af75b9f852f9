//! A refresh that fails before anything is issued leaves its refresh token
//! usable: the client's retry is not mistaken for reuse.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rbac_core::{
    Auth, AuthError, JwtSecret, MemoryUserStore, PasswordHasher, StoreError, Tokens, User,
    UserRecord, UserStore,
};
use tests::TEST_SECRET;

/// A user store whose `find_user` fails while `down` is set (logins read
/// credentials, which keep working).
#[derive(Clone)]
struct FlakyUsers {
    inner: MemoryUserStore,
    down: Arc<AtomicBool>,
}

impl UserStore for FlakyUsers {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::new("user store down"));
        }
        self.inner.find_user(username).await
    }
    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.inner.find_credentials(username).await
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list_users().await
    }
}

#[tokio::test]
async fn a_refresh_that_fails_in_the_user_store_can_be_retried() {
    let hasher = PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"));
    let inner = MemoryUserStore::new();
    let password_hash = hasher.hash_blocking("long enough").expect("hash");
    inner.insert(UserRecord { user: User::new("olga"), password_hash }).expect("insert");
    let down = Arc::new(AtomicBool::new(false));
    let users = FlakyUsers { inner, down: Arc::clone(&down) };
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = Auth::with_hasher(tokens, users, hasher);
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let issued = auth.login("olga", "long enough".to_owned(), ip).await.expect("login");
    let refresh = issued.refresh_token.expect("a refresh token");

    down.store(true, Ordering::SeqCst);
    assert_eq!(auth.refresh(&refresh, None).await.map(drop), Err(AuthError::Unavailable));
    down.store(false, Ordering::SeqCst);
    let retried = auth.refresh(&refresh, None).await.expect("the retry is not reuse");
    assert!(retried.refresh_token.is_some());
}
