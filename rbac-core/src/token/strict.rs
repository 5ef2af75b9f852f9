//! A strict reader for JWS compact serialization (RFC 7515 §7.1), applying
//! the RFC 8725 checks that `jsonwebtoken`'s `decode` does not: a size cap
//! before any decoding, rejection of duplicate JSON keys and of any `crit`
//! header, and a header that can never select or fetch a key.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{MAX_TOKEN_BYTES, TokenError};

/// Our headers are ~40 bytes; this keeps the pre-signature parse tiny.
const MAX_HEADER_SEGMENT_BYTES: usize = 512;

/// The three segments of a compact JWS, borrowed from the token.
pub(crate) struct Compact<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

pub(crate) fn split(token: &str) -> Result<Compact<'_>, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.contains('.') || header.len() > MAX_HEADER_SEGMENT_BYTES {
        return Err(TokenError::Malformed);
    }
    Ok(Compact { header, payload, signature, signing_input })
}

/// The JOSE header fields we act on. Everything else (`jku`, `x5u`, `jwk`,
/// ...) is ignored: keys come from configuration, never from the token,
/// which can only pick one of them by `kid`. Read in one pass with the
/// duplicate-key check, borrowing from the decoded bytes.
pub(crate) struct JoseHeader<'a> {
    pub(crate) alg: Cow<'a, str>,
    pub(crate) kid: Option<Cow<'a, str>>,
    /// Present at all means "you must understand these extensions"; we understand none.
    pub(crate) crit: bool,
}

impl<'de> Deserialize<'de> for JoseHeader<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = JoseHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header without duplicate keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JoseHeader<'de>, A::Error> {
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        let (mut alg, mut kid, mut crit) = (None, None, false);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            match &*key {
                "alg" => alg = Some(map.next_value::<Text<'de>>()?.0),
                "kid" => kid = map.next_value::<Option<Text<'de>>>()?.map(|kid| kid.0),
                "crit" => {
                    map.next_value::<UniqueKeys>()?;
                    crit = true;
                }
                _ => {
                    map.next_value::<UniqueKeys>()?;
                }
            }
            seen.push(key);
        }
        let alg = alg.ok_or_else(|| de::Error::missing_field("alg"))?;
        Ok(JoseHeader { alg, kid, crit })
    }
}

/// Decodes the header segment into `buffer` and parses it in one pass,
/// duplicate keys refused at any depth.
pub(crate) fn decode_header<'b>(
    segment: &str,
    buffer: &'b mut [u8; MAX_HEADER_BYTES],
) -> Result<JoseHeader<'b>, TokenError> {
    // `split` capped the segment, so it fits; a longer one would be refused here.
    let length =
        URL_SAFE_NO_PAD.decode_slice(segment, buffer).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&buffer[..length]).map_err(|_| TokenError::Malformed)
}

/// The decoded size of the largest header segment `split` lets through.
pub(crate) const MAX_HEADER_BYTES: usize = MAX_HEADER_SEGMENT_BYTES / 4 * 3;

/// Decodes and parses a payload segment into claims, in one pass that also
/// refuses duplicate keys at any depth.
pub(crate) fn decode_claims(segment: &str) -> Result<super::Claims, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| TokenError::Malformed)?;
    let super::claims::StrictClaims(claims) =
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    Ok(claims)
}

/// Decodes a segment and parses it as `T`, refusing duplicate keys at any
/// depth first (two passes: for tokens other than ours, whose claims have
/// no one-pass parser).
#[cfg(feature = "oidc")]
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| TokenError::Malformed)?;
    check_unique_keys(&bytes)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// Fails if `json` is not JSON or repeats an object key: the
/// duplicate-key check alone, for the step benchmark.
pub(crate) fn check_unique_keys(json: &[u8]) -> Result<(), TokenError> {
    serde_json::from_slice::<UniqueKeys>(json).map(drop).map_err(|_| TokenError::Malformed)
}

/// Deserializes any JSON value and fails if an object repeats a key.
///
/// Parsers disagree on which duplicate wins; refusing them removes the
/// ambiguity (RFC 8725 §3.6, RFC 7515 §5.2 step 4).
pub(super) struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value without duplicate object keys")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        // Objects here are small (the header is capped, the payload is only
        // parsed after its signature checked out), so a linear scan beats hashing.
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value::<UniqueKeys>()?;
            seen.push(key);
        }
        Ok(UniqueKeys)
    }
}

/// An object key, borrowed from the input unless it contained escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A string value, borrowed from the input unless it contained escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Key::deserialize(deserializer).map(|Key(text)| Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(json: &str) -> bool {
        serde_json::from_str::<UniqueKeys>(json).is_ok()
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(unique(r#"{"a":1,"b":{"a":2},"c":[{"a":1,"b":2}]}"#));
        assert!(!unique(r#"{"a":1,"a":1}"#));
        assert!(!unique(r#"{"x":{"a":1,"a":2}}"#));
        assert!(!unique(r#"{"x":[{"a":1,"a":2}]}"#));
        // An escaped spelling of the same key is still the same key.
        assert!(!unique(r#"{"sub":"a","s\u0075b":"b"}"#));
    }

    #[test]
    fn split_rejects_wrong_segment_counts_and_oversize() {
        assert!(matches!(split("a.b"), Err(TokenError::Malformed)));
        assert!(matches!(split("a.b.c.d"), Err(TokenError::Malformed)));
        assert!(matches!(split(&"a".repeat(MAX_TOKEN_BYTES + 1)), Err(TokenError::TooLarge)));
        let parts = split("h.p.s").expect("three segments");
        assert_eq!((parts.header, parts.payload, parts.signature), ("h", "p", "s"));
        assert_eq!(parts.signing_input, "h.p");
    }

    #[test]
    fn crit_is_detected_even_when_null() {
        let header: JoseHeader<'_> =
            serde_json::from_str(r#"{"alg":"HS256","crit":null}"#).expect("parses");
        assert!(header.crit);
        let header: JoseHeader<'_> = serde_json::from_str(r#"{"alg":"HS256"}"#).expect("parses");
        assert!(!header.crit);
    }
}
