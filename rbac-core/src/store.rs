//! Where users live: the [`UserStore`] trait and the in-memory store.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use crate::boxed::BoxFuture;
use crate::domain::{ScopedRole, ScopedRoles};
use crate::user::{Role, User, UserRecord};

mod write;

pub use write::{UserDirectory, UserUpdate, UserWriteError, WritableUserStore};

/// A store failure (connection lost, I/O error...). Requests that hit one get
/// a 503; the cause is logged, never sent to the client.
#[derive(Debug)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the underlying error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user store error: {}", self.0)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Reads users for authentication.
///
/// Two lookups keep password hashes off the hot path: every guarded request
/// calls [`UserStore::find_user`], which never returns a hash; only the login
/// endpoint calls [`UserStore::find_credentials`].
///
/// Implement it with plain `async fn`s:
///
/// ```
/// use rbac_core::{StoreError, User, UserRecord, UserStore};
///
/// struct Nobody;
///
/// impl UserStore for Nobody {
///     async fn find_user(&self, _username: &str) -> Result<Option<User>, StoreError> {
///         Ok(None)
///     }
///     async fn find_credentials(&self, _username: &str) -> Result<Option<UserRecord>, StoreError> {
///         Ok(None)
///     }
///     async fn list_users(&self) -> Result<Vec<User>, StoreError> {
///         Ok(Vec::new())
///     }
/// }
/// ```
pub trait UserStore: Send + Sync + 'static {
    /// The user named `username`, without credentials.
    fn find_user(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The user named `username` with their password hash, for logging in.
    fn find_credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;

    /// Every user, ordered by username.
    fn list_users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// [`UserStore::find_user`], shared: what every guarded request calls.
    /// Override it when the store keeps users behind an `Arc` (as
    /// [`MemoryUserStore`] and the SQL stores' caches do), so a request
    /// costs a reference count instead of a copy of the user.
    fn find_user_shared(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Arc<User>>, StoreError>> + Send {
        async move { Ok(self.find_user(username).await?.map(Arc::new)) }
    }

    /// The roles `username` holds within scopes of the policy's domains
    /// (`editor` in `org:acme`), in no particular order; read by every
    /// scoped requirement (`#[requires_role("editor", in = org_id)]`), so a
    /// store should cache them as it caches users. The default, for stores
    /// that keep no such assignments, is none: scoped requirements then
    /// pass only through global roles the policy counts in every scope.
    fn find_scoped_roles(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<ScopedRoles, StoreError>> + Send {
        let _ = username;
        async { Ok(ScopedRoles::from([])) }
    }

    /// The account `username` names here: two names with the same key are
    /// one user. The login throttle counts failures per key, so a store
    /// that matches names loosely (ignoring case, say) must override this,
    /// or every spelling of a name gets its own budget of guesses. It must
    /// not depend on whether the user exists. By default, the name itself.
    fn account_key<'a>(&self, username: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(username)
    }
}

/// `UserStore` with boxed futures, so [`Auth`](crate::Auth) can hold any store
/// behind one pointer without making every extractor generic over it.
pub(crate) trait DynUserStore: Send + Sync {
    fn find_user<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>>;
    fn find_credentials<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>>;
    fn list_users(&self) -> BoxFuture<'_, Result<Vec<User>, StoreError>>;
    fn find_user_shared<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<User>>, StoreError>>;
    fn account_key<'a>(&self, username: &'a str) -> Cow<'a, str>;
    fn find_scoped_roles<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<ScopedRoles, StoreError>>;
}

impl<T: UserStore> DynUserStore for T {
    fn find_user<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        Box::pin(UserStore::find_user(self, username))
    }
    fn find_credentials<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>> {
        Box::pin(UserStore::find_credentials(self, username))
    }
    fn list_users(&self) -> BoxFuture<'_, Result<Vec<User>, StoreError>> {
        Box::pin(UserStore::list_users(self))
    }
    fn find_user_shared<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<User>>, StoreError>> {
        Box::pin(UserStore::find_user_shared(self, username))
    }
    fn account_key<'a>(&self, username: &'a str) -> Cow<'a, str> {
        UserStore::account_key(self, username)
    }
    fn find_scoped_roles<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<ScopedRoles, StoreError>> {
        Box::pin(UserStore::find_scoped_roles(self, username))
    }
}

/// A user store in process memory, for tests, examples and single-process demos.
///
/// Cloning shares the same users, so a test can keep a handle and change a
/// user while the app is serving.
///
/// ```
/// use rbac_core::{MemoryUserStore, PasswordHasher, Role, User, UserRecord};
///
/// let store = MemoryUserStore::new();
/// let mut user = User::new("johndoe");
/// user.roles.push(Role::new("user").unwrap());
/// let password_hash = PasswordHasher::default().hash_blocking("secret").unwrap();
/// store.insert(UserRecord { user, password_hash }).unwrap();
/// assert!(store.set_disabled("johndoe", true));
/// ```
#[derive(Clone, Default, Debug)]
pub struct MemoryUserStore {
    users: Arc<RwLock<HashMap<String, StoredUser>>>,
    case_insensitive: bool,
}

/// A [`UserRecord`] whose user is shared with the requests reading it.
#[derive(Debug)]
struct StoredUser {
    user: Arc<User>,
    password_hash: crate::password::PasswordHash,
    /// Kept with the user, so removing one removes the other.
    scoped_roles: ScopedRoles,
}

impl StoredUser {
    fn record(&self) -> UserRecord {
        UserRecord { user: User::clone(&self.user), password_hash: self.password_hash.clone() }
    }
}

/// [`MemoryUserStore::insert`] found the username taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateUser(pub String);

impl fmt::Display for DuplicateUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user `{}` already exists", self.0)
    }
}

impl std::error::Error for DuplicateUser {}

impl MemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store in which `JohnDoe` and `johndoe` are the same user:
    /// lookups ignore case, and the name keeps the case it was created with.
    pub fn case_insensitive() -> Self {
        Self { case_insensitive: true, ..Self::default() }
    }

    /// Whether usernames differing only in case are one user here (pair
    /// it with [`MemorySessionStore::case_insensitive`](crate::MemorySessionStore::case_insensitive)).
    pub fn is_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    fn key(&self, username: &str) -> String {
        username_key(username, self.case_insensitive)
    }

    /// Adds a user; refuses a username that is already taken.
    pub fn insert(&self, record: UserRecord) -> Result<(), DuplicateUser> {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let key = self.key(&record.user.username);
        if users.contains_key(&key) {
            return Err(DuplicateUser(record.user.username));
        }
        let UserRecord { user, password_hash } = record;
        let scoped_roles = ScopedRoles::from([]);
        users.insert(key, StoredUser { user: Arc::new(user), password_hash, scoped_roles });
        Ok(())
    }

    /// Enables or disables a user; `false` if there is no such user.
    pub fn set_disabled(&self, username: &str, disabled: bool) -> bool {
        self.update(username, |user| user.disabled = disabled)
    }

    /// Replaces a user's roles; `false` if there is no such user.
    pub fn set_roles(&self, username: &str, roles: Vec<Role>) -> bool {
        self.update(username, |user| user.roles = roles)
    }

    /// Grants a role within a scope; `false` if there is no such user.
    /// Granting what is already held changes nothing.
    pub fn grant(&self, username: &str, grant: ScopedRole) -> bool {
        self.grant_new(username, grant).is_some()
    }

    /// Revokes a role within a scope; `false` if there is no such user or
    /// the user did not hold it.
    pub fn revoke(&self, username: &str, grant: &ScopedRole) -> bool {
        self.revoke_held(username, grant).unwrap_or(false)
    }

    /// `None` without such a user, else whether the grant is new.
    fn grant_new(&self, username: &str, grant: ScopedRole) -> Option<bool> {
        self.change_scoped_roles(username, |roles| {
            let new = !roles.contains(&grant);
            if new {
                roles.push(grant);
            }
            new
        })
    }

    /// `None` without such a user, else whether the grant was held.
    fn revoke_held(&self, username: &str, grant: &ScopedRole) -> Option<bool> {
        self.change_scoped_roles(username, |roles| {
            let held = roles.contains(grant);
            roles.retain(|role| role != grant);
            held
        })
    }

    fn change_scoped_roles<R>(
        &self,
        username: &str,
        change: impl FnOnce(&mut Vec<ScopedRole>) -> R,
    ) -> Option<R> {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let stored = users.get_mut(&self.key(username))?;
        // A new list: requests holding the old one keep it unchanged.
        let mut roles = stored.scoped_roles.to_vec();
        let result = change(&mut roles);
        roles.sort();
        stored.scoped_roles = ScopedRoles::from(roles);
        Some(result)
    }

    /// Removes a user; `false` if there was no such user.
    pub fn remove(&self, username: &str) -> bool {
        self.users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key(username))
            .is_some()
    }

    /// Applies `change` to a user in place; `false` if there is no such user.
    /// The username is the key: changing it here is not supported.
    pub fn update(&self, username: &str, change: impl FnOnce(&mut User)) -> bool {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        // Copy-on-write: requests holding the old user keep it unchanged.
        let stored = users.get_mut(&self.key(username));
        stored.map(|stored| change(Arc::make_mut(&mut stored.user))).is_some()
    }

    fn read<T>(&self, f: impl FnOnce(&HashMap<String, StoredUser>) -> T) -> T {
        f(&self.users.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl UserStore for MemoryUserStore {
    async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .read(|users| users.get(&self.key(username)).map(|stored| User::clone(&stored.user))))
    }

    async fn find_user_shared(&self, username: &str) -> Result<Option<Arc<User>>, StoreError> {
        let key = account_key(username, self.case_insensitive);
        Ok(self.read(|users| users.get(key.as_ref()).map(|stored| Arc::clone(&stored.user))))
    }

    async fn find_credentials(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.read(|users| users.get(&self.key(username)).map(StoredUser::record)))
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut all =
            self.read(|users| users.values().map(|s| User::clone(&s.user)).collect::<Vec<_>>());
        all.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(all)
    }

    fn account_key<'a>(&self, username: &'a str) -> Cow<'a, str> {
        account_key(username, self.case_insensitive)
    }

    async fn find_scoped_roles(&self, username: &str) -> Result<ScopedRoles, StoreError> {
        let key = account_key(username, self.case_insensitive);
        Ok(self.read(|users| {
            users.get(key.as_ref()).map_or_else(
                || ScopedRoles::from([]),
                |stored| ScopedRoles::clone(&stored.scoped_roles),
            )
        }))
    }
}

impl WritableUserStore for MemoryUserStore {
    async fn create_user(&self, record: UserRecord) -> Result<(), UserWriteError> {
        self.insert(record).map_err(|DuplicateUser(name)| UserWriteError::Duplicate(name))
    }

    async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
    ) -> Result<User, UserWriteError> {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let record = users
            .get_mut(&self.key(username))
            .ok_or_else(|| UserWriteError::UnknownUser(username.to_owned()))?;
        update.apply_to(Arc::make_mut(&mut record.user));
        if let Some(hash) = update.password_hash {
            record.password_hash = hash;
        }
        Ok(User::clone(&record.user))
    }

    async fn delete_user(&self, username: &str) -> Result<(), UserWriteError> {
        if self.remove(username) {
            Ok(())
        } else {
            Err(UserWriteError::UnknownUser(username.to_owned()))
        }
    }

    async fn grant_scoped_role(
        &self,
        username: &str,
        grant: ScopedRole,
    ) -> Result<bool, UserWriteError> {
        self.grant_new(username, grant)
            .ok_or_else(|| UserWriteError::UnknownUser(username.to_owned()))
    }

    async fn revoke_scoped_role(
        &self,
        username: &str,
        grant: &ScopedRole,
    ) -> Result<bool, UserWriteError> {
        self.revoke_held(username, grant)
            .ok_or_else(|| UserWriteError::UnknownUser(username.to_owned()))
    }
}

/// The form of `username` that uniqueness and lookups use: the name itself,
/// or its lowercase form in a case-insensitive store.
pub(crate) fn username_key(username: &str, case_insensitive: bool) -> String {
    account_key(username, case_insensitive).into_owned()
}

/// [`username_key`], borrowing when the name is its own key.
pub(crate) fn account_key(username: &str, case_insensitive: bool) -> Cow<'_, str> {
    if case_insensitive { Cow::Owned(username.to_lowercase()) } else { Cow::Borrowed(username) }
}
