//! Support for the code the attribute macros generate. Not a public API.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::{AUDIT, Auth};
use crate::error::AuthError;
use crate::extract::current_user;
use crate::user::User;

pub use axum;

/// What an annotated handler demands of the current user.
pub trait Requirement: 'static {
    /// A human-readable form for audit logs, such as `role "admin"`.
    const DESCRIPTION: &'static str;

    /// Whether `user` (already authenticated and active) satisfies it.
    fn is_met_by(user: &User) -> bool;
}

/// `#[authenticated]`: any active user.
pub enum AuthenticatedOnly {}

impl Requirement for AuthenticatedOnly {
    const DESCRIPTION: &'static str = "authenticated";

    #[inline]
    fn is_met_by(_: &User) -> bool {
        true
    }
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
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthError> {
        let user = current_user(parts, &Auth::from_ref(state)).await?;
        if R::is_met_by(&user) {
            Ok(Guard(PhantomData))
        } else {
            tracing::info!(
                target: AUDIT,
                username = user.username,
                path = parts.uri.path(),
                requirement = R::DESCRIPTION,
                "access denied"
            );
            Err(AuthError::Forbidden)
        }
    }
}
