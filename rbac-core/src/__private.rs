//! Support for the code the attribute macros generate. Not a public API.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::auth::{AUDIT, Auth};
use crate::denial::AuthRejection;
use crate::error::AuthError;
use crate::extract::current_user;
use crate::policy::HandlerRequirements;
use crate::user::User;

pub use axum;
pub use rbac_macros::unknown_name;

/// Implemented by the marker type each annotated handler gets.
pub trait Annotated {
    /// What the handler requires, as data.
    const REQUIREMENTS: HandlerRequirements;
}

/// A requirement that depends on the user alone (no handler arguments).
pub trait Requirement: Annotated + 'static {
    /// Whether `user` (already authenticated and active) satisfies it.
    fn is_met_by(user: &User) -> bool;
}

/// The extractor the macros put first in a handler's parameters, so it runs
/// before every other extractor and before the body is read.
pub struct Guard<R>(PhantomData<fn() -> R>);

impl<S, R> FromRequestParts<S> for Guard<R>
where
    R: Requirement,
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        let (auth, user) = authenticate(parts, state).await?;
        if R::is_met_by(&user) {
            Ok(Guard(PhantomData))
        } else {
            Err(deny::<R>(&auth, parts, &user))
        }
    }
}

/// The authenticated user, or the rendered refusal.
pub async fn authenticate<S>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Auth, Arc<User>), AuthRejection>
where
    Auth: FromRef<S>,
{
    let auth = Auth::from_ref(state);
    match current_user(parts, &auth).await {
        Ok(user) => Ok((auth, user)),
        Err(error) => Err(auth.reject(error, parts)),
    }
}

/// Logs the denial and renders the 403.
pub fn deny<A: Annotated>(auth: &Auth, parts: &Parts, user: &User) -> AuthRejection {
    tracing::info!(
        target: AUDIT,
        username = user.username,
        path = parts.uri.path(),
        handler = A::REQUIREMENTS.handler,
        requirement = %A::REQUIREMENTS.requires,
        "access denied"
    );
    auth.reject(AuthError::Forbidden, parts)
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
