//! Public handlers of every common shape, next to guarded ones, in a crate
//! that turns every warning into an error: generated code must not set off
//! lints in the user's crate.
#![deny(warnings)]

use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rbac_core::{Auth, CurrentUser, Requires, public, requirements_of, requires_role};
use std::collections::HashMap;

rbac_core::policy! {
    pub mod policy {
        role "admin";
    }
}

/// The app's own state; `Auth` is one field of it.
#[derive(Clone)]
pub struct AppState {
    auth: Auth,
    name: String,
}

impl FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Auth {
        state.auth.clone()
    }
}

/// No parameters at all.
#[public]
pub async fn health() -> &'static str {
    "ok"
}

/// Path, Query, State and a JSON body; `impl IntoResponse`.
#[public]
pub async fn mixed(
    Path(id): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    State(state): State<AppState>,
    Json(body): Json<serde_json::Value>,
) -> impl IntoResponse {
    format!("{id} {} {} {body}", query.len(), state.name)
}

/// A `Result` return type, by its full path, with other attributes kept.
#[allow(clippy::unused_async)]
#[must_use = "kept"]
#[::rbac_core::public]
pub(crate) async fn fallible(Path(code): Path<u16>) -> Result<String, (StatusCode, String)> {
    if code < 400 { Ok(code.to_string()) } else { Err((StatusCode::BAD_REQUEST, "code".to_owned())) }
}

/// The user, when there is one.
#[public]
async fn greeting(user: Option<CurrentUser>) -> String {
    user.map_or_else(|| "hello".to_owned(), |user| format!("hello {}", user.username))
}

/// Generic handlers stay generic.
#[public]
async fn generic<T: Default + ToString>() -> String {
    T::default().to_string()
}

/// A guarded handler next to the public ones.
#[requires_role("admin")]
async fn admin() {}

/// Associated functions, through `#[handlers]`.
struct Docs;

#[rbac_core::handlers]
impl Docs {
    #[public]
    async fn index() -> &'static str {
        "docs"
    }

    #[requires_role("admin")]
    async fn drafts() {}
}

/// Needs no `Auth` in the state: nothing is checked.
#[public]
async fn stateless() {}

fn main() {
    let _router: Router<AppState> = Router::new()
        .route("/health", get(health))
        .route("/mixed/{id}", post(mixed))
        .route("/fallible/{code}", get(fallible))
        .route("/greeting", get(greeting))
        .route("/generic", get(generic::<u8>))
        .route("/admin", get(admin))
        .route("/docs", get(Docs::index))
        .route("/docs/drafts", get(Docs::drafts));
    let _plain: Router = Router::new().route("/", get(stateless));

    assert_eq!(requirements_of!(health).requires, Requires::Public);
    assert_eq!(requirements_of!(health).policy, None);
    assert_eq!(requirements_of!(health).to_string(), "health: public");
    assert_eq!(requirements_of!(mixed).handler, "mixed");
    assert_eq!(requirements_of!(fallible).requires, Requires::Public);
    assert_eq!(requirements_of!(generic).requires, Requires::Public);
    assert_eq!(requirements_of!(admin).requires, Requires::Role("admin"));
}
