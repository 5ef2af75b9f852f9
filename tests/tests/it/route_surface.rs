//! example-app's access surface: the route table in full, the README's copy
//! of `example-app routes`, and the test helpers' sweeps through the real
//! router (anonymous requests refused, the whole access matrix).

use axum::Json;
use axum::http::StatusCode;
use example_app::routes_cli::{RoutesFormat, render};
use example_app::{AppState, policy};
use rbac_core::routing::{SecureRouter, get};
use rbac_core::testing::{
    TestAuth, Violation, assert_access_matrix, assert_anonymous_denied, check_anonymous_denied,
};
use rbac_core::{Auth, authenticated};

fn example_app(auth: &TestAuth) -> SecureRouter {
    example_app::secure_routes(AppState::new(auth.auth(), auth.users()))
}

#[test]
fn the_route_table_lists_every_route_with_its_handler_and_requirement() {
    let expected = r#"METHOD  PATH                                   HANDLER             REQUIRES
POST    /token                                 issue_token         public
POST    /token/revoke                          revoke_token        public
POST    /token/introspect                      introspect          all(permission("tokens:introspect"), scope("tokens:introspect")) (policy crate::policy)
GET     /.well-known/jwks.json                 jwks                public
POST    /logout                                logout              authenticated
GET     /users/me                              read_users_me       authenticated
GET     /users/me/items                        read_own_items      scope("items:read") (policy crate::policy)
GET     /users/{username}                      read_user           any(role("admin"), owner(username)) (policy crate::policy)
PATCH   /users/{username}                      update_profile      any(role("admin"), owner(username)) (policy crate::policy)
GET     /health                                health              public
POST    /session                               log_in              public
DELETE  /session                               log_out             authenticated
POST    /session/refresh                       refresh             public
GET     /ui                                    login_page          public
GET     /ui/me                                 me_page             public
GET     /ui/editor                             editor_page         public
GET     /ui/feed                               feed_page           public
GET     /ui/app.js                             script              public
GET     /ui/app.css                            stylesheet          public
GET     /admin/users                           list_users          all(role("admin"), scope("users:manage")) (policy crate::policy)
POST    /admin/users                           create_user         all(role("admin"), scope("users:manage")) (policy crate::policy)
PATCH   /admin/users/{username}                update_account      all(role("admin"), scope("users:manage")) (policy crate::policy)
DELETE  /admin/users/{username}                delete_user         all(role("admin"), scope("users:manage")) (policy crate::policy)
POST    /admin/users/{username}/revoke-tokens  revoke_user_tokens  all(role("admin"), scope("users:manage")) (policy crate::policy)
GET     /admin/users/{username}/grants         list_grants         all(role("admin"), scope("users:manage")) (policy crate::policy)
POST    /admin/users/{username}/grants         grant               all(role("admin"), scope("users:manage")) (policy crate::policy)
DELETE  /admin/users/{username}/grants         revoke_grant        all(role("admin"), scope("users:manage")) (policy crate::policy)
GET     /posts                                 list_posts          role("viewer") (policy crate::policy)
POST    /posts                                 create_post         permission("posts:write") (policy crate::policy)
DELETE  /posts/{id}                            delete_post         any(role("admin"), check(is_author(id, posts))) (policy crate::policy)
GET     /posts/feed                            feed                role("viewer") (policy crate::policy)
GET     /orgs                                  list_orgs           authenticated
DELETE  /orgs/{org}                            delete_org          role("admin", in = org(org)) (policy crate::policy)
GET     /orgs/{org}/projects                   list_projects       role("viewer", in = org(org)) (policy crate::policy)
POST    /orgs/{org}/projects                   create_project      role("editor", in = org(org)) (policy crate::policy)
GET     /openapi.json                          openapi_json        public
GET     /docs                                  docs_redirect       public
GET     /docs/                                 docs_index          public
GET     /docs/{file}                           docs_asset          public
"#;
    assert_eq!(example_app::route_table().to_string(), expected);
}

#[test]
fn the_readme_shows_what_example_app_routes_prints() {
    let readme = include_str!("../../../README.md");
    let begin = "<!-- example-app routes: begin -->\n```text\n";
    let end = "```\n<!-- example-app routes: end -->";
    let start = readme.find(begin).expect("the README has the routes block") + begin.len();
    let length = readme[start..].find(end).expect("the routes block is closed");
    assert_eq!(
        &readme[start..start + length],
        render(RoutesFormat::Table),
        "README.md's route table drifted: paste `cargo run -p example-app -- routes` into it"
    );
}

#[test]
fn the_json_form_joins_requirements_and_verdicts() {
    let document: serde_json::Value =
        serde_json::from_str(&render(RoutesFormat::Json)).expect("routes --format json is JSON");
    assert_eq!(document["callers"], serde_json::json!(["anonymous", "viewer", "editor", "admin"]));
    let routes = document["routes"].as_array().expect("routes");
    assert_eq!(routes.len(), example_app::route_table().len());
    let delete = routes.iter().find(|route| route["path"] == "/posts/{id}").expect("delete post");
    assert_eq!(delete["handler"], "delete_post");
    assert_eq!(delete["access"]["admin"], "allow");
    assert_eq!(delete["access"]["editor"], "depends(check)");
    assert_eq!(delete["access"]["anonymous"], "deny");
    let projects =
        routes.iter().find(|route| route["path"] == "/orgs/{org}/projects").expect("projects");
    assert_eq!(projects["access"]["viewer"], "depends(scoped-role)", "an org grant decides");
    assert_eq!(projects["access"]["admin"], "allow", "a global admin counts in every org");
}

#[tokio::test]
async fn every_guarded_route_of_example_app_refuses_an_anonymous_request() {
    let auth = TestAuth::for_policy::<policy::Policy>();
    assert_anonymous_denied(&example_app(&auth)).await;
}

#[authenticated]
async fn me(user: rbac_core::CurrentUser) -> String {
    user.username.clone()
}

#[tokio::test]
async fn the_anonymous_sweep_reports_an_open_route_and_a_body_read_before_refusing() {
    let auth = TestAuth::new();
    let router: SecureRouter = SecureRouter::<Auth>::new()
        .route("/me", get(me))
        .route_without_access_check("/open", axum::routing::get(|| async { "anyone" }))
        .route_without_access_check(
            "/late",
            axum::routing::post(|_: Json<serde_json::Value>| async { StatusCode::UNAUTHORIZED }),
        )
        .with_state(auth.auth());
    let violations = check_anonymous_denied(&router).await.expect_err("two routes are wrong").0;
    let found: Vec<(&str, &str)> = violations
        .iter()
        .map(|Violation { request, problem, .. }| (&**request, &**problem))
        .collect();
    assert_eq!(
        found,
        [
            ("GET /open", "expected 401, got 200 OK"),
            ("POST /late", "the request body was read before access was refused"),
        ]
    );
}

#[tokio::test]
async fn example_app_grants_exactly_this_access_matrix() {
    let auth = TestAuth::for_policy::<policy::Policy>();
    assert_access_matrix(
        &example_app(&auth),
        &auth,
        "
        METHOD PATH                                  anonymous viewer editor admin
        POST   /token                                allow     allow  allow  allow
        POST   /token/revoke                         allow     allow  allow  allow
        POST   /token/introspect                     deny      deny   deny   allow
        GET    /.well-known/jwks.json                allow     allow  allow  allow
        POST   /logout                               deny      allow  allow  allow
        GET    /users/me                             deny      allow  allow  allow
        GET    /users/me/items                       deny      allow  allow  allow
        GET    /users/{username}                     deny      deny   deny   allow
        PATCH  /users/{username}                     deny      deny   deny   allow
        GET    /health                               allow     allow  allow  allow
        POST   /session                              allow     allow  allow  allow
        DELETE /session                              deny      allow  allow  allow
        POST   /session/refresh                      allow     allow  allow  allow
        GET    /ui                                   allow     allow  allow  allow
        GET    /ui/me                                allow     allow  allow  allow
        GET    /ui/editor                            allow     allow  allow  allow
        GET    /ui/feed                              allow     allow  allow  allow
        GET    /ui/app.js                            allow     allow  allow  allow
        GET    /ui/app.css                           allow     allow  allow  allow
        GET    /admin/users                          deny      deny   deny   allow
        POST   /admin/users                          deny      deny   deny   allow
        PATCH  /admin/users/{username}               deny      deny   deny   allow
        DELETE /admin/users/{username}               deny      deny   deny   allow
        POST   /admin/users/{username}/revoke-tokens deny      deny   deny   allow
        GET    /admin/users/{username}/grants        deny      deny   deny   allow
        POST   /admin/users/{username}/grants        deny      deny   deny   allow
        DELETE /admin/users/{username}/grants        deny      deny   deny   allow
        GET    /posts                                deny      allow  allow  allow
        POST   /posts                                deny      deny   allow  allow
        DELETE /posts/{id}                           deny      deny   deny   allow
        GET    /posts/feed                           deny      allow  allow  allow
        GET    /orgs                                 deny      allow  allow  allow
        DELETE /orgs/{org}                           deny      deny   deny   allow
        GET    /orgs/{org}/projects                  deny      deny   deny   allow
        POST   /orgs/{org}/projects                  deny      deny   deny   allow
        GET    /openapi.json                         allow     allow  allow  allow
        GET    /docs                                 allow     allow  allow  allow
        GET    /docs/                                allow     allow  allow  allow
        GET    /docs/{file}                          allow     allow  allow  allow
        ",
    )
    .await;
}

#[tokio::test]
async fn the_matrix_assertion_reports_a_wrong_cell_and_an_unlisted_route() {
    let auth = TestAuth::for_policy::<policy::Policy>();
    let violations = rbac_core::testing::check_access_matrix(
        &example_app(&auth),
        &auth,
        "
        METHOD PATH        anonymous viewer
        GET    /users/me   deny      deny
        ",
    )
    .await
    .expect_err("viewers may read /users/me, and the other routes are missing")
    .0;
    assert_eq!(violations[0].request, "GET /users/me");
    assert_eq!(violations[0].caller, "viewer");
    assert_eq!(violations[0].problem, "expected deny, got 200 OK");
    let unlisted = violations.iter().filter(|v| v.problem.contains("missing from the expected"));
    assert_eq!(unlisted.count(), example_app::route_table().len() - 1);
}
