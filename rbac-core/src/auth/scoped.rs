//! Scoped role assignments through [`Auth`]: what guards read, and the
//! listing of the scopes where a user holds a role or permission.

use std::sync::Arc;

use super::Auth;
use crate::domain::{ScopedRoles, grants_in};
use crate::error::AuthError;
use crate::policy::{AccessPolicy, PermissionId, RoleId};
use crate::user::User;

/// What [`Auth::scopes_where`] looks for: a role (held directly or through
/// the hierarchy) or a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A role of the policy.
    Role(RoleId),
    /// A permission of the policy.
    Permission(PermissionId),
}

impl From<RoleId> for Held {
    fn from(role: RoleId) -> Self {
        Self::Role(role)
    }
}

impl From<PermissionId> for Held {
    fn from(permission: PermissionId) -> Self {
        Self::Permission(permission)
    }
}

/// The answer of [`Auth::scopes_where`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeList {
    /// Every scope of the domain: a global role the policy counts there
    /// gives it. A list endpoint then shows everything.
    Every,
    /// Only these scope ids, sorted, without repeats.
    Only(Vec<Arc<str>>),
}

impl ScopeList {
    /// Whether `scope` is in the list.
    pub fn contains(&self, scope: &str) -> bool {
        match self {
            Self::Every => true,
            Self::Only(scopes) => scopes.iter().any(|held| **held == *scope),
        }
    }
}

impl Auth {
    /// The roles `username` holds within scopes, from the issuer's store
    /// (and its cache); none on a resource server, which has no store.
    /// A store failure is logged and answered 503.
    pub async fn scoped_roles(&self, username: &str) -> Result<ScopedRoles, AuthError> {
        let Some(issuer) = self.issuer() else {
            return Ok(ScopedRoles::from([]));
        };
        issuer.store.find_scoped_roles(username).await.map_err(|error| {
            tracing::error!(%error, "user store failed reading scoped roles");
            AuthError::Unavailable
        })
    }

    /// The scopes of `domain` where `user` holds `wanted` (a role or a
    /// permission of policy `P`), as a list endpoint filters with: every
    /// scope when a global role the policy counts in `domain` gives it.
    ///
    /// ```
    /// # async fn run() -> Result<(), rbac_core::AuthError> {
    /// use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Role, ScopedRole, Tokens};
    /// use rbac_core::{User, UserRecord};
    /// use rbac_core::ScopeList;
    ///
    /// rbac_core::policy! {
    ///     mod policy {
    ///         role "viewer";
    ///         role "admin": "viewer";
    ///         domain "org";
    ///     }
    /// }
    /// let store = MemoryUserStore::new();
    /// let password_hash = PasswordHasher::default().hash_blocking("secret").unwrap();
    /// store.insert(UserRecord { user: User::new("bob"), password_hash }).unwrap();
    /// let admin = Role::new("admin").unwrap();
    /// assert!(store.grant("bob", ScopedRole::new("org", "acme", admin).unwrap()));
    /// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), store);
    /// let bob = User::new("bob");
    /// let orgs = auth.scopes_where::<policy::Policy>(&bob, "org", policy::roles::VIEWER).await?;
    /// assert_eq!(orgs, ScopeList::Only(vec!["acme".into()]));
    /// # Ok(()) }
    /// ```
    pub async fn scopes_where<P: AccessPolicy>(
        &self,
        user: &User,
        domain: &str,
        wanted: impl Into<Held>,
    ) -> Result<ScopeList, AuthError> {
        let wanted = wanted.into();
        let holds = |grants: crate::Grants| match wanted {
            Held::Role(role) => grants.has_role(role),
            Held::Permission(permission) => grants.has_permission(permission),
        };
        let global = P::grants(user);
        if holds(P::global_grants_in(domain, global)) {
            return Ok(ScopeList::Every);
        }
        let assignments = self.scoped_roles(&user.username).await?;
        let mut scopes: Vec<Arc<str>> = assignments
            .iter()
            .filter(|assignment| *assignment.domain == *domain)
            .filter(|assignment| {
                holds(grants_in::<P>(global, &assignments, domain, &assignment.scope))
            })
            .map(|assignment| Arc::clone(&assignment.scope))
            .collect();
        scopes.sort();
        scopes.dedup();
        Ok(ScopeList::Only(scopes))
    }
}
