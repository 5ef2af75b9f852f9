//! Generating the guarded handler.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, ItemFn, LitStr, Type};

use crate::attr::{self, Args, Attribute};
use crate::valid;

/// Expands one attribute. On error, the original item is emitted unchanged
/// next to the error, so the handler still exists for the rest of the crate
/// and one mistake does not cascade into "cannot find function" errors.
pub(crate) fn guard(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(parsed) => parsed,
        // Not valid Rust: rustc reports the syntax error on the original tokens.
        Err(_) => return item,
    };
    let args = attr::parse(attribute, args);
    let function = valid::as_handler(attribute, parsed)
        .and_then(|function| valid::check(attribute, &function).map(|()| function));
    match (args, function) {
        (Ok(args), Ok(function)) => expand(args, function),
        (args, function) => {
            let errors = [args.err(), function.err()].into_iter().flatten();
            let errors = errors.map(|error| error.to_compile_error());
            quote! { #item #(#errors)* }
        }
    }
}

fn expand(args: Args, mut function: ItemFn) -> TokenStream {
    let span = Span::call_site();
    let (support, requirement) = match args {
        Args::Authenticated => (
            TokenStream::new(),
            quote_spanned!(span=> ::rbac_core::__private::AuthenticatedOnly),
        ),
        Args::Role(role) => role_requirement(&function, &role),
    };
    let guard: FnArg = syn::parse_quote_spanned! {span=>
        _: ::rbac_core::__private::Guard<#requirement>
    };
    function.sig.inputs.insert(0, guard);
    quote! {
        #support
        #function
    }
}

/// A hidden marker type implementing `Requirement` for one role. It is named
/// after the handler and how many guards it already has, so stacked
/// attributes on one handler get distinct names.
fn role_requirement(function: &ItemFn, role: &LitStr) -> (TokenStream, TokenStream) {
    let guards_so_far = function
        .sig
        .inputs
        .iter()
        .filter(|input| is_guard(input))
        .count();
    let marker = format_ident!(
        "__rbac_requirement_{}_{}",
        function.sig.ident,
        guards_so_far
    );
    let vis = &function.vis;
    let description = format!("role {:?}", role.value());
    let support = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis enum #marker {}

        impl ::rbac_core::__private::Requirement for #marker {
            const DESCRIPTION: &'static ::core::primitive::str = #description;

            #[inline]
            fn is_met_by(user: &::rbac_core::User) -> ::core::primitive::bool {
                user.has_role(#role)
            }
        }
    };
    (support, quote!(#marker))
}

/// Whether a parameter is a guard added by an earlier attribute on the same handler.
fn is_guard(input: &FnArg) -> bool {
    let FnArg::Typed(typed) = input else {
        return false;
    };
    let Type::Path(path) = &*typed.ty else {
        return false;
    };
    let segments: Vec<_> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments.len() == 3
        && segments[0] == "rbac_core"
        && segments[1] == "__private"
        && segments[2] == "Guard"
}
