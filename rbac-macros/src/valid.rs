//! Checking the handler, and merging stacked attributes into one requirement.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, Pat};

use crate::ast::Handler;

use crate::attr::{self, Args, Attribute, Term};
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

/// Every problem with the handler's signature, combined into one error.
pub(crate) fn check_signature(attribute: Attribute, function: &Handler) -> Result<(), syn::Error> {
    let mut errors = Vec::new();
    let name = attribute.name();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("`#[{name}]` handlers must be `async fn`: write `async fn {}`", sig.ident),
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
                errors.push(syn::Error::new_spanned(
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
    combine(errors)
}

/// The requirement of this attribute AND every `requires*` attribute stacked
/// below it, which are removed from the function so only one guard is added.
pub(crate) fn merge_stacked(
    attribute: Attribute,
    own: Args,
    function: &mut Handler,
) -> Result<Args, syn::Error> {
    let mut errors = Vec::new();
    let mut terms: Vec<Term> = own.term.clone().into_iter().collect();
    // The policy of the first attribute that names roles or permissions; every
    // other such attribute must use the same one, an omitted policy meaning
    // the default `crate::policy`.
    let mut policy: Option<Option<syn::Path>> =
        own.term.as_ref().filter(|t| t.uses_policy()).map(|_| own.policy.clone());
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut function.attrs) {
        let Some(other) = Attribute::from_path(attr.path()) else {
            kept.push(attr);
            continue;
        };
        if let Some(conflict) = conflict(attribute, other, attr.path().span()) {
            // Left in place: it expands on its own after this error, so the
            // handler and its imports stay in use and nothing else is reported.
            errors.push(conflict);
            kept.push(attr);
            continue;
        }
        let tokens = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        match attr::parse(other, tokens) {
            Ok(args) => {
                let uses_policy = args.term.as_ref().is_some_and(Term::uses_policy);
                terms.extend(args.term);
                if !uses_policy {
                    continue;
                }
                match &policy {
                    None => policy = Some(args.policy),
                    Some(first) if same_policy(first.as_ref(), args.policy.as_ref()) => {}
                    Some(_) => errors.push(match args.policy {
                        Some(path) => syn::Error::new_spanned(path, different_policies()),
                        None => syn::Error::new(attr.path().span(), different_policies()),
                    }),
                }
            }
            Err(error) => errors.push(error),
        }
    }
    function.attrs = kept;
    combine(errors)?;
    let term = match terms.len() {
        0 => None,
        1 => terms.pop(),
        _ => Some(Term::All(terms)),
    };
    Ok(Args { term, policy: policy.flatten() })
}

fn different_policies() -> String {
    format!(
        "stacked attributes must check against the same policy; without `policy = ...` an \
         attribute uses `{DEFAULT_POLICY}`"
    )
}

/// Whether two `policy = ...` arguments (`None`: the default) name the same policy.
fn same_policy(a: Option<&syn::Path>, b: Option<&syn::Path>) -> bool {
    let name = |path: Option<&syn::Path>| {
        path.cloned().unwrap_or_else(default_policy).to_token_stream().to_string()
    };
    name(a) == name(b)
}

/// `#[authenticated]` with any other of our attributes is redundant.
fn conflict(this: Attribute, other: Attribute, other_span: Span) -> Option<syn::Error> {
    match (this, other) {
        (Attribute::Authenticated, Attribute::Authenticated) => {
            Some(syn::Error::new(other_span, "duplicate `#[authenticated]`: remove one"))
        }
        (Attribute::Authenticated, requires) => Some(syn::Error::new(
            // `#[authenticated]` is the attribute being expanded: point at it.
            Span::call_site(),
            format!(
                "remove `#[authenticated]`: `#[{}(...)]` on this handler already requires an \
                 authenticated, active user",
                requires.name()
            ),
        )),
        (requires, Attribute::Authenticated) => Some(syn::Error::new(
            other_span,
            format!(
                "remove `#[authenticated]`: `#[{}(...)]` already requires an authenticated, \
                 active user",
                requires.name()
            ),
        )),
        _ => None,
    }
}

/// A handler argument a check can use: its pattern, its type, the names it binds.
pub(crate) struct Argument<'a> {
    pub(crate) pattern: &'a Pat,
    pub(crate) ty: &'a syn::Type,
    names: Vec<&'a Ident>,
}

/// The handler arguments the requirement names, each once, in parameter
/// order; an error for each name no argument binds.
pub(crate) fn used_arguments<'a>(
    function: &'a Handler,
    term: &Term,
) -> Result<Vec<Argument<'a>>, syn::Error> {
    let arguments: Vec<Argument<'a>> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => {
                let mut names = Vec::new();
                bound_names(&typed.pat, &mut names);
                Some(Argument { pattern: &typed.pat, ty: &typed.ty, names })
            }
            FnArg::Receiver(_) => None,
        })
        .collect();
    let mut errors = Vec::new();
    let mut used = vec![false; arguments.len()];
    for name in term.arguments() {
        match arguments.iter().position(|argument| argument.names.contains(&name)) {
            Some(index) => used[index] = true,
            None => {
                let known: Vec<String> =
                    arguments.iter().flat_map(|a| &a.names).map(|n| format!("`{n}`")).collect();
                let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                errors.push(syn::Error::new(
                    name.span(),
                    format!(
                        "the handler has no argument `{name}`: add one, like \
                         `Path({name}): Path<String>`, or name one it has ({known})"
                    ),
                ));
            }
        }
    }
    for (argument, _) in arguments.iter().zip(&used).filter(|(_, used)| **used) {
        if let Some(extractor) = body_extractor(argument.ty) {
            errors.push(syn::Error::new_spanned(
                argument.ty,
                format!(
                    "`{extractor}` reads the request body, but access checks run before the body \
                     is read: check it in the handler body instead, or use an argument extracted \
                     from the request head (`Path`, `Query`, `State`, headers)"
                ),
            ));
        }
    }
    combine(errors)?;
    Ok(arguments
        .into_iter()
        .zip(used)
        .filter_map(|(argument, used)| used.then_some(argument))
        .collect())
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

fn bound_names<'a>(pattern: &'a Pat, names: &mut Vec<&'a Ident>) {
    match pattern {
        Pat::Ident(ident) => {
            names.push(&ident.ident);
            if let Some((_, sub)) = &ident.subpat {
                bound_names(sub, names);
            }
        }
        Pat::TupleStruct(tuple) => tuple.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Tuple(tuple) => tuple.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Struct(record) => record.fields.iter().for_each(|f| bound_names(&f.pat, names)),
        Pat::Reference(reference) => bound_names(&reference.pat, names),
        Pat::Paren(paren) => bound_names(&paren.pat, names),
        Pat::Type(typed) => bound_names(&typed.pat, names),
        Pat::Slice(slice) => slice.elems.iter().for_each(|p| bound_names(p, names)),
        _ => {}
    }
}

fn combine(errors: Vec<syn::Error>) -> Result<(), syn::Error> {
    let mut errors = errors.into_iter();
    let Some(mut first) = errors.next() else { return Ok(()) };
    first.extend(errors);
    Err(first)
}
