//! Signing keys: the HMAC secret and asymmetric keys.

use std::fmt;

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use zeroize::Zeroizing;

use super::Tokens;

/// The HMAC secret that signs and verifies tokens.
///
/// At least [`JwtSecret::MIN_LEN`] bytes (RFC 7518 §3.2 wants a key as long
/// as the hash output). It is zeroed on drop and its `Debug` is redacted.
///
/// ```
/// use rbac_core::JwtSecret;
///
/// assert!(JwtSecret::new(b"too short".to_vec()).is_err());
/// let secret = JwtSecret::generate();
/// assert_eq!(format!("{secret:?}"), "JwtSecret([redacted])");
/// ```
#[derive(Clone)]
pub struct JwtSecret(pub(super) Zeroizing<Vec<u8>>);

impl JwtSecret {
    /// The shortest accepted secret, in bytes.
    pub const MIN_LEN: usize = 32;

    /// Wraps secret bytes, refusing ones shorter than [`JwtSecret::MIN_LEN`].
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, WeakSecret> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.len() < Self::MIN_LEN {
            return Err(WeakSecret { len: bytes.len() });
        }
        Ok(Self(bytes))
    }

    /// 64 random bytes from the operating system. Tokens signed with it stop
    /// verifying when the process restarts, which is what a dev server wants.
    ///
    /// # Panics
    /// If the operating system's random number generator fails.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 64]);
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        Self(bytes)
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret([redacted])")
    }
}

/// A secret shorter than [`JwtSecret::MIN_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeakSecret {
    pub(super) len: usize,
}

impl fmt::Display for WeakSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JWT secret is {} bytes; at least {} are required (try `openssl rand -base64 48`)",
            self.len,
            JwtSecret::MIN_LEN
        )
    }
}

impl std::error::Error for WeakSecret {}

/// A key file that is not a usable Ed25519 private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyError;

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not an Ed25519 private key in PKCS#8 PEM (create one with \
             `openssl genpkey -algorithm ed25519`)",
        )
    }
}

impl std::error::Error for KeyError {}

impl Tokens {
    /// EdDSA (Ed25519), pinned: signs with the PKCS#8 PEM private key and
    /// verifies with its public half. Tokens with any other `alg`, HS256
    /// included, are refused, so the public key can never serve as an HMAC
    /// secret.
    ///
    /// ```
    /// use rbac_core::Tokens;
    ///
    /// // A throwaway key for this example; real keys come from a private file.
    /// let pem = b"-----BEGIN PRIVATE KEY-----
    /// MC4CAQAwBQYDK2VwBCIEIA2MQ6cp5Co/s64Z0kZKkdGuqAEaIETp11BX4XIlJTat
    /// -----END PRIVATE KEY-----";
    /// let tokens = Tokens::ed25519_from_pem(pem).unwrap();
    /// let issued = tokens.issue("johndoe").unwrap();
    /// assert_eq!(tokens.verify(&issued.access_token).unwrap().sub, "johndoe");
    /// assert!(Tokens::ed25519_from_pem(b"not a key").is_err());
    /// ```
    pub fn ed25519_from_pem(private_pem: &[u8]) -> Result<Self, KeyError> {
        let encoding = EncodingKey::from_ed_pem(private_pem).map_err(|_| KeyError)?;
        let mut public =
            Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).map_err(|_| KeyError)?;
        let decoding = DecodingKey::from_jwk(&public).map_err(|_| KeyError)?;
        // The key id is the RFC 7638 thumbprint: stable for the key, derived
        // from public material only.
        let kid = public.thumbprint(ThumbprintHash::SHA256).map_err(|_| KeyError)?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        let mut tokens = Self::with_keys(encoding, decoding, Algorithm::EdDSA);
        tokens.header.kid = Some(kid);
        tokens.public_jwk = Some(public);
        Ok(tokens)
    }

    /// The public keys, as a JWKS document for `/.well-known/jwks.json`:
    /// the asymmetric key's public half, or no keys at all for HS256 (an
    /// HMAC secret is never published).
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: self.public_jwk.iter().cloned().collect() }
    }
}
