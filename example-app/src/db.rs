//! Opening the user and session store named by `DATABASE_URL`.

use rbac_core::{Auth, MemoryUserStore, PasswordHasher, StoreError, Tokens, UserDirectory};

/// The store the app runs on.
#[derive(Clone, Debug)]
pub enum Database {
    /// `memory:`: users and sessions in process memory, gone on exit.
    Memory(MemoryUserStore),
    /// `sqlite://PATH`: an embedded file (created if missing, WAL mode).
    #[cfg(feature = "sqlite")]
    Sqlite(rbac_core::sql::SqliteStore),
    /// `postgres://...`: a server many instances share.
    #[cfg(feature = "postgres")]
    Postgres(rbac_core::sql::PostgresStore),
}

/// A `DATABASE_URL` this build cannot open. It keeps only the URL's
/// scheme: the rest may hold a password, and this error gets logged.
#[derive(Debug)]
pub struct UnsupportedUrl(String);

impl UnsupportedUrl {
    fn new(url: &str) -> Self {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let scheme: String = scheme.chars().take(32).filter(char::is_ascii_graphic).collect();
        Self(scheme)
    }
}

impl std::fmt::Display for UnsupportedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unsupported DATABASE_URL scheme `{}:`: expected memory:, sqlite://PATH \
             (feature `sqlite`) or postgres://... (feature `postgres`)",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedUrl {}

/// Why the store could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The URL names a backend this build lacks.
    Unsupported(UnsupportedUrl),
    /// Connecting or migrating failed.
    Store(StoreError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unsupported(error) => error.fmt(f),
            Self::Store(error) => write!(f, "could not open the database: {error}"),
        }
    }
}

impl std::error::Error for OpenError {}

impl Database {
    /// Opens `url` (running migrations). `options` applies to SQL stores.
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(unused_variables))]
    pub async fn open(url: &str, options: StoreOptions) -> Result<Self, OpenError> {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        let sql = rbac_core::sql::SqlOptions {
            case_insensitive_usernames: options.case_insensitive_usernames,
            cache_ttl: options.cache_ttl,
            ..rbac_core::sql::SqlOptions::default()
        };
        if url == "memory:" {
            return Ok(Self::Memory(if options.case_insensitive_usernames {
                MemoryUserStore::case_insensitive()
            } else {
                MemoryUserStore::new()
            }));
        }
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            let store = rbac_core::sql::SqliteStore::connect(url, sql).await;
            return store.map(Self::Sqlite).map_err(OpenError::Store);
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = rbac_core::sql::PostgresStore::connect(url, sql).await;
            return store.map(Self::Postgres).map_err(OpenError::Store);
        }
        Err(OpenError::Unsupported(UnsupportedUrl::new(url)))
    }

    /// The users, as a handle the handlers and the CLI share.
    pub fn users(&self) -> UserDirectory {
        match self {
            Self::Memory(store) => UserDirectory::new(store.clone()),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => UserDirectory::new(store.clone()),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => UserDirectory::new(store.clone()),
        }
    }

    /// "Log out everywhere" for `username`, from outside a running server.
    /// The memory store keeps sessions inside the server process, so there
    /// is nothing to revoke from here.
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(unused_variables))]
    pub async fn revoke_tokens(&self, username: &str) -> Result<(), StoreError> {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        use rbac_core::SessionStore as _;
        match self {
            Self::Memory(_) => {
                Err(StoreError::new("the memory store keeps sessions inside the server process"))
            }
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => store.revoke_user(username).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store.revoke_user(username).await,
        }
    }

    /// An [`Auth`] reading users, and keeping sessions, in this store.
    pub fn auth(&self, tokens: Tokens, hasher: PasswordHasher) -> Auth {
        match self {
            Self::Memory(store) if store.is_case_insensitive() => {
                Auth::with_hasher(tokens, store.clone(), hasher)
                    .with_session_store(rbac_core::MemorySessionStore::case_insensitive())
            }
            Self::Memory(store) => Auth::with_hasher(tokens, store.clone(), hasher),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => {
                Auth::with_hasher(tokens, store.clone(), hasher).with_session_store(store.clone())
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => {
                Auth::with_hasher(tokens, store.clone(), hasher).with_session_store(store.clone())
            }
        }
    }
}

/// Store settings from the command line.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// Usernames differing only in case are one user.
    pub case_insensitive_usernames: bool,
    /// How long a cached user or revocation answer is served.
    pub cache_ttl: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unsupported_url_is_reported_by_its_scheme_only() {
        let options = StoreOptions {
            case_insensitive_usernames: false,
            cache_ttl: std::time::Duration::ZERO,
        };
        let url = "mysql://admin:hunter2@db.internal:3306/users";
        let error = Database::open(url, options).await.expect_err("unsupported").to_string();
        assert!(error.contains("`mysql:`"), "{error}");
        assert!(!error.contains("hunter2") && !error.contains("admin"), "{error}");
    }
}
