//! Sessions: refresh-token families with rotation and reuse detection
//! (RFC 6749 §6, OAuth 2.0 Security BCP §4.14), and revocation of access
//! tokens (`jti` denylist, per-user generations).
//!
//! A refresh token is `<session id>.<family secret>.<token secret>`, opaque
//! to clients; each secret is 256 random bits. The family secret is drawn
//! when a session's first token is issued and carried by every later one;
//! the token secret is new each time. A store keeps only SHA-256 digests: of
//! the family secret and of the session's current token. So with constant
//! storage per session, any other token of the family, however long ago it
//! was spent, is recognised as reuse. A token that merely names the session
//! (its id is in every access token's `sid`) without the family secret is
//! just invalid, and revokes nothing.
//!
//! Access tokens name their session (`sid`), so revoking a session voids
//! them without listing them.
//!
//! Where this state lives is a [`SessionStore`]: in process memory
//! ([`MemorySessionStore`], the default), or in the SQL stores, so that every
//! instance of a service sees the same sessions and revocations.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::boxed::BoxFuture;
use crate::random::{RandomUnavailable, random_id};
use crate::store::StoreError;

mod memory;
mod shared;

pub use memory::MemorySessionStore;

/// How long a refresh token (and its session) lives without being used.
pub const REFRESH_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// Live sessions kept per user. Starting one more ends the user's least
/// recently used session (its refresh and access tokens stop working), so
/// repeated logins cannot grow the store without bound.
pub const MAX_SESSIONS_PER_USER: usize = 64;

/// How long a session lives at most from its login, however often it is
/// refreshed: the default of the stores' `with_max_session_lifetime`
/// ([`MemorySessionStore::with_max_session_lifetime`]).
pub const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// Revoked access tokens listed per session (and per user for tokens naming
/// no session). Revoking one more revokes the whole session (or, without
/// one, every token of the user) instead, which RFC 7009 §2.1 allows, so
/// the denylist stays bounded however often a client refreshes and revokes.
pub const MAX_DENIED_PER_SESSION: usize = 8;

/// A refresh token is stored only as this digest; 256 random bits need no salt.
pub(crate) type Digest32 = [u8; 32];

/// The SHA-256 of a refresh token: the only form in which stores keep it.
pub(crate) fn digest(token: &str) -> Digest32 {
    Sha256::digest(token.as_bytes()).into()
}

/// The secret every refresh token of one session carries, as read from a
/// presented token: what a store needs to issue the session's next token.
/// Stores keep only its digest; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct FamilySecret(String);

impl fmt::Debug for FamilySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FamilySecret(..)")
    }
}

impl FamilySecret {
    /// A new family secret: 256 random bits.
    pub(crate) fn generate() -> Result<Self, RandomUnavailable> {
        random_id::<32>().map(Self)
    }

    /// The family part of a token that a store has just matched.
    pub(crate) fn presented(family: &str) -> Self {
        Self(family.to_owned())
    }

    /// The only form in which stores keep it.
    pub(crate) fn digest(&self) -> Digest32 {
        digest(&self.0)
    }
}

/// A new refresh token for `session` in `family`.
pub(crate) fn new_refresh_token(
    session: &str,
    family: &FamilySecret,
) -> Result<String, RandomUnavailable> {
    Ok(format!("{session}.{}.{}", family.0, random_id::<32>()?))
}

/// The session and family secret of a refresh token, if it has the shape of
/// one: three non-empty parts. Older two-part tokens have none.
pub(crate) fn parse_refresh_token(token: &str) -> Option<(&str, &str)> {
    let mut parts = token.split('.');
    let (session, family, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let empty = session.is_empty() || family.is_empty() || secret.is_empty();
    (parts.next().is_none() && !empty).then_some((session, family))
}

/// Why a refresh token was refused. Both answer `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    /// Unknown, expired, or of a revoked session.
    Invalid,
    /// Already used: its whole session has just been revoked.
    Reused,
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invalid => "invalid refresh token",
            Self::Reused => "refresh token reused; session revoked",
        })
    }
}

/// A spent refresh token: the session it continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Whose session it is.
    pub username: String,
    /// The scopes granted at login (space-separated); refreshes never widen them.
    pub scope: String,
    /// The session id, to issue the successor in.
    pub session: String,
    /// The session's family secret, to issue the successor with.
    pub family: FamilySecret,
}

/// What a current refresh token was granted: whose session it is and its
/// scopes. Looked up without spending the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    /// Whose session it is.
    pub username: String,
    /// The scopes granted at login (space-separated).
    pub scope: String,
}

/// Where session and revocation state lives.
///
/// A session ends [`REFRESH_LIFETIME`] after its last refresh, or at the
/// absolute lifetime after its login ([`MAX_SESSION_LIFETIME`] unless
/// configured), whichever is sooner.
///
/// # Size
///
/// However many logins, refreshes and revocations a user makes, a store
/// holds for them at most [`MAX_SESSIONS_PER_USER`] sessions (each of
/// constant size: two digests) and `(MAX_SESSIONS_PER_USER + 1) ×
/// MAX_DENIED_PER_SESSION` = 520 denied `jti`s: [`MAX_DENIED_PER_SESSION`]
/// per session, plus as many for access tokens naming no session. So the
/// steady state is at most `users × (64 sessions + 520 denials)`, and
/// usually far less, as denials go once their token has expired.
///
/// Times are Unix seconds. Every method may fail with a [`StoreError`]
/// (the request then gets a 503). Implementations must make
/// [`rotate`](SessionStore::rotate) atomic: checking the presented token and
/// spending it happen as one step, so that of two concurrent uses of one
/// token exactly one succeeds and the other is seen as reuse.
///
/// [`is_revoked`](SessionStore::is_revoked) runs on every guarded request;
/// stores backed by a database answer it from a bounded cache (see the
/// `sql` module, with the `sqlite` or `postgres` feature).
///
/// ```
/// use rbac_core::session::RefreshError;
/// use rbac_core::{MemorySessionStore, SessionStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sessions = MemorySessionStore::default();
/// let now = 1_700_000_000;
/// let session = sessions.start("johndoe", "items:read", now).await.unwrap();
/// let token = sessions.issue(&session, None, now).await.unwrap().unwrap();
/// let rotation = sessions.rotate(&token, now).await.unwrap().unwrap();
/// let next = sessions.issue(&session, Some(&rotation.family), now).await.unwrap();
/// assert!(next.is_some());
/// // Presented again: reuse, and the session is revoked.
/// assert_eq!(sessions.rotate(&token, now).await.unwrap(), Err(RefreshError::Reused));
/// assert!(sessions.is_revoked("johndoe", "some-jti", Some(&session), 0).await.unwrap());
/// # }
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The user's current token generation (0 until the first
    /// [`revoke_user`](SessionStore::revoke_user)).
    fn generation(&self, username: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Starts a session for `username`, granted `scope` (space-separated,
    /// possibly empty), and returns its id.
    fn start(
        &self,
        username: &str,
        scope: &str,
        now: u64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// A fresh refresh token for `session`, which becomes its current one.
    /// `family` is `None` for the first token of a session just
    /// [`start`](SessionStore::start)ed (the store draws its family secret),
    /// and afterwards the [`Rotation::family`] of the token just spent.
    /// `None` (no token) for an unknown session, a family not the
    /// session's, or a second first token.
    fn issue(
        &self,
        session: &str,
        family: Option<&FamilySecret>,
        now: u64,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Spends `presented`, if it is its session's current token. Any other
    /// token of the session's family (spent, however long ago) revokes the
    /// session and answers [`RefreshError::Reused`].
    fn rotate(
        &self,
        presented: &str,
        now: u64,
    ) -> impl Future<Output = Result<Result<Rotation, RefreshError>, StoreError>> + Send;

    /// The user and scope of the session of `presented`, if it is the
    /// session's current refresh token. Spends nothing.
    fn granted(
        &self,
        presented: &str,
    ) -> impl Future<Output = Result<Option<SessionGrant>, StoreError>> + Send;

    /// Revokes the session of a refresh token (current or spent: any of its
    /// family); `false` if it is not one.
    fn revoke_refresh(
        &self,
        presented: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes a session: its refresh tokens and the access tokens naming it.
    fn revoke_session(&self, session: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Voids one access token of `sub`, in session `sid` if it names one,
    /// until `exp`, when it would have expired anyway. The session (or, with
    /// no `sid`, the user) keeps at most [`MAX_DENIED_PER_SESSION`] live
    /// denials: one more revokes the session (or every token of the user)
    /// instead. A token of a revoked or ended session needs no denial.
    fn deny_token(
        &self,
        sub: &str,
        sid: Option<&str>,
        jti: &str,
        exp: u64,
        now: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// "Log out everywhere": bumps the user's generation and revokes all
    /// their sessions.
    fn revoke_user(&self, username: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether an otherwise valid access token has been revoked: its `jti`
    /// denied, its generation outdated, or its session (`sid`) revoked or gone.
    fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

type Answer<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// [`SessionStore`] with boxed futures, so [`Auth`](crate::Auth) holds any
/// store behind one pointer.
pub(crate) trait DynSessionStore: Send + Sync {
    fn generation<'a>(&'a self, username: &'a str) -> Answer<'a, u64>;
    fn start<'a>(&'a self, username: &'a str, scope: &'a str, now: u64) -> Answer<'a, String>;
    fn issue<'a>(
        &'a self,
        session: &'a str,
        family: Option<&'a FamilySecret>,
        now: u64,
    ) -> Answer<'a, Option<String>>;
    fn rotate<'a>(
        &'a self,
        presented: &'a str,
        now: u64,
    ) -> Answer<'a, Result<Rotation, RefreshError>>;
    fn granted<'a>(&'a self, presented: &'a str) -> Answer<'a, Option<SessionGrant>>;
    fn revoke_refresh<'a>(&'a self, presented: &'a str) -> Answer<'a, bool>;
    fn revoke_session<'a>(&'a self, session: &'a str) -> Answer<'a, ()>;
    fn deny_token<'a>(
        &'a self,
        sub: &'a str,
        sid: Option<&'a str>,
        jti: &'a str,
        exp: u64,
        now: u64,
    ) -> Answer<'a, ()>;
    fn revoke_user<'a>(&'a self, username: &'a str) -> Answer<'a, ()>;
    fn is_revoked<'a>(
        &'a self,
        sub: &'a str,
        jti: &'a str,
        sid: Option<&'a str>,
        generation: u64,
    ) -> Answer<'a, bool>;
}

impl<T: SessionStore> DynSessionStore for T {
    fn generation<'a>(&'a self, username: &'a str) -> Answer<'a, u64> {
        Box::pin(SessionStore::generation(self, username))
    }
    fn start<'a>(&'a self, username: &'a str, scope: &'a str, now: u64) -> Answer<'a, String> {
        Box::pin(SessionStore::start(self, username, scope, now))
    }
    fn issue<'a>(
        &'a self,
        session: &'a str,
        family: Option<&'a FamilySecret>,
        now: u64,
    ) -> Answer<'a, Option<String>> {
        Box::pin(SessionStore::issue(self, session, family, now))
    }
    fn rotate<'a>(
        &'a self,
        presented: &'a str,
        now: u64,
    ) -> Answer<'a, Result<Rotation, RefreshError>> {
        Box::pin(SessionStore::rotate(self, presented, now))
    }
    fn granted<'a>(&'a self, presented: &'a str) -> Answer<'a, Option<SessionGrant>> {
        Box::pin(SessionStore::granted(self, presented))
    }
    fn revoke_refresh<'a>(&'a self, presented: &'a str) -> Answer<'a, bool> {
        Box::pin(SessionStore::revoke_refresh(self, presented))
    }
    fn revoke_session<'a>(&'a self, session: &'a str) -> Answer<'a, ()> {
        Box::pin(SessionStore::revoke_session(self, session))
    }
    fn deny_token<'a>(
        &'a self,
        sub: &'a str,
        sid: Option<&'a str>,
        jti: &'a str,
        exp: u64,
        now: u64,
    ) -> Answer<'a, ()> {
        Box::pin(SessionStore::deny_token(self, sub, sid, jti, exp, now))
    }
    fn revoke_user<'a>(&'a self, username: &'a str) -> Answer<'a, ()> {
        Box::pin(SessionStore::revoke_user(self, username))
    }
    fn is_revoked<'a>(
        &'a self,
        sub: &'a str,
        jti: &'a str,
        sid: Option<&'a str>,
        generation: u64,
    ) -> Answer<'a, bool> {
        Box::pin(SessionStore::is_revoked(self, sub, jti, sid, generation))
    }
}
