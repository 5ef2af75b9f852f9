//! The model the phases share: what `from_syn` reads from the attribute and
//! the item, what `valid` checks, and what `expand` generates code from.
//!
//! The handler's body stays an opaque token group, so syntax `syn` does not
//! know yet can never make the macro give up on (and so drop) the guard.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{ExprCall, FnArg, Ident, LitStr, Pat, Signature, Visibility};

use crate::attr::{self, Args};
use crate::ctxt::Ctxt;
use crate::symbol::OUR_CRATES;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// `#[public]`: no requirement at all, deliberately.
    Public,
    Authenticated,
    RequiresRole,
    RequiresPermission,
    RequiresScope,
    Requires,
}

impl Attribute {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Authenticated => "authenticated",
            Self::RequiresRole => "requires_role",
            Self::RequiresPermission => "requires_permission",
            Self::RequiresScope => "requires_scope",
            Self::Requires => "requires",
        }
    }

    /// Whether `other`, stacked below this one, merges into one guard with
    /// it. `#[authenticated]` is implied by every other attribute, so next
    /// to one of ours it is redundant, and reported as such. `#[public]`
    /// contradicts every other attribute, so it merges with none.
    pub(crate) fn merges_with(self, other: Self) -> bool {
        let alone = [Self::Authenticated, Self::Public];
        !alone.contains(&self) && !alone.contains(&other)
    }

    /// How messages spell it: `#[public]`, `#[requires_role(...)]`.
    pub(crate) fn spelled(self) -> String {
        match self {
            Self::Public | Self::Authenticated => format!("`#[{}]`", self.name()),
            _ => format!("`#[{}(...)]`", self.name()),
        }
    }

    /// Recognises our attributes by their own paths: the bare name, as
    /// imported (`#[requires_role]`), or through our crates
    /// (`#[rbac_core::requires_role]`, `#[::rbac_core::requires_role]`).
    /// Another path ending in one of our names (`#[diagnostic::requires]`,
    /// `#[other::requires_role]`) may be anyone's attribute: it is left alone,
    /// since swallowing it would drop what it does and check what it says.
    pub(crate) fn from_path(path: &syn::Path) -> Option<Self> {
        let last = path.segments.last()?;
        let ours = match path.segments.len() {
            1 => path.leading_colon.is_none(),
            2 => OUR_CRATES.iter().any(|krate| path.segments[0].ident == krate),
            _ => false,
        };
        if !ours || path.segments.iter().any(|segment| !segment.arguments.is_none()) {
            return None;
        }
        [
            Self::Public,
            Self::Authenticated,
            Self::RequiresRole,
            Self::RequiresPermission,
            Self::RequiresScope,
            Self::Requires,
        ]
        .into_iter()
        .find(|attribute| last.ident == attribute.name())
    }
}

/// A role or permission, as written: its name, or the typed constant that
/// `policy!` generates for it (`policy::roles::ADMIN`).
#[derive(Clone)]
pub(crate) enum Name {
    Literal(LitStr),
    Constant(syn::Path),
}

impl ToTokens for Name {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Self::Literal(literal) => literal.to_tokens(tokens),
            Self::Constant(path) => path.to_tokens(tokens),
        }
    }
}

impl Name {
    /// The policy a constant belongs to: its path without `roles::NAME`.
    pub(crate) fn constant_policy(&self) -> Option<syn::Path> {
        let Self::Constant(path) = self else { return None };
        let mut policy = path.clone();
        policy.segments.pop();
        policy.segments.pop();
        let last = policy.segments.pop()?.into_value();
        policy.segments.push(last);
        Some(policy)
    }
}

/// `in = org_id` or `in = org(id)`: the domain a scoped requirement looks
/// in, and the handler argument naming the scope.
#[derive(Clone)]
pub(crate) struct InScope {
    /// The domain's name, spanned at where it was written (or inferred).
    pub(crate) domain: LitStr,
    pub(crate) argument: Ident,
}

/// A requirement, as written.
#[derive(Clone)]
pub(crate) enum Term {
    Role(Name),
    Permission(Name),
    /// A role held within the scope `InScope` names.
    RoleIn(Name, InScope),
    /// A permission granted by a role held within the scope `InScope` names.
    PermissionIn(Name, InScope),
    /// An OAuth2 scope the token must carry (a permission name of the policy).
    Scope(LitStr),
    Any(Vec<Term>),
    All(Vec<Term>),
    Not(Box<Term>),
    /// The handler argument bound to this name equals the user's username.
    Owner(Ident),
    /// `function(arg, ...)`: awaited with the user and the named arguments.
    Check(ExprCall, Vec<Ident>),
}

impl Term {
    pub(crate) fn uses_policy(&self) -> bool {
        match self {
            Self::Role(_) | Self::Permission(_) | Self::Scope(_) => true,
            Self::RoleIn(..) | Self::PermissionIn(..) => true,
            Self::Any(terms) | Self::All(terms) => terms.iter().any(Term::uses_policy),
            Self::Not(term) => term.uses_policy(),
            Self::Owner(_) | Self::Check(..) => false,
        }
    }

    /// Whether evaluating it needs more than the user: handler arguments, or
    /// an `async` check (even one taking no arguments).
    pub(crate) fn needs_request(&self) -> bool {
        match self {
            Self::Role(_) | Self::Permission(_) | Self::Scope(_) => false,
            Self::Any(terms) | Self::All(terms) => terms.iter().any(Term::needs_request),
            Self::Not(term) => term.needs_request(),
            Self::Owner(_) | Self::Check(..) | Self::RoleIn(..) | Self::PermissionIn(..) => true,
        }
    }

    /// Whether it reads the user's scoped role assignments.
    pub(crate) fn reads_assignments(&self) -> bool {
        match self {
            Self::RoleIn(..) | Self::PermissionIn(..) => true,
            Self::Any(terms) | Self::All(terms) => terms.iter().any(Term::reads_assignments),
            Self::Not(term) => term.reads_assignments(),
            _ => false,
        }
    }

    /// The handler arguments the requirement reads, in order of appearance.
    pub(crate) fn arguments(&self) -> Vec<&Ident> {
        match self {
            Self::Role(_) | Self::Permission(_) | Self::Scope(_) => Vec::new(),
            Self::Any(terms) | Self::All(terms) => terms.iter().flat_map(Term::arguments).collect(),
            Self::Not(term) => term.arguments(),
            Self::Owner(argument) => vec![argument],
            Self::RoleIn(_, scope) | Self::PermissionIn(_, scope) => vec![&scope.argument],
            Self::Check(_, arguments) => arguments.iter().collect(),
        }
    }

    /// The policies named by typed constants, with each constant.
    pub(crate) fn constant_policies(&self) -> Vec<(&Name, syn::Path)> {
        match self {
            Self::Role(name)
            | Self::Permission(name)
            | Self::RoleIn(name, _)
            | Self::PermissionIn(name, _) => {
                name.constant_policy().map(|policy| (name, policy)).into_iter().collect()
            }
            Self::Any(terms) | Self::All(terms) => {
                terms.iter().flat_map(Term::constant_policies).collect()
            }
            Self::Not(term) => term.constant_policies(),
            Self::Scope(_) | Self::Owner(_) | Self::Check(..) => Vec::new(),
        }
    }

    /// The scopes the requirement asks the token for (not those it forbids
    /// under `not(...)`), in order, without repeats.
    pub(crate) fn scopes(&self) -> Vec<String> {
        let mut scopes = Vec::new();
        self.collect_scopes(&mut scopes, true);
        scopes
    }

    fn collect_scopes(&self, scopes: &mut Vec<String>, positive: bool) {
        match self {
            Self::Scope(name) if positive && !scopes.contains(&name.value()) => {
                scopes.push(name.value());
            }
            Self::Any(terms) | Self::All(terms) => {
                terms.iter().for_each(|term| term.collect_scopes(scopes, positive));
            }
            Self::Not(term) => term.collect_scopes(scopes, !positive),
            _ => {}
        }
    }
}

/// One attribute expanded, with everything it applies to: its own
/// requirement, those of the attributes stacked below it, and the handler.
pub(crate) struct Guarded {
    pub(crate) attribute: Attribute,
    /// The handler without the stacked attributes merged into this one.
    pub(crate) function: Handler,
    /// The arguments of this attribute, then of each stacked one, in order;
    /// those that did not parse are left out (their errors are collected).
    pub(crate) requirements: Vec<Requirement>,
    /// Our attributes stacked here that do not merge with this one (with
    /// `#[authenticated]` or `#[public]`): left on `function`, to expand on
    /// their own.
    pub(crate) unmerged: Vec<(Attribute, Span)>,
    /// Every typed argument of the handler, in order.
    pub(crate) arguments: Vec<Argument>,
}

/// One attribute's requirement, and where to point about its policy.
pub(crate) struct Requirement {
    pub(crate) args: Args,
    /// The stacked attribute's path; `None` for the attribute expanded.
    pub(crate) stacked: Option<Span>,
}

/// A handler argument a check can use: its pattern, its type, the names it binds.
pub(crate) struct Argument {
    pub(crate) pattern: Pat,
    pub(crate) ty: syn::Type,
    pub(crate) names: Vec<Ident>,
}

impl Guarded {
    /// Reads `attribute(args)` on `function`, and every one of our attributes
    /// stacked below it, which are taken off the function so that only one
    /// guard is added.
    pub(crate) fn from_syn(
        ctxt: &mut Ctxt,
        attribute: Attribute,
        args: TokenStream,
        mut function: Handler,
    ) -> Self {
        let mut requirements: Vec<Requirement> = ctxt
            .ok(attr::parse(attribute, args))
            .map(|args| Requirement { args, stacked: None })
            .into_iter()
            .collect();
        let mut unmerged = Vec::new();
        let mut kept = Vec::new();
        for attr in std::mem::take(&mut function.attrs) {
            let Some(other) = Attribute::from_path(attr.path()) else {
                kept.push(attr);
                continue;
            };
            let span = attr.path().span();
            if !attribute.merges_with(other) {
                unmerged.push((other, span));
                kept.push(attr);
                continue;
            }
            let tokens = match &attr.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                _ => TokenStream::new(),
            };
            if let Some(args) = ctxt.ok(attr::parse(other, tokens)) {
                requirements.push(Requirement { args, stacked: Some(span) });
            }
        }
        function.attrs = kept;
        let arguments = function
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => {
                    let mut names = Vec::new();
                    bound_names(&typed.pat, &mut names);
                    Some(Argument { pattern: (*typed.pat).clone(), ty: (*typed.ty).clone(), names })
                }
                FnArg::Receiver(_) => None,
            })
            .collect();
        Self { attribute, function, requirements, unmerged, arguments }
    }

    /// The requirement of every merged attribute: all of them must hold.
    pub(crate) fn term(&self) -> Option<Term> {
        let mut terms: Vec<Term> =
            self.requirements.iter().filter_map(|r| r.args.term.clone()).collect();
        match terms.len() {
            0 => None,
            1 => terms.pop(),
            _ => Some(Term::All(terms)),
        }
    }

    /// The requirements that name roles, permissions or scopes, each with the
    /// policy it names (`None`: the default). Valid stacks name one.
    pub(crate) fn policies(&self) -> impl Iterator<Item = (&Requirement, Option<&syn::Path>)> {
        self.requirements
            .iter()
            .filter(|r| r.args.term.as_ref().is_some_and(Term::uses_policy))
            .map(|r| (r, r.args.policy.as_ref()))
    }
}

impl Guarded {
    /// The handler arguments `term` names, each once, in parameter order.
    pub(crate) fn used_arguments<'a>(&'a self, term: &Term) -> impl Iterator<Item = &'a Argument> {
        let names: Vec<Ident> = term.arguments().into_iter().cloned().collect();
        self.arguments
            .iter()
            .filter(move |argument| names.iter().any(|name| argument.names.contains(name)))
    }
}

fn bound_names(pattern: &Pat, names: &mut Vec<Ident>) {
    match pattern {
        Pat::Ident(ident) => {
            names.push(ident.ident.clone());
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

#[derive(Clone)]
pub(crate) struct Handler {
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Group,
}

impl Parse for Handler {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body: Group = input.parse()?;
        if body.delimiter() != Delimiter::Brace {
            return Err(syn::Error::new(body.span(), "expected the function body"));
        }
        Ok(Self { attrs, vis, sig, body })
    }
}

impl ToTokens for Handler {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::Attribute;

    fn recognised(path: syn::Path) -> Option<&'static str> {
        Attribute::from_path(&path).map(Attribute::name)
    }

    #[test]
    fn our_attributes_by_their_own_paths() {
        assert_eq!(recognised(syn::parse_quote!(requires_role)), Some("requires_role"));
        assert_eq!(recognised(syn::parse_quote!(requires)), Some("requires"));
        assert_eq!(recognised(syn::parse_quote!(public)), Some("public"));
        assert_eq!(recognised(syn::parse_quote!(rbac_core::public)), Some("public"));
        assert_eq!(recognised(syn::parse_quote!(rbac_core::authenticated)), Some("authenticated"));
        assert_eq!(
            recognised(syn::parse_quote!(::rbac_core::requires_scope)),
            Some("requires_scope")
        );
        assert_eq!(
            recognised(syn::parse_quote!(rbac_macros::requires_permission)),
            Some("requires_permission")
        );
    }

    #[test]
    fn other_paths_ending_in_our_names_are_left_alone() {
        assert_eq!(recognised(syn::parse_quote!(x::requires)), None);
        assert_eq!(recognised(syn::parse_quote!(diagnostic::requires_role)), None);
        assert_eq!(recognised(syn::parse_quote!(other::rbac_core::requires_role)), None);
        assert_eq!(recognised(syn::parse_quote!(::requires_role)), None);
        assert_eq!(recognised(syn::parse_quote!(rbac_core::other::requires_role)), None);
        assert_eq!(recognised(syn::parse_quote!(rbac_core::handlers)), None);
        assert_eq!(recognised(syn::parse_quote!(requires_roles)), None);
        assert_eq!(recognised(syn::parse_quote!(other::public)), None);
    }
}
