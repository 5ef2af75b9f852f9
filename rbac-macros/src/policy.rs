//! `policy! { ... }`: parsing, checking and compiling a role hierarchy.

mod compile;
mod expand;

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token, Visibility, braced};

use crate::symbol::kw as keyword;

pub(crate) use expand::expand;

/// The whole declaration.
pub(crate) struct PolicyInput {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) statements: Vec<Statement>,
}

/// One line of the declaration.
pub(crate) enum Statement {
    /// `role "editor": "viewer" grants "posts:write";`
    Role { name: LitStr, inherits: Vec<LitStr>, grants: Vec<LitStr> },
    /// `alias "user" = "viewer";`
    Alias { name: LitStr, target: LitStr },
    /// `permission "posts:publish";`
    Permission { name: LitStr },
    /// `domain "org";`: a kind of scope roles can be granted in.
    Domain { name: LitStr },
    /// `global "admin" in "org";`: the global role counts in every scope of
    /// these domains; `global "admin";` counts in every domain.
    Global { role: LitStr, domains: Vec<LitStr> },
}

impl Parse for PolicyInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![mod]>().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected `mod name { ... }`: a policy is declared as a module, like \
                 `pub mod policy { role \"admin\"; }`",
            )
        })?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let mut statements = Vec::new();
        while !body.is_empty() {
            statements.push(body.parse()?);
        }
        Ok(Self { attrs, vis, name, statements })
    }
}

impl Parse for Statement {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        let statement = if lookahead.peek(keyword::role) {
            input.parse::<keyword::role>()?;
            let name: LitStr = input.parse()?;
            let mut inherits = Vec::new();
            if input.parse::<Option<Token![:]>>()?.is_some() {
                inherits = names(input)?;
            }
            let mut grants = Vec::new();
            if input.parse::<Option<keyword::grants>>()?.is_some() {
                grants = names(input)?;
            }
            Statement::Role { name, inherits, grants }
        } else if lookahead.peek(keyword::alias) {
            input.parse::<keyword::alias>()?;
            let name = input.parse()?;
            input.parse::<Token![=]>()?;
            Statement::Alias { name, target: input.parse()? }
        } else if lookahead.peek(keyword::permission) {
            input.parse::<keyword::permission>()?;
            Statement::Permission { name: input.parse()? }
        } else if lookahead.peek(keyword::domain) {
            input.parse::<keyword::domain>()?;
            Statement::Domain { name: input.parse()? }
        } else if lookahead.peek(keyword::global) {
            input.parse::<keyword::global>()?;
            let role = input.parse()?;
            let mut domains = Vec::new();
            if input.parse::<Option<Token![in]>>()?.is_some() {
                domains = names(input)?;
            }
            Statement::Global { role, domains }
        } else {
            return Err(lookahead.error());
        };
        input.parse::<Token![;]>()?;
        Ok(statement)
    }
}

/// `"a", "b"` up to (not including) `grants` or `;`.
fn names(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    let list = Punctuated::<LitStr, Token![,]>::parse_separated_nonempty(input)?;
    Ok(list.into_iter().collect())
}
