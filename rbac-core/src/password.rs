//! Password hashing with argon2id, run on a bounded pool of threads (`pool`).

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::random::{RandomUnavailable, random_bytes};

mod pool;

use pool::{Busy, HashingPool};

/// The longest username accepted at login, in bytes; longer ones fail like a
/// wrong password without touching the store.
pub const MAX_USERNAME_BYTES: usize = 128;

/// The longest password accepted, in bytes. Longer ones are refused before
/// any hashing work, so a huge password cannot buy extra CPU time.
pub const MAX_PASSWORD_BYTES: usize = 128;

/// An argon2id hash in PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$...`).
///
/// Its `Debug` output is redacted and it does not implement `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from storage, checking that it parses.
    pub fn from_phc(phc: impl Into<String>) -> Result<Self, PasswordError> {
        let phc = phc.into();
        argon2::PasswordHash::new(&phc).map_err(|_| PasswordError::MalformedHash)?;
        Ok(Self(phc))
    }

    /// The PHC string, for writing to storage.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// Why hashing or verification could not run (not "wrong password", which is `Ok(false)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password is longer than [`MAX_PASSWORD_BYTES`].
    TooLong,
    /// A stored hash is not a valid PHC string.
    MalformedHash,
    /// The hashing task failed (the blocking pool shut down or the RNG failed).
    Unavailable,
    /// Every hashing slot and queue place is taken; retry shortly.
    Busy,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "password longer than 128 bytes",
            Self::MalformedHash => "stored password hash is not a valid PHC string",
            Self::Unavailable => "password hashing is unavailable",
            Self::Busy => "password hashing is at capacity",
        })
    }
}

impl std::error::Error for PasswordError {}

/// Hashes and verifies passwords with argon2id.
///
/// The defaults are OWASP's: m = 19456 KiB, t = 2, p = 1. The `async`
/// methods run the work on the hasher's own pool of threads so it never
/// stalls the runtime's worker threads, with bounded concurrency and a bounded queue
/// ([`PasswordHasher::with_limits`]) so memory stays bounded under a storm.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use rbac_core::PasswordHasher;
///
/// let hasher = PasswordHasher::default();
/// let hash = hasher.hash("correct horse".into()).await.unwrap();
/// assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(hasher.verify("correct horse".into(), Some(&hash)).await.unwrap());
/// assert!(!hasher.verify("wrong".into(), Some(&hash)).await.unwrap());
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// Verified against when the user does not exist, so that an unknown
    /// username costs the same as a wrong password.
    decoy: PasswordHash,
    pub(crate) pool: Arc<HashingPool>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish_non_exhaustive()
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(Params::DEFAULT)
    }
}

impl PasswordHasher {
    /// A hasher with explicit argon2id parameters (used for new hashes and the decoy).
    pub fn new(params: Params) -> Self {
        let decoy = decoy_hash(&params);
        let (concurrency, queue) = Self::default_limits();
        Self { params, decoy, pool: Arc::new(HashingPool::new(concurrency, queue)) }
    }

    /// Argon2id at its smallest cost (8 KiB, one pass), for test suites: the
    /// real parameters make a debug-build test that logs in about 12× slower.
    ///
    /// Only with the `testing` feature. Enable it under `[dev-dependencies]`
    /// (`rbac-core = { version = "…", features = ["testing"] }`), where Cargo
    /// turns it on for tests and never for the binaries you ship.
    ///
    /// ```
    /// use rbac_core::PasswordHasher;
    ///
    /// let hasher = PasswordHasher::fast_for_tests();
    /// let hash = hasher.hash_blocking("pw").unwrap();
    /// assert!(hash.as_phc().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
    /// ```
    #[cfg(feature = "testing")]
    pub fn fast_for_tests() -> Self {
        Self::new(Params::new(8, 1, 1, None).unwrap_or_default())
    }

    /// The default `(concurrency, queue)` of [`PasswordHasher::with_limits`]:
    /// one hash per core at once, eight per core waiting.
    pub fn default_limits() -> (usize, usize) {
        HashingPool::default_limits()
    }

    /// Bounds the async methods: at most `concurrency` hashes at once (each
    /// holds `m_cost` KiB), at most `queue` more waiting; beyond that they fail
    /// at once with [`PasswordError::Busy`]. The default is one per core and
    /// eight waiting per core.
    #[must_use]
    pub fn with_limits(mut self, concurrency: usize, queue: usize) -> Self {
        self.pool = Arc::new(HashingPool::new(concurrency, queue));
        self
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes on the current thread. Use from blocking contexts (seeding, CLIs).
    pub fn hash_blocking(&self, password: &str) -> Result<PasswordHash, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        let salt =
            random_bytes::<SALT_BYTES>().map_err(|RandomUnavailable| PasswordError::Unavailable)?;
        let phc = self
            .argon2()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|_| PasswordError::Unavailable)?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// Verifies on the current thread. `None` verifies against the decoy
    /// hash and returns `false`, costing the same time as a real check.
    pub fn verify_blocking(
        &self,
        password: &str,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        let target = hash.unwrap_or(&self.decoy);
        let parsed =
            argon2::PasswordHash::new(&target.0).map_err(|_| PasswordError::MalformedHash)?;
        let matches = verify_in_reused_memory(password.as_bytes(), &parsed)?;
        Ok(matches && hash.is_some())
    }

    /// Hashes on the blocking pool. The password is zeroed after use.
    pub async fn hash(&self, password: String) -> Result<PasswordHash, PasswordError> {
        let password = Zeroizing::new(password);
        let hasher = self.clone();
        self.pool
            .run(move || hasher.hash_blocking(&password))
            .await
            .map_err(|Busy| PasswordError::Busy)?
            .ok_or(PasswordError::Unavailable)?
    }

    /// Verifies on the blocking pool; see [`PasswordHasher::verify_blocking`].
    /// The password is zeroed after use.
    pub async fn verify(
        &self,
        password: String,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, PasswordError> {
        self.verify_zeroizing(Zeroizing::new(password), hash).await
    }

    pub(crate) async fn verify_zeroizing(
        &self,
        password: Zeroizing<String>,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, PasswordError> {
        let hasher = self.clone();
        let hash = hash.cloned();
        self.pool
            .run(move || hasher.verify_blocking(&password, hash.as_ref()))
            .await
            .map_err(|Busy| PasswordError::Busy)?
            .ok_or(PasswordError::Unavailable)?
    }
}

thread_local! {
    /// Argon2's working memory (m_cost KiB), kept by each thread that
    /// verifies: allocating and freeing 19 MiB per login fragments the
    /// allocator's arenas, and RSS then grows far past what runs at once.
    static WORKING_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Recomputes the hash with the stored parameters and salt, in this thread's
/// reusable working memory, and compares in constant time.
fn verify_in_reused_memory(
    password: &[u8],
    hash: &argon2::PasswordHash,
) -> Result<bool, PasswordError> {
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(PasswordError::MalformedHash);
    };
    let algorithm =
        Algorithm::try_from(hash.algorithm.as_str()).map_err(|_| PasswordError::MalformedHash)?;
    let version = match hash.version {
        Some(version) => Version::try_from(version).map_err(|_| PasswordError::MalformedHash)?,
        None => Version::default(),
    };
    let params = Params::try_from(hash).map_err(|_| PasswordError::MalformedHash)?;
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = Zeroizing::new(vec![0u8; expected.as_bytes().len()]);
    WORKING_MEMORY
        .with_borrow_mut(|memory| {
            memory.resize(blocks, argon2::Block::new());
            argon2.hash_password_into_with_memory(
                password,
                salt.as_ref(),
                &mut computed,
                &mut memory[..],
            )
        })
        .map_err(|_| PasswordError::MalformedHash)?;
    let difference = computed.iter().zip(expected.as_bytes()).fold(0u8, |d, (a, b)| d | (a ^ b));
    Ok(difference == 0)
}

/// Bytes of salt in a new hash (argon2's recommended length).
const SALT_BYTES: usize = argon2::RECOMMENDED_SALT_LEN;

/// A well-formed hash with our parameters, to verify against when the user
/// does not exist. Building it costs no hashing work, and it draws no
/// randomness: its one job is to cost what a real verification costs, and
/// that cost depends only on the parameters and the salt and output lengths
/// (those of a real hash: [`SALT_BYTES`], argon2's default 32-byte output),
/// not on their values. So salt and output are fixed, public, and not
/// secret: knowing them tells an attacker nothing, because
/// [`PasswordHasher::verify_blocking`] answers `false` for the decoy even
/// if a password did match it (and finding one would be a preimage of
/// argon2id).
fn decoy_hash(params: &Params) -> PasswordHash {
    let salt = &Sha256::digest(b"rbac-core decoy salt")[..SALT_BYTES];
    let output = Sha256::digest(b"rbac-core decoy hash: no password has it");
    PasswordHash(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(Params::new(64, 1, 1, None).expect("valid params"))
    }

    #[test]
    fn decoy_parses_and_never_matches() {
        let hasher = cheap();
        assert!(argon2::PasswordHash::new(hasher.decoy.as_phc()).is_ok());
        assert_eq!(hasher.verify_blocking("", None), Ok(false));
        assert_eq!(hasher.verify_blocking("anything", None), Ok(false));
    }

    #[test]
    fn the_decoy_is_shaped_like_a_real_hash_and_not_zeros() {
        let hasher = cheap();
        let real = hasher.hash_blocking("pw").expect("hash");
        let real = argon2::PasswordHash::new(real.as_phc()).expect("phc");
        let decoy = argon2::PasswordHash::new(hasher.decoy.as_phc()).expect("phc");
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.version, real.version);
        assert_eq!(decoy.params, real.params);
        let (salt, output) = (decoy.salt.expect("salt"), decoy.hash.expect("output"));
        assert_eq!(salt.as_ref().len(), real.salt.expect("salt").as_ref().len());
        assert_eq!(output.as_bytes().len(), real.hash.expect("output").as_bytes().len());
        assert!(salt.as_ref().iter().any(|&b| b != 0) && output.as_bytes().iter().any(|&b| b != 0));
    }

    #[test]
    fn default_parameters_are_owasp_argon2id() {
        let hash = PasswordHasher::default().hash_blocking("pw").expect("hash");
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn overlong_passwords_are_refused_before_hashing() {
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(cheap().hash_blocking(&long), Err(PasswordError::TooLong));
        assert_eq!(cheap().verify_blocking(&long, None), Err(PasswordError::TooLong));
    }

    #[test]
    fn verification_matches_the_reference_implementation() {
        use argon2::password_hash::PasswordVerifier as _;

        let hasher = cheap();
        for password in ["", "pw", "correct horse battery staple"] {
            let hash = hasher.hash_blocking(password).expect("hash");
            let parsed = argon2::PasswordHash::new(hash.as_phc()).expect("phc");
            for attempt in ["", "pw", "correct horse battery staple", "PW"] {
                let reference =
                    Argon2::default().verify_password(attempt.as_bytes(), &parsed).is_ok();
                assert_eq!(
                    hasher.verify_blocking(attempt, Some(&hash)),
                    Ok(reference),
                    "{password:?} vs {attempt:?}"
                );
            }
        }
        // Hashes made elsewhere, with other parameters, verify too.
        let foreign = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32, 3, 2, Some(24)).expect("params"),
        )
        .hash_password(b"other")
        .expect("hash")
        .to_string();
        let foreign = PasswordHash::from_phc(foreign).expect("phc");
        assert_eq!(hasher.verify_blocking("other", Some(&foreign)), Ok(true));
        assert_eq!(hasher.verify_blocking("wrong", Some(&foreign)), Ok(false));
    }

    #[test]
    fn debug_is_redacted() {
        let hash = cheap().hash_blocking("pw").expect("hash");
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");
    }
}
