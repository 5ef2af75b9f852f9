//! The handlers. Each is an ordinary axum handler; the attributes add the checks.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rbac_core::routing::{SecureRouter, get, post};
use rbac_core::store::UserUpdate;
use rbac_core::{
    Auth, AuthError, CurrentUser, User, UserDirectory, UserStore, UserWriteError,
    WritableUserStore, authenticated, oauth2, public, requires, requires_scope,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::refusals::{unavailable, user_not_found};

pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/token", oauth2::token_route())
        .route("/token/revoke", oauth2::revoke_route())
        .route(
            "/token/introspect",
            post(introspect).layer(axum::extract::DefaultBodyLimit::max(oauth2::TOKEN_BODY_LIMIT)),
        )
        .route("/.well-known/jwks.json", oauth2::jwks_route())
        .route("/logout", oauth2::logout_route())
        .route("/users/me", get(read_users_me))
        .route("/users/me/items", get(read_own_items))
        .route("/users/{username}", get(read_user).patch(update_profile))
        .route("/health", get(health))
        .merge(rbac_core::browser::session_routes())
        .merge(crate::ui::router())
        .merge(crate::admin::router())
        .merge(crate::posts::router())
        .merge(crate::orgs::router())
}

#[utoipa::path(get, path = "/users/me", tag = "users", responses((status = 200, description = "The current user.", body = User)))]
/// The current user, as FastAPI's `read_users_me`.
#[authenticated]
async fn read_users_me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(User::clone(&user))
}

/// An item owned by a user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Item {
    /// The item's id.
    pub item_id: &'static str,
    /// Its owner's username.
    pub owner: String,
}

#[utoipa::path(get, path = "/users/me/items", tag = "users", responses((status = 200, description = "The current user's items.", body = [Item])))]
/// The current user's items; the token must carry scope `items:read`, as
/// FastAPI's `Security(get_current_active_user, scopes=["items"])`.
#[requires_scope("items:read")]
async fn read_own_items(user: CurrentUser) -> Json<Vec<Item>> {
    Json(vec![Item { item_id: "Foo", owner: user.username.clone() }])
}

/// RFC 7662 token introspection, for callers allowed to ask.
#[requires(all(permission("tokens:introspect"), scope("tokens:introspect")))]
async fn introspect(
    State(auth): State<Auth>,
    form: Result<axum::Form<oauth2::IntrospectionRequest>, axum::extract::rejection::FormRejection>,
) -> Result<oauth2::Introspection, AuthError> {
    oauth2::introspect(&auth, form).await
}

#[utoipa::path(
    get,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The user's login name.")),
    responses(
        (status = 200, description = "The profile.", body = User),
        (status = 404, description = "No such user."),
    )
)]
/// A user's profile: their own, or anyone's for an admin.
#[requires(any(role("admin"), owner(username)))]
async fn read_user(
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
) -> Result<Json<User>, (StatusCode, Json<Value>)> {
    match users.find_user(&username).await {
        Ok(Some(user)) => Ok(Json(user)),
        Ok(None) => Err(user_not_found()),
        Err(error) => {
            tracing::error!(%error, "user store failed reading a profile");
            Err(unavailable())
        }
    }
}

/// The profile fields a user may change. Roles and `disabled` are not among
/// them: sending them is a 422, not a silent no-op.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfilePatch {
    email: Option<String>,
    full_name: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The user's login name.")),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The updated profile.", body = User),
        (status = 404, description = "No such user."),
        (status = 422, description = "An invalid field."),
    )
)]
/// Updates a profile: their own, or anyone's for an admin. The check runs
/// before the body is read.
#[requires(any(role("admin"), owner(username)))]
async fn update_profile(
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
    Json(patch): Json<ProfilePatch>,
) -> Result<Json<User>, (StatusCode, Json<Value>)> {
    // The admin API's rules: no control characters (ANSI escapes, NUL that
    // PostgreSQL cannot store), at most 200 characters.
    for (field, value) in [("email", &patch.email), ("full_name", &patch.full_name)] {
        if let Some(value) = value {
            crate::validate::text(field, value).map_err(|detail| {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": detail })))
            })?;
        }
    }
    let update = UserUpdate {
        email: patch.email.map(Some),
        full_name: patch.full_name.map(Some),
        ..UserUpdate::default()
    };
    match users.update_user(&username, update).await {
        Ok(user) => Ok(Json(user)),
        Err(UserWriteError::Store(error)) => {
            tracing::error!(%error, "user store failed during a profile update");
            Err(unavailable())
        }
        Err(_) => Err(user_not_found()),
    }
}

#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, description = "Up.")))]
/// Liveness probe; public.
#[public]
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}
