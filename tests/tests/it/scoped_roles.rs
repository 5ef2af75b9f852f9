//! Roles scoped to a domain (`#[requires_role("viewer", in = org_id)]`)
//! through a router: each grant counts in its own scope only, the hierarchy
//! applies inside a scope, the global roles the policy counts in a domain
//! count in every scope of it, ids are compared byte for byte, and a
//! revocation is refused on the next request.

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use http_body_util::BodyExt;
use rbac_core::{
    Auth, InScope, JwtSecret, MemoryUserStore, PasswordHasher, Requires, Role, ScopeList,
    ScopedRole, Tokens, User, UserRecord, requirements_of, requires, requires_role,
};
use tests::TEST_SECRET;
use tower::ServiceExt;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "projects:read";
        role "editor": "viewer" grants "projects:write";
        role "admin": "editor" grants "org:delete";
        role "superadmin": "admin";
        role "auditor";
        domain "org";
        domain "team";
        global "admin" in "org";
    }
}

#[requires_role("viewer", in = org_id, policy = policy)]
async fn projects(Path(org_id): Path<String>) -> String {
    org_id
}

#[requires(permission("projects:write", in = org(org)), policy = policy)]
async fn create_project(Path(org): Path<String>, body: String) -> String {
    format!("{org}:{body}")
}

#[requires(any(role("admin", in = org_id), role("auditor")), policy = policy)]
async fn delete_org(Path(org_id): Path<String>) -> String {
    format!("deleted {org_id}")
}

#[requires_role("editor", in = team_id, policy = policy)]
async fn team(Path(team_id): Path<u64>) -> String {
    team_id.to_string()
}

#[requires(not(role("viewer", in = org_id)), policy = policy)]
async fn outsiders(Path(org_id): Path<String>) -> String {
    org_id
}

struct Fixture {
    router: Router,
    store: MemoryUserStore,
    tokens: Tokens,
    auth: Auth,
}

fn role(name: &str) -> Role {
    Role::new(name).expect("valid role")
}

fn grant(domain: &str, scope: &str, name: &str) -> ScopedRole {
    ScopedRole::new(domain, scope, role(name)).expect("valid grant")
}

fn fixture() -> Fixture {
    let store = MemoryUserStore::new();
    let hash = PasswordHasher::fast_for_tests().hash_blocking("pw").expect("hash");
    let users: [(&str, &[&str]); 7] = [
        ("acme_editor", &[]),
        ("beta_admin", &[]),
        ("global_admin", &["admin"]),
        ("global_superadmin", &["superadmin"]),
        ("global_viewer", &["viewer"]),
        ("auditor", &["auditor"]),
        ("nobody", &[]),
    ];
    for (name, roles) in users {
        let mut user = User::new(name);
        user.roles = roles.iter().map(|r| role(r)).collect();
        store.insert(UserRecord { user, password_hash: hash.clone() }).expect("insert");
    }
    assert!(store.grant("acme_editor", grant("org", "acme", "editor")));
    assert!(store.grant("acme_editor", grant("team", "7", "editor")));
    assert!(store.grant("beta_admin", grant("org", "beta", "admin")));
    // A grant in another domain with the same scope id counts only there.
    assert!(store.grant("nobody", grant("team", "acme", "admin")));
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET).expect("secret"));
    let auth = Auth::new(tokens.clone(), store.clone());
    let router = Router::new()
        .route("/orgs/{org_id}/projects", get(projects).post(create_project))
        .route("/orgs/{org_id}", axum::routing::delete(delete_org))
        .route("/orgs/{org_id}/outsiders", get(outsiders))
        .route("/teams/{team_id}", get(team))
        .with_state(auth.clone());
    Fixture { router, store, tokens, auth }
}

async fn call(
    fixture: &Fixture,
    method: &str,
    path: &str,
    user: Option<&str>,
) -> (StatusCode, String) {
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(user) = user {
        let token = fixture.tokens.issue(user).expect("issue").access_token;
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(axum::body::Body::from("p1")).expect("request");
    let response = fixture.router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn status(fixture: &Fixture, method: &str, path: &str, user: &str) -> u16 {
    call(fixture, method, path, Some(user)).await.0.as_u16()
}

#[tokio::test]
async fn a_grant_counts_in_its_own_scope_with_the_hierarchy_and_nowhere_else() {
    let f = fixture();
    assert_eq!(
        call(&f, "GET", "/orgs/acme/projects", Some("acme_editor")).await,
        (StatusCode::OK, "acme".into())
    );
    assert_eq!(status(&f, "POST", "/orgs/acme/projects", "acme_editor").await, 200);
    assert_eq!(status(&f, "DELETE", "/orgs/acme", "acme_editor").await, 403, "editor, not admin");
    assert_eq!(status(&f, "GET", "/orgs/beta/projects", "acme_editor").await, 403);
    assert_eq!(status(&f, "POST", "/orgs/beta/projects", "acme_editor").await, 403);
    for (method, path) in
        [("GET", "/orgs/beta/projects"), ("POST", "/orgs/beta/projects"), ("DELETE", "/orgs/beta")]
    {
        assert_eq!(status(&f, method, path, "beta_admin").await, 200, "{method} {path}");
    }
    for (method, path) in
        [("GET", "/orgs/acme/projects"), ("POST", "/orgs/acme/projects"), ("DELETE", "/orgs/acme")]
    {
        assert_eq!(status(&f, method, path, "beta_admin").await, 403, "{method} {path}");
    }
    // `team:acme` is not `org:acme`.
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "nobody").await, 403);
    assert_eq!(call(&f, "GET", "/orgs/acme/projects", None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn global_roles_count_in_a_domain_only_where_the_policy_says_so() {
    let f = fixture();
    for user in ["global_admin", "global_superadmin"] {
        for org in ["acme", "beta", "anything"] {
            assert_eq!(status(&f, "GET", &format!("/orgs/{org}/projects"), user).await, 200);
            assert_eq!(status(&f, "DELETE", &format!("/orgs/{org}"), user).await, 200);
        }
        // No global role counts in `team`.
        assert_eq!(status(&f, "GET", "/teams/7", user).await, 403, "{user}");
    }
    // `viewer` is not declared global in `org`: holding it globally gives no org.
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "global_viewer").await, 403);
    // `any(...)` with a global role: the auditor deletes, but does not read projects.
    assert_eq!(status(&f, "DELETE", "/orgs/acme", "auditor").await, 200);
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "auditor").await, 403);
    // `not(...)` of a scoped role.
    assert_eq!(status(&f, "GET", "/orgs/acme/outsiders", "acme_editor").await, 403);
    assert_eq!(status(&f, "GET", "/orgs/beta/outsiders", "acme_editor").await, 200);
}

#[tokio::test]
async fn an_id_differing_by_case_or_encoding_is_another_scope() {
    let f = fixture();
    for path in [
        "/orgs/ACME/projects",
        "/orgs/Acme/projects",
        "/orgs/%41CME/projects",
        "/orgs/acme%20/projects",
        "/orgs/acme%00/projects",
    ] {
        assert_eq!(status(&f, "GET", path, "acme_editor").await, 403, "{path}");
    }
    // Percent-decoding happens before both the check and the handler: what
    // was checked is what the handler reads.
    assert_eq!(
        call(&f, "GET", "/orgs/%61cme/projects", Some("acme_editor")).await,
        (StatusCode::OK, "acme".into())
    );
    // Integer ids are compared as the handler's parsed value.
    assert_eq!(status(&f, "GET", "/teams/7", "acme_editor").await, 200);
    assert_eq!(status(&f, "GET", "/teams/8", "acme_editor").await, 403);
    assert_eq!(
        status(&f, "GET", "/teams/x7", "acme_editor").await,
        400,
        "an unparsable id is refused before the store is asked"
    );
}

#[tokio::test]
async fn a_revoked_grant_is_refused_on_the_next_request() {
    let f = fixture();
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "acme_editor").await, 200);
    assert!(f.store.revoke("acme_editor", &grant("org", "acme", "editor")));
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "acme_editor").await, 403);
    assert!(!f.store.revoke("acme_editor", &grant("org", "acme", "editor")), "already gone");
    assert!(f.store.grant("acme_editor", grant("org", "acme", "viewer")));
    assert_eq!(status(&f, "GET", "/orgs/acme/projects", "acme_editor").await, 200);
    assert_eq!(
        status(&f, "POST", "/orgs/acme/projects", "acme_editor").await,
        403,
        "viewer only now"
    );
}

#[tokio::test]
async fn scopes_where_lists_what_a_list_endpoint_shows() {
    let f = fixture();
    let user = |name: &str| {
        let mut user = User::new(name);
        if name.starts_with("global_") {
            user.roles = vec![role(name.trim_start_matches("global_"))];
        }
        user
    };
    let viewer = policy::roles::VIEWER;
    let acme_editor =
        f.auth.scopes_where::<policy::Policy>(&user("acme_editor"), "org", viewer).await;
    assert_eq!(acme_editor.expect("listed"), ScopeList::Only(vec!["acme".into()]));
    let writers = f
        .auth
        .scopes_where::<policy::Policy>(
            &user("beta_admin"),
            "org",
            policy::permissions::PROJECTS_WRITE,
        )
        .await;
    assert_eq!(writers.expect("listed"), ScopeList::Only(vec!["beta".into()]));
    let admin = f.auth.scopes_where::<policy::Policy>(&user("global_admin"), "org", viewer).await;
    assert_eq!(admin.expect("listed"), ScopeList::Every);
    let teams = f.auth.scopes_where::<policy::Policy>(&user("global_admin"), "team", viewer).await;
    assert_eq!(teams.expect("listed"), ScopeList::Only(Vec::new()));
}

#[test]
fn the_requirement_as_data_names_the_domain_and_the_argument() {
    let org = InScope { domain: "org", argument: "org_id" };
    assert_eq!(requirements_of!(projects).requires, Requires::RoleIn("viewer", org));
    assert_eq!(
        requirements_of!(projects).requires.to_string(),
        r#"role("viewer", in = org(org_id))"#
    );
    assert_eq!(
        requirements_of!(create_project).requires.to_string(),
        r#"permission("projects:write", in = org(org))"#
    );
    assert_eq!(
        requirements_of!(delete_org).requires.to_string(),
        r#"any(role("admin", in = org(org_id)), role("auditor"))"#
    );
    assert_eq!(
        requirements_of!(team).requires.to_string(),
        r#"role("editor", in = team(team_id))"#
    );
}

#[test]
fn the_policy_describes_its_domains() {
    let description = policy::describe();
    assert_eq!(description.domains.len(), 2);
    assert_eq!(description.domain("org").expect("org").global_roles, ["admin"]);
    assert!(description.domain("team").expect("team").global_roles.is_empty());
    assert!(description.to_string().contains("  domain org\n    global roles counted: admin\n"));
}
