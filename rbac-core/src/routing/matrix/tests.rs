use super::*;
use crate::policy::{HandlerRequirements, RoleDescription};
use crate::routing::table::RouteEntry;

static POLICY: PolicyDescription = PolicyDescription {
    name: "policy",
    roles: &[
        RoleDescription {
            name: "viewer",
            aliases: &["user"],
            inherits: &[],
            effective_roles: &["viewer"],
            effective_permissions: &["items:read"],
        },
        RoleDescription {
            name: "admin",
            aliases: &[],
            inherits: &["viewer"],
            effective_roles: &["admin", "viewer"],
            effective_permissions: &["items:read", "users:manage"],
        },
    ],
    permissions: &["items:read", "users:manage"],
    domains: &[
        crate::policy::DomainDescription { name: "org", global_roles: &["admin"] },
        crate::policy::DomainDescription { name: "team", global_roles: &[] },
    ],
};

fn row(requires: Requires) -> Vec<String> {
    let mut table = RouteTable::default();
    let requirements = HandlerRequirements { handler: "h", policy: Some("policy"), requires };
    table.push(RouteEntry::handler("GET", "/x", &requirements));
    let matrix = table.access_matrix(&POLICY);
    assert_eq!(matrix.columns(), ["anonymous", "viewer", "admin"]);
    let verdicts = matrix.rows()[0].verdicts.clone().expect("checked");
    verdicts.iter().map(Verdict::to_string).collect()
}

#[test]
fn public_allows_everyone_and_anything_else_refuses_the_anonymous_caller() {
    assert_eq!(row(Requires::Public), ["allow", "allow", "allow"]);
    assert_eq!(row(Requires::Authenticated), ["deny", "allow", "allow"]);
    assert_eq!(row(Requires::Not(&Requires::Role("admin"))), ["deny", "allow", "deny"]);
}

#[test]
fn roles_follow_the_hierarchy_and_aliases() {
    assert_eq!(row(Requires::Role("viewer")), ["deny", "allow", "allow"]);
    assert_eq!(row(Requires::Role("user")), ["deny", "allow", "allow"]);
    assert_eq!(row(Requires::Role("admin")), ["deny", "deny", "allow"]);
    assert_eq!(row(Requires::Permission("users:manage")), ["deny", "deny", "allow"]);
}

#[test]
fn a_scope_depends_on_the_token_only_for_roles_that_may_hold_it() {
    assert_eq!(row(Requires::Scope("users:manage")), ["deny", "deny", "depends(scope)"]);
    let both = Requires::All(&[Requires::Role("admin"), Requires::Scope("users:manage")]);
    assert_eq!(row(both), ["deny", "deny", "depends(scope)"]);
}

#[test]
fn any_and_all_keep_what_is_certain() {
    let admin_or_owner = Requires::Any(&[Requires::Role("admin"), Requires::Owner("name")]);
    assert_eq!(row(admin_or_owner), ["deny", "depends(owner)", "allow"]);
    let owner_with_check = Requires::All(&[Requires::Owner("name"), Requires::Check("f(x)")]);
    assert_eq!(row(owner_with_check), ["deny", "depends(owner+check)", "depends(owner+check)"]);
    let denied_either_way = Requires::All(&[Requires::Role("admin"), Requires::Owner("name")]);
    assert_eq!(row(denied_either_way), ["deny", "deny", "depends(owner)"]);
}

#[test]
fn scoped_roles_depend_on_assignments_unless_a_global_role_counts_in_the_domain() {
    use crate::policy::InScope;
    const ORG: InScope = InScope { domain: "org", argument: "org_id" };
    const TEAM: InScope = InScope { domain: "team", argument: "team_id" };
    assert_eq!(row(Requires::RoleIn("viewer", ORG)), ["deny", "depends(scoped-role)", "allow"]);
    assert_eq!(
        row(Requires::PermissionIn("users:manage", ORG)),
        ["deny", "depends(scoped-role)", "allow"]
    );
    // No global role counts in `team`: even the global admin needs a grant there.
    assert_eq!(
        row(Requires::RoleIn("viewer", TEAM)),
        ["deny", "depends(scoped-role)", "depends(scoped-role)"]
    );
    let either = Requires::Any(&[Requires::Role("admin"), Requires::RoleIn("admin", TEAM)]);
    assert_eq!(row(either), ["deny", "depends(scoped-role)", "allow"]);
}

#[test]
fn unchecked_routes_have_no_verdicts_and_say_so() {
    let mut table = RouteTable::default();
    table.push(RouteEntry::unchecked("*", "/static", "public_service"));
    let matrix = table.access_matrix(&POLICY);
    assert_eq!(matrix.rows()[0].verdicts, None);
    assert_eq!(matrix.verdict("*", "/static", "admin"), None);
    assert!(matrix.to_string().lines().nth(1).expect("row").ends_with("unchecked"));
    assert_eq!(matrix.to_json()[0]["access"], "unchecked");
}

#[test]
fn display_aligns_columns_and_json_names_them() {
    let mut table = RouteTable::default();
    let requirements =
        HandlerRequirements { handler: "h", policy: None, requires: Requires::Role("admin") };
    table.push(RouteEntry::handler("DELETE", "/posts/{id}", &requirements));
    let matrix = table.access_matrix(&POLICY);
    assert_eq!(
        matrix.to_string(),
        "METHOD  PATH         anonymous  viewer  admin\n\
         DELETE  /posts/{id}  deny       deny    allow\n"
    );
    assert_eq!(matrix.to_json()[0]["access"]["viewer"], "deny");
    assert_eq!(matrix.verdict("DELETE", "/posts/{id}", "admin"), Some(Verdict::Allowed));
}
