use axum::extract::{Path, Query};
use axum::routing::{get, post};
use rbac_core::{Auth, InScope, Requires, requirements_of, requires, requires_permission, requires_role};

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        domain "team";
        global "admin";
    }
}

#[derive(serde::Deserialize)]
struct Filter {
    team: i64,
}

#[requires_role("viewer", in = org_id)]
async fn list(Path(org_id): Path<String>) -> String {
    org_id
}

#[requires_permission("posts:write", in = org(org))]
async fn create(Path(org): Path<String>, body: String) -> String {
    format!("{org}{body}")
}

#[requires(any(role(policy::roles::ADMIN, in = org_id), all(role("viewer"), not(role("editor", in = org_id)))))]
async fn mixed(Path(org_id): Path<String>) -> String {
    org_id
}

#[requires_role(any("editor", "admin"), in = team(team))]
async fn by_query(Query(Filter { team }): Query<Filter>) -> String {
    team.to_string()
}

#[requires_role("viewer", in = team_id)]
async fn by_number(Path(team_id): Path<u32>) -> String {
    team_id.to_string()
}

fn main() {
    let _: axum::Router<Auth> = axum::Router::new()
        .route("/orgs/{org_id}", get(list).post(create))
        .route("/mixed/{org_id}", get(mixed))
        .route("/teams", get(by_query))
        .route("/teams/{team_id}", post(by_number));
    let org = InScope { domain: "org", argument: "org_id" };
    assert_eq!(requirements_of!(list).requires, Requires::RoleIn("viewer", org));
    assert_eq!(
        requirements_of!(by_query).requires,
        Requires::Any(&[
            Requires::RoleIn("editor", InScope { domain: "team", argument: "team" }),
            Requires::RoleIn("admin", InScope { domain: "team", argument: "team" }),
        ])
    );
    assert_eq!(
        requirements_of!(mixed).requires.to_string(),
        r#"any(role("admin", in = org(org_id)), all(role("viewer"), not(role("editor", in = org(org_id)))))"#
    );
    assert_eq!(policy::describe().domain("team").map(|d| d.global_roles), Some(&["admin"][..]));
}
