//! Checking the model: the handler's signature, the attributes stacked on
//! it, and the arguments their requirements name. Every problem is pushed to
//! the context, so all of them are reported together.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Item};

use crate::ast::{Attribute, Guarded, Handler, Term};
use crate::ctxt::Ctxt;
use crate::symbol::{DEFAULT_POLICY, default_policy};

/// The error for an item that is not a function, pointing at its keyword.
pub(crate) fn not_a_handler(attribute: Attribute, item: &Item) -> syn::Error {
    let keyword = match item {
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
    syn::Error::new(
        keyword,
        format!("`#[{}]` goes on an `async fn` axum handler, not on this item", attribute.name()),
    )
}

pub(crate) fn validate(ctxt: &mut Ctxt, guarded: &Guarded) {
    check_signature(ctxt, guarded.attribute, &guarded.function);
    for &(other, span) in &guarded.unmerged {
        ctxt.push(conflict(guarded.attribute, other, span));
    }
    check_policies(ctxt, guarded);
    if let Some(term) = guarded.term() {
        check_arguments(ctxt, guarded, &term);
    }
}

fn check_signature(ctxt: &mut Ctxt, attribute: Attribute, function: &Handler) {
    let name = attribute.name();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        ctxt.push(syn::Error::new(
            sig.fn_token.span,
            format!("`#[{name}]` handlers must be `async fn`: write `async fn {}`", sig.ident),
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        ctxt.push(syn::Error::new(
            receiver.self_token.span,
            format!(
                "`#[{name}]` handlers cannot take `self`: axum handlers are free functions; \
                 move `{}` out of the `impl` block and pass shared data with `State<...>`",
                sig.ident
            ),
        ));
    }
    let typed: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .collect();
    if let Some((last, before)) = typed.split_last() {
        for argument in before {
            if let Some(extractor) = body_extractor(&argument.ty) {
                ctxt.push(syn::Error::new_spanned(
                    &argument.ty,
                    format!(
                        "`{extractor}` reads the request body, so axum only accepts it as the \
                         handler's last argument: move it after `{}`",
                        last.pat.to_token_stream().to_string().replace(' ', "")
                    ),
                ));
            }
        }
    }
}

/// The attributes that name roles, permissions or scopes check against one
/// policy: the first one's, an omitted policy meaning the default.
fn check_policies(ctxt: &mut Ctxt, guarded: &Guarded) {
    let mut policies = guarded.policies();
    let Some((_, first)) = policies.next() else { return };
    for (requirement, policy) in policies {
        if same_policy(first, policy) {
            continue;
        }
        let message = format!(
            "stacked attributes must check against the same policy; without `policy = ...` an \
             attribute uses `{DEFAULT_POLICY}`"
        );
        ctxt.push(match (policy, requirement.stacked) {
            (Some(path), _) => syn::Error::new_spanned(path, message),
            (None, Some(span)) => syn::Error::new(span, message),
            (None, None) => syn::Error::new(Span::call_site(), message),
        });
    }
}

/// Whether two `policy = ...` arguments (`None`: the default) name the same policy.
fn same_policy(a: Option<&syn::Path>, b: Option<&syn::Path>) -> bool {
    let name = |path: Option<&syn::Path>| {
        path.cloned().unwrap_or_else(default_policy).to_token_stream().to_string()
    };
    name(a) == name(b)
}

/// `#[authenticated]` with any other of our attributes is redundant;
/// `#[public]` with any other contradicts it. Either way the error points at
/// the attribute to remove: `this` is the one being expanded (the call site),
/// `other` is stacked below it, at `other_span`.
fn conflict(this: Attribute, other: Attribute, other_span: Span) -> syn::Error {
    let public_with = |guard: Attribute| {
        format!(
            "remove `#[public]`: {} on this handler requires an authenticated user, so the \
             handler is not public; to make it public, remove {} instead",
            guard.spelled(),
            guard.spelled()
        )
    };
    match (this, other) {
        (Attribute::Public, Attribute::Public) => {
            syn::Error::new(other_span, "duplicate `#[public]`: remove one")
        }
        // `#[public]` is the attribute being expanded: point at it.
        (Attribute::Public, guard) => syn::Error::new(Span::call_site(), public_with(guard)),
        (guard, Attribute::Public) => syn::Error::new(other_span, public_with(guard)),
        (Attribute::Authenticated, Attribute::Authenticated) => {
            syn::Error::new(other_span, "duplicate `#[authenticated]`: remove one")
        }
        (Attribute::Authenticated, requires) => syn::Error::new(
            // `#[authenticated]` is the attribute being expanded: point at it.
            Span::call_site(),
            format!(
                "remove `#[authenticated]`: `#[{}(...)]` on this handler already requires an \
                 authenticated, active user",
                requires.name()
            ),
        ),
        (requires, _) => syn::Error::new(
            other_span,
            format!(
                "remove `#[authenticated]`: `#[{}(...)]` already requires an authenticated, \
                 active user",
                requires.name()
            ),
        ),
    }
}

/// Every name the requirement reads is bound by a handler argument, and
/// none of those arguments reads the body.
fn check_arguments(ctxt: &mut Ctxt, guarded: &Guarded, term: &Term) {
    let arguments = &guarded.arguments;
    for name in term.arguments() {
        if arguments.iter().any(|argument| argument.names.contains(name)) {
            continue;
        }
        let known: Vec<String> =
            arguments.iter().flat_map(|a| &a.names).map(|n| format!("`{n}`")).collect();
        let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
        ctxt.push(syn::Error::new(
            name.span(),
            format!(
                "the handler has no argument `{name}`: add one, like \
                 `Path({name}): Path<String>`, or name one it has ({known})"
            ),
        ));
    }
    for argument in guarded.used_arguments(term) {
        if let Some(extractor) = body_extractor(&argument.ty) {
            ctxt.push(syn::Error::new_spanned(
                &argument.ty,
                format!(
                    "`{extractor}` reads the request body, but access checks run before the body \
                     is read: check it in the handler body instead, or use an argument extracted \
                     from the request head (`Path`, `Query`, `State`, headers)"
                ),
            ));
        }
    }
}

/// Axum's body extractors, by name. Anything else that is not a head
/// extractor still fails to compile, at the route, through the guard's bounds.
fn body_extractor(ty: &syn::Type) -> Option<String> {
    const BODY: [&str; 8] =
        ["Json", "Form", "Bytes", "String", "Request", "Body", "Multipart", "RawForm"];
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    BODY.contains(&last.ident.to_string().as_str()).then(|| last.ident.to_string())
}
