//! Randomness from the operating system, and the one policy for when it
//! fails.
//!
//! Everything random the crate draws (session ids, refresh-token secrets,
//! token ids, password salts, generated JWT secrets) comes through
//! [`fill`], [`random_bytes`] or [`random_id`]. They report a failed OS
//! generator as [`RandomUnavailable`]; nothing falls back to zeros or to any
//! other predictable value. What the failure becomes depends on when it
//! happens:
//!
//! - On a request path it is an error of that request, never a weaker
//!   result: [`TokenError::Signing`](crate::TokenError::Signing) for a token
//!   id, [`StoreError`](crate::StoreError) in the session stores (a 503),
//!   [`PasswordError::Unavailable`](crate::PasswordError::Unavailable) for a
//!   password salt (a 503).
//! - At startup, [`JwtSecret::generate`](crate::JwtSecret::generate), whose
//!   signature returns the secret itself, panics (documented there): a
//!   process that cannot draw its signing key must not start.
//!
//! The decoy hash that unknown usernames are verified against draws nothing:
//! it only has to cost what a real verification costs, so it is a constant
//! (see `password::decoy_hash`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RandomUnavailable;

impl fmt::Display for RandomUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system's random number generator failed")
    }
}

impl std::error::Error for RandomUnavailable {}

/// Fills `bytes` from the OS. On failure, the contents of `bytes` are
/// unspecified: the caller must not use them.
pub(crate) fn fill(bytes: &mut [u8]) -> Result<(), RandomUnavailable> {
    getrandom::fill(bytes).map_err(|_| RandomUnavailable)
}

/// `N` random bytes from the OS.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    let mut bytes = [0u8; N];
    fill(&mut bytes)?;
    Ok(bytes)
}

/// `N` random bytes from the OS, base64url-encoded.
pub(crate) fn random_id<const N: usize>() -> Result<String, RandomUnavailable> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_base64url_of_n_bytes_and_differ() {
        let (a, b) = (random_id::<16>().expect("rng"), random_id::<16>().expect("rng"));
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert_eq!(random_id::<32>().expect("rng").len(), 43);
    }
}
