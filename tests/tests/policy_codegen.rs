//! The code `policy!` and the attributes generate, against a hand-written
//! reference, for every combination of assigned roles (aliases and unknown
//! names included). The handlers are never routed: only their guards'
//! checks are called.
#![allow(dead_code)]

use std::collections::BTreeSet;

use rbac_core::__private::Requirement;
use rbac_core::{Role, User, requires, requires_permission, requires_role};

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

type Check = (&'static str, fn(&User) -> bool, fn(&BTreeSet<&str>, &BTreeSet<&str>) -> bool);

fn checks() -> Vec<Check> {
    vec![
        ("role_a", __rbac_requirement_role_a::is_met_by, |r, _| r.contains("a")),
        ("role_alias", __rbac_requirement_role_alias::is_met_by, |r, _| r.contains("a")),
        ("role_d", __rbac_requirement_role_d::is_met_by, |r, _| r.contains("d")),
        ("b_or_e", __rbac_requirement_b_or_e::is_met_by, |r, _| r.contains("b") || r.contains("e")),
        ("not_b", __rbac_requirement_not_b::is_met_by, |r, _| !r.contains("b")),
        ("p3", __rbac_requirement_p3::is_met_by, |_, p| p.contains("p3")),
        ("p4", __rbac_requirement_p4::is_met_by, |_, _| false),
        ("p1_and_p2", __rbac_requirement_p1_and_p2::is_met_by, |_, p| {
            p.contains("p1") && p.contains("p2")
        }),
        ("nested", __rbac_requirement_nested::is_met_by, |r, p| {
            r.contains("e") || (p.contains("p1") && !p.contains("p2"))
        }),
    ]
}

#[test]
fn generated_checks_agree_with_the_reference_for_every_assignment() {
    let names = ["a", "b", "c", "d", "e", "aa", "unknown"];
    let checks = checks();
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
                generated(&user),
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

#[test]
fn the_description_matches_the_declaration() {
    let d = policy::describe().role("d").expect("d");
    assert_eq!(d.inherits, ["b", "c"]);
    assert_eq!(d.effective_roles, ["a", "b", "c", "d"]);
    assert_eq!(d.effective_permissions, ["p1", "p2", "p3"]);
    assert_eq!(policy::describe().permissions, ["p1", "p2", "p3", "p4"]);
    assert_eq!(policy::describe().role("aa").map(|r| r.name), Some("a"));
}
