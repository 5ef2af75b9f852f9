//! Every method, chaining, nesting, merging and the escape hatches of the
//! secured router, with guarded handlers of several shapes.

use axum::Json;
use axum::extract::{Path, State};
use rbac_core::routing::{SecureRouter, any, delete, get, head, options, patch, post, put};
use rbac_core::{Auth, CurrentUser, authenticated, requires, requires_role};

rbac_core::policy! {
    mod policy {
        role "editor";
        role "admin": "editor";
    }
}

#[authenticated]
async fn me(user: CurrentUser) -> String {
    user.username.clone()
}

#[requires_role("editor")]
async fn edit(Path(id): Path<u32>, State(_auth): State<Auth>, Json(body): Json<String>) -> String {
    format!("{id}: {body}")
}

#[requires(any(role("admin"), owner(name)))]
async fn profile(Path(name): Path<String>) -> String {
    name
}

#[requires_role("admin")]
async fn admin() {}

fn main() {
    let api = SecureRouter::new()
        .route("/posts/{id}", put(edit).patch(edit).delete(admin))
        .route("/users/{name}", get(profile).post(admin));
    let app: SecureRouter<Auth> = SecureRouter::new()
        .route("/users/me", get(me).head(me).options(admin))
        .route("/everything", any(admin))
        .route("/one", post(admin))
        .route("/two", patch(admin))
        .route("/three", delete(admin))
        .route("/four", head(admin))
        .route("/five", options(admin))
        .route("/limited", post(admin).layer(axum::extract::DefaultBodyLimit::max(64)))
        .route("/token", rbac_core::oauth2::token_route())
        .nest("/api", api)
        .merge(SecureRouter::new().route("/merged", get(me)))
        .route_without_access_check("/raw", axum::routing::get(|| async { "raw" }))
        .fallback(admin);
    assert_eq!(app.routes().get("PUT", "/api/posts/{id}").and_then(|r| r.handler), Some("edit"));
    let _: axum::Router<Auth> = app.into();
    // Opting out: a plain axum router takes the secured method router too.
    let _: axum::Router<Auth> = axum::Router::new().route("/me", get(me).into_axum());
}
