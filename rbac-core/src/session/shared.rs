//! A store behind an `Arc` is a store.

use std::future::Future;

use super::{FamilySecret, RefreshError, Rotation, SessionGrant, SessionStore};
use crate::store::StoreError;

/// A shared store is a store: keep an `Arc` to read a store's state (say,
/// for monitoring) while [`Auth`](crate::Auth) holds another.
impl<S: SessionStore> SessionStore for std::sync::Arc<S> {
    fn generation(&self, username: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        S::generation(self, username)
    }
    fn start(
        &self,
        username: &str,
        scope: &str,
        now: u64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send {
        S::start(self, username, scope, now)
    }
    fn issue(
        &self,
        session: &str,
        family: Option<&FamilySecret>,
        now: u64,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send {
        S::issue(self, session, family, now)
    }
    fn rotate(
        &self,
        presented: &str,
        now: u64,
    ) -> impl Future<Output = Result<Result<Rotation, RefreshError>, StoreError>> + Send {
        S::rotate(self, presented, now)
    }
    fn granted(
        &self,
        presented: &str,
    ) -> impl Future<Output = Result<Option<SessionGrant>, StoreError>> + Send {
        S::granted(self, presented)
    }
    fn revoke_refresh(
        &self,
        presented: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        S::revoke_refresh(self, presented)
    }
    fn revoke_session(&self, session: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::revoke_session(self, session)
    }
    fn deny_token(
        &self,
        sub: &str,
        sid: Option<&str>,
        jti: &str,
        exp: u64,
        now: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::deny_token(self, sub, sid, jti, exp, now)
    }
    fn revoke_user(&self, username: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::revoke_user(self, username)
    }
    fn is_revoked(
        &self,
        sub: &str,
        jti: &str,
        sid: Option<&str>,
        generation: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        S::is_revoked(self, sub, jti, sid, generation)
    }
}
