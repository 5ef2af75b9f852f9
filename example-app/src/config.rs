//! Command-line and environment configuration.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
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

    /// Sign with EdDSA (Ed25519) using this PKCS#8 PEM private key instead of
    /// an HMAC secret. It must not be readable by other users.
    #[arg(long, env = "JWT_KEY_FILE")]
    pub jwt_key_file: Option<std::path::PathBuf>,

    /// Log format: human-readable `text`, or one JSON object per line.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

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
    /// More than one of `JWT_SECRET`, `JWT_SECRET_FILE` and `JWT_KEY_FILE` is set.
    AmbiguousSecret,
    /// `JWT_KEY_FILE` is not an Ed25519 private key.
    BadKey(std::path::PathBuf),
    /// The secret file could not be read.
    SecretFile(std::path::PathBuf, String),
    /// The secret file is readable by every user on the machine.
    WorldReadable(std::path::PathBuf),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSecret => f.write_str(
                "production mode requires JWT_SECRET (at least 32 bytes; try `openssl rand -base64 48`)",
            ),
            Self::WeakSecret(weak) => write!(f, "JWT_SECRET rejected: {weak}"),
            Self::AmbiguousSecret => {
                f.write_str("set one of JWT_SECRET, JWT_SECRET_FILE and JWT_KEY_FILE")
            }
            Self::BadKey(path) => write!(
                f,
                "JWT_KEY_FILE {}: {}",
                path.display(),
                rbac_core::KeyError
            ),
            Self::SecretFile(path, error) => {
                write!(f, "cannot read JWT_SECRET_FILE {}: {error}", path.display())
            }
            Self::WorldReadable(path) => write!(
                f,
                "JWT_SECRET_FILE {} is readable by every user; run `chmod 600 {}` (or 640 for a group)",
                path.display(),
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

/// Token keys from the configuration: EdDSA with `JWT_KEY_FILE`, else HS256
/// with the secret [`jwt_secret_from`] chooses. Several sources at once are
/// refused.
pub fn signing_keys(
    mode: AppEnv,
    key_file: Option<&std::path::Path>,
    secret_file: Option<&std::path::Path>,
    secret: Option<OsString>,
) -> Result<(rbac_core::Tokens, bool), ConfigError> {
    let Some(path) = key_file else {
        let source = jwt_secret_from(mode, secret_file, secret)?;
        let generated = matches!(source, SecretSource::Generated(_));
        return Ok((rbac_core::Tokens::hs256(source.into_secret()), generated));
    };
    if secret_file.is_some() || secret.is_some() {
        return Err(ConfigError::AmbiguousSecret);
    }
    let pem = zeroize::Zeroizing::new(read_secret_file(path)?);
    let tokens = rbac_core::Tokens::ed25519_from_pem(&pem)
        .map_err(|_| ConfigError::BadKey(path.to_owned()))?;
    Ok((tokens, false))
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
