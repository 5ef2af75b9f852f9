//! Random identifiers: session ids, refresh-token secrets, token ids (`jti`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `len` random bytes from the OS, base64url-encoded.
pub(crate) fn random_id(len: usize) -> Option<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}
