//! What a [`Requires`] tree means for OpenAPI: the scopes a token needs
//! (as alternatives), whether an authenticated user can still be refused,
//! the rule in words and as JSON.

use serde_json::{Value, json};

use crate::policy::{PolicyDescription, Requires};

/// The scope sets a token can satisfy `requires` with, in disjunctive
/// normal form: the requirement holds only if the token carries every scope
/// of at least one set (AND within a set, OR across sets). A set may be
/// empty: no scope is needed on that alternative.
///
/// It is a necessary condition on scopes, not the whole rule: roles,
/// permissions, ownership and checks are left to the words and to
/// `x-rbac-requires`, and a negated term never asks for a scope (a token
/// cannot be required to lack one in OpenAPI). Sets that contain another
/// set are dropped, since the smaller one already suffices.
///
/// ```
/// use rbac_core::Requires;
/// use rbac_core::openapi::scope_alternatives;
///
/// let either = Requires::Any(&[Requires::Scope("a"), Requires::Scope("b")]);
/// assert_eq!(scope_alternatives(&either), [vec!["a"], vec!["b"]]);
/// let both = Requires::All(&[Requires::Scope("a"), Requires::Role("admin"), Requires::Scope("b")]);
/// assert_eq!(scope_alternatives(&both), [vec!["a", "b"]]);
/// ```
pub fn scope_alternatives(requires: &Requires) -> Vec<Vec<&'static str>> {
    let mut alternatives = match requires {
        Requires::Scope(scope) => vec![vec![*scope]],
        Requires::Any(items) => {
            let mut alternatives = Vec::new();
            for item in *items {
                for alternative in scope_alternatives(item) {
                    if !alternatives.contains(&alternative) {
                        alternatives.push(alternative);
                    }
                }
            }
            alternatives
        }
        Requires::All(items) => {
            let mut product: Vec<Vec<&'static str>> = vec![Vec::new()];
            for item in *items {
                let choices = scope_alternatives(item);
                product = product
                    .iter()
                    .flat_map(|partial| choices.iter().map(move |choice| union(partial, choice)))
                    .collect();
            }
            product
        }
        Requires::Public
        | Requires::Authenticated
        | Requires::Role(_)
        | Requires::Permission(_)
        | Requires::Not(_)
        | Requires::Owner(_)
        | Requires::RoleIn(..)
        | Requires::PermissionIn(..)
        | Requires::Check(_) => vec![Vec::new()],
    };
    drop_supersets(&mut alternatives);
    alternatives
}

fn union(left: &[&'static str], right: &[&'static str]) -> Vec<&'static str> {
    let mut joined = left.to_vec();
    for scope in right {
        if !joined.contains(scope) {
            joined.push(scope);
        }
    }
    joined
}

fn drop_supersets(alternatives: &mut Vec<Vec<&'static str>>) {
    let sets = alternatives.clone();
    let is_subset = |small: &[&str], big: &[&str]| small.iter().all(|scope| big.contains(scope));
    let mut index = 0;
    alternatives.retain(|set| {
        let this = index;
        index += 1;
        !sets.iter().enumerate().any(|(other, smaller)| {
            other != this
                && is_subset(smaller, set)
                // Of two equal sets, keep the first.
                && (smaller.len() < set.len() || other < this)
        })
    });
}

/// Whether a user who is authenticated and active can still be refused
/// (403): true for anything beyond plain authentication.
pub(super) fn can_forbid(requires: &Requires) -> bool {
    match requires {
        Requires::Public | Requires::Authenticated => false,
        Requires::All(items) => items.iter().any(can_forbid),
        Requires::Any(items) => items.iter().all(can_forbid),
        Requires::Role(_)
        | Requires::Permission(_)
        | Requires::Scope(_)
        | Requires::Not(_)
        | Requires::Owner(_)
        | Requires::RoleIn(..)
        | Requires::PermissionIn(..)
        | Requires::Check(_) => true,
    }
}

/// The rule in words, for an operation's description; roles and
/// permissions name who holds them under `policy`.
///
/// ```
/// use rbac_core::Requires;
/// use rbac_core::openapi::describe_requirement;
///
/// rbac_core::policy! {
///     mod policy {
///         role "viewer";
///         role "admin": "viewer" grants "users:manage";
///     }
/// }
///
/// let rule = Requires::All(&[Requires::Role("viewer"), Requires::Scope("users:manage")]);
/// assert_eq!(
///     describe_requirement(&rule, policy::describe()),
///     "role `viewer` (held by `viewer`, `admin`) and scope `users:manage` in the token"
/// );
/// ```
pub fn describe_requirement(requires: &Requires, policy: &PolicyDescription) -> String {
    let nested = |item: &Requires| {
        let words = describe_requirement(item, policy);
        match item {
            Requires::Any(_) | Requires::All(_) => format!("({words})"),
            _ => words,
        }
    };
    match requires {
        Requires::Public => "public: anyone, no credentials needed".to_owned(),
        Requires::Authenticated => "an authenticated, active user".to_owned(),
        Requires::Role(role) => {
            let holders = policy
                .roles
                .iter()
                .filter(|candidate| candidate.effective_roles.contains(role))
                .map(|candidate| candidate.name);
            format!("role `{role}` (held by {})", quoted_list(holders))
        }
        Requires::Permission(permission) => {
            format!("permission `{permission}` ({})", granted_to(permission, policy))
        }
        Requires::Scope(scope) => format!("scope `{scope}` in the token"),
        Requires::RoleIn(role, scope) => {
            format!(
                "role `{role}` in the {} named by the `{}` parameter{}",
                scope.domain,
                scope.argument,
                counted_globally(scope.domain, policy)
            )
        }
        Requires::PermissionIn(permission, scope) => {
            format!(
                "permission `{permission}` through a role in the {} named by the `{}` \
                 parameter{}",
                scope.domain,
                scope.argument,
                counted_globally(scope.domain, policy)
            )
        }
        Requires::Owner(argument) => {
            format!("the user is the one named by the `{argument}` parameter")
        }
        Requires::Check(call) => format!("the check `{call}` passes"),
        Requires::Not(item) => format!("not {}", nested(item)),
        Requires::Any(items) => items.iter().map(nested).collect::<Vec<_>>().join(" or "),
        Requires::All(items) => items.iter().map(nested).collect::<Vec<_>>().join(" and "),
    }
}

/// `, or global role `admin``: the global roles that count in every scope
/// of `domain`, if any.
fn counted_globally(domain: &str, policy: &PolicyDescription) -> String {
    match policy.domain(domain) {
        Some(domain) if !domain.global_roles.is_empty() => format!(
            ", or global role {} (counted in every {})",
            quoted_list(domain.global_roles.iter().copied()),
            domain.name
        ),
        _ => String::new(),
    }
}

/// `granted to `a`, `b`` for a permission, or `granted to no role`.
pub(super) fn granted_to(permission: &str, policy: &PolicyDescription) -> String {
    let roles = policy
        .roles
        .iter()
        .filter(|role| role.effective_permissions.contains(&permission))
        .map(|role| role.name);
    format!("granted to {}", quoted_list(roles))
}

fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    if names.is_empty() { "no role".to_owned() } else { names.join(", ") }
}

/// The rule as JSON, for `x-rbac-requires`: `"public"`, `"authenticated"`,
/// `{"role": "admin"}`, `{"all": [...]}`, ...
pub(super) fn requirement_json(requires: &Requires) -> Value {
    let list = |items: &[Requires]| Value::Array(items.iter().map(requirement_json).collect());
    match requires {
        Requires::Public => json!("public"),
        Requires::Authenticated => json!("authenticated"),
        Requires::Role(role) => json!({ "role": role }),
        Requires::Permission(permission) => json!({ "permission": permission }),
        Requires::Scope(scope) => json!({ "scope": scope }),
        Requires::Owner(argument) => json!({ "owner": argument }),
        Requires::RoleIn(role, scope) => {
            json!({ "role": role, "in": { "domain": scope.domain, "argument": scope.argument } })
        }
        Requires::PermissionIn(permission, scope) => json!({
            "permission": permission,
            "in": { "domain": scope.domain, "argument": scope.argument }
        }),
        Requires::Check(call) => json!({ "check": call }),
        Requires::Not(item) => json!({ "not": requirement_json(item) }),
        Requires::Any(items) => json!({ "any": list(items) }),
        Requires::All(items) => json!({ "all": list(items) }),
    }
}
