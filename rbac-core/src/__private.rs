//! Support for the code the attribute macros generate. Not a public API.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::auth::{AUDIT, Auth};
use crate::error::AuthError;
use crate::extract::current_principal;
use crate::policy::HandlerRequirements;
use crate::rejection::AuthRejection;
use crate::token::Claims;
use crate::user::User;

pub use axum;
pub use rbac_macros::unknown_name;

pub mod steps;

/// The bit of a typed role constant; a function, so that anything but a
/// [`RoleId`](crate::RoleId) is a type error at the user's path.
pub const fn role_bit(role: crate::RoleId) -> u128 {
    role.bit
}

/// The name of a typed role constant, for the requirement as data.
pub const fn role_name(role: crate::RoleId) -> &'static str {
    role.name
}

/// The bit of a typed permission constant.
pub const fn permission_bit(permission: crate::PermissionId) -> u128 {
    permission.bit
}

/// The name of a typed permission constant, for the requirement as data.
pub const fn permission_name(permission: crate::PermissionId) -> &'static str {
    permission.name
}

/// What `owner(arg)` compares with the username: the argument's text.
#[diagnostic::on_unimplemented(
    message = "`owner(...)` compares a handler argument with the username, as text; \
               `{Self}` is not text",
    label = "extract this argument as a `String` (like `Path(name): Path<String>`)",
    note = "for another comparison, write `check(your_fn(arg))` with an \
            `async fn your_fn(user: &User, arg: &T) -> bool`"
)]
pub trait OwnerArgument {
    /// Whether this argument names `username`.
    fn is_username(&self, username: &str) -> bool;
}

impl OwnerArgument for String {
    fn is_username(&self, username: &str) -> bool {
        self == username
    }
}

impl OwnerArgument for str {
    fn is_username(&self, username: &str) -> bool {
        self == username
    }
}

impl OwnerArgument for std::borrow::Cow<'_, str> {
    fn is_username(&self, username: &str) -> bool {
        self == username
    }
}

impl OwnerArgument for Arc<str> {
    fn is_username(&self, username: &str) -> bool {
        **self == *username
    }
}

impl<T: OwnerArgument + ?Sized> OwnerArgument for &T {
    fn is_username(&self, username: &str) -> bool {
        (**self).is_username(username)
    }
}

/// Implemented by the marker type each annotated handler gets.
pub trait Annotated {
    /// What the handler requires, as data.
    const REQUIREMENTS: HandlerRequirements;
}

/// A requirement that depends on the user and token alone (no handler arguments).
pub trait Requirement: Annotated + 'static {
    /// `Ok` if `user` (already authenticated and active), holding a token
    /// with `claims`, satisfies it; otherwise the rejection:
    /// [`AuthError::InsufficientScope`] when only scopes are missing,
    /// [`AuthError::Forbidden`] otherwise.
    fn decide(user: &User, claims: &Claims) -> Result<(), AuthError>;
}

/// A router state that guarded handlers can authenticate with: one that
/// gives an [`Auth`] through [`FromRef`]. Its own trait, so that a state
/// without one is named as the problem, rather than read as "the state must
/// be `Auth`".
#[diagnostic::on_unimplemented(
    message = "guarded handlers need an `rbac_core::Auth` in the router state, and `{Self}` has none",
    label = "this router's state has no `Auth`",
    note = "add an `auth: Auth` field to `{Self}` and implement `FromRef<{Self}> for Auth` \
            (or derive `FromRef` with axum's `macros` feature); `Router<Auth>` works too"
)]
pub trait AuthState: Send + Sync {
    /// The state's `Auth`.
    fn auth(&self) -> Auth;
}

impl<S> AuthState for S
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    fn auth(&self) -> Auth {
        Auth::from_ref(self)
    }
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
    S: AuthState,
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

/// The extractor `#[public]` puts first: it checks nothing and costs
/// nothing, and marks the handler as deliberately open for the secured
/// router and the route table.
pub struct PublicRoute<M>(PhantomData<fn() -> M>);

impl<S, M> FromRequestParts<S> for PublicRoute<M>
where
    M: Annotated + 'static,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PublicRoute(PhantomData))
    }
}

impl<M> std::fmt::Debug for PublicRoute<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PublicRoute").field(&std::any::type_name::<M>()).finish()
    }
}

/// A check that reads handler arguments (`owner(...)`, `check(...)`): the
/// macros implement it on an uninhabited marker, and [`CheckedGuard`] runs it.
pub trait ArgumentCheck<S>: Annotated + 'static {
    /// Authenticates, extracts the arguments the check names (from the
    /// request head) and decides; `Err` is the rendered rejection.
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

/// The authenticated user and their token's claims, or the rendered rejection.
pub async fn authenticate<S>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Auth, Arc<User>, Arc<Claims>), AuthRejection>
where
    S: AuthState,
{
    let auth = state.auth();
    match current_principal(parts, &auth).await {
        Ok((user, claims)) => Ok((auth, user, claims)),
        Err(error) => Err(auth.reject(error, parts)),
    }
}

/// The user's scoped role assignments, for a scoped requirement, or the
/// rendered rejection (503 when the store fails).
pub async fn scoped_roles(
    auth: &Auth,
    parts: &Parts,
    user: &User,
) -> Result<crate::ScopedRoles, AuthRejection> {
    auth.scoped_roles(&user.username).await.map_err(|error| auth.reject(error, parts))
}

/// The rejection for a failed requirement: insufficient scope when the
/// requirement holds once scopes are ignored, plain 403 otherwise.
pub fn refusal(holds_without_scopes: bool, scopes: &'static str) -> AuthError {
    if holds_without_scopes { AuthError::InsufficientScope(scopes) } else { AuthError::Forbidden }
}

/// Logs the rejection and renders the 403.
pub fn deny<A: Annotated>(
    auth: &Auth,
    parts: &Parts,
    user: &User,
    error: AuthError,
) -> AuthRejection {
    tracing::info!(
        target: AUDIT,
        username = user.username,
        path = crate::auth::requested_path(parts),
        handler = A::REQUIREMENTS.handler,
        requirement = %A::REQUIREMENTS.requires,
        "access denied"
    );
    if let AuthError::InsufficientScope(_) = error {
        auth.report_scopes_never_granted(A::REQUIREMENTS.handler, A::REQUIREMENTS.policy);
    }
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
