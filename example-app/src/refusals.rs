//! The error bodies the app's own handlers share (the access checks answer
//! with `rbac_core`'s).

use axum::Json;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A refused request: its status and `{"detail": ...}` body.
pub(crate) type Refusal = (StatusCode, Json<Value>);

/// 503: a store failed; the cause is logged, never sent.
pub(crate) fn unavailable() -> Refusal {
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "detail": "Service unavailable" })))
}

/// 404 for a username no user has.
pub(crate) fn user_not_found() -> Refusal {
    (StatusCode::NOT_FOUND, Json(json!({ "detail": "User not found" })))
}
