//! Parsing the attribute's arguments.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, LitStr, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    Authenticated,
    RequiresRole,
}

impl Attribute {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Authenticated => "authenticated",
            Self::RequiresRole => "requires_role",
        }
    }

    /// Recognises our attributes however they are imported
    /// (`#[requires_role]`, `#[rbac_core::requires_role]`).
    pub(crate) fn from_path(path: &syn::Path) -> Option<Self> {
        let last = path.segments.last()?;
        if last.ident == "authenticated" {
            Some(Self::Authenticated)
        } else if last.ident == "requires_role" {
            Some(Self::RequiresRole)
        } else {
            None
        }
    }
}

/// What the handler requires beyond authentication.
pub(crate) enum Args {
    Authenticated,
    Role(LitStr),
}

pub(crate) fn parse(attribute: Attribute, args: TokenStream) -> syn::Result<Args> {
    match attribute {
        Attribute::Authenticated => {
            Parser::parse2(parse_no_args, args).map(|()| Args::Authenticated)
        }
        Attribute::RequiresRole => Parser::parse2(parse_role, args).map(Args::Role),
    }
}

fn parse_no_args(input: ParseStream<'_>) -> syn::Result<()> {
    if input.is_empty() {
        return Ok(());
    }
    if input.peek(LitStr) {
        let role: LitStr = input.parse()?;
        return Err(syn::Error::new(
            role.span(),
            format!(
                "`#[authenticated]` takes no arguments; to require a role, \
                 write `#[requires_role({})]` instead",
                role.token()
            ),
        ));
    }
    let unknown: proc_macro2::TokenTree = input.parse()?;
    Err(syn::Error::new(
        unknown.span(),
        format!("unknown argument `{unknown}`: `#[authenticated]` takes no arguments"),
    ))
}

fn parse_role(input: ParseStream<'_>) -> syn::Result<LitStr> {
    const USAGE: &str = "name the role as a string literal, like `#[requires_role(\"admin\")]`";
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("`#[requires_role]` needs a role: {USAGE}"),
        ));
    }
    if input.peek(Ident) && input.peek2(Token![=]) {
        return Err(unknown_argument(input.parse()?));
    }
    let role = match input.parse::<Lit>() {
        Ok(Lit::Str(role)) => role,
        Ok(other) => {
            return Err(syn::Error::new(
                other.span(),
                format!(
                    "expected a string literal, found `{}`: {USAGE}",
                    other.to_token_stream()
                ),
            ));
        }
        Err(_) => {
            let found: proc_macro2::TokenTree = input.parse()?;
            return Err(syn::Error::new(
                found.span(),
                format!(
                    "expected a string literal, found `{found}`: write `#[requires_role(\"{found}\")]`"
                ),
            ));
        }
    };
    check_role_name(&role)?;
    if input.is_empty() {
        return Ok(role);
    }
    input.parse::<Token![,]>()?;
    if input.is_empty() {
        return Ok(role);
    }
    if input.peek(Ident) && input.peek2(Token![=]) {
        return Err(unknown_argument(input.parse()?));
    }
    let extra: proc_macro2::TokenTree = input.parse()?;
    Err(syn::Error::new(
        extra.span(),
        "`#[requires_role]` takes exactly one role; to require two roles, stack two \
         `#[requires_role(...)]` attributes",
    ))
}

fn unknown_argument(name: Ident) -> syn::Error {
    syn::Error::new(
        name.span(),
        format!(
            "unknown argument `{name}`: `#[requires_role]` takes only a role name, \
             like `#[requires_role(\"admin\")]`"
        ),
    )
}

/// The same rule as `rbac_core::Role::new`, so a role that can never be granted
/// never compiles.
fn check_role_name(role: &LitStr) -> syn::Result<()> {
    let name = role.value();
    if name.is_empty() {
        return Err(syn::Error::new(
            role.span(),
            "the role name is empty: name the role the user must hold, like `\"admin\"`",
        ));
    }
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if name.len() > 64 || !name.chars().all(valid_char) {
        let suggestion: String = name
            .chars()
            .take(64)
            .map(|c| if valid_char(c) { c } else { '_' })
            .collect();
        return Err(syn::Error::new(
            role.span(),
            format!(
                "a role name is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:`; \
                 write `\"{suggestion}\"` instead"
            ),
        ));
    }
    Ok(())
}
