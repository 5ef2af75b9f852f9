//! Checking that the item is something the guard can wrap.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Item, ItemFn};

use crate::attr::Attribute;

/// The function, or an error pointing at why the item is not an `async fn`
/// handler.
pub(crate) fn as_handler(attribute: Attribute, item: Item) -> Result<ItemFn, syn::Error> {
    let keyword = match item {
        Item::Fn(function) => return Ok(function),
        Item::Struct(item) => item.struct_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Const(item) => item.const_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    };
    Err(syn::Error::new(
        keyword,
        format!(
            "`#[{}]` goes on an `async fn` axum handler, not on this item",
            attribute.name()
        ),
    ))
}

/// Every problem with the handler, combined into one error.
pub(crate) fn check(attribute: Attribute, function: &ItemFn) -> Result<(), syn::Error> {
    let mut errors = Vec::new();
    let name = attribute.name();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!(
                "`#[{name}]` handlers must be `async fn`: write `async fn {}`",
                sig.ident
            ),
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        errors.push(syn::Error::new(
            receiver.self_token.span,
            format!(
                "`#[{name}]` handlers cannot take `self`: axum handlers are free functions; \
                 move `{}` out of the `impl` block and pass shared data with `State<...>`",
                sig.ident
            ),
        ));
    }
    for attr in &function.attrs {
        let Some(other) = Attribute::from_path(attr.path()) else {
            continue;
        };
        errors.extend(conflict(attribute, other, attr.path().span()));
    }
    let mut errors = errors.into_iter();
    let Some(mut first) = errors.next() else {
        return Ok(());
    };
    first.extend(errors);
    Err(first)
}

/// Stacking two `#[requires_role]` means both roles; any other pair is redundant.
fn conflict(this: Attribute, other: Attribute, other_span: Span) -> Option<syn::Error> {
    let message = match (this, other) {
        (Attribute::RequiresRole, Attribute::RequiresRole) => return None,
        (Attribute::Authenticated, Attribute::Authenticated) => {
            return Some(syn::Error::new(
                other_span,
                "duplicate `#[authenticated]`: remove one",
            ));
        }
        (Attribute::RequiresRole, Attribute::Authenticated) => {
            return Some(syn::Error::new(
                other_span,
                "remove `#[authenticated]`: `#[requires_role(...)]` already requires an \
                 authenticated, active user",
            ));
        }
        (Attribute::Authenticated, Attribute::RequiresRole) => {
            "remove `#[authenticated]`: `#[requires_role(...)]` on this handler already \
             requires an authenticated, active user"
        }
    };
    // `#[authenticated]` expands first here, so it is the attribute being expanded.
    Some(syn::Error::new(Span::call_site(), message))
}
