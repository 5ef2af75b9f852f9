//! `#[handlers]` on an `impl` block: guards its associated functions.
//!
//! An attribute on an associated fn cannot emit the marker type its guard
//! names, since an `impl` block holds no type definitions. This attribute
//! sees the whole block, so it expands each annotated fn in place and emits
//! the markers next to the block.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::{ImplItem, ItemImpl};

use crate::ast::{Attribute, Handler};
use crate::expand::guarded;

pub(crate) fn handlers(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[handlers]` goes on an `impl` block whose associated functions carry \
                 `#[requires_role(...)]` and the other rbac attributes",
            );
            let error = error.to_compile_error();
            return quote! { #item #error };
        }
    };
    let mut errors: Vec<syn::Error> = Vec::new();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(&args, "`#[handlers]` takes no arguments"));
    }
    if let Some((_, path, _)) = &block.trait_ {
        let error = syn::Error::new_spanned(
            path,
            "`#[handlers]` goes on an inherent `impl` block: axum handlers are plain functions, \
             not trait methods",
        )
        .to_compile_error();
        // Our attributes come off, so they report nothing more; the error
        // alone keeps the crate from compiling.
        for item in &mut block.items {
            if let ImplItem::Fn(method) = item {
                method.attrs.retain(|a| Attribute::from_path(a.path()).is_none());
            }
        }
        return quote! { #block #error };
    }
    let self_ty = block.self_ty.to_token_stream();
    let type_name = type_name(&block.self_ty);
    let mut support = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let Some(position) =
            method.attrs.iter().position(|a| Attribute::from_path(a.path()).is_some())
        else {
            continue;
        };
        let attribute = method.attrs.remove(position);
        let Some(kind) = Attribute::from_path(attribute.path()) else { continue };
        let tokens = match &attribute.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let mut function: Handler = match syn::parse2(method.to_token_stream()) {
            Ok(function) => function,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        // The markers live outside the block, where `Self` means nothing.
        for input in &mut function.sig.inputs {
            if let syn::FnArg::Typed(typed) = input {
                let ty = replace_self(typed.ty.to_token_stream(), &self_ty);
                if let Ok(ty) = syn::parse2(ty) {
                    *typed.ty = ty;
                }
            }
        }
        let marker = format_ident!("__rbac_requirement_{}_{}", type_name, function.sig.ident);
        match guarded(kind, tokens, function, marker) {
            (guarded, Ok(items)) => match syn::parse2(guarded.to_token_stream()) {
                Ok(guarded) => {
                    *method = guarded;
                    support.push(items);
                }
                Err(error) => errors.push(error),
            },
            (_, Err(error)) => {
                // Keep our attributes off the emitted fn: their errors are
                // reported, and one left on an associated fn would expand
                // on its own there, into errors about the expansion.
                method.attrs.retain(|a| Attribute::from_path(a.path()).is_none());
                errors.push(error);
            }
        }
    }
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {
        #block
        #(#support)*
        #(#errors)*
    }
}

/// The last path segment of the implementing type, for marker names.
fn type_name(ty: &syn::Type) -> syn::Ident {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| format_ident!("Impl"), |segment| segment.ident.clone()),
        _ => format_ident!("Impl"),
    }
}

fn replace_self(tokens: TokenStream, self_ty: &TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|token| match token {
            TokenTree::Ident(ident) if ident == "Self" => self_ty.clone().into_iter().collect(),
            TokenTree::Group(group) => {
                let mut replaced = proc_macro2::Group::new(
                    group.delimiter(),
                    replace_self(group.stream(), self_ty),
                );
                replaced.set_span(group.span());
                vec![TokenTree::Group(replaced)]
            }
            other => vec![other],
        })
        .collect()
}
