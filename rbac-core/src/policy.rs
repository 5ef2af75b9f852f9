//! Access policies declared in code with [`policy!`](crate::policy), and
//! requirements as data.

use std::fmt;

use crate::user::User;

/// What a user's roles grant under one policy, as bit sets: the effective
/// roles (assigned roles plus everything they inherit) and the effective
/// permissions. A requirement check is a few `&` and `!= 0` on these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Bit `i` set: the user effectively holds role `i`.
    pub roles: u128,
    /// Bit `i` set: the user effectively holds permission `i`.
    pub permissions: u128,
}

impl Grants {
    /// Nothing granted.
    pub const NONE: Self = Self { roles: 0, permissions: 0 };

    /// Everything granted by either.
    #[inline]
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self { roles: self.roles | other.roles, permissions: self.permissions | other.permissions }
    }
}

/// A role of a declared policy, as a typed value (`policy::roles::ADMIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleId {
    /// The role's name.
    pub name: &'static str,
    /// Its bit in [`Grants::roles`].
    pub bit: u128,
}

/// A permission of a declared policy, as a typed value (`policy::permissions::POSTS_WRITE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PermissionId {
    /// The permission's name.
    pub name: &'static str,
    /// Its bit in [`Grants::permissions`].
    pub bit: u128,
}

impl Grants {
    /// Whether the role is held, directly or through the hierarchy.
    #[inline]
    pub const fn has_role(self, role: RoleId) -> bool {
        self.roles & role.bit != 0
    }

    /// Whether the permission is granted by any held role.
    #[inline]
    pub const fn has_permission(self, permission: PermissionId) -> bool {
        self.permissions & permission.bit != 0
    }
}

/// A policy declared with [`policy!`](crate::policy): roles, their
/// hierarchy and permissions, compiled to bit sets at build time.
pub trait AccessPolicy: 'static {
    /// What `user`'s roles grant. Role names the policy does not declare grant nothing.
    fn grants(user: &User) -> Grants;

    /// The whole policy, for audits.
    fn describe() -> &'static PolicyDescription;

    /// What one role name grants: the role and everything it inherits.
    /// Names the policy does not declare grant nothing (the default, for
    /// policies written by hand, grants nothing for any name).
    fn role_grants(name: &str) -> Grants {
        let _ = name;
        Grants::NONE
    }

    /// What the global grants `global` count for inside `domain`: the roles
    /// the policy declares global there (`global "admin" in "org";`), when
    /// `global` holds them. Nothing for an undeclared domain.
    fn global_grants_in(domain: &str, global: Grants) -> Grants {
        let _ = (domain, global);
        Grants::NONE
    }
}

/// A policy, listed for audits: each role with what it inherits and grants.
///
/// Its `Display` is a readable table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyDescription {
    /// The policy's name (its module path as declared).
    pub name: &'static str,
    /// Every role, in declaration order.
    pub roles: &'static [RoleDescription],
    /// Every permission, in declaration order.
    pub permissions: &'static [&'static str],
    /// Every domain (kind of scope roles can be granted in), in declaration order.
    pub domains: &'static [DomainDescription],
}

/// One domain of a [`PolicyDescription`]: `domain "org";`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainDescription {
    /// The domain's name.
    pub name: &'static str,
    /// The global roles that count in every scope of this domain.
    pub global_roles: &'static [&'static str],
}

/// One role of a [`PolicyDescription`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleDescription {
    /// The role's name.
    pub name: &'static str,
    /// Other names for the same role.
    pub aliases: &'static [&'static str],
    /// Roles it inherits directly.
    pub inherits: &'static [&'static str],
    /// Itself and every role it inherits, directly or not.
    pub effective_roles: &'static [&'static str],
    /// Every permission it grants, directly or through inheritance.
    pub effective_permissions: &'static [&'static str],
}

impl PolicyDescription {
    /// The role called `name` (or aliased so).
    pub fn role(&self, name: &str) -> Option<&RoleDescription> {
        self.roles.iter().find(|role| role.name == name || role.aliases.contains(&name))
    }

    /// The domain called `name`.
    pub fn domain(&self, name: &str) -> Option<&DomainDescription> {
        self.domains.iter().find(|domain| domain.name == name)
    }
}

impl fmt::Display for PolicyDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "policy {}", self.name)?;
        for role in self.roles {
            write!(f, "  role {}", role.name)?;
            if !role.aliases.is_empty() {
                write!(f, " (alias {})", role.aliases.join(", "))?;
            }
            if !role.inherits.is_empty() {
                write!(f, " inherits {}", role.inherits.join(", "))?;
            }
            writeln!(f)?;
            writeln!(f, "    effective roles: {}", role.effective_roles.join(", "))?;
            writeln!(f, "    effective permissions: {}", list_or_none(role.effective_permissions))?;
        }
        for domain in self.domains {
            writeln!(f, "  domain {}", domain.name)?;
            writeln!(f, "    global roles counted: {}", list_or_none(domain.global_roles))?;
        }
        Ok(())
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() { "(none)".to_owned() } else { items.join(", ") }
}

/// What an annotated handler requires, as data: the attribute's requirement
/// tree, readable at runtime with [`requirements_of!`](crate::requirements_of).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requires {
    /// Nothing: anyone, with or without credentials (`#[public]`).
    Public,
    /// An authenticated, active user; nothing more.
    Authenticated,
    /// A role, directly or through the hierarchy.
    Role(&'static str),
    /// A permission, granted by any of the user's effective roles.
    Permission(&'static str),
    /// An OAuth2 scope the token must carry.
    Scope(&'static str),
    /// At least one of these.
    Any(&'static [Requires]),
    /// All of these.
    All(&'static [Requires]),
    /// Not this.
    Not(&'static Requires),
    /// The named handler argument equals the user's username.
    Owner(&'static str),
    /// A role held within the scope a handler argument names.
    RoleIn(&'static str, InScope),
    /// A permission granted by a role held within the scope a handler argument names.
    PermissionIn(&'static str, InScope),
    /// A custom check, as written in the attribute.
    Check(&'static str),
}

impl fmt::Display for Requires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, items: &[Requires]| {
            write!(f, "{name}(")?;
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(")")
        };
        match self {
            Self::Public => f.write_str("public"),
            Self::Authenticated => f.write_str("authenticated"),
            Self::Role(name) => write!(f, "role({name:?})"),
            Self::Permission(name) => write!(f, "permission({name:?})"),
            Self::Scope(name) => write!(f, "scope({name:?})"),
            Self::Any(items) => list(f, "any", items),
            Self::All(items) => list(f, "all", items),
            Self::Not(item) => write!(f, "not({item})"),
            Self::Owner(argument) => write!(f, "owner({argument})"),
            Self::RoleIn(name, scope) => write!(f, "role({name:?}, in = {scope})"),
            Self::PermissionIn(name, scope) => write!(f, "permission({name:?}, in = {scope})"),
            Self::Check(call) => write!(f, "check({call})"),
        }
    }
}

/// Where a scoped requirement looks: a domain of the policy, and the
/// handler argument whose value is the scope id. Displayed `org(org_id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InScope {
    /// The domain (`org`).
    pub domain: &'static str,
    /// The handler argument naming the scope (`org_id`).
    pub argument: &'static str,
}

impl fmt::Display for InScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.domain, self.argument)
    }
}

/// Everything an annotated handler requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerRequirements {
    /// The handler's name.
    pub handler: &'static str,
    /// The policy its names are checked against, if any.
    pub policy: Option<&'static str>,
    /// The requirement tree.
    pub requires: Requires,
}

/// `handler: requirement (policy path)`; the policy is left out when the
/// requirement names no role, permission or scope.
impl fmt::Display for HandlerRequirements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.handler, self.requires)?;
        match self.policy {
            Some(policy) => write!(f, " (policy {policy})"),
            None => Ok(()),
        }
    }
}
