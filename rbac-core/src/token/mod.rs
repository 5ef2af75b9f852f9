//! Issuing and verifying JWT access tokens (RFC 7519 / RFC 8725): HS256,
//! EdDSA, ES256 or RS256, several keys at once, and remote JWKS.

mod claims;
#[cfg(feature = "oidc")]
mod issuers;
mod keys;
#[cfg(feature = "oidc")]
mod mapping;
#[cfg(feature = "oidc")]
mod oidc;
mod remote;
pub(crate) mod strict;

pub use claims::{Audience, Claims, IssuedToken, TokenError, TokenSubject};

pub use keys::{JwtSecret, KeyError, SigningAlgorithm, SigningKey, VerificationKey, WeakSecret};
pub use remote::{JwksError, RemoteJwks};
#[cfg(feature = "oidc")]
pub use {
    issuers::{AccessTokenProfile, IssuerConfigError, TrustedIssuer, TrustedIssuers},
    mapping::{ClaimMapping, RoleName, ScopeClaim, ScopeName},
    oidc::TlsRoots,
};

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use jsonwebtoken::Header;
use jsonwebtoken::jwk::JwkSet;
use sha2::Sha256;

/// Tokens longer than this many bytes are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Signs and verifies access tokens.
///
/// One [`SigningKey`] signs (HS256 by default, or EdDSA, ES256 or RS256);
/// any number of [`VerificationKey`]s verify, each pinned to its own
/// algorithm and selected by the token's `kid`. Rotation without downtime:
/// sign with the new key and keep the old one as a verification key until
/// the tokens it signed have expired, then drop it.
///
/// Defaults: 30-minute lifetime, 30-second clock leeway.
///
/// ```
/// use rbac_core::{JwtSecret, SigningKey, Tokens, TokenError};
///
/// let tokens = Tokens::hs256(JwtSecret::generate());
/// let issued = tokens.issue("johndoe").unwrap();
/// let claims = tokens.verify(&issued.access_token).unwrap();
/// assert_eq!(claims.sub, "johndoe");
///
/// // Rotation: the new key signs, the old one still verifies.
/// let old = SigningKey::hs256(&JwtSecret::generate());
/// let before = Tokens::new(old.clone()).issue("johndoe").unwrap();
/// let rotated = Tokens::hs256(JwtSecret::generate()).with_verification_key(old.verification_key());
/// assert!(rotated.verify(&before.access_token).is_ok());
/// assert_eq!(rotated.verify(&issued.access_token), Err(TokenError::UnknownKey));
/// ```
#[derive(Clone)]
pub struct Tokens {
    /// `None` on a verify-only instance ([`Tokens::verifier`]).
    signing: Option<Arc<SigningKey>>,
    /// Signing key first header, computed once.
    header: Header,
    keys: KeyRing,
    lifetime: Duration,
    max_lifetime: Duration,
    leeway: Duration,
    issuer: Option<String>,
    audience: Option<String>,
}

/// Where verification keys come from.
#[derive(Clone)]
enum KeyRing {
    Fixed(Arc<[VerificationKey]>),
    Remote(Arc<RemoteJwks>),
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("signing", &self.signing)
            .field("lifetime", &self.lifetime)
            .field("max_lifetime", &self.max_lifetime)
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
    /// The default longest accepted token lifetime, `exp − iat`.
    pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

    /// HS256 with the given secret: the zero-configuration default.
    pub fn hs256(secret: JwtSecret) -> Self {
        Self::new(SigningKey::hs256(&secret))
    }

    /// EdDSA (Ed25519) with a PKCS#8 PEM private key; see [`SigningKey::from_pem_as`].
    pub fn ed25519_from_pem(private_pem: &[u8]) -> Result<Self, KeyError> {
        SigningKey::from_pem_as(private_pem, SigningAlgorithm::EdDSA).map(Self::new)
    }

    /// Signs with `key` and verifies with its verification key.
    pub fn new(key: SigningKey) -> Self {
        let mut header = Header::new(key.algorithm().jose());
        header.typ = Some("JWT".to_owned());
        header.kid = Some(key.kid().to_owned());
        let keys = KeyRing::Fixed(Arc::from([key.verification_key()]));
        Self::with_ring(Some(Arc::new(key)), header, keys)
    }

    /// Verifies only, with these keys; [`Tokens::issue`] fails with
    /// [`TokenError::Signing`]. For a resource server configured with the
    /// issuer's public keys.
    pub fn verifier(keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        let keys = KeyRing::Fixed(keys.into_iter().collect());
        Self::with_ring(None, Header::default(), keys)
    }

    /// Verifies only, with the keys of a JWKS URL, fetched and refreshed by
    /// `jwks`. See [`RemoteJwks`].
    pub fn remote(jwks: RemoteJwks) -> Self {
        Self::with_ring(None, Header::default(), KeyRing::Remote(Arc::new(jwks)))
    }

    fn with_ring(signing: Option<Arc<SigningKey>>, header: Header, keys: KeyRing) -> Self {
        Self {
            signing,
            header,
            keys,
            lifetime: Self::DEFAULT_LIFETIME,
            max_lifetime: Self::DEFAULT_MAX_LIFETIME,
            leeway: Self::MAX_LEEWAY,
            issuer: None,
            audience: None,
        }
    }

    /// Also accepts tokens signed by `key`'s signing key, for rotation. A key
    /// with the `kid` of one already held replaces it.
    #[must_use]
    pub fn with_verification_key(mut self, key: VerificationKey) -> Self {
        if let KeyRing::Fixed(keys) = &self.keys {
            let mut keys: Vec<VerificationKey> =
                keys.iter().filter(|held| held.kid != key.kid).cloned().collect();
            keys.push(key);
            self.keys = KeyRing::Fixed(keys.into());
        }
        self
    }

    /// The signing key, if this instance issues tokens.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.as_deref()
    }

    /// The public keys, as a JWKS document for `/.well-known/jwks.json`:
    /// the public half of every asymmetric verification key. HMAC secrets
    /// are never published, so with HS256 only the document is empty.
    pub fn jwks(&self) -> JwkSet {
        let keys = match &self.keys {
            KeyRing::Fixed(keys) => keys.iter().filter_map(|key| key.public.clone()).collect(),
            KeyRing::Remote(_) => Vec::new(),
        };
        JwkSet { keys }
    }

    /// The remote key set, when verifying against a JWKS URL.
    pub(crate) fn remote_jwks(&self) -> Option<&RemoteJwks> {
        match &self.keys {
            KeyRing::Remote(remote) => Some(remote),
            KeyRing::Fixed(_) => None,
        }
    }

    /// Sets `iss` on issued tokens and requires it on verified ones.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets `aud` on issued tokens and requires verified ones to include it.
    ///
    /// Without an audience, a token that carries any `aud` is refused: it
    /// was meant for some other service (RFC 7519 §4.1.3).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets how long issued tokens live (rounded down to whole seconds, at least one).
    #[must_use]
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.max(Duration::from_secs(1));
        self
    }

    /// Sets the longest lifetime (`exp − iat`) a verified token may claim;
    /// the default is [`Tokens::DEFAULT_MAX_LIFETIME`]. A leaked key or a
    /// careless issuer then cannot mint a token that lives for years. Tokens
    /// this instance issues always pass: the bound is at least
    /// [`Tokens::lifetime`].
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// Sets the clock leeway for `exp`, `nbf` and `iat`, capped at [`Tokens::MAX_LEEWAY`].
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(Self::MAX_LEEWAY);
        self
    }

    /// The lifetime of issued tokens.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Signs a bare access token for `subject`, valid from now for
    /// [`Tokens::lifetime`]: for tests and service-to-service calls.
    ///
    /// It is not a login. It belongs to no session (so there is no refresh
    /// token, and logging out cannot end it; it can be revoked by its `jti`
    /// or with the user's generation), and it carries no scopes, so every
    /// scope guard refuses it. Users get tokens from `/token`
    /// ([`Auth::login`](crate::Auth::login)); to sign a token with scopes,
    /// use [`Tokens::issue_for`].
    pub fn issue(&self, subject: &str) -> Result<IssuedToken, TokenError> {
        self.issue_for(&TokenSubject { username: subject, ..TokenSubject::default() })
    }

    /// Signs a token with the claims `subject` describes.
    pub fn issue_for(&self, subject: &TokenSubject<'_>) -> Result<IssuedToken, TokenError> {
        let signing = self.signing.as_ref().ok_or(TokenError::Signing)?;
        let now = unix_now();
        let expires_in = self.lifetime.as_secs();
        let claims = Claims {
            sub: subject.username.to_owned(),
            exp: now.saturating_add(expires_in),
            iat: now,
            nbf: None,
            jti: random_jti()?,
            sid: subject.session.map(str::to_owned),
            generation: subject.generation,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
            scope: subject.scope.map(str::to_owned),
            roles: subject.roles.iter().map(|role| role.as_str().to_owned()).collect(),
        };
        let access_token = jsonwebtoken::encode(&self.header, &claims, &signing.encoding)
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
    ///
    /// The header's `kid` selects among the configured keys only (a token
    /// without one is accepted only while exactly one key is configured), and
    /// its `alg` must be the one that key is pinned to: a token can never
    /// make an RSA or Ed25519 public key serve as an HMAC secret.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let parts = strict::split(token)?;
        let fetched;
        let keys: &[VerificationKey] = match &self.keys {
            KeyRing::Fixed(keys) => keys,
            KeyRing::Remote(remote) => {
                fetched = remote.keys();
                &fetched
            }
        };
        let key = select_key(keys, parts.header)?;
        verify_signature(key, &parts)?;
        let claims = strict::decode_claims(parts.payload)?;
        self.check_claims(claims, now)
    }

    /// The fixed key the header of `token` selects, as [`Tokens::verify_at`]
    /// checks it: for the step benchmark.
    pub(crate) fn header_step(&self, token: &str) -> Result<(), TokenError> {
        let parts = strict::split(token)?;
        let KeyRing::Fixed(keys) = &self.keys else { return Err(TokenError::UnknownKey) };
        select_key(keys, parts.header).map(drop)
    }

    /// The signature check of [`Tokens::verify_at`] alone: for the step benchmark.
    pub(crate) fn signature_step(&self, token: &str) -> Result<(), TokenError> {
        let parts = strict::split(token)?;
        let KeyRing::Fixed(keys) = &self.keys else { return Err(TokenError::UnknownKey) };
        verify_signature(select_key(keys, parts.header)?, &parts)
    }

    /// The checks of verified claims against `now` and this configuration.
    fn check_claims(&self, claims: Claims, now: u64) -> Result<Claims, TokenError> {
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
        // Our own tokens always pass (the bound is at least what we issue);
        // a verifier issues nothing, so its configured bound stands alone.
        let max_lifetime = match self.signing {
            Some(_) => self.max_lifetime.max(self.lifetime),
            None => self.max_lifetime,
        }
        .as_secs();
        if claims.exp.saturating_sub(claims.iat) > max_lifetime {
            return Err(TokenError::LifetimeTooLong);
        }
        if let Some(issuer) = &self.issuer
            && claims.iss.as_ref() != Some(issuer)
        {
            return Err(TokenError::WrongIssuer);
        }
        let audience_ok = match (&self.audience, &claims.aud) {
            (Some(expected), Some(aud)) => aud.contains(expected),
            (Some(_), None) => false,
            // A token addressed to anyone is not addressed to a service that
            // has no name for itself.
            (None, aud) => aud.is_none(),
        };
        if !audience_ok {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }
}

/// The key the header selects by `kid` (or the only one), once the header
/// passes the strict checks: no duplicate keys, no `crit`, and the `alg`
/// the key is pinned to.
fn select_key<'k>(
    keys: &'k [VerificationKey],
    header: &str,
) -> Result<&'k VerificationKey, TokenError> {
    let mut buffer = [0; strict::MAX_HEADER_BYTES];
    let header = strict::decode_header(header, &mut buffer)?;
    let key = match header.kid.as_deref() {
        Some(kid) => keys.iter().find(|key| key.kid == kid),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
    .ok_or(TokenError::UnknownKey)?;
    if header.alg != key.algorithm.as_str() {
        return Err(TokenError::AlgorithmNotAllowed);
    }
    if header.crit {
        return Err(TokenError::UnsupportedCriticalHeader);
    }
    Ok(key)
}

pub(crate) fn verify_signature(
    key: &VerificationKey,
    parts: &strict::Compact<'_>,
) -> Result<(), TokenError> {
    if let Some(hmac) = &key.hmac {
        return verify_hmac(hmac.clone(), parts);
    }
    let signature_ok = jsonwebtoken::crypto::verify(
        parts.signature,
        parts.signing_input.as_bytes(),
        &key.decoding,
        key.algorithm.jose(),
    )
    .map_err(|_| TokenError::Malformed)?;
    if signature_ok { Ok(()) } else { Err(TokenError::BadSignature) }
}

/// HS256 with the keyed state: as jsonwebtoken checks it (base64url
/// signature, compared in constant time), without the per-call key setup
/// and allocations.
fn verify_hmac(mut hmac: Hmac<Sha256>, parts: &strict::Compact<'_>) -> Result<(), TokenError> {
    // An HS256 signature is 32 bytes (43 characters); anything longer is
    // decoded to the heap, to fail the comparison as it always did.
    let mut buffer = [0; 48];
    let heap;
    let signature = if parts.signature.len() <= 64 {
        let length = URL_SAFE_NO_PAD
            .decode_slice(parts.signature, &mut buffer)
            .map_err(|_| TokenError::Malformed)?;
        &buffer[..length]
    } else {
        heap = URL_SAFE_NO_PAD.decode(parts.signature).map_err(|_| TokenError::Malformed)?;
        &heap[..]
    };
    hmac.update(parts.signing_input.as_bytes());
    hmac.verify_slice(signature).map_err(|_| TokenError::BadSignature)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

fn random_jti() -> Result<String, TokenError> {
    crate::random::random_id::<16>().map_err(|_| TokenError::Signing)
}

#[cfg(test)]
mod tests;
