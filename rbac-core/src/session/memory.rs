//! [`MemorySessionStore`]: sessions and revocations in process memory.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use super::{
    Digest32, FamilySecret, MAX_DENIED_PER_SESSION, MAX_SESSION_LIFETIME, REFRESH_LIFETIME,
    RefreshError, Rotation, SessionGrant, digest, new_refresh_token, parse_refresh_token,
};
use crate::random::{RandomUnavailable, random_id};

#[cfg(test)]
mod tests;
mod trait_impl;

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
    /// The sooner of the idle expiry and the end of the absolute lifetime.
    expires_at: u64,
    started_at: u64,
    /// Digest of the secret every token of the session carries; `None`
    /// until the first token is issued.
    family: Option<Digest32>,
    /// Digest of the one token that may be spent next.
    current: Option<Digest32>,
    /// The `jti`s denied in this session (at most
    /// [`MAX_DENIED_PER_SESSION`]), to bound and to drop with it.
    denied: Vec<String>,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, Session>,
    /// Denied `jti`s and their `exp`: the one map the hot path reads.
    denied: HashMap<String, u64>,
    /// Denied `jti`s of access tokens naming no session, per user key.
    denied_sessionless: HashMap<String, Vec<String>>,
    generations: HashMap<String, u64>,
    insertions: u32,
}

/// Sessions and revocations in process memory: the default of
/// [`Auth`](crate::Auth). A restart ends every session, and other processes
/// do not see its revocations; use a SQL store for those.
///
/// Its size is bounded as the [`SessionStore`](crate::SessionStore) documentation describes: at
/// most [`MAX_SESSIONS_PER_USER`](crate::session::MAX_SESSIONS_PER_USER) sessions and
/// `(MAX_SESSIONS_PER_USER + 1) × MAX_DENIED_PER_SESSION` denied `jti`s per
/// user, however many refreshes and revocations they make.
///
/// ```
/// use rbac_core::{Auth, JwtSecret, MemorySessionStore, MemoryUserStore, Tokens};
///
/// let auth = Auth::new(Tokens::hs256(JwtSecret::generate()), MemoryUserStore::new())
///     .with_session_store(MemorySessionStore::default());
/// ```
#[derive(Debug)]
pub struct MemorySessionStore {
    state: RwLock<State>,
    case_insensitive: bool,
    max_lifetime: u64,
    /// How long a refresh token lives unused, in seconds.
    refresh_lifetime: u64,
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            case_insensitive: false,
            max_lifetime: MAX_SESSION_LIFETIME.as_secs(),
            refresh_lifetime: REFRESH_LIFETIME.as_secs(),
        }
    }
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

    /// Sets the absolute session lifetime (default
    /// [`MAX_SESSION_LIFETIME`](crate::session::MAX_SESSION_LIFETIME)): a session
    /// ends this long after its login, however often it is refreshed. It
    /// applies to sessions already started too.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use rbac_core::MemorySessionStore;
    ///
    /// let sessions = MemorySessionStore::default()
    ///     .with_max_session_lifetime(Duration::from_secs(30 * 24 * 60 * 60));
    /// ```
    #[must_use]
    pub fn with_max_session_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime.as_secs();
        self
    }

    /// Sets how long a refresh token lives unused (default
    /// [`REFRESH_LIFETIME`](crate::session::REFRESH_LIFETIME), 14 days): each
    /// refresh moves a session's end this far out, up to the absolute
    /// lifetime.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use rbac_core::MemorySessionStore;
    ///
    /// let sessions =
    ///     MemorySessionStore::default().with_refresh_lifetime(Duration::from_secs(24 * 60 * 60));
    /// ```
    #[must_use]
    pub fn with_refresh_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_lifetime = lifetime.as_secs();
        self
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

    /// The end of a session started at `started_at`, refreshed at `now`.
    fn expiry(&self, started_at: u64, now: u64) -> u64 {
        let idle = now.saturating_add(self.refresh_lifetime);
        idle.min(started_at.saturating_add(self.max_lifetime))
    }

    /// The user's current token generation.
    fn generation(&self, username: &str) -> u64 {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.generations.get(self.key(username).as_ref()).copied().unwrap_or(0)
    }

    /// A new session for `username`; returns its id.
    fn start(&self, username: &str, scope: &str, now: u64) -> Result<String, RandomUnavailable> {
        let id = random_id::<16>()?;
        let mut state = self.write();
        state.prune_sometimes(now);
        let session = Session {
            username: username.to_owned(),
            scope: scope.to_owned(),
            revoked: false,
            expires_at: self.expiry(now, now),
            started_at: now,
            family: None,
            current: None,
            denied: Vec::new(),
        };
        state.sessions.insert(id.clone(), session);
        self.evict_beyond_cap(&mut state, username, &id);
        Ok(id)
    }

    /// Ends the user's least recently used sessions beyond
    /// [`MAX_SESSIONS_PER_USER`](crate::session::MAX_SESSIONS_PER_USER).
    /// The new session `kept` is never the one evicted: logins within one
    /// second tie on expiry.
    fn evict_beyond_cap(&self, state: &mut State, username: &str, kept: &str) {
        let key = self.key(username);
        let mut owned: Vec<(u64, String)> = state
            .sessions
            .iter()
            .filter(|(id, session)| self.key(&session.username) == key && *id != kept)
            .map(|(id, session)| (session.expires_at, id.clone()))
            .collect();
        if owned.len() < crate::session::MAX_SESSIONS_PER_USER {
            return;
        }
        owned.sort_unstable_by(|a, b| b.cmp(a));
        for (_, id) in owned.into_iter().skip(crate::session::MAX_SESSIONS_PER_USER - 1) {
            state.remove_session(&id);
        }
    }

    /// A fresh refresh token for `session` in `family`; `None` draws the
    /// family of a new session's first token. `Ok(None)`: no such session,
    /// or not its family.
    fn issue(
        &self,
        session: &str,
        family: Option<&FamilySecret>,
        now: u64,
    ) -> Result<Option<String>, RandomUnavailable> {
        let drawn = match family {
            Some(_) => None,
            None => Some(FamilySecret::generate()?),
        };
        let Some(family) = family.or(drawn.as_ref()) else { return Ok(None) };
        let token = new_refresh_token(session, family)?;
        let mut state = self.write();
        let Some(entry) = state.sessions.get_mut(session) else { return Ok(None) };
        match (entry.family, drawn.is_some()) {
            (None, true) => entry.family = Some(family.digest()),
            (Some(known), false) if constant_time_eq(&known, &family.digest()) => {}
            _ => return Ok(None),
        }
        entry.expires_at = self.expiry(entry.started_at, now);
        entry.current = Some(digest(&token));
        Ok(Some(token))
    }

    /// Spends `presented`. Any other token of its session revokes it.
    fn rotate(&self, presented: &str, now: u64) -> Result<Rotation, RefreshError> {
        let (session_id, family) = parse_refresh_token(presented).ok_or(RefreshError::Invalid)?;
        let family_digest = digest(family);
        let presented = digest(presented);
        let mut state = self.write();
        let session = state.sessions.get_mut(session_id).ok_or(RefreshError::Invalid)?;
        let outlived = now.saturating_sub(session.started_at) > self.max_lifetime;
        let ours = session.family.is_some_and(|known| constant_time_eq(&known, &family_digest));
        if session.revoked || session.expires_at < now || outlived || !ours {
            return Err(RefreshError::Invalid);
        }
        match session.current {
            Some(current) if constant_time_eq(&current, &presented) => {
                // Spent under the same lock that checked it, so a concurrent
                // second use of the same token is seen as reuse.
                session.current = None;
                Ok(Rotation {
                    username: session.username.clone(),
                    scope: session.scope.clone(),
                    session: session_id.to_owned(),
                    family: FamilySecret::presented(family),
                })
            }
            // It carries the family secret, so it was issued in this session:
            // a spent token, however old.
            _ => {
                state.revoke_session(session_id);
                Err(RefreshError::Reused)
            }
        }
    }

    /// The user and scopes of the session of `presented`, if it is the
    /// session's current refresh token. Spends nothing.
    fn granted(&self, presented: &str) -> Option<SessionGrant> {
        let (session_id, _) = parse_refresh_token(presented)?;
        let presented = digest(presented);
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let session = state.sessions.get(session_id)?;
        let current = session.current.as_ref()?;
        constant_time_eq(current, &presented).then(|| SessionGrant {
            username: session.username.clone(),
            scope: session.scope.clone(),
        })
    }

    /// Revokes the session of a refresh token (any of its family); `false`
    /// if it is not one.
    fn revoke_refresh(&self, presented: &str) -> bool {
        let Some((session_id, family)) = parse_refresh_token(presented) else { return false };
        let family = digest(family);
        let mut state = self.write();
        let Some(session) = state.sessions.get(session_id) else { return false };
        let known = session.family.is_some_and(|known| constant_time_eq(&known, &family));
        if known {
            state.revoke_session(session_id);
        }
        known
    }

    /// Voids one access token; past the per-session (or, without a
    /// session, per-user) cap, revokes the session (or the user) instead.
    fn deny_token(&self, sub: &str, sid: Option<&str>, jti: &str, exp: u64, now: u64) {
        let unverifiable = now.saturating_sub(crate::Tokens::MAX_LEEWAY.as_secs());
        let key = self.key(sub).into_owned();
        let mut state = self.write();
        if state.denied.contains_key(jti) {
            return;
        }
        let State { sessions, denied, denied_sessionless, .. } = &mut *state;
        let owned = match sid {
            // Gone or revoked: every token naming it is refused already.
            Some(sid) => match sessions.get_mut(sid) {
                Some(session) if !session.revoked => &mut session.denied,
                _ => return,
            },
            None => denied_sessionless.entry(key.clone()).or_default(),
        };
        owned.retain(|jti| {
            let live = denied.get(jti).is_some_and(|exp| *exp >= unverifiable);
            if !live {
                denied.remove(jti);
            }
            live
        });
        if owned.len() < MAX_DENIED_PER_SESSION {
            owned.push(jti.to_owned());
            denied.insert(jti.to_owned(), exp);
            return;
        }
        for jti in owned.drain(..) {
            denied.remove(&jti);
        }
        match sid {
            Some(sid) => state.revoke_session(sid),
            None => self.revoke_user_in(&mut state, sub),
        }
    }

    /// "Log out everywhere": every token the user holds stops working.
    fn revoke_user(&self, username: &str) {
        let mut state = self.write();
        self.revoke_user_in(&mut state, username);
    }

    fn revoke_user_in(&self, state: &mut State, username: &str) {
        let key = self.key(username);
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
        // The new generation voids every older token of the user.
        for jti in state.denied_sessionless.remove(key.as_ref()).unwrap_or_default() {
            state.denied.remove(&jti);
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

impl State {
    /// Revokes a session; its denials are then redundant, as the session's
    /// revocation refuses every token naming it.
    fn revoke_session(&mut self, id: &str) {
        if let Some(session) = self.sessions.get_mut(id) {
            session.revoked = true;
            for jti in session.denied.drain(..) {
                self.denied.remove(&jti);
            }
        }
    }

    fn remove_session(&mut self, id: &str) {
        self.revoke_session(id);
        self.sessions.remove(id);
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
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, session)| session.expires_at < now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.remove_session(&id);
        }
        self.denied.retain(|_, exp| *exp >= unverifiable);
        let denied = &self.denied;
        for session in self.sessions.values_mut() {
            session.denied.retain(|jti| denied.contains_key(jti));
        }
        self.denied_sessionless.retain(|_, owned| {
            owned.retain(|jti| denied.contains_key(jti));
            !owned.is_empty()
        });
    }
}
