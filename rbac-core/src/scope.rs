//! OAuth2 scopes (RFC 6749 §3.3): which scopes a user may hold, and what
//! `/token` grants when a client asks for some.

use std::fmt;
use std::sync::Arc;

use crate::error::AuthError;
use crate::policy::AccessPolicy;
use crate::user::User;

type Allowed = dyn Fn(&User) -> Vec<String> + Send + Sync;
type Allows = dyn Fn(&User, &str) -> bool + Send + Sync;

/// The scopes each user may be granted, and what to do when a client asks
/// for more.
///
/// - No `scope` in the request: the token gets every scope the user may hold.
/// - `scope` asks for more than that: by default the grant is silently
///   narrowed to what is allowed (RFC 6749 §3.3 lets the server do so, and
///   the response's `scope` tells the client); with
///   [`ScopePolicy::refuse_excess`] the request fails with `invalid_scope`.
/// - A refresh keeps the scopes first granted, minus any the user has lost
///   since; it may narrow them further, never widen them. The narrowing
///   applies to that refresh's access token: the session keeps its first
///   grant, so a later refresh without `scope` gets it back (RFC 6749 §6:
///   omitted means "as originally granted").
/// - On every request, a token's scopes count only while the user's current
///   roles still allow them, so a role change takes effect on scope checks as
///   soon as the user store reports it, not when the token expires.
///
/// ```
/// use rbac_core::{Role, ScopePolicy, User};
///
/// let scopes = ScopePolicy::new(|user: &User| {
///     let mut allowed = vec!["items:read".to_owned()];
///     if user.has_direct_role("admin") {
///         allowed.push("users:manage".to_owned());
///     }
///     allowed
/// });
/// let user = User::new("johndoe");
/// assert_eq!(scopes.grant(&user, Some("items:read users:manage")).unwrap(), "items:read");
/// assert!(scopes.refuse_excess().grant(&user, Some("users:manage")).is_err());
/// ```
#[derive(Clone)]
pub struct ScopePolicy {
    allowed: Arc<Allowed>,
    /// Whether the user may hold one scope: the per-request check, which must
    /// not allocate for policies.
    allows: Arc<Allows>,
    refuse_excess: bool,
}

impl fmt::Debug for ScopePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopePolicy").field("refuse_excess", &self.refuse_excess).finish()
    }
}

/// The longest `scope` parameter accepted, in bytes.
const MAX_SCOPE_BYTES: usize = 1024;

impl ScopePolicy {
    /// Scopes from a function of the user.
    pub fn new(allowed: impl Fn(&User) -> Vec<String> + Send + Sync + 'static) -> Self {
        let allowed: Arc<Allowed> = Arc::new(allowed);
        let all = Arc::clone(&allowed);
        let allows = move |user: &User, scope: &str| all(user).iter().any(|held| held == scope);
        Self { allowed, allows: Arc::new(allows), refuse_excess: false }
    }

    /// The permissions the user's roles grant in policy `P` (declared with
    /// [`policy!`](crate::policy)), as scopes: a token can carry at most
    /// what its user may do, and `scope("posts:write")` in a guard is
    /// checked against the policy's permission names at compile time.
    pub fn from_policy<P: AccessPolicy>() -> Self {
        let allows = |user: &User, scope: &str| {
            let description = P::describe();
            user.roles.iter().any(|role| {
                description
                    .role(role.as_str())
                    .is_some_and(|role| role.effective_permissions.contains(&scope))
            })
        };
        let scopes = Self::new(|user: &User| {
            let description = P::describe();
            let mut allowed: Vec<String> = Vec::new();
            for role in &user.roles {
                let Some(role) = description.role(role.as_str()) else { continue };
                for permission in role.effective_permissions {
                    if !allowed.iter().any(|held| held == permission) {
                        allowed.push((*permission).to_owned());
                    }
                }
            }
            allowed
        });
        Self { allows: Arc::new(allows), ..scopes }
    }

    /// The part of a token's `scope` that `user`'s current roles still allow;
    /// `None` when all of it is (the common case, which allocates nothing).
    pub(crate) fn still_allowed(&self, user: &User, scope: &str) -> Option<String> {
        let held = |scope: &&str| !scope.is_empty() && (self.allows)(user, scope);
        if scope.split(' ').filter(|s| !s.is_empty()).all(|s| held(&s)) {
            return None;
        }
        Some(scope.split(' ').filter(held).collect::<Vec<_>>().join(" "))
    }

    /// Refuses requests for scopes the user may not hold with `invalid_scope`
    /// instead of narrowing them.
    #[must_use]
    pub fn refuse_excess(mut self) -> Self {
        self.refuse_excess = true;
        self
    }

    /// What a login that asked for `requested` gets, space-separated.
    pub fn grant(&self, user: &User, requested: Option<&str>) -> Result<String, AuthError> {
        let allowed = (self.allowed)(user);
        match requested {
            None => Ok(allowed.join(" ")),
            Some(requested) => self.narrow(requested, &allowed),
        }
    }

    /// What a refresh gets: the session's original grant, minus what the
    /// user may no longer hold, narrowed to `requested` if given. Asking
    /// for a scope outside the original grant is `invalid_scope`.
    pub(crate) fn regrant(
        &self,
        user: &User,
        original: &str,
        requested: Option<&str>,
    ) -> Result<String, AuthError> {
        check_narrowing(original, requested)?;
        let allowed = (self.allowed)(user);
        let wanted = match requested {
            Some(requested) => parse(requested)?,
            None => parse(original)?,
        };
        let still_held: Vec<&str> =
            wanted.into_iter().filter(|scope| allowed.iter().any(|a| a == scope)).collect();
        Ok(still_held.join(" "))
    }

    fn narrow(&self, requested: &str, allowed: &[String]) -> Result<String, AuthError> {
        let requested = parse(requested)?;
        let granted: Vec<&str> =
            requested.iter().copied().filter(|scope| allowed.iter().any(|a| a == scope)).collect();
        if self.refuse_excess && granted.len() != requested.len() {
            return Err(AuthError::InvalidScope);
        }
        Ok(granted.join(" "))
    }
}

/// Fails with `invalid_scope` if `scope` is not a valid `scope` parameter.
pub(crate) fn check_syntax(scope: &str) -> Result<(), AuthError> {
    parse(scope).map(drop)
}

/// Fails with `invalid_scope` unless `requested` (if any) is within `original`.
pub(crate) fn check_narrowing(original: &str, requested: Option<&str>) -> Result<(), AuthError> {
    let Some(requested) = requested else { return Ok(()) };
    let original = parse(original)?;
    if parse(requested)?.iter().any(|scope| !original.contains(scope)) {
        return Err(AuthError::InvalidScope);
    }
    Ok(())
}

/// Splits a `scope` parameter, dropping repeats. Scope tokens are printable
/// ASCII other than space, `"` and `\` (RFC 6749 §3.3); anything else is
/// `invalid_scope`.
fn parse(scope: &str) -> Result<Vec<&str>, AuthError> {
    if scope.len() > MAX_SCOPE_BYTES {
        return Err(AuthError::InvalidScope);
    }
    let mut scopes: Vec<&str> = Vec::new();
    for token in scope.split(' ').filter(|token| !token.is_empty()) {
        let valid = token.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if !valid {
            return Err(AuthError::InvalidScope);
        }
        if !scopes.contains(&token) {
            scopes.push(token);
        }
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ScopePolicy {
        ScopePolicy::new(|user: &User| {
            let mut allowed = vec!["items:read".to_owned(), "me".to_owned()];
            if user.has_direct_role("admin") {
                allowed.push("users:manage".to_owned());
            }
            allowed
        })
    }

    fn admin() -> User {
        let mut user = User::new("janedoe");
        user.roles.push(crate::Role::new("admin").expect("role"));
        user
    }

    #[test]
    fn no_request_grants_everything_allowed() {
        assert_eq!(policy().grant(&User::new("u"), None), Ok("items:read me".to_owned()));
        assert_eq!(policy().grant(&admin(), None), Ok("items:read me users:manage".to_owned()));
    }

    #[test]
    fn excess_is_narrowed_or_refused() {
        let user = User::new("u");
        assert_eq!(policy().grant(&user, Some("users:manage me me")), Ok("me".to_owned()));
        assert_eq!(policy().grant(&user, Some("users:manage")), Ok(String::new()));
        let strict = policy().refuse_excess();
        assert_eq!(strict.grant(&user, Some("me users:manage")), Err(AuthError::InvalidScope));
        assert_eq!(strict.grant(&user, Some("me")), Ok("me".to_owned()));
    }

    #[test]
    fn malformed_scopes_are_invalid() {
        for bad in ["me \"x\"", "a\\b", "é", "tab\there", &"a".repeat(MAX_SCOPE_BYTES + 1)] {
            assert_eq!(policy().grant(&User::new("u"), Some(bad)), Err(AuthError::InvalidScope));
        }
    }

    #[test]
    fn lost_roles_take_their_scopes_from_existing_tokens() {
        let admin_scopes = "me users:manage";
        assert_eq!(policy().still_allowed(&admin(), admin_scopes), None, "nothing lost");
        assert_eq!(policy().still_allowed(&User::new("u"), admin_scopes), Some("me".to_owned()));
        assert_eq!(policy().still_allowed(&User::new("u"), ""), None);
    }

    #[test]
    fn refresh_never_widens() {
        let user = admin();
        assert_eq!(policy().regrant(&user, "me", None), Ok("me".to_owned()));
        assert_eq!(
            policy().regrant(&user, "me", Some("users:manage")),
            Err(AuthError::InvalidScope)
        );
        assert_eq!(policy().regrant(&user, "me items:read", Some("me")), Ok("me".to_owned()));
        // Lost since the login: dropped.
        assert_eq!(policy().regrant(&User::new("u"), "me users:manage", None), Ok("me".to_owned()));
    }
}
