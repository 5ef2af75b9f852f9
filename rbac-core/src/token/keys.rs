//! Keys: the HMAC secret, signing keys and verification keys, each with a
//! `kid` and pinned to one algorithm.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

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
    /// If the operating system's random number generator fails. This is a
    /// startup-time constructor that returns the secret itself, and a
    /// process that cannot draw its signing key has nothing safe to sign
    /// with: it must not start, and it never falls back to a predictable
    /// key. (Request paths report the same failure as an error instead.)
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 64]);
        crate::random::fill(&mut bytes).expect("the OS random number generator failed");
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

/// The signature algorithms a key can be pinned to.
///
/// Deliberately short: HS256 for one service, EdDSA and ES256 for tokens
/// other services verify, RS256 for interoperability. `none` and the
/// algorithms nobody here needs are not representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// HMAC with SHA-256: one shared secret signs and verifies.
    HS256,
    /// Ed25519 signatures (RFC 8037).
    EdDSA,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; keys of at least 2048 bits.
    RS256,
}

impl SigningAlgorithm {
    /// The JOSE `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }

    pub(super) fn jose(self) -> Algorithm {
        match self {
            Self::HS256 => Algorithm::HS256,
            Self::EdDSA => Algorithm::EdDSA,
            Self::ES256 => Algorithm::ES256,
            Self::RS256 => Algorithm::RS256,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key was refused. The message says what to supply instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyError(&'static str);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for KeyError {}

const NOT_A_PRIVATE_KEY: KeyError = KeyError(
    "not a PKCS#8 PEM private key of the expected type (create one with \
     `openssl genpkey -algorithm ed25519`, `-algorithm EC -pkeyopt ec_paramgen_curve:P-256` \
     or `-algorithm RSA -pkeyopt rsa_keygen_bits:3072`)",
);
const NOT_A_PUBLIC_KEY: KeyError =
    KeyError("not a PEM public key of the expected type (export one with `openssl pkey -pubout`)");
const WEAK_RSA: KeyError = KeyError("RSA keys need at least 2048 bits");
const UNSUPPORTED_JWK: KeyError = KeyError(
    "unsupported JWK: only signature keys of type OKP (Ed25519), EC (P-256) and RSA (≥ 2048 \
     bits) with a `kid` are accepted, never symmetric (`oct`) keys",
);

/// The smallest RSA modulus accepted, in bits (NIST SP 800-131A).
const MIN_RSA_MODULUS_BITS: usize = 2048;

/// The bit length of a big-endian unsigned integer.
fn significant_bits(bytes: &[u8]) -> usize {
    let mut digits = bytes.iter().skip_while(|byte| **byte == 0);
    match digits.next() {
        Some(first) => (8 - first.leading_zeros() as usize) + 8 * digits.count(),
        None => 0,
    }
}

/// A key that signs tokens: private material, so it is never `Debug`-printed
/// or serialized. Its public half is [`SigningKey::verification_key`].
///
/// ```
/// use rbac_core::{SigningAlgorithm, SigningKey};
///
/// // A throwaway key for this example; real keys come from a private file.
/// let pem = b"-----BEGIN PRIVATE KEY-----
/// MC4CAQAwBQYDK2VwBCIEIA2MQ6cp5Co/s64Z0kZKkdGuqAEaIETp11BX4XIlJTat
/// -----END PRIVATE KEY-----";
/// let key = SigningKey::from_pem(pem).unwrap();
/// assert_eq!(key.algorithm(), SigningAlgorithm::EdDSA);
/// assert_eq!(key.kid().len(), 43, "the RFC 7638 thumbprint");
/// assert!(SigningKey::from_pem(b"not a key").is_err());
/// ```
#[derive(Clone)]
pub struct SigningKey {
    pub(super) encoding: EncodingKey,
    pub(super) verification: VerificationKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.verification.kid)
            .field("algorithm", &self.verification.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An HMAC key. Its `kid` is derived from a SHA-256 of the secret, so
    /// every instance sharing the secret agrees on it without revealing it.
    pub fn hs256(secret: &JwtSecret) -> Self {
        // Both constructors only fail on an empty secret, which `JwtSecret` rules out.
        let encoding = EncodingKey::from_secret(&secret.0).expect("non-empty HMAC secret");
        let decoding = DecodingKey::from_secret(&secret.0).expect("non-empty HMAC secret");
        let mut hasher = Sha256::new();
        hasher.update(b"rbac-core hs256 kid\0");
        hasher.update(&*secret.0);
        let kid = format!("hs256-{}", &URL_SAFE_NO_PAD.encode(hasher.finalize())[..16]);
        let hmac = Hmac::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
        let verification = VerificationKey {
            kid,
            algorithm: SigningAlgorithm::HS256,
            decoding,
            hmac: Some(hmac),
            public: None,
        };
        Self { encoding, verification }
    }

    /// A PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) of any of
    /// the asymmetric algorithms, recognized by its type: Ed25519 → EdDSA,
    /// P-256 → ES256, RSA (≥ 2048 bits) → RS256. The `kid` is the RFC 7638
    /// thumbprint of the public key.
    pub fn from_pem(private_pem: &[u8]) -> Result<Self, KeyError> {
        [SigningAlgorithm::EdDSA, SigningAlgorithm::ES256, SigningAlgorithm::RS256]
            .into_iter()
            .find_map(|algorithm| Self::from_pem_as(private_pem, algorithm).ok())
            .ok_or_else(|| match Self::from_pem_as(private_pem, SigningAlgorithm::RS256) {
                Err(WEAK_RSA) => WEAK_RSA,
                _ => NOT_A_PRIVATE_KEY,
            })
    }

    /// A PKCS#8 PEM private key that must be of `algorithm`'s type.
    pub fn from_pem_as(private_pem: &[u8], algorithm: SigningAlgorithm) -> Result<Self, KeyError> {
        let encoding = match algorithm {
            SigningAlgorithm::EdDSA => EncodingKey::from_ed_pem(private_pem),
            SigningAlgorithm::ES256 => EncodingKey::from_ec_pem(private_pem),
            SigningAlgorithm::RS256 => EncodingKey::from_rsa_pem(private_pem),
            SigningAlgorithm::HS256 => return Err(NOT_A_PRIVATE_KEY),
        }
        .map_err(|_| NOT_A_PRIVATE_KEY)?;
        let mut public =
            Jwk::from_encoding_key(&encoding, algorithm.jose()).map_err(|_| NOT_A_PRIVATE_KEY)?;
        public.common.key_id = None;
        let verification = VerificationKey::from_public_jwk(public, algorithm)?;
        // Catches a PEM of the right family but the wrong curve (P-384 for ES256).
        let probe = jsonwebtoken::crypto::sign(b"probe", &encoding, algorithm.jose())
            .map_err(|_| NOT_A_PRIVATE_KEY)?;
        let verified = jsonwebtoken::crypto::verify(
            &probe,
            b"probe",
            &verification.decoding,
            algorithm.jose(),
        );
        if !matches!(verified, Ok(true)) {
            return Err(NOT_A_PRIVATE_KEY);
        }
        Ok(Self { encoding, verification })
    }

    /// Replaces the `kid` (for example to match a naming scheme of your own).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.verification = self.verification.with_kid(kid);
        self
    }

    /// The key id put in the header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.verification.kid
    }

    /// The algorithm this key is pinned to.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.verification.algorithm
    }

    /// What verifies this key's signatures: its public half, or for HS256
    /// the same secret (which is never published).
    pub fn verification_key(&self) -> VerificationKey {
        self.verification.clone()
    }
}

/// A key that verifies tokens, pinned to one algorithm and named by a `kid`.
///
/// Made from a [`SigningKey`], a PEM public key, or a JWK from a JWKS
/// document. A JWK must be an asymmetric signature key: symmetric (`oct`)
/// keys are refused, so a published document can never smuggle in an HMAC
/// secret.
///
/// ```
/// use rbac_core::{SigningAlgorithm, VerificationKey};
///
/// let jwk = serde_json::json!({
///     "kty": "OKP", "crv": "Ed25519", "kid": "2024-a", "alg": "EdDSA",
///     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
/// });
/// let key = VerificationKey::from_jwk(&serde_json::from_value(jwk).unwrap()).unwrap();
/// assert_eq!((key.kid(), key.algorithm()), ("2024-a", SigningAlgorithm::EdDSA));
///
/// let hmac = serde_json::json!({"kty": "oct", "kid": "k", "k": "c2VjcmV0"});
/// assert!(VerificationKey::from_jwk(&serde_json::from_value(hmac).unwrap()).is_err());
/// ```
#[derive(Clone)]
pub struct VerificationKey {
    pub(super) kid: String,
    pub(super) algorithm: SigningAlgorithm,
    pub(super) decoding: DecodingKey,
    /// For HS256: the HMAC state keyed once, so a verification hashes only
    /// the token (jsonwebtoken derives it from the secret on every call).
    pub(super) hmac: Option<Hmac<Sha256>>,
    /// The public JWK, for the JWKS; `None` for HMAC keys.
    pub(super) public: Option<Jwk>,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    /// A PEM public key (`-----BEGIN PUBLIC KEY-----`) for `algorithm`
    /// (EdDSA, ES256 or RS256). The `kid` is the RFC 7638 thumbprint, as
    /// for the matching [`SigningKey`].
    pub fn from_public_pem(
        public_pem: &[u8],
        algorithm: SigningAlgorithm,
    ) -> Result<Self, KeyError> {
        let decoding = match algorithm {
            SigningAlgorithm::EdDSA => DecodingKey::from_ed_pem(public_pem),
            SigningAlgorithm::ES256 => DecodingKey::from_ec_pem(public_pem),
            SigningAlgorithm::RS256 => DecodingKey::from_rsa_pem(public_pem),
            SigningAlgorithm::HS256 => return Err(NOT_A_PUBLIC_KEY),
        }
        .map_err(|_| NOT_A_PUBLIC_KEY)?;
        let public = Jwk::from_decoding_key(&decoding, Some(algorithm.jose()))
            .map_err(|_| NOT_A_PUBLIC_KEY)?;
        Self::from_public_jwk(public, algorithm)
    }

    /// A key from a JWKS entry. It needs a `kid`; its algorithm is the JWK's
    /// `alg`, or follows from the key type when `alg` is absent.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let kid = jwk.common.key_id.clone().ok_or(UNSUPPORTED_JWK)?;
        if matches!(jwk.common.public_key_use, Some(ref usage) if *usage != PublicKeyUse::Signature)
        {
            return Err(UNSUPPORTED_JWK);
        }
        let inferred = match &jwk.algorithm {
            AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => {
                SigningAlgorithm::EdDSA
            }
            AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
                SigningAlgorithm::ES256
            }
            AlgorithmParameters::RSA(_) => SigningAlgorithm::RS256,
            _ => return Err(UNSUPPORTED_JWK),
        };
        let declared = jwk.common.key_algorithm;
        if declared.is_some_and(|alg| alg != KeyAlgorithm::from(inferred.jose())) {
            return Err(UNSUPPORTED_JWK);
        }
        Ok(Self::from_public_jwk(jwk.clone(), inferred)?.with_kid(kid))
    }

    /// Checks a public JWK of `algorithm` and names it by its thumbprint.
    fn from_public_jwk(mut public: Jwk, algorithm: SigningAlgorithm) -> Result<Self, KeyError> {
        if let AlgorithmParameters::RSA(rsa) = &public.algorithm {
            let modulus = URL_SAFE_NO_PAD.decode(&rsa.n).map_err(|_| UNSUPPORTED_JWK)?;
            if significant_bits(&modulus) < MIN_RSA_MODULUS_BITS {
                return Err(WEAK_RSA);
            }
            // A public exponent must be odd and at least 3 (e = 1 verifies anything).
            let exponent = URL_SAFE_NO_PAD.decode(&rsa.e).map_err(|_| UNSUPPORTED_JWK)?;
            let odd = exponent.last().is_some_and(|low| low & 1 == 1);
            if !odd || significant_bits(&exponent) < 2 {
                return Err(UNSUPPORTED_JWK);
            }
        }
        let decoding = DecodingKey::from_jwk(&public).map_err(|_| UNSUPPORTED_JWK)?;
        let kid = match public.common.key_id.take() {
            Some(kid) => kid,
            None => public.thumbprint(ThumbprintHash::SHA256).map_err(|_| UNSUPPORTED_JWK)?,
        };
        public.common.key_algorithm = Some(algorithm.jose().into());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        public.common.key_operations = None;
        let mut key =
            Self { kid: String::new(), algorithm, decoding, hmac: None, public: Some(public) };
        key = key.with_kid(kid);
        Ok(key)
    }

    /// Replaces the `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        if let Some(public) = &mut self.public {
            public.common.key_id = Some(self.kid.clone());
        }
        self
    }

    /// The key id tokens name in their header to select this key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The public JWK, or `None` for an HMAC key (never published).
    pub fn public_jwk(&self) -> Option<&Jwk> {
        self.public.as_ref()
    }
}

#[cfg(test)]
mod tests;
