//! "Did you mean ...?" for names a policy does not declare.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token, bracketed};

use crate::symbol::Kind;

/// The error for `literal`, a `kind` not among `declared`: the closest
/// declared name if one is close, and the full list.
pub(crate) fn unknown_name_error(literal: &LitStr, kind: Kind, declared: &[String]) -> syn::Error {
    let kind = kind.word();
    let name = literal.value();
    let list = declared.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ");
    let message = match closest(&name, declared) {
        None if declared.is_empty() && kind == "domain" => format!(
            "unknown domain `{name}`: the policy declares no domain; add `domain \"{name}\";` to it"
        ),
        None if declared.is_empty() => format!("unknown {kind} `{name}`: the policy declares none"),
        Some(close) => {
            format!("unknown {kind} `{name}`: did you mean `{close}`? (declared: {list})")
        }
        None => format!("unknown {kind} `{name}`: the policy declares {list}"),
    };
    syn::Error::new(literal.span(), message)
}

/// `unknown_name!(role, "admn", ["admin", "editor"])`, invoked by a policy's
/// lookup macros for a name they do not know.
pub(crate) fn unknown_name(input: TokenStream) -> TokenStream {
    let parser = |input: ParseStream<'_>| {
        let word: Ident = input.parse()?;
        let kind = Kind::from_word(&word.to_string()).ok_or_else(|| {
            syn::Error::new(word.span(), "expected `role`, `permission` or `scope`")
        })?;
        input.parse::<Token![,]>()?;
        let literal: LitStr = input.parse()?;
        input.parse::<Token![,]>()?;
        let content;
        bracketed!(content in input);
        let declared = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
        Ok((kind, literal, declared.iter().map(LitStr::value).collect::<Vec<_>>()))
    };
    match Parser::parse2(parser, input) {
        Ok((kind, literal, declared)) => {
            unknown_name_error(&literal, kind, &declared).to_compile_error()
        }
        Err(error) => error.to_compile_error(),
    }
}

/// The declared name nearest to `name` by edit distance, if it is near enough
/// to be a typo (at most a third of the name's length, and at least one edit).
fn closest<'a>(name: &str, declared: &'a [String]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    declared
        .iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.as_str())
}

/// Levenshtein distance, counting a swap of neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_role_and_strangers_do_not() {
        let declared = ["admin", "editor", "viewer"].map(String::from);
        assert_eq!(closest("admn", &declared), Some("admin"));
        assert_eq!(closest("amdin", &declared), Some("admin"));
        assert_eq!(closest("edtior", &declared), Some("editor"));
        assert_eq!(closest("superuser", &declared), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
