//! Attribute macros for `rbac-core`. Depend on `rbac-core` and use them from
//! there: `rbac_core::authenticated` and `rbac_core::requires_role`, where
//! their documentation and examples live.
//!
//! Both attributes keep the handler as it is and prepend one extractor,
//! `::rbac_core::__private::Guard<R>`, to its parameters, so the check runs
//! before any other extractor. For a role, `R` is a hidden marker type
//! emitted next to the handler.

mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Requires a valid bearer token of an existing, active user.
/// See `rbac_core::authenticated`.
#[proc_macro_attribute]
pub fn authenticated(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(attr::Attribute::Authenticated, args.into(), item.into()).into()
}

/// Requires an authenticated user holding a role.
/// See `rbac_core::requires_role`.
#[proc_macro_attribute]
pub fn requires_role(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(attr::Attribute::RequiresRole, args.into(), item.into()).into()
}
