use serde_json::json;
use utoipa::openapi::Responses;

use super::requirement::{can_forbid, requirement_json};
use super::*;
use crate::policy::RoleDescription;

static POLICY: PolicyDescription = PolicyDescription {
    name: "crate::policy",
    roles: &[
        RoleDescription {
            name: "viewer",
            aliases: &[],
            inherits: &[],
            effective_roles: &["viewer"],
            effective_permissions: &["items:read"],
        },
        RoleDescription {
            name: "admin",
            aliases: &[],
            inherits: &["viewer"],
            effective_roles: &["viewer", "admin"],
            effective_permissions: &["items:read", "users:manage"],
        },
    ],
    permissions: &["items:read", "users:manage"],
    domains: &[
        crate::policy::DomainDescription { name: "org", global_roles: &["admin"] },
        crate::policy::DomainDescription { name: "team", global_roles: &[] },
    ],
};

const A: Requires = Requires::Scope("a");
const B: Requires = Requires::Scope("b");
const C: Requires = Requires::Scope("c");
const ADMIN: Requires = Requires::Role("admin");

#[test]
fn a_lone_scope_is_one_requirement_with_that_scope() {
    assert_eq!(scope_alternatives(&A), [vec!["a"]]);
}

#[test]
fn rules_without_scopes_need_a_token_and_no_scope() {
    for rule in [Requires::Authenticated, ADMIN, Requires::Owner("name"), Requires::Check("f(x)")] {
        assert_eq!(scope_alternatives(&rule), [Vec::<&str>::new()], "{rule}");
    }
}

#[test]
fn all_joins_scopes_into_one_requirement() {
    assert_eq!(scope_alternatives(&Requires::All(&[A, ADMIN, B, A])), [vec!["a", "b"]]);
}

#[test]
fn any_of_scopes_gives_one_requirement_each() {
    assert_eq!(scope_alternatives(&Requires::Any(&[A, B])), [vec!["a"], vec!["b"]]);
}

#[test]
fn all_of_anys_distributes() {
    let rule = Requires::All(&[Requires::Any(&[A, B]), C]);
    assert_eq!(scope_alternatives(&rule), [vec!["a", "c"], vec!["b", "c"]]);
}

#[test]
fn an_alternative_without_scopes_absorbs_the_others() {
    // admin without any scope suffices, so no scope is required.
    assert_eq!(scope_alternatives(&Requires::Any(&[ADMIN, A])), [Vec::<&str>::new()]);
    let rule = Requires::Any(&[A, Requires::All(&[A, B])]);
    assert_eq!(scope_alternatives(&rule), [vec!["a"]]);
}

#[test]
fn a_negated_scope_is_not_required() {
    assert_eq!(scope_alternatives(&Requires::Not(&A)), [Vec::<&str>::new()]);
    assert_eq!(scope_alternatives(&Requires::All(&[Requires::Not(&A), B])), [vec!["b"]]);
}

#[test]
fn security_is_empty_for_public_and_one_object_per_alternative_otherwise() {
    let security = OpenApiSecurity::new(&POLICY);
    assert!(security.security_requirements(&Requires::Public).is_empty());
    let value = serde_json::to_value(security.security_requirements(&Requires::Any(&[A, B])))
        .expect("serializes");
    assert_eq!(value, json!([{ "oauth2": ["a"] }, { "oauth2": ["b"] }]));
    let value = serde_json::to_value(security.security_requirements(&Requires::Authenticated))
        .expect("serializes");
    assert_eq!(value, json!([{ "oauth2": [] }]));
}

#[test]
fn only_plain_authentication_cannot_forbid() {
    assert!(!can_forbid(&Requires::Authenticated));
    assert!(!can_forbid(&Requires::All(&[Requires::Authenticated])));
    assert!(can_forbid(&ADMIN));
    assert!(can_forbid(&Requires::All(&[Requires::Authenticated, A])));
    assert!(!can_forbid(&Requires::Any(&[Requires::Authenticated, A])));
}

#[test]
fn words_name_the_roles_that_hold_a_role_or_grant_a_permission() {
    let rule = Requires::Any(&[
        Requires::Role("viewer"),
        Requires::All(&[Requires::Permission("users:manage"), Requires::Not(&A)]),
    ]);
    assert_eq!(
        describe_requirement(&rule, &POLICY),
        "role `viewer` (held by `viewer`, `admin`) or (permission `users:manage` \
         (granted to `admin`) and not scope `a` in the token)"
    );
    assert_eq!(
        describe_requirement(&Requires::Permission("nobody:has"), &POLICY),
        "permission `nobody:has` (granted to no role)"
    );
}

#[test]
fn scoped_rules_name_the_domain_the_parameter_and_the_global_roles_counted() {
    use crate::policy::InScope;
    let org = InScope { domain: "org", argument: "org_id" };
    assert_eq!(
        describe_requirement(&Requires::RoleIn("viewer", org), &POLICY),
        "role `viewer` in the org named by the `org_id` parameter, or global role `admin` \
         (counted in every org)"
    );
    let team = InScope { domain: "team", argument: "team" };
    assert_eq!(
        describe_requirement(&Requires::PermissionIn("items:read", team), &POLICY),
        "permission `items:read` through a role in the team named by the `team` parameter"
    );
    assert_eq!(
        requirement_json(&Requires::RoleIn("viewer", org)),
        json!({ "role": "viewer", "in": { "domain": "org", "argument": "org_id" } })
    );
    assert!(can_forbid(&Requires::RoleIn("viewer", org)));
}

#[test]
fn the_rule_as_json_keeps_the_tree() {
    let rule = Requires::All(&[ADMIN, Requires::Any(&[A, Requires::Owner("name")])]);
    assert_eq!(
        requirement_json(&rule),
        json!({ "all": [{ "role": "admin" }, { "any": [{ "scope": "a" }, { "owner": "name" }] }] })
    );
}

#[test]
fn the_scheme_is_the_password_flow_with_one_scope_per_permission() {
    let scheme =
        serde_json::to_value(OpenApiSecurity::new(&POLICY).security_scheme()).expect("serializes");
    let flow = &scheme["flows"]["password"];
    assert_eq!(scheme["type"], "oauth2");
    assert_eq!(flow["tokenUrl"], "/token");
    assert_eq!(flow["refreshUrl"], "/token");
    let scopes = flow["scopes"].as_object().expect("scopes");
    assert_eq!(scopes.keys().collect::<Vec<_>>(), ["items:read", "users:manage"]);
    assert_eq!(scopes["users:manage"], "permission `users:manage`, granted to `admin`");
}

#[test]
fn refusals_follow_the_rule() {
    let mut plain = Responses::new();
    responses::add_refusals(&mut plain, false);
    let plain = serde_json::to_value(&plain).expect("serializes");
    assert_eq!(
        plain["401"]["content"]["application/json"]["example"]["detail"],
        "Not authenticated"
    );
    assert!(plain["401"]["headers"]["WWW-Authenticate"].is_object());
    assert!(plain.get("403").is_none());
    assert_eq!(plain["400"]["content"]["application/json"]["example"]["detail"], "Inactive user");

    let mut guarded = Responses::new();
    responses::add_refusals(&mut guarded, true);
    let guarded = serde_json::to_value(&guarded).expect("serializes");
    assert_eq!(
        guarded["403"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorDetail"
    );
    assert!(guarded["403"]["headers"]["WWW-Authenticate"].is_object());
}

#[test]
fn the_error_schema_is_the_body_auth_errors_send() {
    let schema = serde_json::to_value(error_schema()).expect("serializes");
    assert_eq!(schema["required"], json!(["detail"]));
    let properties = schema["properties"].as_object().expect("properties");
    assert_eq!(properties.keys().collect::<Vec<_>>(), ["detail", "error", "error_description"]);
}

#[test]
fn the_token_operation_takes_the_token_form() {
    let operation = serde_json::to_value(endpoints::token()).expect("serializes");
    let form = &operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    for field in ["grant_type", "username", "password", "refresh_token", "scope"] {
        assert!(form["properties"][field].is_object(), "{field} missing: {form}");
    }
    assert_eq!(form["properties"]["password"]["format"], "password");
    let body = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(body["required"], json!(["access_token", "token_type", "expires_in"]));
}
