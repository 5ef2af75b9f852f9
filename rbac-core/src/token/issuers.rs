//! Several trusted issuers in one verifier: the token's `iss` picks the
//! issuer before any key is looked up, and each issuer has its own keys,
//! audience, algorithms, token type and claim mapping.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::mapping::ClaimMapping;
use super::{
    Claims, RemoteJwks, SigningAlgorithm, TokenError, Tokens, VerificationKey, strict, unix_now,
};
use crate::policy::AccessPolicy;

/// What an issuer's access tokens look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessTokenProfile {
    /// RFC 9068 JWT access tokens: header `typ` `at+jwt`, and the claims
    /// `iss`, `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` all present.
    /// An ID token (`typ` `JWT`) can never pass. The default.
    #[default]
    Rfc9068,
    /// Plain JWTs (Keycloak, Auth0, Entra ID, Okta): `typ` `JWT`, `at+jwt`
    /// or absent.
    /// ID tokens look alike, so name the issuer's client ids with
    /// [`TrustedIssuer::refusing_id_tokens_of`].
    Jwt,
}

/// One issuer a resource server trusts.
///
/// - [`TrustedIssuer::own`]: your own issuer's tokens (such as
///   `example-app`'s), verified exactly as [`Tokens::verify`] does, with
///   their `roles` and `scope` claims as they are.
/// - [`TrustedIssuer::external`]: an OpenID provider's, with its claims
///   translated by a [`ClaimMapping`]. Its tokens must carry the
///   [audience](TrustedIssuer::with_audience) configured for it.
///
/// ```no_run
/// use rbac_core::{AccessTokenProfile, ClaimMapping, RemoteJwks, SigningAlgorithm, TrustedIssuer};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let issuer = "https://sso.acme.example/realms/acme";
/// let keycloak = TrustedIssuer::external(issuer, RemoteJwks::discover(issuer)?)
///     .with_audience("reports-api")
///     .with_algorithms([SigningAlgorithm::RS256])
///     .with_profile(AccessTokenProfile::Jwt)
///     .refusing_id_tokens_of(["reports-web"])
///     .with_mapping(ClaimMapping::keycloak("reports-api").client_role("writer", "editor"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TrustedIssuer {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Own(Box<Tokens>),
    External(Box<External>),
}

#[derive(Clone)]
struct External {
    /// Keys, issuer, audience, leeway and lifetime bound.
    tokens: Tokens,
    /// Empty: whatever each key is pinned to.
    algorithms: Vec<SigningAlgorithm>,
    profile: AccessTokenProfile,
    client_ids: Vec<String>,
    mapping: ClaimMapping,
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Own(tokens) => f.debug_tuple("TrustedIssuer::own").field(tokens).finish(),
            Kind::External(external) => f
                .debug_struct("TrustedIssuer::external")
                .field("tokens", &external.tokens)
                .field("algorithms", &external.algorithms)
                .field("profile", &external.profile)
                .field("client_ids", &external.client_ids)
                .field("mapping", &external.mapping)
                .finish(),
        }
    }
}

impl TrustedIssuer {
    /// Your own issuer: `tokens` (a [`Tokens::remote`] or [`Tokens::verifier`]
    /// with [`Tokens::with_issuer`]) verifies its tokens unchanged.
    pub fn own(tokens: Tokens) -> Self {
        Self { kind: Kind::Own(Box::new(tokens)) }
    }

    /// An OpenID provider whose `iss` is exactly `issuer`, with keys from
    /// `jwks` (see [`RemoteJwks::discover`]). Defaults: RFC 9068 tokens, no
    /// roles or scopes mapped, and no audience, which refuses every token
    /// that names one: set [`with_audience`](Self::with_audience).
    pub fn external(issuer: impl Into<String>, jwks: RemoteJwks) -> Self {
        Self::external_with(Tokens::remote(jwks).with_issuer(issuer))
    }

    /// [`TrustedIssuer::external`] with fixed keys, for an issuer that
    /// publishes no JWKS (or for tests).
    pub fn external_with_keys(
        issuer: impl Into<String>,
        keys: impl IntoIterator<Item = VerificationKey>,
    ) -> Self {
        Self::external_with(Tokens::verifier(keys).with_issuer(issuer))
    }

    fn external_with(tokens: Tokens) -> Self {
        let external = External {
            tokens,
            algorithms: Vec::new(),
            profile: AccessTokenProfile::default(),
            client_ids: Vec::new(),
            mapping: ClaimMapping::new(),
        };
        Self { kind: Kind::External(Box::new(external)) }
    }

    fn external_mut(&mut self, change: impl FnOnce(&mut External)) {
        if let Kind::External(external) = &mut self.kind {
            change(external);
        }
    }

    /// The `aud` this service's tokens carry at this issuer (an API
    /// identifier, a Keycloak client, an Entra application id URI).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        let audience = audience.into();
        self.external_mut(|external| {
            external.tokens = external.tokens.clone().with_audience(audience);
        });
        self
    }

    /// Accepts only these algorithms, whatever else the issuer publishes keys for.
    #[must_use]
    pub fn with_algorithms(
        mut self,
        algorithms: impl IntoIterator<Item = SigningAlgorithm>,
    ) -> Self {
        let algorithms = algorithms.into_iter().collect();
        self.external_mut(|external| external.algorithms = algorithms);
        self
    }

    /// What this issuer's access tokens look like; RFC 9068 by default.
    #[must_use]
    pub fn with_profile(mut self, profile: AccessTokenProfile) -> Self {
        self.external_mut(|external| external.profile = profile);
        self
    }

    /// Refuses tokens addressed to these clients (`aud` naming one): ID
    /// tokens, which a client must never send as an access token. A token
    /// with a `nonce` is refused whatever its audience.
    #[must_use]
    pub fn refusing_id_tokens_of<I: Into<String>>(
        mut self,
        client_ids: impl IntoIterator<Item = I>,
    ) -> Self {
        let client_ids = client_ids.into_iter().map(Into::into).collect();
        self.external_mut(|external| external.client_ids = client_ids);
        self
    }

    /// How this issuer's claims become the policy's roles and scopes.
    #[must_use]
    pub fn with_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.external_mut(|external| external.mapping = mapping);
        self
    }

    /// Sets the clock leeway; see [`Tokens::with_leeway`].
    #[must_use]
    pub fn with_leeway(mut self, leeway: std::time::Duration) -> Self {
        self.external_mut(|external| external.tokens = external.tokens.clone().with_leeway(leeway));
        self
    }

    /// Sets the longest accepted lifetime; see [`Tokens::with_max_lifetime`].
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: std::time::Duration) -> Self {
        self.external_mut(|external| {
            external.tokens = external.tokens.clone().with_max_lifetime(max_lifetime);
        });
        self
    }

    fn tokens(&self) -> &Tokens {
        match &self.kind {
            Kind::Own(tokens) => tokens,
            Kind::External(external) => &external.tokens,
        }
    }

    /// The `iss` this issuer's tokens carry.
    pub fn issuer(&self) -> Option<&str> {
        self.tokens().issuer.as_deref()
    }

    /// Verifies a token already known to claim this issuer.
    fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        match &self.kind {
            Kind::Own(tokens) => tokens.verify_at(token, now),
            Kind::External(external) => external.verify_at(token, now),
        }
    }
}

/// Why a [`TrustedIssuers`] could not be built. Its message names the
/// issuer and what is wrong, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerConfigError(String);

impl fmt::Display for IssuerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IssuerConfigError {}

/// The issuers a resource server trusts, checked against its policy; use
/// it with [`Auth::resource_server_trusting`](crate::Auth::resource_server_trusting).
///
/// A token's `iss` selects exactly one issuer (an exact string match)
/// before any key is looked up, so a key of one issuer never verifies a
/// token claiming another, whatever its `kid`. A token naming no trusted
/// issuer is refused.
///
/// ```
/// use rbac_core::{ClaimMapping, Tokens, TrustedIssuer, TrustedIssuers, VerificationKey};
///
/// rbac_core::policy! {
///     pub mod policy {
///         role "viewer" grants "items:read";
///         role "editor": "viewer";
///     }
/// }
///
/// # fn keys() -> Vec<VerificationKey> { Vec::new() }
/// let own = TrustedIssuer::own(Tokens::verifier(keys()).with_issuer("https://app.acme.example"));
/// let idp = TrustedIssuer::external_with_keys("https://idp.acme.example", keys())
///     .with_audience("reports-api")
///     .with_mapping(ClaimMapping::groups("groups").group("/acme/editors", policy::roles::EDITOR));
/// assert!(TrustedIssuers::for_policy::<policy::Policy>([own.clone(), idp]).is_ok());
///
/// // A mapping to a role the policy does not have is refused at start-up.
/// let typo = TrustedIssuer::external_with_keys("https://idp.acme.example", keys())
///     .with_mapping(ClaimMapping::groups("groups").group("/acme/editors", "editr"));
/// let error = TrustedIssuers::for_policy::<policy::Policy>([own, typo]).unwrap_err();
/// assert!(error.to_string().contains("`editr` is not a role of the policy"));
/// ```
#[derive(Clone, Debug)]
pub struct TrustedIssuers {
    issuers: Arc<[TrustedIssuer]>,
}

impl TrustedIssuers {
    /// Checks `issuers` against the policy `P`: each names a distinct
    /// issuer, and every mapping target is a role (or, for scopes, a
    /// permission) that `P` declares.
    pub fn for_policy<P: AccessPolicy>(
        issuers: impl IntoIterator<Item = TrustedIssuer>,
    ) -> Result<Self, IssuerConfigError> {
        let issuers: Arc<[TrustedIssuer]> = issuers.into_iter().collect();
        let policy = P::describe();
        if issuers.is_empty() {
            return Err(IssuerConfigError("no trusted issuer configured".to_owned()));
        }
        for (index, trusted) in issuers.iter().enumerate() {
            let Some(issuer) = trusted.issuer() else {
                return Err(IssuerConfigError(
                    "an own issuer's Tokens needs with_issuer(..): tokens are told apart by `iss`"
                        .to_owned(),
                ));
            };
            if issuers[..index].iter().any(|earlier| earlier.issuer() == Some(issuer)) {
                return Err(IssuerConfigError(format!("issuer {issuer} is configured twice")));
            }
            if let Kind::External(external) = &trusted.kind
                && let Some(unknown) = external.mapping.unknown_target(policy)
            {
                let policy = policy.name;
                return Err(IssuerConfigError(format!(
                    "claim mapping of issuer {issuer}: {unknown} {policy}"
                )));
            }
        }
        Ok(Self { issuers })
    }

    /// The issuer `token` claims, before anything else is checked.
    fn select(&self, token: &str) -> Result<&TrustedIssuer, TokenError> {
        #[derive(Deserialize)]
        struct IssuerOnly<'a> {
            #[serde(default, borrow)]
            iss: Option<Cow<'a, str>>,
        }
        let parts = strict::split(token)?;
        // Only `iss` is read from the unverified payload, and a repeated
        // `iss` (in any spelling) is refused here, so the issuer chosen is
        // the one the signature covers. The issuer's own verification then
        // refuses duplicate keys anywhere in the payload.
        let payload = URL_SAFE_NO_PAD.decode(parts.payload).map_err(|_| TokenError::Malformed)?;
        let IssuerOnly { iss } =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        let iss = iss.ok_or(TokenError::WrongIssuer)?;
        self.issuers
            .iter()
            .find(|trusted| trusted.issuer() == Some(&*iss))
            .ok_or(TokenError::WrongIssuer)
    }

    /// Verifies with the keys held now, fetching nothing.
    pub fn verify_cached_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        self.select(token)?.verify_at(token, now)
    }

    /// Verifies a token: picks its issuer, refetches that issuer's JWKS
    /// when stale or when the `kid` is unknown (rate limited, as
    /// [`RemoteJwks`] describes), then checks it.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let trusted = self.select(token)?;
        let Some(remote) = trusted.tokens().remote_jwks() else {
            return trusted.verify_at(token, unix_now());
        };
        if remote.is_stale() {
            remote.refetch_rate_limited().await;
        }
        match trusted.verify_at(token, unix_now()) {
            Err(TokenError::UnknownKey) if remote.refetch_rate_limited().await => {
                trusted.verify_at(token, unix_now())
            }
            verified => verified,
        }
    }
}

mod external;

#[cfg(test)]
mod tests;
