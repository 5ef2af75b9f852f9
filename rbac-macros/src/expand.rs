//! Generating the guarded handler.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{FnArg, LitStr};

use crate::ast::{Argument, Attribute, Guarded, Handler, InScope, Name, Term};
use crate::attr;
use crate::ctxt::Ctxt;
use crate::symbol::{Kind, default_policy};
use crate::valid;

/// Expands one attribute (and those stacked below it). On error, the function
/// is emitted next to the errors, minus the attributes whose errors are
/// already reported, so it still exists for the rest of the crate and one
/// mistake does not cascade.
pub(crate) fn guard(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<Handler>(item.clone()) {
        Ok(function) => function,
        Err(parse_error) => {
            // Not a function, or not one we can read: never emit it unguarded
            // without an error.
            let error = match syn::parse2::<syn::Item>(item.clone()) {
                Ok(other) => valid::not_a_handler(attribute, &other),
                Err(_) => parse_error,
            };
            let args = attr::parse(attribute, args).err();
            let errors = args.into_iter().chain([error]).map(|e| e.to_compile_error());
            return quote! { #item #(#errors)* };
        }
    };
    let marker = format_ident!("__rbac_requirement_{}", function.sig.ident);
    match guarded(attribute, args, function, marker) {
        (guarded, Ok(support)) => quote! { #support #guarded },
        (function, Err(error)) => {
            let error = error.to_compile_error();
            quote! { #function #error }
        }
    }
}

/// The phases, in order: read the attribute, those stacked below it and the
/// handler into one model; check the model, collecting every error; and
/// only from a valid model generate the handler with its guard parameter,
/// and the marker `marker` with its support items. On error, the handler
/// comes back unguarded, without the stacked attributes already reported,
/// with the errors.
pub(crate) fn guarded(
    attribute: Attribute,
    args: TokenStream,
    function: Handler,
    marker: syn::Ident,
) -> (Handler, syn::Result<TokenStream>) {
    let mut ctxt = Ctxt::default();
    let guarded = Guarded::from_syn(&mut ctxt, attribute, args, function);
    valid::validate(&mut ctxt, &guarded);
    match ctxt.check() {
        Ok(()) => {
            let (support, function) = expand(&guarded, marker);
            (function, Ok(support))
        }
        Err(error) => (guarded.function, Err(error)),
    }
}

/// Names used inside generated code, with `mixed_site` hygiene so the
/// handler's own argument names can neither see nor shadow them.
fn hidden(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

fn expand(guarded: &Guarded, marker: syn::Ident) -> (TokenStream, Handler) {
    if guarded.attribute == Attribute::Public {
        return public(&guarded.function, &marker);
    }
    let function = &guarded.function;
    let vis = &function.vis;
    let handler = function.sig.ident.to_string();
    let term = guarded.term();
    // Validation made every requirement that uses a policy name the same one.
    let policy = guarded.policies().next().map(|(_, policy)| match policy {
        Some(path) => path.to_token_stream(),
        None => default_policy().to_token_stream(),
    });
    let policy_name = match &policy {
        Some(path) => {
            let name = path.to_string().replace(' ', "");
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let requires = term.as_ref().map_or_else(|| quote!(::rbac_core::Requires::Authenticated), data);
    let names = Names {
        user: hidden("__rbac_user"),
        grants: hidden("__rbac_grants"),
        claims: hidden("__rbac_claims"),
        assignments: hidden("__rbac_assignments"),
    };
    let (user, grants, claims) = (&names.user, &names.grants, &names.claims);
    let decision = term.as_ref().map_or_else(
        || quote!(::core::result::Result::Ok(())),
        |term| decision(term, policy.as_ref(), &names),
    );
    let compute_grants = policy.as_ref().map(|policy| {
        quote! { let #grants = <#policy::Policy as ::rbac_core::AccessPolicy>::grants(#user); }
    });
    let annotated = quote! {
        impl ::rbac_core::__private::Annotated for #marker {
            const REQUIREMENTS: ::rbac_core::HandlerRequirements = ::rbac_core::HandlerRequirements {
                handler: #handler,
                policy: #policy_name,
                requires: #requires,
            };
        }
    };
    let arguments: Vec<&Argument> = match &term {
        Some(term) => guarded.used_arguments(term).collect(),
        None => Vec::new(),
    };
    let dynamic = term.as_ref().is_some_and(Term::needs_request);
    let reads_assignments = term.as_ref().is_some_and(Term::reads_assignments);
    let support = if !dynamic {
        quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #vis enum #marker {}

            #annotated

            impl ::rbac_core::__private::Requirement for #marker {
                #[inline]
                fn decide(
                    #user: &::rbac_core::User,
                    #claims: &::rbac_core::Claims,
                ) -> ::core::result::Result<(), ::rbac_core::AuthError> {
                    #compute_grants
                    #decision
                }
            }
        }
    } else {
        let guard = DynamicGuard { arguments: &arguments, compute_grants, reads_assignments };
        dynamic_guard(&marker, vis, &annotated, guard, &decision)
    };
    let guard_type = if !dynamic {
        quote!(::rbac_core::__private::Guard<#marker>)
    } else {
        quote!(::rbac_core::__private::CheckedGuard<#marker>)
    };
    let mut function = function.clone();
    let guard: FnArg = syn::parse_quote_spanned! {Span::call_site()=> _: #guard_type };
    function.sig.inputs.insert(0, guard);
    (support, function)
}

/// `#[public]`: the marker says so as data, and the extractor prepended
/// checks nothing (it does not even read the `Authorization` header), but it
/// names the marker, so the handler is known to be open on purpose.
fn public(function: &Handler, marker: &syn::Ident) -> (TokenStream, Handler) {
    let vis = &function.vis;
    let handler = function.sig.ident.to_string();
    let support = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis enum #marker {}

        impl ::rbac_core::__private::Annotated for #marker {
            const REQUIREMENTS: ::rbac_core::HandlerRequirements = ::rbac_core::HandlerRequirements {
                handler: #handler,
                policy: ::core::option::Option::None,
                requires: ::rbac_core::Requires::Public,
            };
        }
    };
    let mut function = function.clone();
    let route: FnArg = syn::parse_quote_spanned! {Span::call_site()=>
        _: ::rbac_core::__private::PublicRoute<#marker>
    };
    function.sig.inputs.insert(0, route);
    (support, function)
}

/// What a [`dynamic_guard`] computes before deciding.
struct DynamicGuard<'a> {
    arguments: &'a [&'a Argument],
    compute_grants: Option<TokenStream>,
    /// The user's scoped role assignments are looked up (once).
    reads_assignments: bool,
}

/// A guard that extracts the handler arguments its check names (from the
/// request head only, so the body stays unread) and evaluates the check.
fn dynamic_guard(
    marker: &syn::Ident,
    vis: &syn::Visibility,
    annotated: &TokenStream,
    guard: DynamicGuard<'_>,
    decision: &TokenStream,
) -> TokenStream {
    let DynamicGuard { arguments, compute_grants, reads_assignments } = guard;
    let (parts, state, auth, user, claims, assignments) = (
        hidden("__rbac_parts"),
        hidden("__rbac_state"),
        hidden("__rbac_auth"),
        hidden("__rbac_user"),
        hidden("__rbac_claims"),
        hidden("__rbac_assignments"),
    );
    let private = quote!(::rbac_core::__private);
    let bounds = arguments.iter().map(|argument| {
        let ty = &argument.ty;
        quote_spanned!(ty_span(ty)=> #ty: #private::CheckArgument<__RbacState>)
    });
    let extractions = arguments.iter().map(|argument| {
        let (pattern, ty) = (&argument.pattern, &argument.ty);
        quote_spanned! {ty_span(ty)=>
            #[allow(unused_variables)]
            let #pattern: #ty = <#ty as #private::CheckArgument<__RbacState>>::extract(#parts, #state)
                .await
                .map_err(#private::axum::response::IntoResponse::into_response)?;
        }
    });
    // After the arguments, so a malformed one is refused before the store is asked.
    let fetch_assignments = reads_assignments.then(|| {
        quote! {
            let #assignments = #private::scoped_roles(&#auth, #parts, #user)
                .await
                .map_err(#private::axum::response::IntoResponse::into_response)?;
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis enum #marker {}

        #annotated

        impl<__RbacState> #private::ArgumentCheck<__RbacState> for #marker
        where
            __RbacState: #private::AuthState,
            #(#bounds,)*
        {
            async fn check(
                #parts: &mut #private::axum::http::request::Parts,
                #state: &__RbacState,
            ) -> ::core::result::Result<(), #private::axum::response::Response> {
                let (#auth, #user, #claims) = #private::authenticate(#parts, #state)
                    .await
                    .map_err(#private::axum::response::IntoResponse::into_response)?;
                let #user: &::rbac_core::User = &#user;
                let #claims: &::rbac_core::Claims = &#claims;
                #compute_grants
                #(#extractions)*
                #fetch_assignments
                let decision: ::core::result::Result<(), ::rbac_core::AuthError> = #decision;
                decision.map_err(|error| {
                    #private::axum::response::IntoResponse::into_response(
                        #private::deny::<Self>(&#auth, #parts, #user, error),
                    )
                })
            }
        }
    }
}

fn ty_span(ty: &syn::Type) -> Span {
    syn::spanned::Spanned::span(ty)
}

/// The hidden names the generated checks read.
struct Names {
    user: syn::Ident,
    grants: syn::Ident,
    claims: syn::Ident,
    assignments: syn::Ident,
}

/// `Ok(())`, or the refusal: insufficient scope when the requirement would
/// hold with every scope granted, plain 403 otherwise.
fn decision(term: &Term, policy: Option<&TokenStream>, names: &Names) -> TokenStream {
    let private = quote!(::rbac_core::__private);
    let holds = predicate(term, policy, names, Mode::AsIs);
    let scopes = term.scopes();
    let refusal = if scopes.is_empty() {
        quote!(::rbac_core::AuthError::Forbidden)
    } else {
        let holds_without_scopes =
            predicate(term, policy, names, Mode::RequiredScopesHeld { positive: true });
        let scopes = scopes.join(" ");
        quote!(#private::refusal(#holds_without_scopes, #scopes))
    };
    quote! {
        if #holds {
            ::core::result::Result::Ok(())
        } else {
            ::core::result::Result::Err(#refusal)
        }
    }
}

/// How [`predicate`] reads scopes.
#[derive(Clone, Copy)]
enum Mode {
    /// As the token says.
    AsIs,
    /// For choosing the refusal: would the requirement hold if the token had
    /// every scope it asks for? Scopes in positive position count as held;
    /// those under `not(...)` are read as they are. `check(...)` is not run
    /// again: it counts as failing (the plain 403 is the safe answer).
    RequiredScopesHeld { positive: bool },
}

/// The requirement as a boolean expression over the user's grants and the
/// token's scopes.
///
/// Leaves are bare expressions and combinators parenthesize their operands,
/// so no parentheses end up where rustc's `unused_parens` would flag them in
/// the user's crate (the `owner(...)` leaf carries the user's span).
fn predicate(term: &Term, policy: Option<&TokenStream>, names: &Names, mode: Mode) -> TokenStream {
    let Names { user, grants, claims, .. } = names;
    let recurse = |term: &Term| predicate(term, policy, names, mode);
    match term {
        Term::Role(Name::Literal(name)) => {
            let lookup = name_lookup(policy, Kind::Role, name);
            quote!(#grants.roles & #lookup != 0)
        }
        Term::Role(Name::Constant(path)) => {
            let span = syn::spanned::Spanned::span(path);
            quote_spanned!(span=> #grants.roles & ::rbac_core::__private::role_bit(#path) != 0)
        }
        Term::Permission(Name::Literal(name)) => {
            let lookup = name_lookup(policy, Kind::Permission, name);
            quote!(#grants.permissions & #lookup != 0)
        }
        Term::Permission(Name::Constant(path)) => {
            let span = syn::spanned::Spanned::span(path);
            quote_spanned!(span=> #grants.permissions & ::rbac_core::__private::permission_bit(#path) != 0)
        }
        Term::RoleIn(name, scope) => {
            let grants_in = grants_in(policy, names, scope);
            let bit = bit_of(policy, Kind::Role, name);
            quote!(#grants_in.roles & #bit != 0)
        }
        Term::PermissionIn(name, scope) => {
            let grants_in = grants_in(policy, names, scope);
            let bit = bit_of(policy, Kind::Permission, name);
            quote!(#grants_in.permissions & #bit != 0)
        }
        Term::Scope(_) if matches!(mode, Mode::RequiredScopesHeld { positive: true }) => {
            quote!(true)
        }
        Term::Scope(name) => {
            // Scopes are the policy's permission names: the lookup makes a
            // typo a compile error; the check reads the token.
            let lookup = name_lookup(policy, Kind::Scope, name);
            quote!(#lookup != 0 && #claims.has_scope(#name))
        }
        Term::Any(terms) => {
            let terms = terms.iter().map(recurse);
            quote!(false #(|| (#terms))*)
        }
        Term::All(terms) => {
            let terms = terms.iter().map(recurse);
            quote!(true #(&& (#terms))*)
        }
        Term::Not(term) => {
            let flipped = match mode {
                Mode::AsIs => Mode::AsIs,
                Mode::RequiredScopesHeld { positive } => {
                    Mode::RequiredScopesHeld { positive: !positive }
                }
            };
            let term = predicate(term, policy, names, flipped);
            quote!(!(#term))
        }
        Term::Owner(argument) => {
            quote_spanned!(argument.span()=> ::rbac_core::__private::OwnerArgument::is_username(&#argument, &#user.username))
        }
        // Pessimistic, so that the whole requirement comes out false: never
        // "only a scope is missing" on the strength of a check not re-run.
        Term::Check(..) if let Mode::RequiredScopesHeld { positive } = mode => {
            if positive {
                quote!(false)
            } else {
                quote!(true)
            }
        }
        Term::Check(call, arguments) => {
            let function = &call.func;
            quote_spanned!(syn::spanned::Spanned::span(call)=> #function(#user, #(&#arguments),*).await)
        }
    }
}

/// What the user holds in the scope `scope` names: `rbac_core::grants_in`
/// over the assignments the guard looked up. The domain goes through the
/// policy's `domain!` lookup, so an undeclared one is a compile error.
fn grants_in(policy: Option<&TokenStream>, names: &Names, scope: &InScope) -> TokenStream {
    let policy = policy.cloned().unwrap_or_else(|| default_policy().to_token_stream());
    let Names { grants, assignments, .. } = names;
    let InScope { domain, argument } = scope;
    let lookup = Kind::Domain.lookup_macro(domain.span());
    let domain = quote_spanned!(domain.span()=> #policy::#lookup!(#domain));
    let scope_id = quote_spanned!(argument.span()=> &::rbac_core::ScopeId::scope_id(&#argument));
    quote! {
        ::rbac_core::grants_in::<#policy::Policy>(#grants, &#assignments, #domain, #scope_id)
    }
}

/// A role's or permission's bit: through the policy's lookup for a name,
/// from the typed constant otherwise.
fn bit_of(policy: Option<&TokenStream>, kind: Kind, name: &Name) -> TokenStream {
    match name {
        Name::Literal(literal) => name_lookup(policy, kind, literal),
        Name::Constant(path) => {
            let span = syn::spanned::Spanned::span(path);
            let function = match kind {
                Kind::Role => quote!(role_bit),
                _ => quote!(permission_bit),
            };
            quote_spanned!(span=> ::rbac_core::__private::#function(#path))
        }
    }
}

/// `policy::role!("name")`: expands to the name's bit, or to a compile error
/// at the literal naming the closest declared name.
fn name_lookup(policy: Option<&TokenStream>, kind: Kind, name: &LitStr) -> TokenStream {
    let policy = policy.cloned().unwrap_or_else(|| default_policy().to_token_stream());
    let macro_name = kind.lookup_macro(name.span());
    // A plain literal, so `r"admin"` and `"admin"` match the same arm.
    let literal = LitStr::new(&name.value(), name.span());
    quote_spanned!(name.span()=> #policy::#macro_name!(#literal))
}

/// The requirement as `::rbac_core::Requires` data.
fn data(term: &Term) -> TokenStream {
    let requires = quote!(::rbac_core::Requires);
    match term {
        Term::Role(Name::Literal(name)) => quote!(#requires::Role(#name)),
        Term::Role(Name::Constant(path)) => {
            quote!(#requires::Role(::rbac_core::__private::role_name(#path)))
        }
        Term::Permission(Name::Literal(name)) => quote!(#requires::Permission(#name)),
        Term::Permission(Name::Constant(path)) => {
            quote!(#requires::Permission(::rbac_core::__private::permission_name(#path)))
        }
        Term::Scope(name) => quote!(#requires::Scope(#name)),
        Term::RoleIn(name, scope) => {
            let (name, scope) = (name_data(name, Kind::Role), in_scope_data(scope));
            quote!(#requires::RoleIn(#name, #scope))
        }
        Term::PermissionIn(name, scope) => {
            let (name, scope) = (name_data(name, Kind::Permission), in_scope_data(scope));
            quote!(#requires::PermissionIn(#name, #scope))
        }
        Term::Any(terms) => {
            let terms = terms.iter().map(data);
            quote!(#requires::Any(&[#(#terms),*]))
        }
        Term::All(terms) => {
            let terms = terms.iter().map(data);
            quote!(#requires::All(&[#(#terms),*]))
        }
        Term::Not(term) => {
            let term = data(term);
            quote!(#requires::Not(&#term))
        }
        Term::Owner(argument) => {
            let argument = argument.to_string();
            quote!(#requires::Owner(#argument))
        }
        Term::Check(call, _) => {
            let call = call.to_token_stream().to_string();
            quote!(#requires::Check(#call))
        }
    }
}

/// A role's or permission's name, as `&'static str` data.
fn name_data(name: &Name, kind: Kind) -> TokenStream {
    match (name, kind) {
        (Name::Literal(literal), _) => literal.to_token_stream(),
        (Name::Constant(path), Kind::Role) => quote!(::rbac_core::__private::role_name(#path)),
        (Name::Constant(path), _) => quote!(::rbac_core::__private::permission_name(#path)),
    }
}

fn in_scope_data(scope: &InScope) -> TokenStream {
    let domain = scope.domain.value();
    let argument = scope.argument.to_string();
    quote!(::rbac_core::InScope { domain: #domain, argument: #argument })
}

/// `requirements_of!(path::to::handler)`.
pub(crate) fn requirements_of(input: TokenStream) -> TokenStream {
    let mut path: syn::Path = match syn::parse2(input) {
        Ok(path) => path,
        Err(error) => return error.to_compile_error(),
    };
    let Some(last) = path.segments.last_mut() else {
        return syn::Error::new(Span::call_site(), "expected a handler path").to_compile_error();
    };
    last.ident = format_ident!("__rbac_requirement_{}", last.ident, span = last.ident.span());
    quote!(<#path as ::rbac_core::__private::Annotated>::REQUIREMENTS)
}
