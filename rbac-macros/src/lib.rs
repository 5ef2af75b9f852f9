//! Attribute macros for `rbac-core`. Depend on `rbac-core` and use them from
//! there (`rbac_core::requires_role` and friends), where their documentation
//! and examples live.
//!
//! The attributes keep the handler as it is and prepend one extractor to its
//! parameters, so the check runs before any other extractor (`#[public]`'s
//! checks nothing: it marks the handler as open on purpose). A hidden marker
//! type emitted next to the handler carries the requirement, as code and as
//! data. `policy!` expands to a module with the compiled hierarchy and the
//! lookups that check role and permission names at compile time.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod impl_block;
mod names;
mod policy;
mod symbol;
mod valid;

use proc_macro::TokenStream;

use ast::Attribute;

/// Marks a handler as open to anyone, deliberately: no check, no
/// authentication. See `rbac_core::public`.
#[proc_macro_attribute]
pub fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::Public, args.into(), item.into()).into()
}

/// Requires a valid bearer token of an existing, active user.
/// See `rbac_core::authenticated`.
#[proc_macro_attribute]
pub fn authenticated(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::Authenticated, args.into(), item.into()).into()
}

/// Requires a role of the policy. See `rbac_core::requires_role`.
#[proc_macro_attribute]
pub fn requires_role(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::RequiresRole, args.into(), item.into()).into()
}

/// Requires a permission of the policy. See `rbac_core::requires_permission`.
#[proc_macro_attribute]
pub fn requires_permission(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::RequiresPermission, args.into(), item.into()).into()
}

/// Requires an OAuth2 scope in the token. See `rbac_core::requires_scope`.
#[proc_macro_attribute]
pub fn requires_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::RequiresScope, args.into(), item.into()).into()
}

/// Requires a combination of roles, permissions and checks. See `rbac_core::requires`.
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::guard(Attribute::Requires, args.into(), item.into()).into()
}

/// Guards the annotated associated functions of an `impl` block. See
/// `rbac_core::handlers`.
#[proc_macro_attribute]
pub fn handlers(args: TokenStream, item: TokenStream) -> TokenStream {
    impl_block::handlers(args.into(), item.into()).into()
}

/// Declares an access policy. See `rbac_core::policy`.
#[proc_macro]
pub fn policy(input: TokenStream) -> TokenStream {
    policy::expand(input.into()).into()
}

/// What an annotated handler requires. See `rbac_core::requirements_of`.
#[proc_macro]
pub fn requirements_of(input: TokenStream) -> TokenStream {
    expand::requirements_of(input.into()).into()
}

/// The compile error for a name a policy does not declare. Used by the
/// lookup macros `policy!` generates; not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn unknown_name(input: TokenStream) -> TokenStream {
    names::unknown_name(input.into()).into()
}
