//! [`MemorySessionStore`]: sessions and revocations in process memory.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use super::{
    Digest32, Grant, REFRESH_LIFETIME, REMEMBERED_USED, RefreshError, Rotation, SessionStore,
    digest, new_refresh_token, session_of,
};
use crate::store::StoreError;
use crate::token::random_id;

/// Prune expired entries after this many insertions.
const PRUNE_EVERY: u32 = 1024;

fn constant_time_eq(a: &Digest32, b: &Digest32) -> bool {
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[derive(Debug)]
struct Session {
    username: String,
    /// The scopes granted at login; refreshes never widen them.
    scope: String,
    revoked: bool,
    expires_at: u64,
    current: Option<Digest32>,
    used: std::collections::VecDeque<Digest32>,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, Session>,
    denied: HashMap<String, u64>,
    generations: HashMap<String, u64>,
    insertions: u32,
}

/// Sessions and revocations in process memory: the default of
/// [`Auth`](crate::Auth). A restart ends every session, and other processes
/// do not see its revocations; use a SQL store for those.
///
/// ```
/// use rbac_core::{Auth, JwtSecret, MemorySessionStore, MemoryUserStore, Tokens};
///
/// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
///     .with_session_store(MemorySessionStore::default());
/// ```
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    state: RwLock<State>,
    case_insensitive: bool,
}

impl MemorySessionStore {
    /// A store for a case-insensitive user store
    /// ([`MemoryUserStore::case_insensitive`](crate::MemoryUserStore::case_insensitive)):
    /// revoking `JohnDoe`'s tokens revokes those of `johndoe`.
    ///
    /// ```
    /// use rbac_core::{MemorySessionStore, SessionStore};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sessions = MemorySessionStore::case_insensitive();
    /// sessions.revoke_user("JohnDoe").await.unwrap();
    /// assert_eq!(sessions.generation("johndoe").await.unwrap(), 1);
    /// # }
    /// ```
    pub fn case_insensitive() -> Self {
        Self { case_insensitive: true, ..Self::default() }
    }

    /// How many access-token denials (`jti`s) the store holds, for
    /// monitoring its size.
    pub fn denied_len(&self) -> usize {
        self.state.read().unwrap_or_else(PoisonError::into_inner).denied.len()
    }

    /// How generations are keyed; no allocation on the exact-match path,
    /// which every guarded request takes.
    fn key<'a>(&self, username: &'a str) -> std::borrow::Cow<'a, str> {
        if self.case_insensitive {
            std::borrow::Cow::Owned(username.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(username)
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's current token generation.
    fn generation(&self, username: &str) -> u64 {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.generations.get(self.key(username).as_ref()).copied().unwrap_or(0)
    }

    /// A new session for `username`; returns its id.
    fn start(&self, username: &str, scope: &str, now: u64) -> Option<String> {
        let id = random_id(16)?;
        let mut state = self.write();
        state.prune_sometimes(now);
        let expires_at = now.saturating_add(REFRESH_LIFETIME.as_secs());
        let session = Session {
            username: username.to_owned(),
            scope: scope.to_owned(),
            revoked: false,
            expires_at,
            current: None,
            used: std::collections::VecDeque::new(),
        };
        state.sessions.insert(id.clone(), session);
        self.evict_beyond_cap(&mut state, username);
        Some(id)
    }

    /// Ends the user's least recently used sessions beyond
    /// [`MAX_SESSIONS_PER_USER`](crate::MAX_SESSIONS_PER_USER).
    fn evict_beyond_cap(&self, state: &mut State, username: &str) {
        let key = self.key(username);
        let mut owned: Vec<(u64, String)> = state
            .sessions
            .iter()
            .filter(|(_, session)| self.key(&session.username) == key)
            .map(|(id, session)| (session.expires_at, id.clone()))
            .collect();
        if owned.len() <= crate::MAX_SESSIONS_PER_USER {
            return;
        }
        owned.sort_unstable_by(|a, b| b.cmp(a));
        for (_, id) in owned.into_iter().skip(crate::MAX_SESSIONS_PER_USER) {
            state.sessions.remove(&id);
        }
    }

    /// A fresh refresh token for `session`; the previous one is spent.
    fn issue(&self, session: &str, now: u64) -> Option<String> {
        let token = new_refresh_token(session)?;
        let mut state = self.write();
        let entry = state.sessions.get_mut(session)?;
        entry.expires_at = now.saturating_add(REFRESH_LIFETIME.as_secs());
        if let Some(previous) = entry.current.replace(digest(&token)) {
            remember_used(entry, previous);
        }
        Some(token)
    }

    /// Spends `presented`. A spent token presented again revokes its session.
    fn rotate(&self, presented: &str, now: u64) -> Result<Rotation, RefreshError> {
        let session_id = session_of(presented).ok_or(RefreshError::Invalid)?;
        let presented = digest(presented);
        let mut state = self.write();
        let session = state.sessions.get_mut(session_id).ok_or(RefreshError::Invalid)?;
        if session.revoked || session.expires_at < now {
            return Err(RefreshError::Invalid);
        }
        if session.used.iter().any(|used| constant_time_eq(used, &presented)) {
            session.revoked = true;
            return Err(RefreshError::Reused);
        }
        match session.current {
            Some(current) if constant_time_eq(&current, &presented) => {
                // Spent under the same lock that checked it, so a concurrent
                // second use of the same token is seen as reuse.
                session.current = None;
                remember_used(session, current);
                Ok(Rotation {
                    username: session.username.clone(),
                    scope: session.scope.clone(),
                    session: session_id.to_owned(),
                })
            }
            _ => Err(RefreshError::Invalid),
        }
    }

    /// The user and scopes of the session of `presented`, if it is the
    /// session's current refresh token. Spends nothing.
    fn granted(&self, presented: &str) -> Option<Grant> {
        let session_id = session_of(presented)?;
        let presented = digest(presented);
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let session = state.sessions.get(session_id)?;
        let current = session.current.as_ref()?;
        constant_time_eq(current, &presented)
            .then(|| Grant { username: session.username.clone(), scope: session.scope.clone() })
    }

    /// Revokes the session of a refresh token; `false` if it is not one.
    fn revoke_refresh(&self, presented: &str) -> bool {
        let Some(session_id) = session_of(presented) else { return false };
        let presented = digest(presented);
        let mut state = self.write();
        let Some(session) = state.sessions.get_mut(session_id) else { return false };
        let known =
            session.current.iter().chain(&session.used).any(|d| constant_time_eq(d, &presented));
        if known {
            session.revoked = true;
        }
        known
    }

    /// Revokes a session (its refresh tokens and access tokens).
    fn revoke_session(&self, session: &str) {
        self.write().revoke_session(session);
    }

    /// Voids one access token until it would have expired anyway.
    fn deny(&self, jti: &str, exp: u64) {
        let mut state = self.write();
        state.denied.insert(jti.to_owned(), exp);
    }

    /// "Log out everywhere": every token the user holds stops working.
    fn revoke_user(&self, username: &str) {
        let key = self.key(username);
        let mut state = self.write();
        *state.generations.entry(key.clone().into_owned()).or_insert(0) += 1;
        let sessions: Vec<String> = state
            .sessions
            .iter()
            .filter(|(_, session)| self.key(&session.username) == key)
            .map(|(id, _)| id.clone())
            .collect();
        for session in sessions {
            state.revoke_session(&session);
        }
    }

    /// Whether an otherwise valid access token has been revoked.
    fn is_revoked(&self, sub: &str, jti: &str, sid: Option<&str>, generation: u64) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.denied.contains_key(jti)
            || state.generations.get(self.key(sub).as_ref()).copied().unwrap_or(0) != generation
            || sid.is_some_and(|sid| state.sessions.get(sid).is_none_or(|session| session.revoked))
    }
}

impl SessionStore for MemorySessionStore {
    async fn generation(&self, username: &str) -> Result<u64, StoreError> {
        Ok(self.generation(username))
    }
    async fn start(&self, username: &str, scope: &str, now: u64) -> Result<String, StoreError> {
        self.start(username, scope, now)
            .ok_or_else(|| StoreError::new("no randomness for a session id"))
    }
    async fn issue(&self, session: &str, now: u64) -> Result<Option<String>, StoreError> {
        Ok(self.issue(session, now))
    }
    async fn rotate(
        &self,
        presented: &str,
        now: u64,
    ) -> Result<Result<Rotation, RefreshError>, StoreError> {
        Ok(self.rotate(presented, now))
    }
    async fn granted(&self, presented: &str) -> Result<Option<Grant>, StoreError> {
        Ok(self.granted(presented))
    }
    async fn revoke_refresh(&self, presented: &str) -> Result<bool, StoreError> {
        Ok(self.revoke_refresh(presented))
    }
    async fn revoke_session(&self, session: &str) -> Result<(), StoreError> {
        self.revoke_session(session);
        Ok(())
    }
    async fn deny(&self, jti: &str, exp: u64) -> Result<(), StoreError> {
        self.deny(jti, exp);
        Ok(())
    }
    async fn revoke_user(&self, username: &str) -> Result<(), StoreError> {
        self.revoke_user(username);
        Ok(())
    }
    async fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> Result<bool, StoreError> {
        Ok(self.is_revoked(sub, jti, sid, generation))
    }
}

/// Keeps the digests of the last [`REMEMBERED_USED`] spent tokens.
fn remember_used(session: &mut Session, spent: Digest32) {
    if session.used.len() == REMEMBERED_USED {
        session.used.pop_front();
    }
    session.used.push_back(spent);
}

impl State {
    fn revoke_session(&mut self, id: &str) {
        if let Some(session) = self.sessions.get_mut(id) {
            session.revoked = true;
        }
    }

    /// Drops what has expired, every so often, so memory follows live tokens.
    fn prune_sometimes(&mut self, now: u64) {
        self.insertions = self.insertions.wrapping_add(1);
        if self.insertions.is_multiple_of(PRUNE_EVERY) {
            self.prune(now);
        }
    }

    /// Drops expired sessions, and denials of tokens that no longer verify:
    /// a token is accepted up to the clock leeway past its `exp`.
    fn prune(&mut self, now: u64) {
        let unverifiable = now.saturating_sub(crate::Tokens::MAX_LEEWAY.as_secs());
        self.sessions.retain(|_, session| session.expires_at >= now);
        self.denied.retain(|_, exp| *exp >= unverifiable);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(sessions: &MemorySessionStore) -> (String, String) {
        let session = sessions.start("johndoe", "", 100).expect("session");
        let token = sessions.issue(&session, 100).expect("token");
        (session, token)
    }

    #[test]
    fn refresh_tokens_are_stored_only_as_digests() {
        let sessions = MemorySessionStore::default();
        let (session, token) = chain(&sessions);
        let dump = format!("{:?}", *sessions.state.read().expect("lock"));
        assert!(
            !dump.contains(token.split_once('.').expect("dot").1),
            "the secret part is never kept"
        );
        assert!(token.starts_with(&format!("{session}.")));
        assert_eq!(token.len(), 22 + 1 + 43, "session id and 256 random bits");
    }

    #[test]
    fn reuse_revokes_the_session() {
        let sessions = MemorySessionStore::default();
        let (session, first) = chain(&sessions);
        assert_eq!(sessions.rotate(&first, 110).expect("first use").username, "johndoe");
        let second = sessions.issue(&session, 110).expect("token");
        assert_eq!(sessions.rotate(&first, 120).expect_err("replay"), RefreshError::Reused);
        assert_eq!(sessions.rotate(&second, 120).expect_err("revoked"), RefreshError::Invalid);
        assert!(sessions.is_revoked("johndoe", "a2", Some(&session), 0));
    }

    #[test]
    fn a_token_spent_twice_before_its_successor_exists_is_reuse() {
        let sessions = MemorySessionStore::default();
        let (session, token) = chain(&sessions);
        assert!(sessions.rotate(&token, 110).is_ok());
        // The same token again, racing the first rotation's `issue`.
        assert_eq!(sessions.rotate(&token, 110).expect_err("second spend"), RefreshError::Reused);
        assert!(
            sessions.issue(&session, 110).is_some_and(|next| sessions.rotate(&next, 111).is_err())
        );
    }

    #[test]
    fn memory_per_session_is_constant() {
        let sessions = MemorySessionStore::default();
        let (session, mut token) = chain(&sessions);
        for now in 100..1100 {
            sessions.rotate(&token, now).expect("rotate");
            token = sessions.issue(&session, now).expect("token");
        }
        let state = sessions.state.read().expect("lock");
        assert_eq!(state.sessions[&session].used.len(), REMEMBERED_USED);
    }

    #[test]
    fn forged_and_foreign_tokens_are_invalid_without_revoking() {
        let sessions = MemorySessionStore::default();
        let (session, token) = chain(&sessions);
        let forged = format!("{session}.{}", "A".repeat(43));
        assert_eq!(sessions.rotate(&forged, 110).expect_err("forged"), RefreshError::Invalid);
        assert!(!sessions.revoke_refresh(&forged));
        assert!(sessions.rotate(&token, 110).is_ok(), "the real chain goes on");
        assert_eq!(sessions.rotate("no-dot", 110).expect_err("garbage"), RefreshError::Invalid);
    }

    #[test]
    fn revoking_a_user_voids_older_generations() {
        let sessions = MemorySessionStore::default();
        assert!(!sessions.is_revoked("johndoe", "x", None, 0));
        sessions.revoke_user("johndoe");
        assert!(sessions.is_revoked("johndoe", "x", None, 0));
        assert!(!sessions.is_revoked("johndoe", "y", None, sessions.generation("johndoe")));
        assert!(!sessions.is_revoked("janedoe", "z", None, 0), "other users are untouched");
    }

    #[test]
    fn a_denial_outlives_exp_by_the_clock_leeway() {
        let sessions = MemorySessionStore::default();
        sessions.deny("jti", 1000);
        let leeway = crate::Tokens::MAX_LEEWAY.as_secs();
        sessions.write().prune(1000 + leeway);
        assert!(sessions.is_revoked("u", "jti", None, 0), "the token still verifies");
        sessions.write().prune(1000 + leeway + 1);
        assert!(!sessions.is_revoked("u", "jti", None, 0), "pruned once it cannot verify");
    }

    #[test]
    fn expired_refresh_tokens_are_refused() {
        let sessions = MemorySessionStore::default();
        let (_, token) = chain(&sessions);
        let later = 100 + REFRESH_LIFETIME.as_secs() + 1;
        assert_eq!(sessions.rotate(&token, later).expect_err("expired"), RefreshError::Invalid);
    }
}
