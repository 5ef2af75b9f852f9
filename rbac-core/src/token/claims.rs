//! What tokens say, what issuing returns, and why verification refuses.

use std::fmt;

use std::borrow::Cow;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::strict::{Key, UniqueKeys};

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: String,
    /// Expiry, seconds since the Unix epoch. Required, and a JSON number
    /// (RFC 7519 §2 NumericDate): a fraction is rounded down, so the token
    /// expires no later than it says; a string or a negative number fails
    /// to parse.
    #[serde(deserialize_with = "numeric_date::expiry")]
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch; a fraction is rounded up, so
    /// the token is valid no earlier than it says.
    #[serde(deserialize_with = "numeric_date::start")]
    pub iat: u64,
    /// Not-before time; checked when present. Rounded up like `iat`.
    #[serde(
        default,
        deserialize_with = "numeric_date::optional_start",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<u64>,
    /// Unique token id (128 random bits, base64url).
    pub jti: String,
    /// The session (refresh-token family) this token belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's token generation when issued; "log out everywhere" moves
    /// the user to the next one, voiding every older token.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: u64,
    /// Issuer, when the issuing `Tokens` has one ([`Tokens::with_issuer`](super::Tokens::with_issuer)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured ([`Tokens::with_audience`](super::Tokens::with_audience)): one string or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Granted OAuth2 scopes, space-separated (RFC 6749 §3.3, RFC 9068).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user's roles when issued, for resource servers that have no user
    /// store. The issuing service ignores them and reads its store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

impl Claims {
    /// The granted scopes, from the space-separated `scope` claim.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or("").split(' ').filter(|scope| !scope.is_empty())
    }

    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|granted| granted == scope)
    }
}

/// What [`Tokens::issue_for`](super::Tokens::issue_for) puts in a token besides times and ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenSubject<'a> {
    /// The username (`sub`).
    pub username: &'a str,
    /// The session (refresh-token family), if any (`sid`).
    pub session: Option<&'a str>,
    /// The user's token generation (`generation`).
    pub generation: u64,
    /// Granted scopes, space-separated (`scope`).
    pub scope: Option<&'a str>,
    /// The user's roles (`roles`).
    pub roles: &'a [crate::Role],
}

/// The `aud` claim: RFC 7519 allows a single string or an array.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "api"`
    One(String),
    /// `"aud": ["api", "admin"]`
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is among the values.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(one) => one == audience,
            Self::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// RFC 7519 NumericDates: JSON numbers, possibly fractional, read as whole
/// seconds rounded in the direction that never lengthens a token's validity.
mod numeric_date {
    use std::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer};

    /// Which way a fraction of a second is rounded.
    #[derive(Clone, Copy)]
    enum Round {
        /// For `exp`: expire at or before the stated instant.
        Down,
        /// For `iat` and `nbf`: start at or after the stated instant.
        Up,
    }

    struct Seconds(Round);

    impl Visitor<'_> for Seconds {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative JSON number of seconds")
        }

        fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<u64, E> {
            Ok(seconds)
        }

        fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<u64, E> {
            u64::try_from(seconds).map_err(|_| E::custom("negative NumericDate"))
        }

        fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<u64, E> {
            let rounded = match self.0 {
                Round::Down => seconds.floor(),
                Round::Up => seconds.ceil(),
            };
            // 2^64 is exact as an f64; anything at or past it does not fit.
            if !(0.0..18_446_744_073_709_551_616.0).contains(&rounded) {
                return Err(E::custom("NumericDate out of range"));
            }
            // A whole number within u64's range (checked above): exact.
            Ok(rounded as u64)
        }
    }

    pub(super) fn expiry<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(Seconds(Round::Down))
    }

    /// A start time (`iat`, `nbf`), for a hand-written visitor.
    pub(super) struct Start(pub(super) u64);

    impl<'de> Deserialize<'de> for Start {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            start(deserializer).map(Start)
        }
    }

    pub(super) fn start<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(Seconds(Round::Up))
    }

    /// An expiry, for a hand-written visitor.
    pub(super) struct Expiry(pub(super) u64);

    impl<'de> Deserialize<'de> for Expiry {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            expiry(deserializer).map(Expiry)
        }
    }

    /// `null` stays "absent", as it was for a plain `Option<u64>`.
    pub(super) fn optional_start<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Start>::deserialize(deserializer)?.map(|Start(seconds)| seconds))
    }
}

/// Claims parsed in one pass with the duplicate-key check: the payload is
/// read once, and every string that needs no unescaping is copied straight
/// from the decoded bytes.
pub(crate) struct StrictClaims(pub(crate) Claims);

impl<'de> Deserialize<'de> for StrictClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

/// The claims we read, by bit in the `seen` mask.
const FIELDS: [&str; 11] =
    ["sub", "exp", "iat", "nbf", "jti", "sid", "generation", "iss", "aud", "scope", "roles"];

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = StrictClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set without duplicate keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictClaims, A::Error> {
        let mut seen = 0u16;
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        let (mut sub, mut exp, mut iat, mut nbf, mut jti) = (None, None, None, None, None);
        let (mut sid, mut generation, mut iss, mut aud, mut scope) = (None, 0, None, None, None);
        let mut roles = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let Some(field) = FIELDS.iter().position(|name| *name == key) else {
                if others.contains(&key) {
                    return Err(de::Error::custom("duplicate key"));
                }
                map.next_value::<UniqueKeys>()?;
                others.push(key);
                continue;
            };
            if seen & (1 << field) != 0 {
                return Err(de::Error::custom("duplicate key"));
            }
            seen |= 1 << field;
            match field {
                0 => sub = Some(map.next_value::<String>()?),
                1 => exp = Some(map.next_value::<numeric_date::Expiry>()?.0),
                2 => iat = Some(map.next_value::<numeric_date::Start>()?.0),
                3 => nbf = map.next_value::<Option<numeric_date::Start>>()?.map(|start| start.0),
                4 => jti = Some(map.next_value::<String>()?),
                5 => sid = map.next_value::<Option<String>>()?,
                6 => generation = map.next_value::<u64>()?,
                7 => iss = map.next_value::<Option<String>>()?,
                8 => aud = map.next_value::<Option<Audience>>()?,
                9 => scope = map.next_value::<Option<String>>()?,
                _ => roles = map.next_value::<Vec<String>>()?,
            }
        }
        Ok(StrictClaims(Claims {
            sub: sub.ok_or_else(|| de::Error::missing_field("sub"))?,
            exp: exp.ok_or_else(|| de::Error::missing_field("exp"))?,
            iat: iat.ok_or_else(|| de::Error::missing_field("iat"))?,
            nbf,
            jti: jti.ok_or_else(|| de::Error::missing_field("jti"))?,
            sid,
            generation,
            iss,
            aud,
            scope,
            roles,
        }))
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// A freshly signed access token.
#[derive(Clone)]
pub struct IssuedToken {
    /// The compact JWS to send as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// What was signed.
    pub claims: Claims,
    /// The refresh token of the session, when the token was issued in one.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("claims", &self.claims)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Why a token was refused. Callers answer every variant with the same 401;
/// the variant is for logs and tests, never for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than [`MAX_TOKEN_BYTES`](super::MAX_TOKEN_BYTES).
    TooLarge,
    /// Not three base64url segments of duplicate-free JSON with the expected fields.
    Malformed,
    /// The header names an algorithm other than the pinned one (including `none`).
    AlgorithmNotAllowed,
    /// The header carries `crit`, and we implement no critical extensions.
    UnsupportedCriticalHeader,
    /// The header names no key this verifier holds (or none while it holds several).
    UnknownKey,
    /// The signature does not match.
    BadSignature,
    /// `exp` (plus leeway) is in the past.
    Expired,
    /// `nbf` or `iat` (minus leeway) is in the future.
    NotYetValid,
    /// `iss` is missing or names another issuer.
    WrongIssuer,
    /// `aud` is missing or does not include this audience, or is present
    /// where no audience is configured.
    WrongAudience,
    /// `exp − iat` is longer than the verifier's
    /// [`max_lifetime`](super::Tokens::with_max_lifetime).
    LifetimeTooLong,
    /// Not an access token of the kind the issuer is configured for: the
    /// wrong `typ`, or an ID token (a `nonce`, or addressed to a client).
    WrongTokenType,
    /// Signing failed (never caused by client input).
    Signing,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "token too large",
            Self::Malformed => "malformed token",
            Self::AlgorithmNotAllowed => "algorithm not allowed",
            Self::UnsupportedCriticalHeader => "unsupported critical header",
            Self::UnknownKey => "unknown key",
            Self::BadSignature => "bad signature",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "wrong issuer",
            Self::WrongAudience => "wrong audience",
            Self::LifetimeTooLong => "token lifetime too long",
            Self::WrongTokenType => "not an access token",
            Self::Signing => "token signing failed",
        })
    }
}

impl std::error::Error for TokenError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(json: &str) -> Option<Claims> {
        serde_json::from_str::<StrictClaims>(json).ok().map(|StrictClaims(claims)| claims)
    }

    #[test]
    fn the_one_pass_parse_reads_what_the_derived_one_does() {
        for json in [
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j"}"#,
            r#"{"sub":"a","exp":2.9,"iat":0.1,"nbf":null,"jti":"j","sid":null,"scope":null}"#,
            r#"{"sub":"a\u0062","exp":2,"iat":1,"nbf":1.5,"jti":"j","sid":"s","generation":3,
                "iss":"i","aud":["x","y"],"scope":"p q","roles":["r"],"extra":{"k":[1,{"v":2}]}}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","aud":"x"}"#,
        ] {
            let derived: Claims = serde_json::from_str(json).expect("valid claims");
            assert_eq!(strict(json), Some(derived), "{json}");
        }
    }

    #[test]
    fn the_one_pass_parse_refuses_what_the_derived_one_does() {
        for json in [
            r#"{"exp":2,"iat":1,"jti":"j"}"#,
            r#"{"sub":"a","iat":1,"jti":"j"}"#,
            r#"{"sub":"a","exp":"2","iat":1,"jti":"j"}"#,
            r#"{"sub":"a","exp":-2,"iat":1,"jti":"j"}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","roles":null}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","generation":null}"#,
            r#"{"sub":null,"exp":2,"iat":1,"jti":"j"}"#,
        ] {
            assert!(serde_json::from_str::<Claims>(json).is_err(), "{json}");
            assert_eq!(strict(json), None, "{json}");
        }
    }

    #[test]
    fn the_one_pass_parse_refuses_duplicate_keys_at_any_depth() {
        for json in [
            r#"{"sub":"a","sub":"b","exp":2,"iat":1,"jti":"j"}"#,
            r#"{"sub":"a","s\u0075b":"b","exp":2,"iat":1,"jti":"j"}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","x":1,"x":1}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","x":{"k":1,"k":2}}"#,
            r#"{"sub":"a","exp":2,"iat":1,"jti":"j","x":[{"k":1,"\u006b":2}]}"#,
        ] {
            assert_eq!(strict(json), None, "{json}");
        }
    }

    #[test]
    fn claims_are_an_object() {
        // RFC 7519 §7.2: the claims set is a JSON object, never an array.
        assert_eq!(strict(r#"["a",2,1,null,"j"]"#), None);
    }
}
