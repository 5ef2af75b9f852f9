//! Long-lived connections (WebSockets, server-sent events) that must end
//! when their session does.

use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::access_token;
use crate::auth::Auth;
use crate::error::AuthError;
use crate::rejection::AuthRejection;

/// The credential a request was authenticated with, kept to check again
/// while a connection it opened stays open: [`SessionWatch::ended`] resolves
/// once the token has expired or been revoked, or its user disabled or
/// deleted. A WebSocket handler selects on it and closes with code 1008
/// (policy violation).
///
/// It checks every [`SessionWatch::DEFAULT_INTERVAL`] (or the interval set
/// with [`SessionWatch::every`]), so a revocation closes the socket within
/// that interval plus the user store's staleness bound. Each check is one
/// token verification and one (cached) user lookup.
///
/// ```no_run
/// use rbac_core::browser::SessionWatch;
///
/// # async fn handler(watch: SessionWatch, mut socket_messages: tokio::sync::mpsc::Receiver<String>) {
/// loop {
///     tokio::select! {
///         ended = watch.ended() => {
///             tracing::info!(reason = %ended.0, "closing the socket: session over");
///             break; // send Close(1008) here
///         }
///         message = socket_messages.recv() => { /* ... */ let _ = message; }
///     }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct SessionWatch {
    auth: Auth,
    token: String,
    interval: Duration,
}

impl std::fmt::Debug for SessionWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionWatch").field("interval", &self.interval).finish_non_exhaustive()
    }
}

/// Why a watched session ended: the refusal a new request with the same
/// token would get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnded(pub AuthError);

impl SessionWatch {
    /// How often [`SessionWatch::ended`] checks by default.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

    /// Checks every `interval` instead.
    #[must_use]
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Resolves when the session is over. Cancel-safe: drop it and call again.
    pub async fn ended(&self) -> SessionEnded {
        loop {
            tokio::time::sleep(self.interval).await;
            if let Err(error) = self.auth.authenticate(&self.token).await {
                // A store outage is not the session's end: keep the socket
                // and look again.
                if !matches!(error, AuthError::Unavailable) {
                    return SessionEnded(error);
                }
            }
        }
    }
}

impl<S> FromRequestParts<S> for SessionWatch
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    /// Authenticates the request as [`crate::CurrentUser`] does (the guard
    /// already has, so this reuses its result) and keeps its token.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        let auth = Auth::from_ref(state);
        crate::extract::current_user(parts, &auth)
            .await
            .map_err(|error| auth.reject(error, parts))?;
        let (token, _) = access_token(&parts.headers, auth.cookies())
            .map_err(|error| auth.reject(error, parts))?;
        let token = token.to_owned();
        Ok(Self { auth, token, interval: Self::DEFAULT_INTERVAL })
    }
}

impl std::fmt::Display for SessionEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
