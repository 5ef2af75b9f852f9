//! [`SessionStore`] for [`MemorySessionStore`]: its synchronous methods,
//! answered at once.

use super::MemorySessionStore;
use crate::session::{FamilySecret, RefreshError, Rotation, SessionGrant, SessionStore};
use crate::store::StoreError;

impl SessionStore for MemorySessionStore {
    async fn generation(&self, username: &str) -> Result<u64, StoreError> {
        Ok(self.generation(username))
    }
    async fn start(&self, username: &str, scope: &str, now: u64) -> Result<String, StoreError> {
        self.start(username, scope, now).map_err(StoreError::new)
    }
    async fn issue(
        &self,
        session: &str,
        family: Option<&FamilySecret>,
        now: u64,
    ) -> Result<Option<String>, StoreError> {
        self.issue(session, family, now).map_err(StoreError::new)
    }
    async fn rotate(
        &self,
        presented: &str,
        now: u64,
    ) -> Result<Result<Rotation, RefreshError>, StoreError> {
        Ok(self.rotate(presented, now))
    }
    async fn granted(&self, presented: &str) -> Result<Option<SessionGrant>, StoreError> {
        Ok(self.granted(presented))
    }
    async fn revoke_refresh(&self, presented: &str) -> Result<bool, StoreError> {
        Ok(self.revoke_refresh(presented))
    }
    async fn revoke_session(&self, session: &str) -> Result<(), StoreError> {
        self.write().revoke_session(session);
        Ok(())
    }
    async fn deny_token(
        &self,
        sub: &str,
        sid: Option<&str>,
        jti: &str,
        exp: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        self.deny_token(sub, sid, jti, exp, now);
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
