//! Changing users: [`WritableUserStore`], and [`UserDirectory`], a cloneable
//! handle over any such store.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{StoreError, UserStore};
use crate::password::PasswordHash;
use crate::user::{Role, User, UserRecord};

/// Why a change to a user was not made. Nothing was written in any case.
#[derive(Debug)]
pub enum UserWriteError {
    /// [`create_user`](WritableUserStore::create_user): the username is taken
    /// (compared case-insensitively when the store is configured so).
    Duplicate(String),
    /// There is no user by that name.
    UnknownUser(String),
    /// The store failed; the cause is for the log, not for clients.
    Store(StoreError),
}

impl fmt::Display for UserWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duplicate(name) => write!(f, "user `{name}` already exists"),
            Self::UnknownUser(name) => write!(f, "no user `{name}`"),
            Self::Store(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for UserWriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StoreError> for UserWriteError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// The fields to change on a user; `None` leaves a field as it is.
///
/// ```
/// use rbac_core::{Role, UserUpdate};
///
/// let promote = UserUpdate { roles: Some(vec![Role::new("admin").unwrap()]), ..UserUpdate::default() };
/// assert!(promote.disabled.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New roles (replacing the old ones).
    pub roles: Option<Vec<Role>>,
    /// Disable or enable.
    pub disabled: Option<bool>,
    /// A new password hash.
    pub password_hash: Option<PasswordHash>,
    /// A new email; `Some(None)` clears it.
    pub email: Option<Option<String>>,
    /// A new display name; `Some(None)` clears it.
    pub full_name: Option<Option<String>>,
    /// Also revoke every token the user holds ("log out everywhere"), in
    /// the same transaction as the change, as a new password should. Only
    /// a store that also keeps the sessions can
    /// ([`WritableUserStore::keeps_sessions`]); others ignore it, and the
    /// caller revokes through its session store.
    pub revoke_tokens: bool,
}

impl UserUpdate {
    /// Applies the change to `user` (the password hash aside).
    pub fn apply_to(&self, user: &mut User) {
        if let Some(roles) = &self.roles {
            user.roles.clone_from(roles);
        }
        if let Some(disabled) = self.disabled {
            user.disabled = disabled;
        }
        if let Some(email) = &self.email {
            user.email.clone_from(email);
        }
        if let Some(full_name) = &self.full_name {
            user.full_name.clone_from(full_name);
        }
    }
}

/// A [`UserStore`] whose users can be created, changed and deleted.
///
/// Each call is atomic: it is written whole or not at all. Revoking a user's
/// tokens is a [`SessionStore`](crate::SessionStore) operation
/// ([`Auth::revoke_all_tokens`](crate::Auth::revoke_all_tokens)).
///
/// ```
/// use rbac_core::{MemoryUserStore, PasswordHasher, User, UserRecord, UserStore, UserUpdate};
/// use rbac_core::{UserWriteError, WritableUserStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryUserStore::new();
/// let password_hash = PasswordHasher::default().hash("correct horse".into()).await.unwrap();
/// let record = UserRecord { user: User::new("carol"), password_hash };
/// store.create_user(record.clone()).await.unwrap();
/// assert!(matches!(store.create_user(record).await, Err(UserWriteError::Duplicate(_))));
///
/// let disable = UserUpdate { disabled: Some(true), ..UserUpdate::default() };
/// assert!(store.update_user("carol", disable).await.unwrap().disabled);
/// store.delete_user("carol").await.unwrap();
/// assert!(store.find_user("carol").await.unwrap().is_none());
/// # }
/// ```
pub trait WritableUserStore: UserStore {
    /// Adds a user; [`UserWriteError::Duplicate`] if the name is taken.
    fn create_user(
        &self,
        record: UserRecord,
    ) -> impl Future<Output = Result<(), UserWriteError>> + Send;

    /// Changes a user and returns the result.
    fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
    ) -> impl Future<Output = Result<User, UserWriteError>> + Send;

    /// Removes a user. A store that [keeps the sessions](Self::keeps_sessions)
    /// also revokes every token of the user in the same transaction.
    fn delete_user(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<(), UserWriteError>> + Send;

    /// Whether this store is also the [`SessionStore`](crate::SessionStore)
    /// of the users' tokens, so that [`UserUpdate::revoke_tokens`] and the
    /// revocation on [`delete_user`](Self::delete_user) are done in the
    /// same transaction as the change. `false` by default (the
    /// memory store: sessions live in a separate object).
    fn keeps_sessions(&self) -> bool {
        false
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

trait DynWritable: Send + Sync {
    fn find_user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<User>, StoreError>>;
    fn find_credentials<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>>;
    fn list_users(&self) -> BoxFuture<'_, Result<Vec<User>, StoreError>>;
    fn create_user(&self, record: UserRecord) -> BoxFuture<'_, Result<(), UserWriteError>>;
    fn update_user<'a>(
        &'a self,
        name: &'a str,
        update: UserUpdate,
    ) -> BoxFuture<'a, Result<User, UserWriteError>>;
    fn delete_user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), UserWriteError>>;
    fn keeps_sessions(&self) -> bool;
    fn account_key<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str>;
}

impl<T: WritableUserStore> DynWritable for T {
    fn find_user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        Box::pin(UserStore::find_user(self, name))
    }
    fn find_credentials<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>> {
        Box::pin(UserStore::find_credentials(self, name))
    }
    fn list_users(&self) -> BoxFuture<'_, Result<Vec<User>, StoreError>> {
        Box::pin(UserStore::list_users(self))
    }
    fn create_user(&self, record: UserRecord) -> BoxFuture<'_, Result<(), UserWriteError>> {
        Box::pin(WritableUserStore::create_user(self, record))
    }
    fn update_user<'a>(
        &'a self,
        name: &'a str,
        update: UserUpdate,
    ) -> BoxFuture<'a, Result<User, UserWriteError>> {
        Box::pin(WritableUserStore::update_user(self, name, update))
    }
    fn delete_user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), UserWriteError>> {
        Box::pin(WritableUserStore::delete_user(self, name))
    }
    fn keeps_sessions(&self) -> bool {
        WritableUserStore::keeps_sessions(self)
    }
    fn account_key<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        UserStore::account_key(self, name)
    }
}

/// Any [`WritableUserStore`] behind one cloneable pointer, so an app's state
/// need not be generic over its store. It is itself a store.
///
/// ```
/// use rbac_core::{MemoryUserStore, UserDirectory};
///
/// let users = UserDirectory::new(MemoryUserStore::new());
/// let shared = users.clone();
/// ```
#[derive(Clone)]
pub struct UserDirectory(Arc<dyn DynWritable>);

impl fmt::Debug for UserDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserDirectory")
    }
}

impl UserDirectory {
    /// Wraps `store`.
    pub fn new(store: impl WritableUserStore) -> Self {
        Self(Arc::new(store))
    }
}

impl UserStore for UserDirectory {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.0.find_user(username).await
    }
    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.0.find_credentials(username).await
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.0.list_users().await
    }
    fn account_key<'a>(&self, username: &'a str) -> std::borrow::Cow<'a, str> {
        self.0.account_key(username)
    }
}

impl WritableUserStore for UserDirectory {
    async fn create_user(&self, record: UserRecord) -> Result<(), UserWriteError> {
        self.0.create_user(record).await
    }
    async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
    ) -> Result<User, UserWriteError> {
        self.0.update_user(username, update).await
    }
    async fn delete_user(&self, username: &str) -> Result<(), UserWriteError> {
        self.0.delete_user(username).await
    }
    fn keeps_sessions(&self) -> bool {
        self.0.keeps_sessions()
    }
}
