//! Changing users: [`WritableUserStore`], and [`UserDirectory`], a cloneable
//! handle over any such store.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::{DynUserStore, StoreError, UserStore};
use crate::boxed::BoxFuture;
use crate::domain::{ScopedRole, ScopedRoles};
use crate::password::PasswordHash;
use crate::session::DynSessionStore;
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
/// use rbac_core::Role;
/// use rbac_core::store::UserUpdate;
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
    /// ([`WritableUserStore::keeps_sessions`]); others ignore it, and a
    /// [`UserDirectory`] revokes through its session store.
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
/// use rbac_core::store::UserUpdate;
/// use rbac_core::{MemoryUserStore, PasswordHasher, User, UserRecord, UserStore};
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

    /// Grants `grant` (a role within one scope) to `username`: `true` if
    /// newly granted, `false` if already held. The caller checks the domain
    /// and role against its policy first. A store that keeps no scoped
    /// roles refuses (the default), writing nothing.
    fn grant_scoped_role(
        &self,
        username: &str,
        grant: ScopedRole,
    ) -> impl Future<Output = Result<bool, UserWriteError>> + Send {
        let _ = (username, grant);
        async { Err(UserWriteError::Store(StoreError::new(NO_SCOPED_ROLES))) }
    }

    /// Revokes `grant` from `username`: `true` if it was held.
    fn revoke_scoped_role(
        &self,
        username: &str,
        grant: &ScopedRole,
    ) -> impl Future<Output = Result<bool, UserWriteError>> + Send {
        let _ = (username, grant);
        async { Err(UserWriteError::Store(StoreError::new(NO_SCOPED_ROLES))) }
    }
}

const NO_SCOPED_ROLES: &str = "this user store keeps no scoped roles";

/// [`WritableUserStore`] with boxed futures: the reads come from
/// [`DynUserStore`], this adds the writes.
trait DynWritable: DynUserStore {
    fn create_user(&self, record: UserRecord) -> BoxFuture<'_, Result<(), UserWriteError>>;
    fn update_user<'a>(
        &'a self,
        name: &'a str,
        update: UserUpdate,
    ) -> BoxFuture<'a, Result<User, UserWriteError>>;
    fn delete_user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), UserWriteError>>;
    fn keeps_sessions(&self) -> bool;
    fn grant_scoped_role<'a>(
        &'a self,
        name: &'a str,
        grant: ScopedRole,
    ) -> BoxFuture<'a, Result<bool, UserWriteError>>;
    fn revoke_scoped_role<'a>(
        &'a self,
        name: &'a str,
        grant: &'a ScopedRole,
    ) -> BoxFuture<'a, Result<bool, UserWriteError>>;
}

impl<T: WritableUserStore> DynWritable for T {
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
    fn grant_scoped_role<'a>(
        &'a self,
        name: &'a str,
        grant: ScopedRole,
    ) -> BoxFuture<'a, Result<bool, UserWriteError>> {
        Box::pin(WritableUserStore::grant_scoped_role(self, name, grant))
    }
    fn revoke_scoped_role<'a>(
        &'a self,
        name: &'a str,
        grant: &'a ScopedRole,
    ) -> BoxFuture<'a, Result<bool, UserWriteError>> {
        Box::pin(WritableUserStore::revoke_scoped_role(self, name, grant))
    }
}

/// Any [`WritableUserStore`] behind one cloneable pointer, so an app's state
/// need not be generic over its store. It is itself a store.
///
/// It also revokes: a change with [`UserUpdate::revoke_tokens`] and every
/// delete end the user's tokens as part of the call, in the same
/// transaction where the store [keeps the sessions](WritableUserStore::keeps_sessions),
/// else right after the write through the session store of the [`Auth`](crate::Auth)
/// it was built for ([`Auth::user_directory`](crate::Auth::user_directory)).
/// Without either, such a change fails before anything is written: a
/// revocation is never silently skipped.
///
/// ```
/// use rbac_core::{Auth, JwtSecret, MemoryUserStore, Tokens};
///
/// let users = MemoryUserStore::new();
/// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), users.clone());
/// let directory = auth.user_directory(users);
/// let shared = directory.clone();
/// ```
#[derive(Clone)]
pub struct UserDirectory {
    store: Arc<dyn DynWritable>,
    /// Where to revoke when `store` does not keep the sessions itself.
    sessions: Option<Arc<dyn DynSessionStore>>,
}

impl fmt::Debug for UserDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserDirectory")
            .field("keeps_sessions", &self.store.keeps_sessions())
            .field("revokes_through_auth", &self.sessions.is_some())
            .finish_non_exhaustive()
    }
}

impl UserDirectory {
    /// Wraps `store`. Revocations need a store that keeps the sessions (the
    /// SQL stores); for one that does not, use [`Auth::user_directory`](crate::Auth::user_directory).
    pub fn new(store: impl WritableUserStore) -> Self {
        Self { store: Arc::new(store), sessions: None }
    }

    /// Revokes through `auth`'s session store where the user store does
    /// not keep the sessions itself; see [`Auth::user_directory`](crate::Auth::user_directory).
    #[must_use]
    pub fn revoking_with(mut self, auth: &crate::Auth) -> Self {
        self.sessions = auth.session_store();
        self
    }

    /// The session store that revokes for this store's changes, or the
    /// error that refuses the change before it is written.
    fn revoker(&self) -> Result<Option<&dyn DynSessionStore>, UserWriteError> {
        if self.store.keeps_sessions() {
            return Ok(None);
        }
        match &self.sessions {
            Some(sessions) => Ok(Some(sessions.as_ref())),
            None => Err(UserWriteError::Store(StoreError::new(
                "this user store keeps no sessions and the directory has no session store to \
                 revoke tokens in: build it with Auth::user_directory",
            ))),
        }
    }
}

impl UserStore for UserDirectory {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.store.find_user(username).await
    }
    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.store.find_credentials(username).await
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.store.list_users().await
    }
    fn account_key<'a>(&self, username: &'a str) -> std::borrow::Cow<'a, str> {
        self.store.account_key(username)
    }
    async fn find_scoped_roles(&self, username: &str) -> Result<ScopedRoles, StoreError> {
        self.store.find_scoped_roles(username).await
    }
}

impl WritableUserStore for UserDirectory {
    async fn create_user(&self, record: UserRecord) -> Result<(), UserWriteError> {
        self.store.create_user(record).await
    }
    async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
    ) -> Result<User, UserWriteError> {
        let revoke = update.revoke_tokens;
        let revoker = if revoke { self.revoker()? } else { None };
        let user = self.store.update_user(username, update).await?;
        if let Some(sessions) = revoker {
            sessions.revoke_user(&user.username).await?;
        }
        Ok(user)
    }
    async fn delete_user(&self, username: &str) -> Result<(), UserWriteError> {
        let revoker = self.revoker()?;
        self.store.delete_user(username).await?;
        // After the delete: a login racing it finds no user, and a session
        // it started before is revoked here.
        if let Some(sessions) = revoker {
            sessions.revoke_user(username).await?;
        }
        Ok(())
    }
    /// Always: the directory revokes as part of each change, itself or
    /// through its store.
    fn keeps_sessions(&self) -> bool {
        true
    }
    async fn grant_scoped_role(
        &self,
        username: &str,
        grant: ScopedRole,
    ) -> Result<bool, UserWriteError> {
        self.store.grant_scoped_role(username, grant).await
    }
    async fn revoke_scoped_role(
        &self,
        username: &str,
        grant: &ScopedRole,
    ) -> Result<bool, UserWriteError> {
        self.store.revoke_scoped_role(username, grant).await
    }
}

#[cfg(test)]
mod tests {
    use super::{UserDirectory, UserUpdate, UserWriteError, WritableUserStore};
    use crate::store::UserStore;
    use crate::user::{User, UserRecord};
    use crate::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};

    fn alice() -> UserRecord {
        let params = argon2::Params::new(8, 1, 1, None).expect("params");
        let password_hash = PasswordHasher::new(params).hash_blocking("pw").expect("hash");
        UserRecord { user: User::new("alice"), password_hash }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_directory_revokes_as_part_of_the_change() {
        let store = MemoryUserStore::new();
        let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), store.clone());
        let users = auth.user_directory(store);
        users.create_user(alice()).await.expect("create");
        let login = auth.login("alice", "pw".into(), [127, 0, 0, 1].into()).await.expect("login");
        let token = login.access_token;
        assert!(auth.authenticate(&token).await.is_ok());

        let change = UserUpdate { revoke_tokens: true, ..UserUpdate::default() };
        users.update_user("alice", change).await.expect("update");
        assert!(auth.authenticate(&token).await.is_err(), "no caller had to revoke");

        let again = auth.login("alice", "pw".into(), [127, 0, 0, 1].into()).await.expect("login");
        users.delete_user("alice").await.expect("delete");
        users.create_user(alice()).await.expect("re-create");
        assert!(auth.authenticate(&again.access_token).await.is_err(), "the delete revoked it");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_a_session_store_a_revoking_change_writes_nothing() {
        let store = MemoryUserStore::new();
        let users = UserDirectory::new(store.clone());
        users.create_user(alice()).await.expect("create");
        let change =
            UserUpdate { disabled: Some(true), revoke_tokens: true, ..UserUpdate::default() };
        assert!(matches!(users.update_user("alice", change).await, Err(UserWriteError::Store(_))));
        assert!(!store.find_user("alice").await.expect("find").expect("alice").disabled);
        assert!(matches!(users.delete_user("alice").await, Err(UserWriteError::Store(_))));
        assert!(store.find_user("alice").await.expect("find").is_some());
    }
}
