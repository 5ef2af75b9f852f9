//! Support for the code the attribute macros generate. Not a public API.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::auth::{AUDIT, Auth};
use crate::denial::AuthRejection;
use crate::error::AuthError;
use crate::extract::current_principal;
use crate::policy::HandlerRequirements;
use crate::token::Claims;
use crate::user::User;

pub use axum;
pub use rbac_macros::unknown_name;

/// Implemented by the marker type each annotated handler gets.
pub trait Annotated {
    /// What the handler requires, as data.
    const REQUIREMENTS: HandlerRequirements;
}

/// A requirement that depends on the user and token alone (no handler arguments).
pub trait Requirement: Annotated + 'static {
    /// `Ok` if `user` (already authenticated and active), holding a token
    /// with `claims`, satisfies it; otherwise the refusal:
    /// [`AuthError::InsufficientScope`] when only scopes are missing,
    /// [`AuthError::Forbidden`] otherwise.
    fn decide(user: &User, claims: &Claims) -> Result<(), AuthError>;
}

/// The extractor the macros put first in a handler's parameters, so it runs
/// before every other extractor and before the body is read.
pub struct Guard<R>(PhantomData<fn() -> R>);

/// Without an `R: Debug` bound: the marker types the macros generate have none.
impl<R> std::fmt::Debug for Guard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&std::any::type_name::<R>()).finish()
    }
}

impl<S, R> FromRequestParts<S> for Guard<R>
where
    R: Requirement,
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        let (auth, user, claims) = authenticate(parts, state).await?;
        match R::decide(&user, &claims) {
            Ok(()) => Ok(Guard(PhantomData)),
            Err(error) => Err(deny::<R>(&auth, parts, &user, error)),
        }
    }
}

/// A check that reads handler arguments (`owner(...)`, `check(...)`): the
/// macros implement it on an uninhabited marker, and [`CheckedGuard`] runs it.
pub trait ArgumentCheck<S>: Annotated + 'static {
    /// Authenticates, extracts the arguments the check names (from the
    /// request head) and decides; `Err` is the rendered refusal.
    fn check(parts: &mut Parts, state: &S) -> impl Future<Output = Result<(), Response>> + Send;
}

/// The extractor for an [`ArgumentCheck`]. Its field is private, as
/// [`Guard`]'s is, so only a passed check produces one: no Rust code can
/// build the value a guarded handler takes and call it unchecked.
pub struct CheckedGuard<C>(PhantomData<fn() -> C>);

impl<C> std::fmt::Debug for CheckedGuard<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CheckedGuard").field(&std::any::type_name::<C>()).finish()
    }
}

impl<S, C> FromRequestParts<S> for CheckedGuard<C>
where
    C: ArgumentCheck<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        C::check(parts, state).await.map(|()| CheckedGuard(PhantomData))
    }
}

/// The authenticated user and their token's claims, or the rendered refusal.
pub async fn authenticate<S>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Auth, Arc<User>, Arc<Claims>), AuthRejection>
where
    Auth: FromRef<S>,
{
    let auth = Auth::from_ref(state);
    match current_principal(parts, &auth).await {
        Ok((user, claims)) => Ok((auth, user, claims)),
        Err(error) => Err(auth.reject(error, parts)),
    }
}

/// The refusal for a failed requirement: insufficient scope when the
/// requirement holds once scopes are ignored, plain 403 otherwise.
pub fn refusal(holds_without_scopes: bool, scopes: &'static str) -> AuthError {
    if holds_without_scopes { AuthError::InsufficientScope(scopes) } else { AuthError::Forbidden }
}

/// Logs the denial and renders the 403.
pub fn deny<A: Annotated>(
    auth: &Auth,
    parts: &Parts,
    user: &User,
    error: AuthError,
) -> AuthRejection {
    tracing::info!(
        target: AUDIT,
        username = user.username,
        path = parts.uri.path(),
        handler = A::REQUIREMENTS.handler,
        requirement = %A::REQUIREMENTS.requires,
        "access denied"
    );
    auth.reject(error, parts)
}

/// Runs a handler argument's extractor inside a check, before the body is read.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used by an access check",
    label = "checks run before the body is read, so they can only use arguments extracted \
             from the request head (`Path`, `Query`, `State`, headers...)"
)]
pub trait CheckArgument<S>: Sized {
    /// Extracts the argument, or the response its rejection renders.
    fn extract(parts: &mut Parts, state: &S)
    -> impl Future<Output = Result<Self, Response>> + Send;
}

impl<S, T> CheckArgument<S> for T
where
    T: FromRequestParts<S>,
    S: Send + Sync,
{
    async fn extract(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        T::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)
    }
}
