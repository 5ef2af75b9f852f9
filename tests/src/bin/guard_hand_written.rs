//! The baseline of `scripts/guard_overhead.sh`: a minimal axum service whose
//! `/users/me` is guarded by a hand-written `FromRequestParts` extractor
//! (`jsonwebtoken::decode`, HS256 pinned, 30 s leeway; the user read from a
//! map; `disabled` and the `user` role checked), the way a developer would
//! write it without a framework. `/health` is plain `axum::serve` with no
//! middleware, the reference for example-app's own stack.
//!
//! ```text
//! JWT_SECRET=... guard_hand_written 127.0.0.1:PORT
//! ```

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct User {
    username: String,
    email: Option<String>,
    full_name: Option<String>,
    disabled: bool,
    roles: Vec<String>,
}

#[derive(Clone)]
struct AppState {
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
    users: Arc<RwLock<HashMap<String, User>>>,
}

impl FromRef<AppState> for Arc<RwLock<HashMap<String, User>>> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.users)
    }
}

#[derive(Deserialize)]
struct Subject {
    sub: String,
}

/// The authenticated user holding the `user` role.
struct RequireUser(User);

impl FromRequestParts<AppState> for RequireUser {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = (StatusCode::UNAUTHORIZED, "Could not validate credentials");
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(unauthorized)?;
        let data = jsonwebtoken::decode::<Subject>(token, &state.key, &state.validation)
            .map_err(|_| unauthorized)?;
        let user = state
            .users
            .read()
            .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "poisoned"))?
            .get(&data.claims.sub)
            .cloned()
            .ok_or(unauthorized)?;
        if user.disabled {
            return Err((StatusCode::BAD_REQUEST, "Inactive user"));
        }
        if !user.roles.iter().any(|role| role == "user") {
            return Err((StatusCode::FORBIDDEN, "Forbidden"));
        }
        Ok(RequireUser(user))
    }
}

async fn me(RequireUser(user): RequireUser) -> Json<User> {
    Json(user)
}

async fn health(State(_): State<AppState>) -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18090".to_owned());
    let secret = std::env::var("JWT_SECRET").map_err(std::io::Error::other)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let john = User {
        username: "johndoe".to_owned(),
        email: Some("johndoe@example.com".to_owned()),
        full_name: Some("John Doe".to_owned()),
        disabled: false,
        roles: vec!["user".to_owned()],
    };
    let state = AppState {
        key: Arc::new(DecodingKey::from_secret(secret.as_bytes()).map_err(std::io::Error::other)?),
        validation: Arc::new(validation),
        users: Arc::new(RwLock::new(HashMap::from([("johndoe".to_owned(), john)]))),
    };
    let app =
        Router::new().route("/users/me", get(me)).route("/health", get(health)).with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
