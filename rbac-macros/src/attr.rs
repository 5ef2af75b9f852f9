//! Parsing the attributes' arguments into a requirement tree.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprCall, Ident, Lit, LitStr, Token, parenthesized};

use crate::ast::{Attribute, InScope, Name, Term};
use crate::symbol::{Kind, PERMISSIONS, POLICY_ARGUMENT, ROLES, Word};

/// One attribute's arguments.
pub(crate) struct Args {
    /// `None` for `#[authenticated]` and `#[public]`.
    pub(crate) term: Option<Term>,
    /// `policy = path`, when given.
    pub(crate) policy: Option<syn::Path>,
}

/// How a bare string literal reads in this attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    /// `#[requires_role("admin")]`: every name is of this kind.
    Bare(Kind),
    /// `#[requires]`: leaves are spelled out (`role("...")`, `permission("...")`...).
    Explicit,
}

pub(crate) fn parse(attribute: Attribute, args: TokenStream) -> syn::Result<Args> {
    let leaf = match attribute {
        Attribute::Authenticated | Attribute::Public => {
            let parse = |input: ParseStream<'_>| parse_no_args(input, attribute);
            return Parser::parse2(parse, args).map(|()| Args { term: None, policy: None });
        }
        Attribute::RequiresRole => Leaf::Bare(Kind::Role),
        Attribute::RequiresPermission => Leaf::Bare(Kind::Permission),
        Attribute::RequiresScope => Leaf::Bare(Kind::Scope),
        Attribute::Requires => Leaf::Explicit,
    };
    Parser::parse2(|input: ParseStream<'_>| parse_requirement(input, attribute, leaf), args)
}

fn parse_no_args(input: ParseStream<'_>, attribute: Attribute) -> syn::Result<()> {
    if input.is_empty() {
        return Ok(());
    }
    let name = attribute.name();
    if input.peek(LitStr) {
        let role: LitStr = input.parse()?;
        let message = match attribute {
            Attribute::Public => format!(
                "`#[public]` takes no arguments: a public handler requires nothing; to require \
                 a role instead, replace it with `#[requires_role({})]`",
                role.token()
            ),
            _ => format!(
                "`#[{name}]` takes no arguments; to require a role, \
                 write `#[requires_role({})]` instead",
                role.token()
            ),
        };
        return Err(syn::Error::new(role.span(), message));
    }
    let unknown: proc_macro2::TokenTree = input.parse()?;
    let hint = match attribute {
        Attribute::Public => ": write `#[public]` alone",
        _ => "",
    };
    Err(syn::Error::new(
        unknown.span(),
        format!("unknown argument `{unknown}`: `#[{name}]` takes no arguments{hint}"),
    ))
}

fn example(attribute: Attribute) -> &'static str {
    match attribute {
        Attribute::RequiresPermission => "`#[requires_permission(\"posts:write\")]`",
        Attribute::RequiresScope => "`#[requires_scope(\"posts:write\")]`",
        Attribute::Requires => "`#[requires(role(\"admin\"))]`",
        _ => "`#[requires_role(\"admin\")]`",
    }
}

fn parse_requirement(
    input: ParseStream<'_>,
    attribute: Attribute,
    leaf: Leaf,
) -> syn::Result<Args> {
    let name = attribute.name();
    if input.is_empty() {
        let what = match leaf {
            Leaf::Bare(kind) => kind.word(),
            Leaf::Explicit => Kind::Role.word(),
        };
        return Err(syn::Error::new(
            Span::call_site(),
            format!("`#[{name}]` needs a {what}: write {}", example(attribute)),
        ));
    }
    if input.peek(Ident) && input.peek2(Token![=]) {
        return Err(unknown_argument(attribute, input.parse()?));
    }
    let mut term = parse_term(input, attribute, leaf)?;
    let mut policy = None;
    let mut in_scope = None;
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        if input.peek(Token![in]) {
            if in_scope.is_some() {
                let repeated: Token![in] = input.parse()?;
                return Err(syn::Error::new(repeated.span, "`in = ...` is given twice"));
            }
            in_scope = Some(parse_in_scope(input)?);
            continue;
        }
        if input.peek(Ident) && input.peek2(Token![=]) {
            let key: Ident = input.parse()?;
            if key != POLICY_ARGUMENT || policy.is_some() {
                return Err(unknown_argument(attribute, key));
            }
            input.parse::<Token![=]>()?;
            policy = Some(input.parse::<syn::Path>()?);
            continue;
        }
        let extra: proc_macro2::TokenTree = input.parse()?;
        return Err(syn::Error::new(
            extra.span(),
            format!(
                "`#[{name}]` takes one requirement; to require several, combine them with \
                 `all(...)` or `any(...)`, or stack attributes"
            ),
        ));
    }
    if let Some(scope) = in_scope {
        if attribute == Attribute::Requires {
            return Err(syn::Error::new(
                scope.argument.span(),
                "in `#[requires(...)]`, scope each role or permission on its own: \
                 `role(\"editor\", in = org_id)`",
            ));
        }
        term = scoped(term, &scope)?;
    }
    let policy = policy_of_constants(&term, policy)?;
    Ok(Args { term: Some(term), policy })
}

/// `in = org_id` (the domain is the argument's name without `_id`) or
/// `in = org(id)` (the domain, then the argument), after the `in`.
fn parse_in_scope(input: ParseStream<'_>) -> syn::Result<InScope> {
    input.parse::<Token![in]>()?;
    input.parse::<Token![=]>()?;
    let first: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected the handler argument naming the scope, like `in = org_id`, or the domain \
             and the argument, like `in = org(id)`",
        )
    })?;
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        let argument: Ident = content.parse()?;
        let domain = LitStr::new(&first.to_string(), first.span());
        return Ok(InScope { domain, argument });
    }
    let name = first.to_string();
    let domain = name.strip_suffix("_id").filter(|d| !d.is_empty()).unwrap_or(&name);
    Ok(InScope { domain: LitStr::new(domain, first.span()), argument: first })
}

/// `term` with every role and permission in it held within `scope`.
fn scoped(term: Term, scope: &InScope) -> syn::Result<Term> {
    let all = |terms: Vec<Term>| -> syn::Result<Vec<Term>> {
        terms.into_iter().map(|t| scoped(t, scope)).collect()
    };
    Ok(match term {
        Term::Role(name) => Term::RoleIn(name, scope.clone()),
        Term::Permission(name) => Term::PermissionIn(name, scope.clone()),
        Term::Any(terms) => Term::Any(all(terms)?),
        Term::All(terms) => Term::All(all(terms)?),
        Term::Not(term) => Term::Not(Box::new(scoped(*term, scope)?)),
        Term::Scope(name) => {
            return Err(syn::Error::new(
                scope.argument.span(),
                format!(
                    "`in = ...` scopes roles and permissions; the OAuth2 scope `{}` is read \
                     from the token, which is the same in every scope",
                    name.value()
                ),
            ));
        }
        Term::RoleIn(..) | Term::PermissionIn(..) => {
            return Err(syn::Error::new(scope.argument.span(), "`in = ...` is given twice"));
        }
        other @ (Term::Owner(_) | Term::Check(..)) => other,
    })
}

/// A typed constant carries its policy: the attribute checks against that
/// one, so its bits are read against the grants they were compiled for.
/// Constants of another policy than the one named are refused.
fn policy_of_constants(term: &Term, named: Option<syn::Path>) -> syn::Result<Option<syn::Path>> {
    let spelled = |path: &syn::Path| path.to_token_stream().to_string();
    let mut policy = named;
    for (constant, constant_policy) in term.constant_policies() {
        match &policy {
            None => policy = Some(constant_policy),
            Some(chosen) if spelled(chosen) == spelled(&constant_policy) => {}
            Some(chosen) => {
                return Err(syn::Error::new_spanned(
                    constant,
                    format!(
                        "this constant belongs to `{}`, but the attribute checks against `{}`: \
                         use the constants of one policy, or name the role as a string",
                        spelled(&constant_policy).replace(' ', ""),
                        spelled(chosen).replace(' ', "")
                    ),
                ));
            }
        }
    }
    Ok(policy)
}

fn unknown_argument(attribute: Attribute, key: Ident) -> syn::Error {
    syn::Error::new(
        key.span(),
        format!(
            "unknown argument `{key}`: `#[{}]` takes a requirement and optionally \
             `policy = path::to::policy`, like {}",
            attribute.name(),
            example(attribute)
        ),
    )
}

fn parse_term(input: ParseStream<'_>, attribute: Attribute, leaf: Leaf) -> syn::Result<Term> {
    if let Leaf::Bare(kind) = leaf {
        if input.peek(LitStr) {
            return leaf_term(input.parse()?, kind);
        }
        if is_path(input) {
            return constant_term(input, kind);
        }
    }
    if input.peek(Lit) {
        let literal: Lit = input.parse()?;
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "expected a string literal, found `{}`: name it as a string literal, like {}",
                literal.to_token_stream(),
                example(attribute)
            ),
        ));
    }
    let word: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("expected a requirement, like {}", example(attribute)),
        )
    })?;
    if !input.peek(syn::token::Paren) {
        let hint = match leaf {
            Leaf::Explicit => {
                format!("write `role(\"{word}\")`, `permission(\"{word}\")` or `scope(\"{word}\")`")
            }
            _ => format!("write `#[{}(\"{word}\")]`", attribute.name()),
        };
        return Err(syn::Error::new(
            word.span(),
            format!("expected a string literal, found `{word}`: {hint}"),
        ));
    }
    let words: &[Word] = match leaf {
        Leaf::Explicit => &Word::EXPLICIT,
        Leaf::Bare(_) => &Word::COMBINATORS,
    };
    let Some(known) = Word::find(words, &word) else {
        return Err(syn::Error::new(
            word.span(),
            format!("unknown requirement `{word}(...)`: expected {}", Word::list(words)),
        ));
    };
    let content;
    parenthesized!(content in input);
    match known {
        Word::Any | Word::All => {
            let terms = parse_list(&content, attribute, leaf)?;
            if terms.is_empty() {
                return Err(syn::Error::new(
                    word.span(),
                    format!(
                        "`{word}()` needs at least one requirement, like `{word}(\"admin\", \"editor\")`"
                    ),
                ));
            }
            let terms = terms.into_iter().map(|(_, term)| term).collect();
            Ok(if known == Word::Any { Term::Any(terms) } else { Term::All(terms) })
        }
        Word::Not => {
            let mut terms = parse_list(&content, attribute, leaf)?.into_iter();
            match (terms.next(), terms.next()) {
                (Some((_, term)), None) => Ok(Term::Not(Box::new(term))),
                (None, _) => Err(syn::Error::new(word.span(), "`not()` needs one requirement")),
                (Some(_), Some((second, _))) => Err(syn::Error::new(
                    second,
                    "`not(...)` takes exactly one requirement; for several, write `not(any(a, b))` \
                     or `not(all(a, b))`",
                )),
            }
        }
        Word::Leaf(kind) => {
            let term = if is_path(&content) {
                constant_term(&content, kind)?
            } else {
                leaf_term(content.parse()?, kind)?
            };
            if content.peek(Token![,]) && content.peek2(Token![in]) {
                content.parse::<Token![,]>()?;
                let scope = parse_in_scope(&content)?;
                return scoped(term, &scope);
            }
            Ok(term)
        }
        Word::Owner => Ok(Term::Owner(content.parse()?)),
        Word::Check => parse_check(&content),
    }
}

/// Comma-separated requirements, each with the span of its first token.
fn parse_list(
    input: ParseStream<'_>,
    attribute: Attribute,
    leaf: Leaf,
) -> syn::Result<Vec<(Span, Term)>> {
    let mut terms = Vec::new();
    while !input.is_empty() {
        let span = input.span();
        terms.push((span, parse_term(input, attribute, leaf)?));
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(terms)
}

fn parse_check(input: ParseStream<'_>) -> syn::Result<Term> {
    let call: ExprCall = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "`check(...)` takes a call like `check(is_author(id, posts))`: an `async fn` that \
             receives the user and the named handler arguments",
        )
    })?;
    let mut arguments = Vec::new();
    for argument in &call.args {
        match argument {
            Expr::Path(path) if path.path.get_ident().is_some() && path.qself.is_none() => {
                arguments.extend(path.path.get_ident().cloned());
            }
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "`check(...)` arguments are names of handler arguments, like `id`",
                ));
            }
        }
    }
    Ok(Term::Check(call, arguments))
}

/// A `role`, `permission` or `scope` leaf, its name checked.
fn leaf_term(literal: LitStr, kind: Kind) -> syn::Result<Term> {
    check_name(&literal, kind)?;
    Ok(match kind {
        Kind::Role => Term::Role(Name::Literal(literal)),
        Kind::Permission => Term::Permission(Name::Literal(literal)),
        Kind::Scope => Term::Scope(literal),
        Kind::Domain => {
            return Err(syn::Error::new(literal.span(), "a domain is not a requirement"));
        }
    })
}

/// Whether a path with at least two segments comes next (`a::b`, `::a`, `crate::a`).
fn is_path(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    fork.parse::<syn::Path>().is_ok_and(|path| {
        (path.leading_colon.is_some() || path.segments.len() > 1)
            && !fork.peek(syn::token::Paren)
            && !fork.peek(Token![!])
    })
}

/// A typed constant `policy::roles::NAME` or `policy::permissions::NAME`.
fn constant_term(input: ParseStream<'_>, kind: Kind) -> syn::Result<Term> {
    let path: syn::Path = input.parse()?;
    let what = kind.word();
    // The other kind of constant, and the attribute that takes it.
    let (term, module, other, other_module, other_attribute): (fn(Name) -> Term, _, _, _, _) =
        match kind {
            Kind::Role => {
                (Term::Role, ROLES, Kind::Permission, PERMISSIONS, Attribute::RequiresPermission)
            }
            Kind::Permission => {
                (Term::Permission, PERMISSIONS, Kind::Role, ROLES, Attribute::RequiresRole)
            }
            Kind::Scope | Kind::Domain => {
                return Err(syn::Error::new_spanned(
                    &path,
                    "a scope is named by a string literal, like `\"posts:write\"`: the \
                     `WWW-Authenticate` challenge names it, so it must be known when compiling",
                ));
            }
        };
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let shaped = segments.len() >= 3
        && segments[segments.len() - 2] == module
        && path.segments.iter().all(|segment| segment.arguments.is_none());
    if segments.len() >= 3 && segments[segments.len() - 2] == other_module {
        let (other, attribute) = (other.word(), other_attribute.name());
        return Err(syn::Error::new_spanned(
            &path,
            format!(
                "this is a {other}, not a {what}: write `#[{attribute}({})]`, or `{other}(...)` \
                 inside `#[requires(...)]`",
                path.to_token_stream().to_string().replace(' ', "")
            ),
        ));
    }
    if !shaped {
        return Err(syn::Error::new_spanned(
            &path,
            format!(
                "expected a {what} name as a string literal, like `\"admin\"`, or a {what} \
                 constant of a policy, like `policy::{module}::ADMIN`"
            ),
        ));
    }
    Ok(term(Name::Constant(path)))
}

/// The same rule as `rbac_core::Role::new`, so a name that can never be held
/// never compiles.
fn check_name(literal: &LitStr, kind: Kind) -> syn::Result<()> {
    let what = kind.word();
    let name = literal.value();
    if name.is_empty() {
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "the {what} name is empty: name the {what} the user must hold, like `\"admin\"`"
            ),
        ));
    }
    if let Some(suggestion) = valid_name_suggestion(&name) {
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "a {what} name is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:`; \
                 write `\"{suggestion}\"` instead"
            ),
        ));
    }
    Ok(())
}

/// `None` if `name` is valid, otherwise a valid spelling of it.
pub(crate) fn valid_name_suggestion(name: &str) -> Option<String> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if !name.is_empty() && name.len() <= 64 && name.chars().all(valid_char) {
        return None;
    }
    Some(name.chars().take(64).map(|c| if valid_char(c) { c } else { '_' }).collect())
}
