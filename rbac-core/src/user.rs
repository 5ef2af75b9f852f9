//! The user model: what a handler sees ([`User`]) and what a store keeps ([`UserRecord`]).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::password::PasswordHash;

/// A role name such as `admin`.
///
/// Cheap to clone (shared string) and compared by value. Role names are
/// non-empty and at most [`Role::MAX_LEN`] bytes of ASCII letters, digits,
/// `_`, `-`, `.` and `:`, so they can travel in tokens, logs and headers
/// without escaping.
///
/// ```
/// use rbac_core::Role;
///
/// let admin = Role::new("admin").unwrap();
/// assert_eq!(admin.as_str(), "admin");
/// assert!(Role::new("").is_err());
/// assert!(Role::new("no spaces").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(Arc<str>);

impl Role {
    /// The longest accepted role name, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps a role name.
    pub fn new(name: &str) -> Result<Self, InvalidRole> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
        if name.is_empty() || name.len() > Self::MAX_LEN || !name.chars().all(valid_char) {
            return Err(InvalidRole);
        }
        Ok(Self(Arc::from(name)))
    }

    /// The role name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Role::new(&name).map_err(serde::de::Error::custom)
    }
}

/// A role name that [`Role::new`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidRole;

impl fmt::Display for InvalidRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a role name is 1 to {} ASCII letters, digits, `_`, `-`, `.` or `:`",
            Role::MAX_LEN
        )
    }
}

impl std::error::Error for InvalidRole {}

/// A user as handlers and API responses see it.
///
/// It has no password hash field, so serializing a `User` can never leak one;
/// the hash lives only in [`UserRecord`], which does not implement `Serialize`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The unique login name; it is the token's `sub` claim.
    pub username: String,
    /// Contact address, if known.
    pub email: Option<String>,
    /// Display name, if known.
    pub full_name: Option<String>,
    /// A disabled user can hold a valid token but is refused on every guarded route.
    pub disabled: bool,
    /// The roles granted to this user.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub roles: Vec<Role>,
}

impl User {
    /// A new, enabled user with no roles and no contact details.
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            email: None,
            full_name: None,
            disabled: false,
            roles: Vec::new(),
        }
    }

    /// Whether `role` is among the user's own roles (exact, case-sensitive
    /// match). It ignores the policy's hierarchy, unlike
    /// `#[requires_role]`: an admin who inherits `editor` has no direct
    /// `editor` role. For the hierarchy, ask the policy
    /// (`policy::grants(&user).has_role(policy::roles::EDITOR)`).
    ///
    /// ```
    /// use rbac_core::{Role, User};
    ///
    /// let mut user = User::new("janedoe");
    /// user.roles.push(Role::new("admin").unwrap());
    /// assert!(user.has_direct_role("admin"));
    /// assert!(!user.has_direct_role("Admin"));
    /// ```
    pub fn has_direct_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held.as_str() == role)
    }
}

/// A user as a [`UserStore`](crate::UserStore) keeps it: the public [`User`]
/// plus the password hash.
///
/// Deliberately not `Serialize`: a record cannot be returned as JSON by
/// accident. Hand out [`UserRecord::user`] instead.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// The public part.
    pub user: User,
    /// The argon2id PHC string; its `Debug` output is redacted.
    pub password_hash: PasswordHash,
}
