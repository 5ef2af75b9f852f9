//! Bench-only routes (cargo feature `baseline`): the same work as
//! `/users/me` without the framework, to measure what the guard costs.
//!
//! - `GET /baseline/bare`: no authentication; reads `johndoe` from the store.
//! - `GET /baseline/manual`: authentication written by hand, the way a
//!   developer would without `rbac-core`: parse the header, `jsonwebtoken::decode`
//!   with HS256 pinned, read the user, check `disabled`.
//! - `GET /baseline/role`: `#[requires_role("user")]` on the `/users/me` body.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rbac_core::{Auth, CurrentUser, User, UserDirectory, UserStore, requires_role};
use serde::Deserialize;

#[derive(Clone)]
struct Baseline {
    users: UserDirectory,
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
    auth: Auth,
}

impl axum::extract::FromRef<Baseline> for Auth {
    fn from_ref(state: &Baseline) -> Auth {
        state.auth.clone()
    }
}

/// The baseline routes, signed with the same `secret` as `auth`.
///
/// # Panics
/// If `secret` is empty.
pub fn router(secret: &[u8], auth: Auth, users: UserDirectory) -> Router {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let state = Baseline {
        users,
        key: Arc::new(DecodingKey::from_secret(secret).expect("non-empty secret")),
        validation: Arc::new(validation),
        auth,
    };
    Router::new()
        .route("/baseline/bare", get(bare))
        .route("/baseline/manual", get(manual))
        .route("/baseline/role", get(role))
        .with_state(state)
}

async fn bare(State(state): State<Baseline>) -> Response {
    match state.users.find_user("johndoe").await {
        Ok(Some(user)) => Json(user).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct Subject {
    sub: String,
}

async fn manual(State(state): State<Baseline>, headers: HeaderMap) -> Response {
    let unauthorized =
        || (StatusCode::UNAUTHORIZED, "Could not validate credentials").into_response();
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return unauthorized();
    };
    let Some(token) = value.strip_prefix("Bearer ") else {
        return unauthorized();
    };
    let Ok(data) = jsonwebtoken::decode::<Subject>(token, &state.key, &state.validation) else {
        return unauthorized();
    };
    match state.users.find_user(&data.claims.sub).await {
        Ok(Some(user)) if !user.disabled => Json(user).into_response(),
        Ok(Some(_)) => (StatusCode::BAD_REQUEST, "Inactive user").into_response(),
        _ => unauthorized(),
    }
}

#[requires_role("user")]
async fn role(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(User::clone(&user))
}
