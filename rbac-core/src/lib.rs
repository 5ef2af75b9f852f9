//! Role-based access control for [axum] handlers.
//!
//! Protect a handler with one attribute:
//!
//! ```no_run
//! use axum::{Json, Router, routing::get};
//! use rbac_core::{Auth, CurrentUser, JwtSecret, MemoryUserStore, Tokens, User, requires_role};
//!
//! /// Only admins may list users.
//! #[requires_role("admin")]
//! async fn admin_only() -> &'static str {
//!     "hello, admin"
//! }
//!
//! /// Any active user; the user is also available as a parameter.
//! #[rbac_core::authenticated]
//! async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
//!     Json(User::clone(&user))
//! }
//!
//! # async fn serve() {
//! let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new());
//! let app = Router::new()
//!     .route("/token", rbac_core::oauth2::token_route())
//!     .route("/admin", get(admin_only))
//!     .route("/users/me", get(me))
//!     .with_state(auth);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! The attributes prepend one extractor to the handler's parameters. It runs
//! before every other extractor: it reads the bearer token, verifies it
//! ([`Tokens`]), loads the user from the [`UserStore`] through [`Auth`]
//! (reached with `FromRef` from your state), refuses disabled users and
//! checks the role. A refused request never reaches the body; the
//! response is an [`AuthError`].
//!
//! Misuse fails to compile with a message that says what to write instead:
//!
//! ```compile_fail
//! #[rbac_core::requires_role("")]
//! async fn nobody() {}
//! ```
//!
//! ```compile_fail
//! #[rbac_core::authenticated]
//! fn not_async() {}
//! ```

mod auth;
mod error;
mod extract;
pub mod oauth2;
mod password;
mod store;
mod token;
mod user;

pub use auth::{Auth, MAX_USERNAME_BYTES};
pub use error::AuthError;
pub use extract::CurrentUser;
pub use password::{MAX_PASSWORD_BYTES, PasswordError, PasswordHash, PasswordHasher};
pub use store::{DuplicateUser, MemoryUserStore, StoreError, UserStore};
pub use token::{Claims, IssuedToken, JwtSecret, MAX_TOKEN_BYTES, TokenError, Tokens, WeakSecret};
pub use user::{InvalidRole, Role, User, UserRecord};

/// Requires a valid bearer token of an existing, active user.
///
/// See the [crate documentation](crate) for what the attribute generates.
///
/// ```
/// use rbac_core::{CurrentUser, authenticated};
///
/// #[authenticated]
/// async fn items(user: CurrentUser) -> String {
///     format!("items of {}", user.username)
/// }
/// ```
pub use rbac_macros::authenticated;

/// Everything [`authenticated`] checks, plus a role; a user without it gets 403.
///
/// ```
/// use axum::extract::Path;
/// use rbac_core::requires_role;
///
/// #[requires_role("admin")]
/// async fn delete_user(Path(name): Path<String>) -> String {
///     format!("deleted {name}")
/// }
/// ```
///
/// The role must be a non-empty string literal:
///
/// ```compile_fail
/// #[rbac_core::requires_role(admin)]
/// async fn delete_user() {}
/// ```
pub use rbac_macros::requires_role;

#[doc(hidden)]
pub mod __private;
