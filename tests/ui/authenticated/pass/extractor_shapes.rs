//! Guarded handlers with every common extractor mix and return type, on the
//! app's own state type, routed unchanged.
#![deny(missing_docs)]

use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rbac_core::{Auth, CurrentUser, authenticated, requires_role};
use std::collections::HashMap;

rbac_core::policy! {
    /// The policy the attributes check names against.
    pub mod policy {
        role "editor";
        role "admin": "editor";
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
#[authenticated]
pub async fn nothing() {}

/// The user as an ordinary parameter.
#[authenticated]
pub async fn me(user: CurrentUser) -> String {
    user.username.clone()
}

/// Path, Query, State and a JSON body; `impl IntoResponse`.
#[requires_role("admin")]
pub async fn mixed(
    Path(id): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    State(state): State<AppState>,
    Json(body): Json<serde_json::Value>,
) -> impl IntoResponse {
    format!("{id} {} {} {body}", query.len(), state.name)
}

/// A `Result` return type with a custom error.
#[requires_role("editor")]
pub async fn fallible(Path((a, b)): Path<(String, u32)>) -> Result<Json<String>, (StatusCode, String)> {
    if b > 0 { Ok(Json(a)) } else { Err((StatusCode::BAD_REQUEST, "b".to_owned())) }
}

/// Attributes other than ours are kept.
#[allow(clippy::unused_async)]
#[must_use = "kept"]
#[rbac_core::authenticated]
pub(crate) async fn crate_visible(State(_): State<AppState>, _raw: axum::extract::Request) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Generic handlers stay generic.
#[authenticated]
pub async fn generic<T: Default + ToString>() -> String {
    T::default().to_string()
}

fn main() {
    let _router: Router<AppState> = Router::new()
        .route("/", get(nothing))
        .route("/me", get(me))
        .route("/mixed/{id}", post(mixed))
        .route("/fallible/{a}/{b}", get(fallible))
        .route("/raw", post(crate_visible))
        .route("/generic", get(generic::<u8>));
}
