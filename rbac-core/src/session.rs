//! Sessions: refresh-token families with rotation and reuse detection
//! (RFC 6749 §6, OAuth 2.0 Security BCP §4.14), and revocation of access
//! tokens (`jti` denylist, per-user generations).
//!
//! In process memory for now; entries expire with the tokens they describe.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::token::random_id;

/// How long a refresh token (and its session) lives without being used.
pub const REFRESH_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// Prune expired entries after this many insertions.
const PRUNE_EVERY: u32 = 1024;

/// A refresh token is stored only as this digest; 256 random bits need no salt.
type Digest32 = [u8; 32];

fn digest(token: &str) -> Digest32 {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug)]
struct RefreshRecord {
    session: String,
    used: bool,
    expires_at: u64,
}

#[derive(Debug)]
struct Session {
    username: String,
    revoked: bool,
    expires_at: u64,
    /// Access tokens issued in this session: (jti, exp), so revoking the
    /// session can void them too.
    access: Vec<(String, u64)>,
}

#[derive(Debug, Default)]
struct State {
    refresh: HashMap<Digest32, RefreshRecord>,
    sessions: HashMap<String, Session>,
    denied: HashMap<String, u64>,
    generations: HashMap<String, u64>,
    insertions: u32,
}

/// Why a refresh token was refused. Both answer `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshError {
    /// Unknown, expired, or of a revoked session.
    Invalid,
    /// Already used: its whole session has just been revoked.
    Reused,
}

/// A rotated refresh token: the session it continues.
#[derive(Debug)]
pub(crate) struct Rotation {
    pub(crate) username: String,
    pub(crate) session: String,
}

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    state: RwLock<State>,
}

impl Sessions {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's current token generation.
    pub(crate) fn generation(&self, username: &str) -> u64 {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.generations.get(username).copied().unwrap_or(0)
    }

    /// A new session for `username`; returns its id.
    pub(crate) fn start(&self, username: &str, now: u64) -> Option<String> {
        let id = random_id(16)?;
        let mut state = self.write();
        state.prune_sometimes(now);
        let expires_at = now.saturating_add(REFRESH_LIFETIME.as_secs());
        let session = Session {
            username: username.to_owned(),
            revoked: false,
            expires_at,
            access: Vec::new(),
        };
        state.sessions.insert(id.clone(), session);
        Some(id)
    }

    /// A fresh refresh token for `session`, and the access token it goes with.
    pub(crate) fn issue(&self, session: &str, access: (&str, u64), now: u64) -> Option<String> {
        let token = random_id(32)?;
        let expires_at = now.saturating_add(REFRESH_LIFETIME.as_secs());
        let mut state = self.write();
        let entry = state.sessions.get_mut(session)?;
        entry.expires_at = expires_at;
        entry.access.retain(|(_, exp)| *exp >= now);
        entry.access.push((access.0.to_owned(), access.1));
        let record = RefreshRecord { session: session.to_owned(), used: false, expires_at };
        state.refresh.insert(digest(&token), record);
        Some(token)
    }

    /// Spends `presented`. A token used twice revokes its whole session.
    pub(crate) fn rotate(&self, presented: &str, now: u64) -> Result<Rotation, RefreshError> {
        let mut state = self.write();
        let key = digest(presented);
        let record = state.refresh.get_mut(&key).ok_or(RefreshError::Invalid)?;
        if record.expires_at < now {
            return Err(RefreshError::Invalid);
        }
        let session_id = record.session.clone();
        if std::mem::replace(&mut record.used, true) {
            state.revoke_session(&session_id);
            return Err(RefreshError::Reused);
        }
        match state.sessions.get(&session_id) {
            Some(session) if !session.revoked && session.expires_at >= now => {
                Ok(Rotation { username: session.username.clone(), session: session_id })
            }
            _ => Err(RefreshError::Invalid),
        }
    }

    /// Revokes the session of a refresh token; `false` if it is unknown.
    pub(crate) fn revoke_refresh(&self, presented: &str) -> bool {
        let mut state = self.write();
        let Some(session) = state.refresh.get(&digest(presented)).map(|r| r.session.clone()) else {
            return false;
        };
        state.revoke_session(&session);
        true
    }

    /// Revokes a session (its refresh tokens and access tokens).
    pub(crate) fn revoke_session(&self, session: &str) {
        self.write().revoke_session(session);
    }

    /// Voids one access token until it would have expired anyway.
    pub(crate) fn deny(&self, jti: &str, exp: u64) {
        let mut state = self.write();
        state.denied.insert(jti.to_owned(), exp);
    }

    /// "Log out everywhere": every token the user holds stops working.
    pub(crate) fn revoke_user(&self, username: &str) {
        let mut state = self.write();
        *state.generations.entry(username.to_owned()).or_insert(0) += 1;
        let sessions: Vec<String> = state
            .sessions
            .iter()
            .filter(|(_, session)| session.username == username)
            .map(|(id, _)| id.clone())
            .collect();
        for session in sessions {
            state.revoke_session(&session);
        }
    }

    /// Whether an otherwise valid access token has been revoked.
    pub(crate) fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.denied.contains_key(jti)
            || state.generations.get(sub).copied().unwrap_or(0) != generation
            || sid.is_some_and(|sid| state.sessions.get(sid).is_none_or(|session| session.revoked))
    }
}

impl State {
    fn revoke_session(&mut self, id: &str) {
        let Some(session) = self.sessions.get_mut(id) else { return };
        session.revoked = true;
        let access = std::mem::take(&mut session.access);
        self.denied.extend(access);
    }

    /// Drops what has expired, every so often, so memory follows live tokens.
    fn prune_sometimes(&mut self, now: u64) {
        self.insertions = self.insertions.wrapping_add(1);
        if !self.insertions.is_multiple_of(PRUNE_EVERY) {
            return;
        }
        self.refresh.retain(|_, record| record.expires_at >= now);
        self.sessions.retain(|_, session| session.expires_at >= now);
        self.denied.retain(|_, exp| *exp >= now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_stored_only_as_digests() {
        let sessions = Sessions::default();
        let session = sessions.start("johndoe", 100).expect("session");
        let token = sessions.issue(&session, ("jti", 200), 100).expect("token");
        let state = sessions.state.read().expect("lock");
        assert!(state.refresh.contains_key(&digest(&token)));
        let dump = format!("{:?}", *state);
        assert!(!dump.contains(&token), "the token itself is never kept");
        assert_eq!(token.len(), 43, "256 random bits, base64url");
    }

    #[test]
    fn reuse_revokes_the_session_and_its_access_tokens() {
        let sessions = Sessions::default();
        let session = sessions.start("johndoe", 100).expect("session");
        let first = sessions.issue(&session, ("a1", 500), 100).expect("token");
        let rotation = sessions.rotate(&first, 110).expect("first use");
        assert_eq!(rotation.username, "johndoe");
        let second = sessions.issue(&session, ("a2", 600), 110).expect("token");
        assert_eq!(sessions.rotate(&first, 120).expect_err("replay"), RefreshError::Reused);
        assert_eq!(sessions.rotate(&second, 120).expect_err("revoked"), RefreshError::Invalid);
        assert!(sessions.is_revoked("johndoe", "a1", Some(&session), 0));
        assert!(sessions.is_revoked("johndoe", "a2", Some(&session), 0));
    }

    #[test]
    fn revoking_a_user_voids_older_generations() {
        let sessions = Sessions::default();
        assert!(!sessions.is_revoked("johndoe", "x", None, 0));
        sessions.revoke_user("johndoe");
        assert!(sessions.is_revoked("johndoe", "x", None, 0));
        assert!(!sessions.is_revoked("johndoe", "y", None, sessions.generation("johndoe")));
        assert!(!sessions.is_revoked("janedoe", "z", None, 0), "other users are untouched");
    }

    #[test]
    fn expired_refresh_tokens_are_refused() {
        let sessions = Sessions::default();
        let session = sessions.start("johndoe", 100).expect("session");
        let token = sessions.issue(&session, ("a", 200), 100).expect("token");
        let later = 100 + REFRESH_LIFETIME.as_secs() + 1;
        assert_eq!(sessions.rotate(&token, later).expect_err("expired"), RefreshError::Invalid);
    }
}
