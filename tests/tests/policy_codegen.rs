//! The code `policy!` and the attributes generate, against a hand-written
//! reference, for every combination of assigned roles (aliases and unknown
//! names included). The handlers are never routed: only their guards'
//! checks are called.
#![allow(dead_code)]

use std::collections::BTreeSet;

use rbac_core::__private::Requirement;
use rbac_core::{
    AuthError, Claims, JwtSecret, Role, TokenSubject, Tokens, User, requires, requires_permission,
    requires_role, requires_scope,
};

rbac_core::policy! {
    /// A diamond (`d` inherits `b` and `c`, both inheriting `a`), an
    /// unrelated role, an alias and a permission nobody holds.
    mod policy {
        role "a";
        role "b": "a" grants "p1";
        role "c": "a" grants "p2";
        role "d": "b", "c" grants "p3";
        role "e";
        alias "aa" = "a";
        permission "p4";
    }
}

/// Reference: the roles a name stands for, walked by hand.
fn reference_roles(assigned: &[&str]) -> BTreeSet<&'static str> {
    let parents = |role: &str| -> &'static [&'static str] {
        match role {
            "b" | "c" => &["a"],
            "d" => &["b", "c"],
            _ => &[],
        }
    };
    let mut held = BTreeSet::new();
    let mut stack: Vec<&'static str> = assigned
        .iter()
        .filter_map(|name| match *name {
            "aa" => Some("a"),
            "a" => Some("a"),
            "b" => Some("b"),
            "c" => Some("c"),
            "d" => Some("d"),
            "e" => Some("e"),
            _ => None,
        })
        .collect();
    while let Some(role) = stack.pop() {
        if held.insert(role) {
            stack.extend(parents(role));
        }
    }
    held
}

fn reference_permissions(roles: &BTreeSet<&str>) -> BTreeSet<&'static str> {
    let grants = |role: &str| -> &'static [&'static str] {
        match role {
            "b" => &["p1"],
            "c" => &["p2"],
            "d" => &["p3"],
            _ => &[],
        }
    };
    roles.iter().flat_map(|role| grants(role)).copied().collect()
}

#[requires_role("a")]
async fn role_a() {}
#[requires_role("aa")]
async fn role_alias() {}
#[requires_role("d")]
async fn role_d() {}
#[requires_role(any("b", "e"))]
async fn b_or_e() {}
#[requires_role(not("b"))]
async fn not_b() {}
#[requires_permission("p3")]
async fn p3() {}
#[requires_permission("p4")]
async fn p4() {}
#[requires_permission(all("p1", "p2"))]
async fn p1_and_p2() {}
#[requires(any(role("e"), all(permission("p1"), not(permission("p2")))))]
async fn nested() {}

type Decide = fn(&User, &Claims) -> Result<(), AuthError>;
type Check = (&'static str, Decide, fn(&BTreeSet<&str>, &BTreeSet<&str>) -> bool);

fn checks() -> Vec<Check> {
    vec![
        ("role_a", __rbac_requirement_role_a::decide, |r, _| r.contains("a")),
        ("role_alias", __rbac_requirement_role_alias::decide, |r, _| r.contains("a")),
        ("role_d", __rbac_requirement_role_d::decide, |r, _| r.contains("d")),
        ("b_or_e", __rbac_requirement_b_or_e::decide, |r, _| r.contains("b") || r.contains("e")),
        ("not_b", __rbac_requirement_not_b::decide, |r, _| !r.contains("b")),
        ("p3", __rbac_requirement_p3::decide, |_, p| p.contains("p3")),
        ("p4", __rbac_requirement_p4::decide, |_, _| false),
        ("p1_and_p2", __rbac_requirement_p1_and_p2::decide, |_, p| {
            p.contains("p1") && p.contains("p2")
        }),
        ("nested", __rbac_requirement_nested::decide, |r, p| {
            r.contains("e") || (p.contains("p1") && !p.contains("p2"))
        }),
    ]
}

#[test]
fn generated_checks_agree_with_the_reference_for_every_assignment() {
    let names = ["a", "b", "c", "d", "e", "aa", "unknown"];
    let checks = checks();
    let no_scopes = claims(None);
    for mask in 0u32..(1 << names.len()) {
        let assigned: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        let mut user = User::new("u");
        user.roles = assigned.iter().map(|name| Role::new(name).expect("role")).collect();
        let roles = reference_roles(&assigned);
        let permissions = reference_permissions(&roles);
        for (name, generated, reference) in &checks {
            assert_eq!(
                generated(&user, &no_scopes).is_ok(),
                reference(&roles, &permissions),
                "{name} with roles {assigned:?}"
            );
        }
        let grants = policy::grants(&user);
        assert_eq!(grants.has_role(policy::roles::D), roles.contains("d"), "{assigned:?}");
        assert_eq!(grants.has_role(policy::roles::AA), roles.contains("a"), "{assigned:?}");
        assert_eq!(
            grants.has_permission(policy::permissions::P2),
            permissions.contains("p2"),
            "{assigned:?}"
        );
    }
}

/// Claims of a token for "u" with `scope`.
fn claims(scope: Option<&str>) -> Claims {
    let issued = Tokens::hs256(JwtSecret::generate())
        .issue_for(&TokenSubject { username: "u", scope, ..TokenSubject::default() })
        .expect("issue");
    issued.claims
}

#[requires(all(role("a"), scope("p1")))]
async fn a_with_scope_p1() {}
#[requires(any(role("e"), scope("p2")))]
async fn e_or_scope_p2() {}
#[requires_scope("p3")]
async fn scope_p3() {}
#[requires(all(scope("p1"), not(scope("p2"))))]
async fn p1_but_not_p2() {}
#[requires(any(scope("p1"), not(scope("p2"))))]
async fn p1_or_not_p2() {}

async fn always(_user: &User) -> bool {
    true
}

/// Compiles: a check next to scopes, whose refusal never re-runs the check.
#[requires(any(all(scope("p1"), check(always())), not(scope("p2"))))]
async fn scope_with_check() {}

#[test]
fn forbidden_scopes_are_never_asked_for() {
    let user = User::new("u");
    let decide = __rbac_requirement_p1_but_not_p2::decide;
    assert_eq!(decide(&user, &claims(Some("p1"))), Ok(()));
    assert_eq!(decide(&user, &claims(None)), Err(AuthError::InsufficientScope("p1")));
    // Holding the forbidden scope is not fixed by getting more scopes.
    assert_eq!(decide(&user, &claims(Some("p1 p2"))), Err(AuthError::Forbidden));
    assert_eq!(decide(&user, &claims(Some("p2"))), Err(AuthError::Forbidden));

    let decide = __rbac_requirement_p1_or_not_p2::decide;
    assert_eq!(decide(&user, &claims(None)), Ok(()));
    // Only `p1` is asked for, never the forbidden `p2`.
    assert_eq!(decide(&user, &claims(Some("p2"))), Err(AuthError::InsufficientScope("p1")));
}

#[test]
fn scope_terms_read_the_token_and_say_which_refusal() {
    let mut user = User::new("u");
    user.roles = vec![Role::new("a").expect("role")];
    let decide = __rbac_requirement_a_with_scope_p1::decide;
    assert_eq!(decide(&user, &claims(Some("p1 p2"))), Ok(()));
    assert_eq!(decide(&user, &claims(Some("p2"))), Err(AuthError::InsufficientScope("p1")));
    assert_eq!(decide(&user, &claims(None)), Err(AuthError::InsufficientScope("p1")));
    // Without the role, more scopes would not help: a plain 403.
    assert_eq!(decide(&User::new("u"), &claims(Some("p1"))), Err(AuthError::Forbidden));

    let decide = __rbac_requirement_e_or_scope_p2::decide;
    assert_eq!(decide(&User::new("u"), &claims(Some("p2"))), Ok(()), "the scope alone suffices");
    assert_eq!(
        decide(&User::new("u"), &claims(Some("p1"))),
        Err(AuthError::InsufficientScope("p2"))
    );
    user.roles = vec![Role::new("e").expect("role")];
    assert_eq!(decide(&user, &claims(None)), Ok(()), "the role alone suffices");

    // Scope names match whole tokens only.
    let decide = __rbac_requirement_scope_p3::decide;
    assert_eq!(decide(&user, &claims(Some("p3"))), Ok(()));
    for near in ["p", "p33", "xp3", "P3"] {
        assert!(decide(&user, &claims(Some(near))).is_err(), "{near}");
    }
}

#[test]
fn the_description_matches_the_declaration() {
    let d = policy::describe().role("d").expect("d");
    assert_eq!(d.inherits, ["b", "c"]);
    assert_eq!(d.effective_roles, ["a", "b", "c", "d"]);
    assert_eq!(d.effective_permissions, ["p1", "p2", "p3"]);
    assert_eq!(policy::describe().permissions, ["p1", "p2", "p3", "p4"]);
    assert_eq!(policy::describe().role("aa").map(|r| r.name), Some("a"));
}
