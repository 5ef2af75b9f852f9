//! Roles held within one scope of a domain ("admin of org `acme`"): the
//! assignments a store keeps, how a handler argument names the scope, and
//! what the assignments grant under a policy.
//!
//! A policy declares its domains (`domain "org";`); the hierarchy is the
//! policy's, so an org admin is an org editor of the same org. Assignments
//! are runtime data, looked up (and cached) per request by the scoped
//! requirements (`#[requires_role("admin", in = org_id)]`); they never go in
//! tokens, since the set is unbounded and would go stale.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::policy::{AccessPolicy, Grants};
use crate::user::Role;

/// The longest scope id accepted in an assignment, in bytes.
pub const MAX_SCOPE_ID_LEN: usize = 128;

/// One role held within one scope: `(domain, scope id, role)`, for one user.
///
/// ```
/// use rbac_core::{Role, ScopedRole};
///
/// let grant = ScopedRole::new("org", "acme", Role::new("editor").unwrap()).unwrap();
/// assert_eq!(grant.to_string(), "editor in org:acme");
/// assert!(ScopedRole::new("org", "", Role::new("editor").unwrap()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopedRole {
    /// The kind of scope, as the policy declares it (`org`).
    pub domain: Arc<str>,
    /// Which one (`acme`): compared byte for byte, never normalized.
    pub scope: Arc<str>,
    /// The role held there.
    pub role: Role,
}

/// A domain or scope id that cannot be stored: empty, too long, or with
/// characters outside the allowed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidScopedRole;

impl fmt::Display for InvalidScopedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a domain is a role-like name, and a scope id is 1 to 128 bytes with no \
             whitespace or control characters",
        )
    }
}

impl std::error::Error for InvalidScopedRole {}

impl ScopedRole {
    /// Validates a grant: the domain follows the role-name rule, the scope
    /// id is 1 to [`MAX_SCOPE_ID_LEN`] bytes without whitespace or control
    /// characters (so it prints unambiguously in `domain:scope` form).
    pub fn new(domain: &str, scope: &str, role: Role) -> Result<Self, InvalidScopedRole> {
        Role::new(domain).map_err(|_| InvalidScopedRole)?;
        let printable = |c: char| !c.is_whitespace() && !c.is_control();
        if scope.is_empty() || scope.len() > MAX_SCOPE_ID_LEN || !scope.chars().all(printable) {
            return Err(InvalidScopedRole);
        }
        Ok(Self { domain: Arc::from(domain), scope: Arc::from(scope), role })
    }

    /// Parses `domain:scope` (`org:acme`), as the CLI takes it.
    pub fn parse_target(target: &str, role: Role) -> Result<Self, InvalidScopedRole> {
        let (domain, scope) = target.split_once(':').ok_or(InvalidScopedRole)?;
        Self::new(domain, scope, role)
    }
}

impl fmt::Display for ScopedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}:{}", self.role, self.domain, self.scope)
    }
}

/// `{"domain": "org", "scope": "acme", "role": "editor"}`. Not
/// `Deserialize`: build one with [`ScopedRole::new`], which validates it.
impl Serialize for ScopedRole {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut grant = serializer.serialize_struct("ScopedRole", 3)?;
        grant.serialize_field("domain", &*self.domain)?;
        grant.serialize_field("scope", &*self.scope)?;
        grant.serialize_field("role", &self.role)?;
        grant.end()
    }
}

/// Every scoped role of one user, as a store returns (and caches) them.
pub type ScopedRoles = Arc<[ScopedRole]>;

/// What a handler argument named by `in = ...` converts to: the scope id
/// assignments are matched against, byte for byte.
#[diagnostic::on_unimplemented(
    message = "`in = ...` names a scope by a handler argument, and `{Self}` is not a scope id",
    label = "extract this argument as a `String` or an integer (like `Path(org): Path<String>`)",
    note = "implement `rbac_core::ScopeId` for `{Self}` to use it as a scope id"
)]
pub trait ScopeId {
    /// The scope id, as assignments store it.
    fn scope_id(&self) -> Cow<'_, str>;
}

impl ScopeId for str {
    fn scope_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ScopeId for String {
    fn scope_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ScopeId for Cow<'_, str> {
    fn scope_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ScopeId for Arc<str> {
    fn scope_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<T: ScopeId + ?Sized> ScopeId for &T {
    fn scope_id(&self) -> Cow<'_, str> {
        (**self).scope_id()
    }
}

macro_rules! integer_scope_ids {
    ($($integer:ty),*) => {$(
        impl ScopeId for $integer {
            fn scope_id(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}

integer_scope_ids!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// The hyphenated lowercase form, whatever case the request used
/// (`Path<Uuid>` parses both), so one scope has one id.
#[cfg(feature = "uuid")]
impl ScopeId for uuid::Uuid {
    fn scope_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.hyphenated().to_string())
    }
}

/// What `user` holds in scope `scope` of `domain` under policy `P`: the
/// roles assigned there, each with everything it inherits, plus the global
/// roles the policy declares to count in `domain` (`global "admin" in "org";`),
/// when `global` (the user's global grants) holds them.
///
/// ```
/// use rbac_core::{AccessPolicy, Grants, Role, ScopedRole, grants_in};
///
/// rbac_core::policy! {
///     mod policy {
///         role "viewer";
///         role "editor": "viewer";
///         role "admin": "editor";
///         domain "org";
///         global "admin" in "org";
///     }
/// }
/// let editor = Role::new("editor").unwrap();
/// let assignments = [ScopedRole::new("org", "acme", editor).unwrap()];
/// let acme = grants_in::<policy::Policy>(Grants::NONE, &assignments, "org", "acme");
/// assert!(acme.has_role(policy::roles::VIEWER));
/// assert!(!acme.has_role(policy::roles::ADMIN));
/// let beta = grants_in::<policy::Policy>(Grants::NONE, &assignments, "org", "beta");
/// assert_eq!(beta, Grants::NONE);
/// ```
#[inline]
pub fn grants_in<P: AccessPolicy>(
    global: Grants,
    assignments: &[ScopedRole],
    domain: &str,
    scope: &str,
) -> Grants {
    let mut grants = P::global_grants_in(domain, global);
    for assignment in assignments {
        if *assignment.scope == *scope && *assignment.domain == *domain {
            grants = grants.union(P::role_grants(assignment.role.as_str()));
        }
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "uuid")]
    #[test]
    fn a_uuid_is_one_scope_id_whatever_its_case() {
        let lower: uuid::Uuid = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().expect("uuid");
        let upper: uuid::Uuid = "67E55044-10B1-426F-9247-BB680E5FE0C8".parse().expect("uuid");
        assert_eq!(lower.scope_id(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(upper.scope_id(), lower.scope_id());
    }

    fn editor() -> Role {
        Role::new("editor").expect("role")
    }

    #[test]
    fn grants_are_validated() {
        assert!(ScopedRole::new("org", "acme", editor()).is_ok());
        assert!(ScopedRole::new("org", &"x".repeat(MAX_SCOPE_ID_LEN), editor()).is_ok());
        for (domain, scope) in [
            ("org", ""),
            ("org", "a b"),
            ("org", "a\0"),
            ("org", "a\u{1b}[2J"),
            ("", "acme"),
            ("o rg", "acme"),
            ("org", &"x".repeat(MAX_SCOPE_ID_LEN + 1)),
        ] {
            assert!(ScopedRole::new(domain, scope, editor()).is_err(), "{domain:?} {scope:?}");
        }
        let parsed = ScopedRole::parse_target("org:a:b", editor()).expect("first colon splits");
        assert_eq!((&*parsed.domain, &*parsed.scope), ("org", "a:b"));
        assert!(ScopedRole::parse_target("acme", editor()).is_err());
    }

    #[test]
    fn scope_ids_are_the_values_as_text() {
        assert_eq!(42u64.scope_id(), "42");
        assert_eq!((-7i32).scope_id(), "-7");
        assert_eq!(String::from("Acme").scope_id(), "Acme");
        assert_eq!("acme".scope_id(), "acme");
    }
}
