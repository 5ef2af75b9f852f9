//! Command-line and environment configuration.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use rbac_core::browser::CookieTransport;
use rbac_core::{JwtSecret, WeakSecret};

/// `example-app`: flags, each with an environment variable.
///
/// The JWT secret is read only from `JWT_SECRET`, never from a flag, so it
/// does not show up in `ps` output or shell history.
#[derive(Debug, Parser)]
#[command(name = "example-app", version, about)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Access-token lifetime in minutes (1 to 1440).
    #[arg(
        long,
        env = "ACCESS_TOKEN_EXPIRE_MINUTES",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=1440)
    )]
    pub token_ttl_minutes: u64,

    /// Production mode: seed no demo users and refuse to start without a good `JWT_SECRET`.
    #[arg(long)]
    pub production: bool,

    /// Read the JWT secret from this file instead of `JWT_SECRET` (for mounted
    /// secrets). It must not be readable by other users; one trailing newline
    /// is ignored.
    #[arg(long, env = "JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<std::path::PathBuf>,

    /// Share the login throttle with other instances through this Redis
    /// (`redis://127.0.0.1:6379`); without it, throttling is per process.
    #[cfg(feature = "redis")]
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Password hashes run at once (each holds 19 MiB); default: one per core.
    #[arg(long, env = "HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,

    /// Password hashes allowed to wait for a slot before logins get 503;
    /// default: eight per core.
    #[arg(long, env = "HASH_QUEUE")]
    pub hash_queue: Option<usize>,

    /// Turn login throttling off. For load tests of the hashing pool only.
    #[arg(long, env = "DISABLE_LOGIN_THROTTLE")]
    pub disable_login_throttle: bool,

    /// `iss` put in tokens and required of them.
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// `aud` put in tokens and required of them.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Clock leeway for `exp`, `nbf` and `iat`, in seconds (0 to 30).
    #[arg(
        long,
        env = "JWT_LEEWAY_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=30)
    )]
    pub jwt_leeway_seconds: u64,

    /// Sign with this PKCS#8 PEM private key instead of an HMAC secret:
    /// Ed25519 (EdDSA), P-256 (ES256) or RSA ≥ 2048 bits (RS256), recognized
    /// by type. It must not be readable by other users. `JWT_PRIVATE_KEY`
    /// can hold the PEM itself instead.
    #[arg(long, env = "JWT_KEY_FILE")]
    pub jwt_key_file: Option<std::path::PathBuf>,

    /// Keys retired from signing but still accepted, for rotation without
    /// downtime: PEM public (or private) keys, comma-separated in the
    /// environment. Drop one once the tokens it signed have expired.
    #[arg(long = "jwt-previous-key-file", env = "JWT_PREVIOUS_KEY_FILES", value_delimiter = ',')]
    pub jwt_previous_key_files: Vec<std::path::PathBuf>,

    /// A previous HMAC secret, still accepted during an HS256 secret rotation.
    #[arg(long, env = "JWT_PREVIOUS_SECRET_FILE")]
    pub jwt_previous_secret_file: Option<std::path::PathBuf>,

    /// Answer `/token` requests for scopes the user may not hold with
    /// `invalid_scope` instead of narrowing them.
    #[arg(long, env = "REFUSE_EXCESS_SCOPES")]
    pub refuse_excess_scopes: bool,

    /// Answer a wrong password at `/token` with RFC 6749's 400 instead of
    /// the FastAPI tutorial's 401 (both bodies carry `"error": "invalid_grant"`),
    /// for strict OAuth2 clients.
    #[arg(long, env = "RFC6749_TOKEN_ERRORS")]
    pub rfc6749_token_errors: bool,

    /// Log format: human-readable `text`, or one JSON object per line.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Serve `/openapi.json` and the Swagger UI at `/docs`: `auto` (the
    /// default) serves them in development and not in production; `on` or
    /// `off` decide either way.
    #[arg(long, env = "API_DOCS", value_enum, default_value_t = crate::docs::ApiDocs::Auto)]
    pub api_docs: crate::docs::ApiDocs,

    /// Deployment environment; `production` is the same as `--production`.
    #[arg(long = "app-env", env = "APP_ENV", value_enum, default_value_t = AppEnv::Development)]
    pub app_env: AppEnv,

    /// Where users and sessions live: `sqlite://PATH` (created if missing),
    /// `postgres://...` (with the `postgres` feature), or `memory:`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://rbac.db", global = true)]
    pub database_url: String,

    /// Usernames differing only in case are the same user. Fixed when the
    /// database is created.
    #[arg(long, env = "CASE_INSENSITIVE_USERNAMES", global = true)]
    pub case_insensitive_usernames: bool,

    /// How long, in milliseconds, a user or revocation answer read from a
    /// SQL database is reused: the most a change made elsewhere (another
    /// instance, the CLI) takes to be seen here. 0 reads on every request.
    #[arg(long, env = "USER_CACHE_TTL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub user_cache_ttl_ms: u64,

    /// Origins (`https://app.example.com`) whose pages may use browser
    /// sessions (cookies, `/session`); repeat or comma-separate. In
    /// development the server's own `http://` address is allowed, over
    /// plain HTTP; in production cookies are off unless this is set.
    #[arg(long = "browser-origin", env = "BROWSER_ORIGINS", value_delimiter = ',')]
    pub browser_origins: Vec<String>,

    /// The 32-byte key that signs CSRF tokens, from a file only its owner
    /// can read; instances behind one load balancer must share it. Random
    /// per process when unset.
    #[arg(long, env = "CSRF_KEY_FILE")]
    pub csrf_key_file: Option<std::path::PathBuf>,

    /// Manage users instead of serving (`example-app users --help`).
    #[command(subcommand)]
    pub command: Option<crate::users_cli::Command>,
}

/// The value of `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event, for log shippers.
    Json,
}

/// The value of `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    /// Seeds demo users; generates a secret when none is set.
    Development,
    /// Seeds nothing; requires `JWT_SECRET`.
    Production,
}

impl Cli {
    /// The browser-session settings, or `None` when browsers get none
    /// (production without `--browser-origin`).
    pub fn cookie_transport(&self) -> Result<Option<CookieTransport>, ConfigError> {
        let development = self.mode() == AppEnv::Development;
        let mut origins = self.browser_origins.clone();
        if development {
            let port = self.bind.port();
            origins.extend([format!("http://{}", self.bind), format!("http://localhost:{port}")]);
        }
        if origins.is_empty() {
            return Ok(None);
        }
        let mut cookies = CookieTransport::new(origins);
        if development {
            cookies = cookies.insecure_http_for_development();
        }
        if let Some(path) = &self.csrf_key_file {
            let bytes = read_secret_file(path)?;
            let key: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| ConfigError::CsrfKeyLength(path.to_owned()))?;
            cookies = cookies.with_csrf_key(key);
        }
        Ok(Some(cookies))
    }

    /// Production if either `--production` or `APP_ENV=production` says so.
    pub fn mode(&self) -> AppEnv {
        if self.production { AppEnv::Production } else { self.app_env }
    }

    /// Store settings for [`Database::open`](crate::db::Database::open).
    pub fn store_options(&self) -> crate::db::StoreOptions {
        crate::db::StoreOptions {
            case_insensitive_usernames: self.case_insensitive_usernames,
            cache_ttl: Duration::from_millis(self.user_cache_ttl_ms),
        }
    }

    /// The access-token lifetime.
    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.token_ttl_minutes * 60)
    }
}

/// Where the signing secret came from.
#[derive(Debug)]
pub enum SecretSource {
    /// `JWT_SECRET` (or `JWT_SECRET_FILE`) was set and strong enough.
    Environment(JwtSecret),
    /// Development mode without `JWT_SECRET`: random, lost on restart.
    Generated(JwtSecret),
}

impl SecretSource {
    /// The secret, wherever it came from.
    pub fn into_secret(self) -> JwtSecret {
        match self {
            Self::Environment(secret) | Self::Generated(secret) => secret,
        }
    }
}

/// Why the app refuses to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Production mode without `JWT_SECRET`.
    MissingSecret,
    /// `JWT_SECRET` is too short (in any mode: a weak secret is never silently replaced).
    WeakSecret(WeakSecret),
    /// More than one of `JWT_SECRET`, `JWT_SECRET_FILE`, `JWT_KEY_FILE` and
    /// `JWT_PRIVATE_KEY` is set.
    AmbiguousSecret,
    /// A key file (or `JWT_PRIVATE_KEY`) is not a usable key.
    BadKey(String, rbac_core::KeyError),
    /// The secret file could not be read.
    SecretFile(std::path::PathBuf, String),
    /// The secret file is readable by every user on the machine.
    WorldReadable(std::path::PathBuf),
    /// `CSRF_KEY_FILE` does not hold exactly 32 bytes.
    CsrfKeyLength(std::path::PathBuf),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSecret => f.write_str(
                "production mode requires JWT_SECRET (at least 32 bytes; try `openssl rand -base64 48`)",
            ),
            Self::WeakSecret(weak) => write!(f, "JWT_SECRET rejected: {weak}"),
            Self::AmbiguousSecret => f.write_str(
                "set one of JWT_SECRET, JWT_SECRET_FILE, JWT_KEY_FILE and JWT_PRIVATE_KEY",
            ),
            Self::BadKey(source, error) => write!(f, "{source}: {error}"),
            Self::SecretFile(path, error) => {
                write!(f, "cannot read the secret file {}: {error}", path.display())
            }
            Self::WorldReadable(path) => write!(
                f,
                "the secret file {} is readable by every user; run `chmod 600 {}` (or 640 for a group)",
                path.display(),
                path.display()
            ),
            Self::CsrfKeyLength(path) => write!(
                f,
                "CSRF_KEY_FILE {} must hold exactly 32 bytes (`head -c 32 /dev/urandom > FILE`)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Chooses the signing secret from `JWT_SECRET_FILE` or `JWT_SECRET`.
pub fn jwt_secret_from(
    mode: AppEnv,
    file: Option<&std::path::Path>,
    value: Option<OsString>,
) -> Result<SecretSource, ConfigError> {
    match (file, value) {
        (Some(_), Some(_)) => Err(ConfigError::AmbiguousSecret),
        (Some(path), None) => {
            let bytes = read_secret_file(path)?;
            JwtSecret::new(bytes).map(SecretSource::Environment).map_err(ConfigError::WeakSecret)
        }
        (None, value) => jwt_secret(mode, value),
    }
}

/// Where the signing key comes from.
#[derive(Debug, Default)]
pub struct KeySources<'a> {
    /// `JWT_KEY_FILE`: a PKCS#8 PEM private key.
    pub key_file: Option<&'a std::path::Path>,
    /// `JWT_PRIVATE_KEY`: the PEM itself.
    pub private_key: Option<OsString>,
    /// `JWT_SECRET_FILE`.
    pub secret_file: Option<&'a std::path::Path>,
    /// `JWT_SECRET`.
    pub secret: Option<OsString>,
    /// `JWT_PREVIOUS_KEY_FILES`: retired keys still accepted.
    pub previous_key_files: &'a [std::path::PathBuf],
    /// `JWT_PREVIOUS_SECRET_FILE`: a retired HMAC secret still accepted.
    pub previous_secret_file: Option<&'a std::path::Path>,
}

/// Token keys from the configuration: an asymmetric key from `JWT_KEY_FILE`
/// or `JWT_PRIVATE_KEY`, else HS256 with the secret [`jwt_secret_from`]
/// chooses; plus the previous keys still accepted. Several signing-key
/// sources at once are refused. The flag says whether the secret was generated.
pub fn signing_keys(
    mode: AppEnv,
    sources: KeySources<'_>,
) -> Result<(rbac_core::Tokens, bool), ConfigError> {
    let asymmetric = match (sources.key_file, sources.private_key) {
        (Some(_), Some(_)) => return Err(ConfigError::AmbiguousSecret),
        (Some(path), None) => {
            Some((path.display().to_string(), zeroize::Zeroizing::new(read_secret_file(path)?)))
        }
        (None, Some(pem)) => {
            Some(("JWT_PRIVATE_KEY".to_owned(), zeroize::Zeroizing::new(pem.into_encoded_bytes())))
        }
        (None, None) => None,
    };
    let (mut tokens, generated) = match asymmetric {
        None => {
            let source = jwt_secret_from(mode, sources.secret_file, sources.secret)?;
            let generated = matches!(source, SecretSource::Generated(_));
            (rbac_core::Tokens::hs256(source.into_secret()), generated)
        }
        Some(_) if sources.secret_file.is_some() || sources.secret.is_some() => {
            return Err(ConfigError::AmbiguousSecret);
        }
        Some((name, pem)) => {
            let key = rbac_core::SigningKey::from_pem(&pem)
                .map_err(|error| ConfigError::BadKey(name, error))?;
            (rbac_core::Tokens::new(key), false)
        }
    };
    for path in sources.previous_key_files {
        tokens = tokens.with_verification_key(previous_key(path)?);
    }
    if let Some(path) = sources.previous_secret_file {
        let secret = JwtSecret::new(read_secret_file(path)?).map_err(ConfigError::WeakSecret)?;
        let key = rbac_core::SigningKey::hs256(&secret).verification_key();
        tokens = tokens.with_verification_key(key);
    }
    Ok((tokens, generated))
}

/// A retired key: a PEM public key of any supported type, or a private key
/// reduced to its public half.
fn previous_key(path: &std::path::Path) -> Result<rbac_core::VerificationKey, ConfigError> {
    use rbac_core::{SigningAlgorithm, SigningKey, VerificationKey};

    let failed =
        |error: std::io::Error| ConfigError::SecretFile(path.to_owned(), error.to_string());
    let pem = zeroize::Zeroizing::new(std::fs::read(path).map_err(failed)?);
    let public = [SigningAlgorithm::EdDSA, SigningAlgorithm::ES256, SigningAlgorithm::RS256]
        .into_iter()
        .find_map(|algorithm| VerificationKey::from_public_pem(&pem, algorithm).ok());
    match public {
        Some(key) => Ok(key),
        // A private key: the same permission check as for the signing key.
        None => SigningKey::from_pem(&zeroize::Zeroizing::new(read_secret_file(path)?))
            .map(|key| key.verification_key())
            .map_err(|error| ConfigError::BadKey(path.display().to_string(), error)),
    }
}

/// The file's bytes minus one trailing newline, refusing world-readable files.
fn read_secret_file(path: &std::path::Path) -> Result<Vec<u8>, ConfigError> {
    use std::os::unix::fs::PermissionsExt as _;

    let failed =
        |error: std::io::Error| ConfigError::SecretFile(path.to_owned(), error.to_string());
    let metadata = std::fs::metadata(path).map_err(failed)?;
    if metadata.permissions().mode() & 0o004 != 0 {
        return Err(ConfigError::WorldReadable(path.to_owned()));
    }
    let mut bytes = std::fs::read(path).map_err(failed)?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    Ok(bytes)
}

/// Chooses the signing secret from the value of `JWT_SECRET`.
///
/// ```
/// use example_app::config::{AppEnv, ConfigError, SecretSource, jwt_secret};
///
/// assert!(matches!(jwt_secret(AppEnv::Development, None), Ok(SecretSource::Generated(_))));
/// assert_eq!(jwt_secret(AppEnv::Production, None).unwrap_err(), ConfigError::MissingSecret);
/// assert!(jwt_secret(AppEnv::Production, Some("short".into())).is_err());
/// ```
pub fn jwt_secret(mode: AppEnv, value: Option<OsString>) -> Result<SecretSource, ConfigError> {
    match value {
        Some(value) => JwtSecret::new(value.into_encoded_bytes())
            .map(SecretSource::Environment)
            .map_err(ConfigError::WeakSecret),
        None if mode == AppEnv::Production => Err(ConfigError::MissingSecret),
        None => Ok(SecretSource::Generated(JwtSecret::generate())),
    }
}
