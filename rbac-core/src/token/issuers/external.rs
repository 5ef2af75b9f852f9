//! Verifying an external issuer's token: its header (`typ`, `kid`, `alg`),
//! the signature with that issuer's keys only, the registered claims, the
//! ID-token refusal, then the claim mapping.

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};
use serde_json::{Map, Value};

use super::{AccessTokenProfile, External};
use crate::token::{Audience, Claims, KeyRing, TokenError, VerificationKey, strict};

/// The header fields an external token is judged by.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// RFC 9068 §2.2: claims every JWT access token carries.
const RFC9068_CLAIMS: [&str; 7] = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

impl External {
    pub(super) fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let parts = strict::split(token)?;
        let header: Header = strict::decode_json(parts.header)?;
        if header.crit {
            return Err(TokenError::UnsupportedCriticalHeader);
        }
        if !self.typ_allowed(header.typ.as_deref()) {
            return Err(TokenError::WrongTokenType);
        }
        self.check_signature(&header, &parts)?;
        let claims: Map<String, Value> = strict::decode_json(parts.payload)?;
        let checked = self.check_claims(&claims, now)?;
        let (roles, scope) = self.mapping.apply(&claims);
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        Ok(Claims {
            sub: text("sub").unwrap_or_default(),
            exp: checked.exp,
            iat: checked.iat,
            nbf: checked.nbf,
            jti: text("jti").unwrap_or_default(),
            sid: None,
            generation: 0,
            iss: text("iss"),
            aud: checked.aud,
            scope,
            roles,
        })
    }

    fn typ_allowed(&self, typ: Option<&str>) -> bool {
        // Media types compare case-insensitively, `application/` optional (RFC 7515 §4.1.9).
        let typ = typ.map(|typ| {
            let typ = typ.to_ascii_lowercase();
            typ.strip_prefix("application/").map(str::to_owned).unwrap_or(typ)
        });
        match self.profile {
            AccessTokenProfile::Rfc9068 => typ.as_deref() == Some("at+jwt"),
            AccessTokenProfile::Jwt => typ.is_none_or(|typ| typ == "jwt" || typ == "at+jwt"),
        }
    }

    fn check_signature(
        &self,
        header: &Header,
        parts: &strict::Compact<'_>,
    ) -> Result<(), TokenError> {
        let fetched;
        let keys: &[VerificationKey] = match &self.tokens.keys {
            KeyRing::Fixed(keys) => keys,
            KeyRing::Remote(remote) => {
                fetched = remote.keys();
                &fetched
            }
        };
        let key = match header.kid.as_deref() {
            Some(kid) => keys.iter().find(|key| key.kid == kid),
            None if keys.len() == 1 => keys.first(),
            None => None,
        }
        .ok_or(TokenError::UnknownKey)?;
        let allowed = self.algorithms.is_empty() || self.algorithms.contains(&key.algorithm);
        if header.alg != key.algorithm.as_str() || !allowed {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        crate::token::verify_signature(key, parts)
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: u64) -> Result<Checked, TokenError> {
        if self.profile == AccessTokenProfile::Rfc9068
            && RFC9068_CLAIMS.iter().any(|name| claims.get(*name).is_none_or(Value::is_null))
        {
            return Err(TokenError::Malformed);
        }
        let exp = numeric_date(claims, "exp", Round::Down)?.ok_or(TokenError::Malformed)?;
        let iat = numeric_date(claims, "iat", Round::Up)?.ok_or(TokenError::Malformed)?;
        let nbf = numeric_date(claims, "nbf", Round::Up)?;
        let leeway = self.tokens.leeway.as_secs();
        if exp.saturating_add(leeway) < now {
            return Err(TokenError::Expired);
        }
        if nbf.unwrap_or(0).max(iat) > now.saturating_add(leeway) {
            return Err(TokenError::NotYetValid);
        }
        // An external issuer's lifetimes are its own: only the configured
        // maximum bounds them (our own issuing lifetime does not widen it).
        let max_lifetime = self.tokens.max_lifetime.as_secs();
        if exp.saturating_sub(iat) > max_lifetime {
            return Err(TokenError::LifetimeTooLong);
        }
        if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(TokenError::Malformed);
        }
        if claims.get("iss").and_then(Value::as_str) != self.tokens.issuer.as_deref() {
            return Err(TokenError::WrongIssuer);
        }
        let aud = match claims.get("aud") {
            None | Some(Value::Null) => None,
            Some(aud) => Some(Audience::deserialize(aud).map_err(|_| TokenError::Malformed)?),
        };
        let audience_ok = match (&self.tokens.audience, &aud) {
            (Some(expected), Some(aud)) => aud.contains(expected),
            (Some(_), None) => false,
            (None, aud) => aud.is_none(),
        };
        if !audience_ok {
            return Err(TokenError::WrongAudience);
        }
        // An ID token is proof of a login for a client, not a grant to call
        // this API (OIDC Core §2; RFC 9068 §4 asks resource servers to
        // refuse them).
        let for_a_client = aud
            .as_ref()
            .is_some_and(|aud| self.client_ids.iter().any(|client| aud.contains(client)));
        if claims.contains_key("nonce") || for_a_client {
            return Err(TokenError::WrongTokenType);
        }
        Ok(Checked { exp, iat, nbf, aud })
    }
}

/// The registered claims, as checked.
struct Checked {
    exp: u64,
    iat: u64,
    nbf: Option<u64>,
    aud: Option<Audience>,
}

#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

/// A NumericDate claim in whole seconds, rounded so that validity never
/// grows; `None` when absent. Negative, non-numeric or out of range:
/// malformed.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
    round: Round,
) -> Result<Option<u64>, TokenError> {
    let Some(value) = claims.get(name) else { return Ok(None) };
    if let Some(seconds) = value.as_u64() {
        return Ok(Some(seconds));
    }
    let seconds = value.as_f64().ok_or(TokenError::Malformed)?;
    let rounded = match round {
        Round::Down => seconds.floor(),
        Round::Up => seconds.ceil(),
    };
    if !(0.0..18_446_744_073_709_551_616.0).contains(&rounded) {
        return Err(TokenError::Malformed);
    }
    // A whole number within u64's range (checked above): exact.
    Ok(Some(rounded as u64))
}
