//! The service's configuration (flags, each with an environment variable)
//! and the [`Auth`] it builds: `example-app`'s tokens, and optionally an
//! external OpenID provider's, in one verifier.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use rbac_core::{
    AccessTokenProfile, Auth, ClaimMapping, RemoteJwks, TlsRoots, Tokens, TrustedIssuer,
    TrustedIssuers,
};

/// Flags, each with an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(name = "example-resource", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8001")]
    pub bind: SocketAddr,

    /// The issuer's JWKS document: plain HTTP on this host only (see
    /// `RemoteJwks::http`).
    #[arg(long, env = "JWKS_URL", default_value = "http://127.0.0.1:8000/.well-known/jwks.json")]
    pub jwks_url: String,

    /// `iss` required of tokens; required with `--oidc-issuer`, which tells
    /// the two issuers' tokens apart by it.
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// `aud` required of tokens.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Seconds between JWKS refetches triggered by unknown `kid`s (at least 1).
    #[arg(
        long,
        env = "JWKS_MIN_REFETCH_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub jwks_min_refetch_seconds: u64,

    /// The longest token lifetime (`exp − iat`) accepted, in seconds.
    #[arg(
        long,
        env = "JWT_MAX_LIFETIME_SECONDS",
        default_value_t = Tokens::DEFAULT_MAX_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub jwt_max_lifetime_seconds: u64,

    /// The external OpenID provider, if any.
    #[command(flatten)]
    pub oidc: OidcConfig,
}

/// An external OpenID provider to trust besides `example-app`.
#[derive(Debug, Clone, clap::Args)]
pub struct OidcConfig {
    /// The provider's issuer, exactly as its tokens' `iss` spells it; its
    /// keys are found by discovery over TLS (`https://`).
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// Allow discovery over plain HTTP for a provider on this host (tests).
    #[arg(long, env = "OIDC_LOOPBACK_HTTP")]
    pub oidc_loopback_http: bool,

    /// Trust only the CA certificates in this PEM file for the provider
    /// (a private PKI), instead of Mozilla's roots.
    #[arg(long, env = "OIDC_CA_FILE")]
    pub oidc_ca_file: Option<std::path::PathBuf>,

    /// The `aud` this service's tokens carry at the provider.
    #[arg(long, env = "OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,

    /// What the provider's access tokens look like.
    #[arg(long, env = "OIDC_PROFILE", value_enum, default_value_t = Profile::Rfc9068)]
    pub oidc_profile: Profile,

    /// Where the provider puts roles.
    #[arg(long, env = "OIDC_PRESET", value_enum, default_value_t = Preset::Groups)]
    pub oidc_preset: Preset,

    /// The claim `--oidc-preset groups` reads (`groups`, or a namespaced one).
    #[arg(long, env = "OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// The client whose roles `--oidc-preset keycloak` reads.
    #[arg(long, env = "OIDC_CLIENT")]
    pub oidc_client: Option<String>,

    /// `EXTERNAL=ROLE`: a group, app role or (keycloak) `realm:NAME` or
    /// `client:NAME` that grants a role of the policy. Repeat, or
    /// comma-separate in the variable.
    #[arg(long = "oidc-role", env = "OIDC_ROLES", value_delimiter = ',')]
    pub oidc_roles: Vec<String>,

    /// `EXTERNAL=PERMISSION`: a provider scope that grants a scope of the policy.
    #[arg(long = "oidc-scope", env = "OIDC_SCOPES", value_delimiter = ',')]
    pub oidc_scopes: Vec<String>,

    /// Client ids whose ID tokens must be refused (tokens addressed to them).
    #[arg(long = "oidc-id-token-client", env = "OIDC_ID_TOKEN_CLIENTS", value_delimiter = ',')]
    pub oidc_id_token_clients: Vec<String>,

    /// Seconds the provider's keys are used before they are fetched again;
    /// past twice that without a successful fetch, its tokens are refused.
    #[arg(
        long,
        env = "OIDC_JWKS_MAX_AGE_SECONDS",
        default_value_t = 600,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub oidc_jwks_max_age_seconds: u64,
}

/// `--oidc-profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// RFC 9068: `typ` `at+jwt` and its required claims.
    Rfc9068,
    /// Plain JWT access tokens (Keycloak, Auth0, Entra ID).
    Jwt,
}

/// `--oidc-preset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Auth0/Okta: one groups claim (`--oidc-groups-claim`); scopes in `scope`.
    Groups,
    /// Keycloak: realm roles and `--oidc-client`'s roles; scopes in `scope`.
    Keycloak,
    /// Entra ID: app roles in `roles`, scopes in `scp`.
    Entra,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The [`Auth`] `config` describes. Unreachable issuers are not an error:
/// their keys are fetched on the first request.
pub async fn auth_from(config: &Config) -> Result<Auth, BoxError> {
    let jwks = RemoteJwks::http(&config.jwks_url)?
        .with_min_refetch_interval(Duration::from_secs(config.jwks_min_refetch_seconds));
    // The issuer may start later: the first request refetches.
    if let Err(error) = jwks.refresh().await {
        tracing::warn!(%error, url = config.jwks_url, "no keys yet; will retry on demand");
    }
    let max_lifetime = Duration::from_secs(config.jwt_max_lifetime_seconds);
    let mut tokens = Tokens::remote(jwks).with_max_lifetime(max_lifetime);
    if let Some(issuer) = &config.jwt_issuer {
        tokens = tokens.with_issuer(issuer);
    }
    if let Some(audience) = &config.jwt_audience {
        tokens = tokens.with_audience(audience);
    }
    let Some(external) = external_issuer(config).await? else {
        return Ok(Auth::resource_server(tokens));
    };
    if config.jwt_issuer.is_none() {
        return Err("--jwt-issuer (JWT_ISSUER) is required with --oidc-issuer".into());
    }
    let issuers = TrustedIssuers::for_policy::<crate::policy::Policy>([
        TrustedIssuer::own(tokens),
        external,
    ])?;
    Ok(Auth::resource_server_trusting(issuers))
}

async fn external_issuer(config: &Config) -> Result<Option<TrustedIssuer>, BoxError> {
    let oidc = &config.oidc;
    let Some(issuer) = &oidc.oidc_issuer else { return Ok(None) };
    let audience = oidc.oidc_audience.as_deref().ok_or("--oidc-audience is required")?;
    let jwks = match (&oidc.oidc_ca_file, oidc.oidc_loopback_http) {
        (_, true) => RemoteJwks::discover_loopback_http(issuer)?,
        (Some(ca), false) => {
            RemoteJwks::discover_with_roots(issuer, TlsRoots::from_pem(&std::fs::read(ca)?)?)?
        }
        (None, false) => RemoteJwks::discover(issuer)?,
    };
    let jwks = jwks
        .with_min_refetch_interval(Duration::from_secs(config.jwks_min_refetch_seconds))
        .with_max_age(Duration::from_secs(oidc.oidc_jwks_max_age_seconds));
    if let Err(error) = jwks.refresh().await {
        tracing::warn!(%error, issuer, "no provider keys yet; will retry on demand");
    }
    let profile = match oidc.oidc_profile {
        Profile::Rfc9068 => AccessTokenProfile::Rfc9068,
        Profile::Jwt => AccessTokenProfile::Jwt,
    };
    Ok(Some(
        TrustedIssuer::external(issuer, jwks)
            .with_audience(audience)
            .with_profile(profile)
            .refusing_id_tokens_of(oidc.oidc_id_token_clients.iter().cloned())
            .with_max_lifetime(Duration::from_secs(config.jwt_max_lifetime_seconds))
            .with_mapping(mapping(oidc)?),
    ))
}

fn mapping(oidc: &OidcConfig) -> Result<ClaimMapping, BoxError> {
    let mut mapping = match oidc.oidc_preset {
        Preset::Groups => ClaimMapping::groups(&oidc.oidc_groups_claim),
        Preset::Keycloak => {
            let client = oidc.oidc_client.as_deref();
            ClaimMapping::keycloak(client.ok_or("--oidc-preset keycloak needs --oidc-client")?)
        }
        Preset::Entra => ClaimMapping::entra(),
    };
    for entry in &oidc.oidc_roles {
        let (external, role) = pair(entry, "--oidc-role")?;
        mapping = match (oidc.oidc_preset, external.split_once(':')) {
            (Preset::Keycloak, Some(("realm", name))) => mapping.realm_role(name, role),
            (Preset::Keycloak, Some(("client", name))) => mapping.client_role(name, role),
            (Preset::Keycloak, _) => {
                return Err(format!(
                    "--oidc-role {entry}: write realm:NAME=ROLE or client:NAME=ROLE"
                )
                .into());
            }
            _ => mapping.role(external, role),
        };
    }
    for entry in &oidc.oidc_scopes {
        let (external, scope) = pair(entry, "--oidc-scope")?;
        mapping = mapping.scope(external, scope);
    }
    Ok(mapping)
}

fn pair<'a>(entry: &'a str, flag: &str) -> Result<(&'a str, &'a str), BoxError> {
    match entry.rsplit_once('=') {
        Some((external, target)) if !external.is_empty() && !target.is_empty() => {
            Ok((external, target))
        }
        _ => Err(format!("{flag} {entry}: write EXTERNAL=NAME").into()),
    }
}
