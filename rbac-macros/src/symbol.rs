//! The words the macros read and write, each spelled once: the words of a
//! requirement, the kinds of names a policy declares, and the default policy.
//!
//! `policy!` generates code that the attributes' expansions name (the lookup
//! macros `policy::role!("admin")`, the constant modules `policy::roles`), so
//! both sides take these names from here.

use proc_macro2::Span;

/// The keywords of `policy!`'s grammar.
pub(crate) mod kw {
    syn::custom_keyword!(role);
    syn::custom_keyword!(alias);
    syn::custom_keyword!(permission);
    syn::custom_keyword!(grants);
    syn::custom_keyword!(domain);
    syn::custom_keyword!(global);
}

/// The crates our attributes are reached through, for recognising stacked
/// ones: `rbac_core` re-exports them from `rbac_macros`.
pub(crate) const OUR_CRATES: [&str; 2] = ["rbac_core", "rbac_macros"];

/// The path an attribute checks against when it names no `policy = ...`.
pub(crate) const DEFAULT_POLICY: &str = "crate::policy";

/// [`DEFAULT_POLICY`] as a path.
pub(crate) fn default_policy() -> syn::Path {
    let segments = DEFAULT_POLICY.split("::");
    syn::Path {
        leading_colon: None,
        segments: segments
            .map(|segment| syn::PathSegment::from(syn::Ident::new(segment, Span::call_site())))
            .collect(),
    }
}

/// The argument that names the policy: `policy = path::to::policy`.
pub(crate) const POLICY_ARGUMENT: &str = "policy";

/// The modules of typed constants `policy!` generates (`policy::roles::ADMIN`),
/// which the attributes accept in place of a name. Scopes have none: the
/// `WWW-Authenticate` challenge names them, so they are literals.
pub(crate) const ROLES: &str = "roles";
pub(crate) const PERMISSIONS: &str = "permissions";

/// What a name of a requirement is checked against.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Role,
    Permission,
    /// An OAuth2 scope: a permission name of the policy, read from the token.
    Scope,
    /// A kind of scope roles are granted in (`domain "org";`).
    Domain,
}

impl Kind {
    /// The word in `#[requires(role("..."))]` and in messages; also the name of
    /// the lookup macro `policy!` generates for this kind (`policy::role!`).
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::Permission => "permission",
            Self::Scope => "scope",
            Self::Domain => "domain",
        }
    }

    /// The lookup macro `policy!` defines and the attributes invoke.
    pub(crate) fn lookup_macro(self, span: Span) -> syn::Ident {
        syn::Ident::new(self.word(), span)
    }

    pub(crate) fn from_word(word: &str) -> Option<Self> {
        [Self::Role, Self::Permission, Self::Scope, Self::Domain]
            .into_iter()
            .find(|kind| kind.word() == word)
    }
}

/// The words of a requirement, other than the [`Kind`]s.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Word {
    Any,
    All,
    Not,
    Owner,
    Check,
    Leaf(Kind),
}

impl Word {
    /// Every word `#[requires(...)]` reads, in the order messages list them.
    pub(crate) const EXPLICIT: [Self; 8] = [
        Self::Leaf(Kind::Role),
        Self::Leaf(Kind::Permission),
        Self::Leaf(Kind::Scope),
        Self::Owner,
        Self::Check,
        Self::Any,
        Self::All,
        Self::Not,
    ];

    /// The combinators the single-kind attributes read around their names.
    pub(crate) const COMBINATORS: [Self; 3] = [Self::Any, Self::All, Self::Not];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::All => "all",
            Self::Not => "not",
            Self::Owner => "owner",
            Self::Check => "check",
            Self::Leaf(kind) => kind.word(),
        }
    }

    /// The word among `words`, if `ident` is one.
    pub(crate) fn find(words: &[Self], ident: &syn::Ident) -> Option<Self> {
        words.iter().copied().find(|word| ident == word.as_str())
    }

    /// "`a`, `b` or `c`".
    pub(crate) fn list(words: &[Self]) -> String {
        let quoted: Vec<String> = words.iter().map(|word| format!("`{}`", word.as_str())).collect();
        match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn default_policy_is_spelled_once() {
        let spelled = default_policy().to_token_stream().to_string().replace(' ', "");
        assert_eq!(spelled, DEFAULT_POLICY);
    }

    #[test]
    fn word_lists_read_as_messages_say() {
        assert_eq!(
            Word::list(&Word::EXPLICIT),
            "`role`, `permission`, `scope`, `owner`, `check`, `any`, `all` or `not`"
        );
        assert_eq!(Word::list(&Word::COMBINATORS), "`any`, `all` or `not`");
    }

    #[test]
    fn kinds_round_trip_through_their_words() {
        for kind in [Kind::Role, Kind::Permission, Kind::Scope, Kind::Domain] {
            assert_eq!(Kind::from_word(kind.word()), Some(kind));
        }
        assert_eq!(Kind::from_word("owner"), None);
    }
}
