//! The guard's hot path cut into its steps, for `benches/guard_path.rs`.
//! Each runs the crate's own code for that step, nothing reimplemented;
//! not an API.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::Auth;
use crate::error::AuthError;
use crate::token::{Claims, TokenError, Tokens};
use crate::user::User;

/// The token of the `Authorization: Bearer` header.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    crate::extract::bearer_token(headers)
}

/// Splits the token and base64-decodes its header and payload (the
/// decoding alone, as the verifier does it).
pub fn base64_segments(token: &str) -> Result<usize, TokenError> {
    let (signing_input, _) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
    let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
    Ok(header.len() + payload.len())
}

/// The header: decoding, duplicate keys, `crit`, key selection, pinned `alg`.
pub fn header(tokens: &Tokens, token: &str) -> Result<(), TokenError> {
    tokens.header_step(token)
}

/// The signature check (HS256: the HMAC), after selecting the key.
pub fn signature(tokens: &Tokens, token: &str) -> Result<(), TokenError> {
    tokens.signature_step(token)
}

/// The payload's JSON, decoded from base64, for the two steps below.
pub fn payload_json(token: &str) -> Vec<u8> {
    let payload = token.split('.').nth(1).unwrap_or_default();
    URL_SAFE_NO_PAD.decode(payload).unwrap_or_default()
}

/// The duplicate-key check alone, on decoded JSON.
pub fn duplicate_keys(json: &[u8]) -> Result<(), TokenError> {
    crate::token::strict::check_unique_keys(json)
}

/// The payload's base64url segment to claims, as the verifier parses it
/// (base64, duplicate keys and deserialization).
pub fn claims(payload_segment: &str) -> Result<Claims, TokenError> {
    crate::token::strict::decode_claims(payload_segment)
}

/// The session store's revocation check (`jti`, session, generation).
pub async fn is_revoked(auth: &Auth, claims: &Claims) -> Result<bool, AuthError> {
    auth.is_revoked(claims).await
}

/// The user store lookup, with the active check.
pub async fn load_user(auth: &Auth, username: &str) -> Result<Arc<User>, AuthError> {
    auth.load_user(username).await
}

/// Scope narrowing by the user's current roles.
pub fn narrow_scopes(auth: &Auth, user: &User, claims: &Claims) -> Option<String> {
    auth.narrowed_scope(user, claims)
}

/// The `Arc`s and the request-extension insert that let later extractors
/// reuse the principal.
pub fn remember(
    parts: &mut Parts,
    auth: &Auth,
    user: Arc<User>,
    claims: Claims,
) -> (Arc<User>, Arc<Claims>) {
    crate::extract::remember(parts, auth, user, claims)
}
