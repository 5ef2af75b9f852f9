//! The handlers. Each is an ordinary axum handler; the attributes add the checks.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rbac_core::{
    AuthError, CurrentUser, MemoryUserStore, User, UserStore, authenticated, oauth2, requires_role,
};
use serde::Serialize;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/token", oauth2::token_route())
        .route("/users/me", get(read_users_me))
        .route("/users/me/items", get(read_own_items))
        .route("/admin/users", get(list_users))
        .route("/health", get(health))
}

/// The current user, as FastAPI's `read_users_me`.
#[authenticated]
async fn read_users_me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(User::clone(&user))
}

/// An item owned by a user.
#[derive(Debug, Serialize)]
pub struct Item {
    /// The item's id.
    pub item_id: &'static str,
    /// Its owner's username.
    pub owner: String,
}

/// The current user's items.
#[authenticated]
async fn read_own_items(user: CurrentUser) -> Json<Vec<Item>> {
    Json(vec![Item {
        item_id: "Foo",
        owner: user.username.clone(),
    }])
}

/// Every user; admins only. Never includes password hashes: `User` has none.
#[requires_role("admin")]
async fn list_users(State(users): State<MemoryUserStore>) -> Result<Json<Vec<User>>, AuthError> {
    users
        .list_users()
        .await
        .map(Json)
        .map_err(|_| AuthError::Unavailable)
}

/// Liveness probe; public.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}
