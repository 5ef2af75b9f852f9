//! Deny by default: a router that only takes handlers declaring their access,
//! and the route table it keeps.
//!
//! [`SecureRouter`] wraps axum's `Router`, and [`get`], [`post`], ... wrap
//! its method routers. They accept a handler only when its first parameter
//! is the guard an rbac attribute adds (`#[authenticated]`, `#[requires_role]`,
//! `#[requires_permission]`, `#[requires_scope]`, `#[requires]`, or
//! `#[public]` to say "open on purpose"), so a handler that declares no
//! access rule is a compile error, not an open route. Every route is
//! recorded with what it requires: [`SecureRouter::routes`].
//!
//! The escape hatches are explicit and land in the table as
//! [`Access::Unchecked`]: [`SecureRouter::public_service`] for services such
//! as a static file server, and [`SecureRouter::route_without_access_check`]
//! for a raw axum method router.
//!
//! ```
//! use rbac_core::routing::{SecureRouter, get};
//! use rbac_core::{Auth, CurrentUser, authenticated, public, requires_role};
//!
//! rbac_core::policy! { mod policy { role "admin"; } }
//!
//! #[authenticated]
//! async fn me(user: CurrentUser) -> String {
//!     user.username.clone()
//! }
//!
//! #[requires_role("admin")]
//! async fn stats() -> &'static str {
//!     "stats"
//! }
//!
//! #[public]
//! async fn health() -> &'static str {
//!     "ok"
//! }
//!
//! fn main() {
//!     let app: SecureRouter<Auth> = SecureRouter::new()
//!         .route("/users/me", get(me))
//!         .route("/stats", get(stats))
//!         .route("/health", get(health));
//!     assert_eq!(app.routes().len(), 3);
//!     print!("{}", app.routes());
//!     let _router: axum::Router<Auth> = app.into_axum();
//! }
//! ```
//!
//! A handler without an access rule does not compile:
//!
//! ```compile_fail
//! use rbac_core::routing::{SecureRouter, get};
//!
//! async fn open() -> &'static str {
//!     "anyone"
//! }
//!
//! let app: SecureRouter = SecureRouter::new().route("/", get(open));
//! ```

use std::convert::Infallible;
use std::fmt;

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, Route};
use tower::{Layer, Service};

use crate::__private::{Annotated, CheckedGuard, Guard, PublicRoute};
use crate::policy::HandlerRequirements;

mod matrix;
mod table;

pub use matrix::{ANONYMOUS, AccessMatrix, Conditions, MatrixRow, Verdict};
pub use table::{Access, RouteEntry, RouteTable};

/// The extractor tuple of a handler whose first parameter is an rbac guard:
/// what the secured router accepts. axum's `Handler<T, S>` is implemented
/// for `fn(T1, …, Tn)` with `T = (M, T1, …, Tn)`; the attributes put the
/// guard in `T1`.
#[diagnostic::on_unimplemented(
    message = "this handler declares no access rule",
    label = "the secured router only takes handlers that say who may call them",
    note = "add `#[authenticated]`, `#[requires_role(\"...\")]`, `#[requires_permission(\"...\")]`, \
            `#[requires_scope(\"...\")]` or `#[requires(...)]` to the handler, or `#[public]` \
            if anyone may call it"
)]
pub trait DeclaresAccess {
    /// What the handler requires, as recorded by its attribute.
    const REQUIREMENTS: HandlerRequirements;
}

macro_rules! declares_access {
    ($($rest:ident),*) => {
        impl<M, R: Annotated, $($rest,)*> DeclaresAccess for (M, Guard<R>, $($rest,)*) {
            const REQUIREMENTS: HandlerRequirements = R::REQUIREMENTS;
        }
        impl<M, C: Annotated, $($rest,)*> DeclaresAccess for (M, CheckedGuard<C>, $($rest,)*) {
            const REQUIREMENTS: HandlerRequirements = C::REQUIREMENTS;
        }
        impl<M, P: Annotated, $($rest,)*> DeclaresAccess for (M, PublicRoute<P>, $($rest,)*) {
            const REQUIREMENTS: HandlerRequirements = P::REQUIREMENTS;
        }
    };
}

// axum takes handlers of up to 16 extractors; the guard is one of them.
declares_access!();
declares_access!(T2);
declares_access!(T2, T3);
declares_access!(T2, T3, T4);
declares_access!(T2, T3, T4, T5);
declares_access!(T2, T3, T4, T5, T6);
declares_access!(T2, T3, T4, T5, T6, T7);
declares_access!(T2, T3, T4, T5, T6, T7, T8);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15);
declares_access!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16);

/// A method router that only takes handlers declaring their access; build
/// it with [`get`], [`post`], ... and chain more methods on it. It never
/// hands back axum's own `MethodRouter`, so no unchecked handler can be
/// chained onto it.
#[must_use]
pub struct SecureMethodRouter<S = ()> {
    inner: MethodRouter<S, Infallible>,
    handlers: Vec<(&'static str, HandlerRequirements)>,
}

impl<S> fmt::Debug for SecureMethodRouter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureMethodRouter").field("handlers", &self.handlers).finish()
    }
}

macro_rules! method {
    ($(#[$doc:meta])* $name:ident, $filter:ident, $label:literal) => {
        $(#[$doc])*
        pub fn $name<H, T, S>(handler: H) -> SecureMethodRouter<S>
        where
            H: Handler<T, S>,
            T: DeclaresAccess + 'static,
            S: Clone + Send + Sync + 'static,
        {
            SecureMethodRouter::new().$name(handler)
        }

        impl<S: Clone + Send + Sync + 'static> SecureMethodRouter<S> {
            $(#[$doc])*
            pub fn $name<H, T>(self, handler: H) -> Self
            where
                H: Handler<T, S>,
                T: DeclaresAccess + 'static,
            {
                self.on($label, MethodFilter::$filter, handler)
            }
        }
    };
}

method!(
    /// Routes `DELETE` requests to `handler`.
    delete, DELETE, "DELETE"
);
method!(
    /// Routes `GET` requests to `handler` (and `HEAD`, as axum does).
    get, GET, "GET"
);
method!(
    /// Routes `HEAD` requests to `handler`.
    head, HEAD, "HEAD"
);
method!(
    /// Routes `OPTIONS` requests to `handler`.
    options, OPTIONS, "OPTIONS"
);
method!(
    /// Routes `PATCH` requests to `handler`.
    patch, PATCH, "PATCH"
);
method!(
    /// Routes `POST` requests to `handler`.
    post, POST, "POST"
);
method!(
    /// Routes `PUT` requests to `handler`.
    put, PUT, "PUT"
);

/// Routes requests of every method to `handler`.
pub fn any<H, T, S>(handler: H) -> SecureMethodRouter<S>
where
    H: Handler<T, S>,
    T: DeclaresAccess + 'static,
    S: Clone + Send + Sync + 'static,
{
    SecureMethodRouter {
        inner: axum::routing::any(handler),
        handlers: vec![("ANY", T::REQUIREMENTS)],
    }
}

impl<S: Clone + Send + Sync + 'static> SecureMethodRouter<S> {
    fn new() -> Self {
        Self { inner: MethodRouter::new(), handlers: Vec::new() }
    }

    /// Applies a layer to every handler of this method router, as axum's
    /// `MethodRouter::layer` (a body limit, say). It wraps what the handlers
    /// answer; it cannot add a handler.
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Self { inner: self.inner.layer(layer), handlers: self.handlers }
    }

    /// axum's own method router, for a plain `axum::Router` when you opt
    /// out of the secured one. Nothing chained on it afterwards is checked.
    pub fn into_axum(self) -> MethodRouter<S> {
        self.inner
    }

    fn on<H, T>(mut self, method: &'static str, filter: MethodFilter, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: DeclaresAccess + 'static,
    {
        self.inner = self.inner.on(filter, handler);
        self.handlers.push((method, T::REQUIREMENTS));
        self
    }
}

/// An axum `Router` that only takes handlers declaring their access, and
/// knows every route's requirement ([`SecureRouter::routes`]). Turn it into
/// an ordinary router with [`SecureRouter::into_axum`] (or `into()`) to add
/// layers and serve it.
#[must_use]
pub struct SecureRouter<S = ()> {
    pub(crate) inner: axum::Router<S>,
    routes: RouteTable,
}

impl<S> fmt::Debug for SecureRouter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureRouter").field("routes", &self.routes).finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for SecureRouter<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> SecureRouter<S> {
    /// An empty router.
    pub fn new() -> Self {
        Self { inner: axum::Router::new(), routes: RouteTable::default() }
    }

    /// Adds a route, as axum's `Router::route`.
    pub fn route(mut self, path: &str, method_router: SecureMethodRouter<S>) -> Self {
        for (method, requirements) in &method_router.handlers {
            self.routes.push(RouteEntry::handler(method, path, requirements));
        }
        self.inner = self.inner.route(path, method_router.inner);
        self
    }

    /// Nests a secured router under `path`; its routes are recorded with the
    /// joined path.
    pub fn nest(mut self, path: &str, router: SecureRouter<S>) -> Self {
        self.routes.extend(router.routes.prefixed(path));
        self.inner = self.inner.nest(path, router.inner);
        self
    }

    /// Merges another secured router's routes into this one.
    pub fn merge(mut self, other: SecureRouter<S>) -> Self {
        self.routes.extend(other.routes);
        self.inner = self.inner.merge(other.inner);
        self
    }

    /// Serves a service no handler guards (static files, say) under `path`,
    /// open to anyone; recorded as [`Access::Unchecked`].
    pub fn public_service<T>(mut self, path: &str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        self.routes.push(RouteEntry::unchecked("*", path, "public_service"));
        self.inner = self.inner.nest_service(path, service);
        self
    }

    /// Adds axum's own method router, whose handlers declare nothing. The
    /// name is long on purpose: the route is open unless its handlers check
    /// access themselves, and it is recorded as [`Access::Unchecked`].
    pub fn route_without_access_check(
        mut self,
        path: &str,
        method_router: MethodRouter<S>,
    ) -> Self {
        self.routes.push(RouteEntry::unchecked("*", path, "route_without_access_check"));
        self.inner = self.inner.route(path, method_router);
        self
    }

    /// Answers requests no route matches with `handler`, which must declare
    /// its access like any other.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: DeclaresAccess + 'static,
    {
        self.routes.push(RouteEntry::handler("*", "(fallback)", &T::REQUIREMENTS));
        self.inner = self.inner.fallback(handler);
        self
    }

    /// Provides the state, as axum's `Router::with_state`.
    pub fn with_state<S2>(self, state: S) -> SecureRouter<S2> {
        SecureRouter { inner: self.inner.with_state(state), routes: self.routes }
    }

    /// Every route with what it requires.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// The ordinary axum router, for layers and `axum::serve`.
    pub fn into_axum(self) -> axum::Router<S> {
        self.inner
    }
}

impl<S> From<SecureRouter<S>> for axum::Router<S> {
    fn from(router: SecureRouter<S>) -> Self {
        router.inner
    }
}
