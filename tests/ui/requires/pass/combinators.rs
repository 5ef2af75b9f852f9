//! Every combinator, on roles, permissions and checks, with two policies in one crate.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use rbac_core::{Auth, User, requires, requires_permission, requires_role};
use std::collections::HashMap;

rbac_core::policy! {
    /// The default policy, `crate::policy`.
    pub mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write", "posts:publish";
        role "admin": "editor" grants "users:manage";
        role "banned";
        alias "user" = "viewer";
        permission "reports:read";
    }
}

mod audit {
    rbac_core::policy! {
        /// A second policy, named explicitly.
        pub mod policy {
            role "auditor" grants "logs:read";
        }
    }
}

#[requires_role(any("admin", "editor"))]
async fn any_role() {}

#[requires_role(all("viewer", not("banned")))]
async fn all_and_not_roles() {}

#[requires_permission(any("posts:write", "reports:read"))]
async fn any_permission() {}

#[requires(any(role("admin"), all(role("editor"), permission("posts:publish"))))]
async fn nested() {}

#[requires(not(any(role("banned"), not(role("user")))))]
async fn double_negation() {}

#[requires_role("viewer")]
#[requires_permission("posts:write")]
#[requires(not(role("banned")))]
async fn stacked() {}

#[requires_role("auditor", policy = crate::audit::policy)]
#[requires_permission("logs:read", policy = crate::audit::policy)]
async fn other_policy() {}

async fn same_team(user: &User, team: &String, config: &Config) -> bool {
    config.0.get(team).is_some_and(|lead| *lead == user.username)
}

#[derive(Clone, Default)]
struct Config(HashMap<String, String>);

#[derive(Clone)]
struct AppState {
    auth: Auth,
    config: Config,
}

impl axum::extract::FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Auth {
        state.auth.clone()
    }
}

impl axum::extract::FromRef<AppState> for Config {
    fn from_ref(state: &AppState) -> Config {
        state.config.clone()
    }
}

#[requires(any(role("admin"), owner(username), check(same_team(team, config))))]
async fn owner_or_check(
    Path((team, username)): Path<(String, String)>,
    State(config): State<Config>,
    Query(_page): Query<HashMap<String, String>>,
) -> String {
    format!("{team}/{username} {}", config.0.len())
}

async fn always(_user: &User) -> bool {
    true
}

/// A check that needs only the user still runs in the async guard.
#[requires(check(always()))]
async fn argumentless_check() {}

/// A user type named like a generic parameter must not collide with the guard's.
#[derive(Clone, Default)]
struct S(u8);

impl axum::extract::FromRef<AppState> for S {
    fn from_ref(_: &AppState) -> S {
        S(1)
    }
}

async fn positive(_user: &User, s: &S) -> bool {
    s.0 > 0
}

#[requires(check(positive(s)))]
async fn state_named_s(State(s): State<S>) -> String {
    s.0.to_string()
}

fn main() {
    let _: Router<Auth> = Router::new()
        .route("/1", get(any_role))
        .route("/2", get(all_and_not_roles))
        .route("/3", get(any_permission))
        .route("/4", get(nested))
        .route("/5", get(double_negation))
        .route("/6", get(stacked))
        .route("/7", get(other_policy));
    let _: Router<AppState> = Router::new()
        .route("/teams/{team}/{username}", get(owner_or_check))
        .route("/always", get(argumentless_check))
        .route("/s", get(state_named_s));
    assert_eq!(rbac_core::requirements_of!(other_policy).policy, Some("crate::audit::policy"));
}
