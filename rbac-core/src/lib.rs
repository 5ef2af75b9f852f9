//! Role-based access control for [axum] handlers.
//!
//! Declare the policy once, then protect handlers with one attribute each:
//!
//! ```no_run
//! use axum::Json;
//! use rbac_core::routing::{SecureRouter, get};
//! use rbac_core::{Auth, CurrentUser, JwtSecret, MemoryUserStore, Tokens, User, requires_role};
//!
//! rbac_core::policy! {
//!     /// Who may do what.
//!     pub mod policy {
//!         role "viewer";
//!         role "editor": "viewer" grants "posts:write";
//!         role "admin": "editor" grants "users:manage";
//!     }
//! }
//!
//! /// Editors and admins (admin inherits editor).
//! #[requires_role("editor")]
//! async fn drafts() -> &'static str {
//!     "drafts"
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
//! // A handler without an access rule would not compile here.
//! let app = SecureRouter::new()
//!     .route("/token", rbac_core::oauth2::token_route())
//!     .route("/drafts", get(drafts))
//!     .route("/users/me", get(me))
//!     .with_state(auth)
//!     .into_axum();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! # fn main() {}
//! ```
//!
//! The attributes prepend one extractor to the handler's parameters. It runs
//! before every other extractor: it reads the bearer token, verifies it
//! ([`Tokens`]), loads the user from the [`UserStore`] through [`Auth`]
//! (reached with `FromRef` from your state), refuses disabled users and
//! checks the requirement against the policy's precomputed bit sets. A refused
//! request never reaches the body; the response is an [`AuthRejection`].
//!
//! Misuse fails to compile with a message that says what to write instead:
//!
//! ```compile_fail
//! rbac_core::policy! { mod policy { role "admin"; } }
//!
//! #[rbac_core::requires_role("admn")] // error: unknown role `admn`: did you mean `admin`?
//! async fn nobody() {}
//! # fn main() {}
//! ```
//!
//! ```compile_fail
//! #[rbac_core::authenticated]
//! fn not_async() {}
//! ```

// The attribute macros name `::rbac_core::...`; this lets the crate use
// them on its own handlers (the OAuth2 endpoints).
extern crate self as rbac_core;

mod auth;
mod boxed;
pub mod browser;
mod domain;
mod error;
mod extract;
pub mod oauth2;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod password;
mod policy;
mod random;
pub mod rejection;
pub mod routing;
mod scope;
pub mod session;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod token;
mod user;

pub use auth::{Auth, Held, ScopeList};
pub use domain::{
    InvalidScopedRole, MAX_SCOPE_ID_LEN, ScopeId, ScopedRole, ScopedRoles, grants_in,
};
pub use error::AuthError;
pub use extract::{ClientIp, CurrentUser};
pub use password::{PasswordError, PasswordHash, PasswordHasher};
pub use policy::{
    AccessPolicy, DomainDescription, Grants, HandlerRequirements, InScope, PermissionId,
    PolicyDescription, Requires, RoleDescription, RoleId,
};
pub use rejection::AuthRejection;
pub use scope::ScopePolicy;
pub use session::{MemorySessionStore, SessionStore};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
pub use store::{
    DuplicateUser, MemoryUserStore, StoreError, UserDirectory, UserStore, UserWriteError,
    WritableUserStore,
};
#[cfg(feature = "oidc")]
pub use token::{
    AccessTokenProfile, ClaimMapping, IssuerConfigError, RoleName, ScopeClaim, ScopeName, TlsRoots,
    TrustedIssuer, TrustedIssuers,
};
pub use token::{
    Audience, Claims, IssuedToken, JwksError, JwtSecret, KeyError, RemoteJwks, SigningAlgorithm,
    SigningKey, TokenError, TokenSubject, Tokens, VerificationKey, WeakSecret,
};
pub use user::{InvalidRole, Role, User, UserRecord};

/// The [`tracing`](https://docs.rs/tracing) target of audit events, `rbac::audit`: logins
/// (success, failure and its reason category, throttling), refreshes,
/// revocations and logouts, refused tokens, and every authorization denial.
/// Passwords, tokens, hashes and secrets are never in them. Route the target
/// to your audit log; log your own audit events (user management, say) to
/// it too, so they land in the same place:
///
/// ```
/// tracing::info!(target: rbac_core::AUDIT_TARGET, username = "carol", "user created");
/// ```
pub const AUDIT_TARGET: &str = "rbac::audit";

/// Marks a handler as open to anyone, on purpose: it requires nothing, and
/// says so in code ([`requirements_of!`] gives [`Requires::Public`]) rather
/// than by a missing attribute.
///
/// A public handler does not authenticate at all: the extractor it gets
/// checks nothing and never reads the `Authorization` header, so a request
/// with no credentials, an expired token or a garbage one reaches it alike.
/// To read the user when there is one, take `Option<CurrentUser>` as a
/// parameter (which does refuse a bad token).
///
/// ```
/// use axum::{Router, routing::get};
/// use rbac_core::{Auth, Requires, public, requirements_of};
///
/// #[public]
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// let _app: Router<Auth> = Router::new().route("/health", get(health));
/// assert_eq!(requirements_of!(health).requires, Requires::Public);
/// assert_eq!(requirements_of!(health).to_string(), "health: public");
/// ```
///
/// A handler is public or guarded, not both:
///
/// ```compile_fail
/// // error: remove `#[public]`: `#[authenticated]` on this handler requires
/// // an authenticated user, so the handler is not public; ...
/// #[rbac_core::public]
/// #[rbac_core::authenticated]
/// async fn health() {}
/// # fn main() {}
/// ```
pub use rbac_macros::public;

/// Requires a valid bearer token of an existing, active user.
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

/// Everything [`authenticated`] checks, plus a role of the policy, directly or
/// through the hierarchy; otherwise 403. `any(...)`, `all(...)` and `not(...)`
/// combine roles. Names are checked against the policy at compile time; the
/// policy is the module `crate::policy` unless `policy = path::to::module` says
/// otherwise. Stacked `requires*` attributes must all hold.
///
/// A stacked attribute is recognised as one of these by its path: the bare
/// name as imported (`#[requires_role]`, `#[requires]`...), or the name
/// through `rbac_core::` or `::rbac_core::`. Any other path ending in the same
/// name (`#[other::requires_role]`, `#[diagnostic::requires]`) is someone
/// else's attribute and is left on the handler, not read as a requirement.
/// That includes these attributes re-exported or renamed elsewhere: to stack
/// them, name them by one of the paths above.
///
/// ```
/// use axum::extract::Path;
/// use rbac_core::requires_role;
///
/// rbac_core::policy! {
///     mod policy {
///         role "editor";
///         role "admin": "editor";
///     }
/// }
///
/// #[requires_role("admin")]
/// async fn delete_user(Path(name): Path<String>) -> String {
///     format!("deleted {name}")
/// }
///
/// #[requires_role(any("admin", "editor"), policy = crate::policy)]
/// async fn edit() {}
///
/// // The typed constants `policy!` generates work too, and carry their
/// // policy, also when it is declared in another crate.
/// #[requires_role(policy::roles::ADMIN)]
/// async fn audit() {}
/// # fn main() {}
/// ```
///
/// # Roles held within a scope
///
/// `in = org_id` checks the role *within* the scope a handler argument
/// names, as `owner(...)` does: the argument is extracted from the request
/// head before the body (a body extractor is a compile error), its type
/// converts to the scope id through [`ScopeId`] (`String`, `&str`,
/// integers), and the domain is the argument's name without `_id`; name it
/// explicitly with `in = org(id)`. The policy must declare the domain
/// (`domain "org";`). The user's assignments come from the store (cached as
/// users are) on each such request; with the policy's `global "admin" in
/// "org";`, a global admin counts as admin of every org.
///
/// ```
/// use axum::extract::Path;
/// use rbac_core::requires_role;
///
/// rbac_core::policy! {
///     mod policy {
///         role "viewer";
///         role "admin": "viewer";
///         domain "org";
///         global "admin" in "org";
///     }
/// }
///
/// #[requires_role("viewer", in = org_id)]
/// async fn projects(Path(org_id): Path<String>) -> String {
///     org_id
/// }
///
/// #[requires_role("admin", in = org(id))]
/// async fn delete_org(Path(id): Path<u64>) {}
/// # fn main() {}
/// ```
///
/// The role must be a declared one, as a string literal or a constant:
///
/// ```compile_fail
/// rbac_core::policy! { mod policy { role "admin"; } }
///
/// #[rbac_core::requires_role(admin)]
/// async fn delete_user() {}
/// # fn main() {}
/// ```
pub use rbac_macros::requires_role;

/// Like [`requires_role`] for permissions: admits anyone whose effective roles
/// grant it.
///
/// ```
/// rbac_core::policy! {
///     mod policy {
///         role "editor" grants "posts:write";
///     }
/// }
///
/// #[rbac_core::requires_permission("posts:write")]
/// async fn publish() {}
/// # fn main() {}
/// ```
pub use rbac_macros::requires_permission;

/// Requires an OAuth2 scope in the bearer token (FastAPI's `Security(...,
/// scopes=[...])`): 403 with `WWW-Authenticate: Bearer
/// error="insufficient_scope", scope="..."` when the token lacks it. Scopes
/// are the policy's permission names, checked at compile time; `/token`
/// grants them as [`ScopePolicy::from_policy`] says. `scope("...")` also works
/// inside [`requires`], next to roles.
///
/// The issuing [`Auth`] needs that scope policy,
/// `Auth::with_scopes(ScopePolicy::from_policy::<policy::Policy>())`:
/// without it `/token` grants no scopes, every scope guard refuses, and the
/// first rejection logs an error naming the fix. A resource server needs none:
/// it reads the scopes its issuer granted.
///
/// ```
/// rbac_core::policy! {
///     mod policy {
///         role "viewer" grants "items:read";
///     }
/// }
///
/// #[rbac_core::requires_scope("items:read")]
/// async fn items() {}
///
/// #[rbac_core::requires(all(role("viewer"), scope("items:read")))]
/// async fn viewer_items() {}
/// # fn main() {}
/// ```
///
/// A scope the policy does not declare is a compile error:
///
/// ```compile_fail
/// rbac_core::policy! { mod policy { role "viewer" grants "items:read"; } }
///
/// #[rbac_core::requires_scope("items:raed")]
/// async fn items() {}
/// # fn main() {}
/// ```
pub use rbac_macros::requires_scope;

/// The general form: `role("...")`, `permission("...")`, `scope("...")`, `owner(arg)`,
/// `check(function(args...))`, combined with `any`, `all` and `not`.
///
/// `role("editor", in = org_id)` and `permission("posts:write", in = org_id)`
/// hold when the role (or a role granting the permission) is held within
/// the scope the argument names; see [`requires_role`] for how the argument
/// and the domain are read. They combine with the other terms.
///
/// `owner(username)` holds when the handler argument `username` equals the
/// current user's username. `check(is_author(id, posts))` awaits
/// `is_author(&user, &id, &posts)`, an `async fn` returning `bool`. Both run in
/// the guard, before the body is read, re-running the extractors of the
/// arguments they name, so they may only name arguments extracted from the
/// request head (`Path`, `Query`, `State`...).
///
/// ```
/// use axum::extract::Path;
/// use rbac_core::{User, requires};
///
/// rbac_core::policy! {
///     mod policy {
///         role "viewer";
///         role "admin": "viewer";
///     }
/// }
///
/// /// Self or admin, as Spring's `#username == principal.username or hasRole('ADMIN')`.
/// #[requires(any(role("admin"), owner(username)))]
/// async fn profile(Path(username): Path<String>) -> String {
///     username
/// }
///
/// async fn is_even(_user: &User, id: &u64) -> bool {
///     id % 2 == 0
/// }
///
/// #[requires(all(role("viewer"), check(is_even(id))))]
/// async fn even_only(Path(id): Path<u64>) {}
/// # fn main() {}
/// ```
pub use rbac_macros::requires;

/// Lets the rbac attributes guard associated functions: put it on the `impl`
/// block. Each guarded function gets its marker type next to the block,
/// where an attribute on the function alone cannot put it (an `impl` block
/// holds no type definitions; without `#[handlers]`, rustc reports "enum is
/// not supported in `trait`s or `impl`s"). Route them as usual, by path.
///
/// ```
/// use axum::{Router, extract::Path, routing::get};
/// use rbac_core::{Auth, handlers, requires, requires_role};
///
/// rbac_core::policy! { mod policy { role "admin"; } }
///
/// struct Reports;
///
/// #[handlers]
/// impl Reports {
///     #[requires_role("admin")]
///     async fn stats() -> &'static str {
///         "stats"
///     }
///
///     #[requires(owner(name))]
///     async fn mine(Path(name): Path<String>) -> String {
///         name
///     }
/// }
///
/// fn main() {
///     let app: Router<Auth> = Router::new()
///         .route("/stats", get(Reports::stats))
///         .route("/reports/{name}", get(Reports::mine));
/// }
/// ```
///
/// Methods taking `self` cannot be handlers, with or without it:
///
/// ```compile_fail
/// rbac_core::policy! { mod policy { role "admin"; } }
/// struct Reports;
/// #[rbac_core::handlers]
/// impl Reports {
///     #[rbac_core::requires_role("admin")]
///     async fn stats(&self) {}
/// }
/// # fn main() {}
/// ```
pub use rbac_macros::handlers;

/// Declares an access policy: roles, their hierarchy, permissions, aliases.
///
/// It expands to the module it names, with a `Policy` type implementing
/// [`AccessPolicy`], `grants(&User)`, `describe()`, typed constants in
/// `roles::` and `permissions::`, and the lookups the attributes use to check
/// names at compile time. Effective roles and permissions are computed by the
/// macro; cycles, duplicates and unknown names are compile errors.
///
/// ```
/// rbac_core::policy! {
///     /// The blog's policy.
///     pub mod policy {
///         role "viewer";
///         role "editor": "viewer" grants "posts:write";
///         role "admin": "editor" grants "users:manage", "posts:delete";
///         alias "user" = "viewer";
///         permission "posts:publish";
///     }
/// }
///
/// let admin = policy::describe().role("admin").unwrap();
/// assert_eq!(admin.effective_roles, ["viewer", "editor", "admin"]);
/// assert_eq!(admin.effective_permissions, ["posts:write", "users:manage", "posts:delete"]);
/// println!("{}", policy::describe());
/// ```
///
/// ```compile_fail
/// rbac_core::policy! {
///     mod policy {
///         role "a": "b";
///         role "b": "a"; // error: cyclic role hierarchy
///     }
/// }
/// ```
///
/// # Domains
///
/// `domain "org";` declares a kind of scope roles can be held in ("editor of
/// org `acme`"): any role of the policy, with the same hierarchy inside the
/// scope. The assignments are runtime data in the user store
/// ([`WritableUserStore::grant_scoped_role`]), checked by `in = ...`
/// requirements ([`requires_role`]). A global role counts in every scope of
/// a domain only when the policy says so: `global "admin" in "org", "team";`,
/// or `global "admin";` for every domain. Misspelled domains are compile
/// errors with a suggestion, as roles are.
///
/// ```
/// rbac_core::policy! {
///     mod policy {
///         role "viewer";
///         role "admin": "viewer";
///         domain "org";
///         global "admin" in "org";
///     }
/// }
///
/// assert_eq!(policy::describe().domain("org").unwrap().global_roles, ["admin"]);
/// ```
///
/// ```compile_fail
/// rbac_core::policy! {
///     mod policy {
///         role "admin";
///         domain "org";
///         global "admin" in "ogr"; // error: unknown domain `ogr`: did you mean `org`?
///     }
/// }
/// ```
pub use rbac_macros::policy;

/// What an annotated handler requires, as a [`HandlerRequirements`] value.
///
/// ```
/// use rbac_core::{Requires, requirements_of, requires_role};
///
/// rbac_core::policy! { mod policy { role "admin"; } }
///
/// #[requires_role("admin")]
/// async fn admin_only() {}
///
/// fn main() {
///     let requirements = requirements_of!(admin_only);
///     assert_eq!(requirements.requires, Requires::Role("admin"));
///     assert_eq!(requirements.to_string(), r#"admin_only: role("admin") (policy crate::policy)"#);
/// }
/// ```
pub use rbac_macros::requirements_of;

#[doc(hidden)]
pub mod __private;
