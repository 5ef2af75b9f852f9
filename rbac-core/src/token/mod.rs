//! Issuing and verifying JWT access tokens (HS256, RFC 7519 / RFC 8725).

mod keys;
mod strict;

pub use keys::{JwtSecret, KeyError, WeakSecret};

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// Tokens longer than this many bytes are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: String,
    /// Expiry, seconds since the Unix epoch. Required, and a JSON number: a
    /// string here fails to parse.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: u64,
    /// Not-before time; checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Issuer, when the issuing `Tokens` has one ([`Tokens::with_issuer`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured ([`Tokens::with_audience`]): one string or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
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
    /// Longer than [`MAX_TOKEN_BYTES`].
    TooLarge,
    /// Not three base64url segments of duplicate-free JSON with the expected fields.
    Malformed,
    /// The header names an algorithm other than the pinned one (including `none`).
    AlgorithmNotAllowed,
    /// The header carries `crit`, and we implement no critical extensions.
    UnsupportedCriticalHeader,
    /// The signature does not match.
    BadSignature,
    /// `exp` (plus leeway) is in the past.
    Expired,
    /// `nbf` or `iat` (minus leeway) is in the future.
    NotYetValid,
    /// `iss` is missing or names another issuer.
    WrongIssuer,
    /// `aud` is missing or does not include this audience.
    WrongAudience,
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
            Self::BadSignature => "bad signature",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "wrong issuer",
            Self::WrongAudience => "wrong audience",
            Self::Signing => "token signing failed",
        })
    }
}

impl std::error::Error for TokenError {}

/// Signs and verifies access tokens with one pinned algorithm: HS256 by
/// default, or EdDSA (Ed25519) with [`Tokens::ed25519_from_pem`].
///
/// Defaults: 30-minute lifetime, 30-second clock leeway.
///
/// ```
/// use rbac_core::{JwtSecret, Tokens, TokenError};
///
/// let tokens = Tokens::hs256(JwtSecret::generate());
/// let issued = tokens.issue("johndoe").unwrap();
/// let claims = tokens.verify(&issued.access_token).unwrap();
/// assert_eq!(claims.sub, "johndoe");
///
/// let other = Tokens::hs256(JwtSecret::generate());
/// assert_eq!(other.verify(&issued.access_token), Err(TokenError::BadSignature));
/// ```
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The one algorithm accepted, pinned with the key.
    algorithm: Algorithm,
    header: Header,
    lifetime: Duration,
    leeway: Duration,
    issuer: Option<String>,
    audience: Option<String>,
    /// The public half of an asymmetric key, as published in the JWKS.
    public_jwk: Option<jsonwebtoken::jwk::Jwk>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("algorithm", &self.header.alg)
            .field("lifetime", &self.lifetime)
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// The default token lifetime.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 60);
    /// The default (and largest accepted) clock leeway.
    pub const MAX_LEEWAY: Duration = Duration::from_secs(30);

    /// HS256 with the given secret.
    pub fn hs256(secret: JwtSecret) -> Self {
        // Both constructors only fail on an empty secret, which `JwtSecret` rules out.
        let encoding = EncodingKey::from_secret(&secret.0).expect("non-empty HMAC secret");
        let decoding = DecodingKey::from_secret(&secret.0).expect("non-empty HMAC secret");
        Self::with_keys(encoding, decoding, Algorithm::HS256)
    }

    fn with_keys(encoding: EncodingKey, decoding: DecodingKey, algorithm: Algorithm) -> Self {
        let mut header = Header::new(algorithm);
        header.typ = Some("JWT".to_owned());
        Self {
            encoding,
            decoding,
            algorithm,
            header,
            lifetime: Self::DEFAULT_LIFETIME,
            leeway: Self::MAX_LEEWAY,
            issuer: None,
            audience: None,
            public_jwk: None,
        }
    }

    /// Sets `iss` on issued tokens and requires it on verified ones.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets `aud` on issued tokens and requires verified ones to include it.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets how long issued tokens live (rounded down to whole seconds, at least one).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.max(Duration::from_secs(1));
        self
    }

    /// Sets the clock leeway for `exp`, `nbf` and `iat`, capped at [`Tokens::MAX_LEEWAY`].
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(Self::MAX_LEEWAY);
        self
    }

    /// The lifetime of issued tokens.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Signs a token for `subject`, valid from now for [`Tokens::lifetime`].
    pub fn issue(&self, subject: &str) -> Result<IssuedToken, TokenError> {
        self.issue_in_session(subject, None, 0)
    }

    /// Signs a token for `subject` that belongs to session `sid` and carries
    /// the user's token `generation`.
    pub fn issue_in_session(
        &self,
        subject: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> Result<IssuedToken, TokenError> {
        let now = unix_now();
        let expires_in = self.lifetime.as_secs();
        let claims = Claims {
            sub: subject.to_owned(),
            exp: now.saturating_add(expires_in),
            iat: now,
            nbf: None,
            jti: random_jti()?,
            sid: sid.map(str::to_owned),
            generation,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        let access_token = jsonwebtoken::encode(&self.header, &claims, &self.encoding)
            .map_err(|_| TokenError::Signing)?;
        Ok(IssuedToken { access_token, expires_in, claims, refresh_token: None })
    }

    /// Verifies a token against the current time.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, unix_now())
    }

    /// Verifies a token as of `now` (seconds since the Unix epoch).
    ///
    /// Order matters: size, structure and header are checked before the
    /// signature; the payload is parsed only once the signature holds, so an
    /// attacker's payload never reaches the JSON parser.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let parts = strict::split(token)?;
        let header: strict::JoseHeader = strict::decode_json(parts.header)?;
        if header.alg != algorithm_name(self.algorithm) {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        if header.crit {
            return Err(TokenError::UnsupportedCriticalHeader);
        }
        let signature_ok = jsonwebtoken::crypto::verify(
            parts.signature,
            parts.signing_input.as_bytes(),
            &self.decoding,
            self.algorithm,
        )
        .map_err(|_| TokenError::Malformed)?;
        if !signature_ok {
            return Err(TokenError::BadSignature);
        }
        let claims: Claims = strict::decode_json(parts.payload)?;
        let leeway = self.leeway.as_secs();
        if claims.exp.saturating_add(leeway) < now {
            return Err(TokenError::Expired);
        }
        let not_before = claims.nbf.unwrap_or(0).max(claims.iat);
        if not_before > now.saturating_add(leeway) {
            return Err(TokenError::NotYetValid);
        }
        if claims.sub.is_empty() {
            return Err(TokenError::Malformed);
        }
        if let Some(issuer) = &self.issuer
            && claims.iss.as_ref() != Some(issuer)
        {
            return Err(TokenError::WrongIssuer);
        }
        if let Some(audience) = &self.audience
            && !claims.aud.as_ref().is_some_and(|aud| aud.contains(audience))
        {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }
}

/// The `alg` header value of the algorithms `Tokens` can be pinned to.
fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "EdDSA",
        _ => "HS256",
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

fn random_jti() -> Result<String, TokenError> {
    random_id(16).ok_or(TokenError::Signing)
}

/// `len` random bytes from the OS, base64url-encoded.
pub(crate) fn random_id(len: usize) -> Option<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests;
