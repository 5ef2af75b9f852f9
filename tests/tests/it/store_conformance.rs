//! The store contract, run against memory, SQLite (a temporary file) and
//! PostgreSQL (a schema per test; only with `RBAC_TEST_POSTGRES=1`,
//! otherwise listed as ignored with the reason).

use tests::conformance as cases;
use tests::stores::{Memory, Postgres, Sqlite};

/// One test per case of [`cases`] for a backend.
macro_rules! suite {
    ($backend:ty $(, #[$attr:meta])*) => {
        suite!(@cases $backend, [$(#[$attr])*],
            created_users_are_found,
            duplicates_are_refused_and_nothing_changes,
            username_case_follows_the_configuration,
            updates_change_only_the_given_fields,
            deleted_users_are_gone,
            hostile_usernames_find_nothing,
            reuse_revokes_the_session,
            a_concurrent_double_spend_is_reuse,
            forged_and_expired_tokens_are_invalid,
            revoking_a_refresh_token_revokes_its_session,
            denied_access_tokens_are_revoked,
            revoking_a_user_voids_older_generations,
            a_long_chain_keeps_detecting_recent_reuse,
            a_recreated_user_inherits_no_tokens,
            sessions_follow_the_username_case,
            sessions_per_user_are_capped,
            reuse_is_detected_for_the_whole_session,
            sessions_end_at_their_absolute_lifetime,
            access_token_denials_are_bounded_per_session,
            scoped_roles_are_granted_listed_and_revoked,
            scoped_roles_go_with_a_deleted_user,
            scoped_roles_follow_the_username_case
        );
    };
    (@cases $backend:ty, $attrs:tt, $($case:ident),*) => {
        $(suite!(@case $backend, $attrs, $case);)*
    };
    (@case $backend:ty, [$(#[$attr:meta])*], $case:ident) => {
        $(#[$attr])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            cases::$case::<$backend>().await;
        }
    };
}

mod memory {
    use super::*;
    suite!(Memory);
}

mod sqlite {
    use super::*;
    suite!(Sqlite);
}

mod postgres {
    use super::*;
    suite!(
        Postgres,
        #[cfg_attr(
            not(rbac_test_postgres),
            ignore = "skipped: PostgreSQL suite runs with RBAC_TEST_POSTGRES=1 (postgres://postgres@127.0.0.1:5432/test)"
        )]
    );
}

/// Two SQLite store objects on one file stand for two processes (an
/// instance and the CLI, or two instances): what one changes, the other sees
/// within its cache bound, and at once without a cache.
mod sqlite_between_processes {
    use std::time::{Duration, Instant};

    use rbac_core::sql::{SqlOptions, SqliteStore};
    use rbac_core::{
        PasswordHasher, SessionStore, User, UserRecord, UserStore, WritableUserStore,
        store::UserUpdate,
    };
    use tests::stores::{sqlite_url, temp_db_path};

    async fn pair(ttl: Duration) -> (SqliteStore, SqliteStore) {
        let url = sqlite_url(&temp_db_path());
        let options = SqlOptions { cache_ttl: ttl, ..SqlOptions::default() };
        let a = SqliteStore::connect(&url, options.clone()).await.expect("a");
        let b = SqliteStore::connect(&url, options).await.expect("b");
        let hasher = PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"));
        let password_hash = hasher.hash_blocking("long enough").expect("hash");
        b.create_user(UserRecord { user: User::new("olga"), password_hash }).await.expect("create");
        (a, b)
    }

    async fn disabled_on(store: &SqliteStore) -> bool {
        store.find_user("olga").await.expect("store").is_some_and(|user| user.disabled)
    }

    #[tokio::test]
    async fn a_change_is_seen_within_the_bound() {
        let ttl = Duration::from_millis(300);
        let (a, b) = pair(ttl).await;
        let session = a.start("olga", "", 1).await.expect("start");
        assert!(!disabled_on(&a).await);
        assert!(!a.is_revoked("olga", "jti-1", Some(&session), 0).await.expect("store"));

        let changed = Instant::now();
        let disable = UserUpdate { disabled: Some(true), ..UserUpdate::default() };
        b.update_user("olga", disable).await.expect("disable");
        b.revoke_session(&session).await.expect("revoke");
        assert!(disabled_on(&b).await, "the writer sees its change at once");
        loop {
            let seen = disabled_on(&a).await
                && a.is_revoked("olga", "jti-1", Some(&session), 0).await.expect("store");
            if seen {
                break;
            }
            assert!(
                changed.elapsed() < ttl + Duration::from_millis(200),
                "not seen within the bound"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `POST /token/revoke` is public: a token that revokes nothing must not
    /// empty the revocation cache (a stale answer, served within the bound,
    /// shows the cache survived); a real revocation drops only its session's
    /// answers.
    #[tokio::test]
    async fn only_a_real_revocation_touches_the_cache() {
        let (a, b) = pair(Duration::from_secs(60)).await;
        let first = a.start("olga", "", 1).await.expect("start");
        let token = a.issue(&first, None, 1).await.expect("store").expect("token");
        let second = a.start("olga", "", 1).await.expect("start");
        assert!(!a.is_revoked("olga", "jti-1", Some(&first), 0).await.expect("store"));
        assert!(!a.is_revoked("olga", "jti-2", Some(&second), 0).await.expect("store"));
        b.revoke_session(&second).await.expect("revoked elsewhere");

        for garbage in ["x.y", "no-dot", &format!("{first}.forged")] {
            assert!(!a.revoke_refresh(garbage).await.expect("store"));
        }
        a.revoke_session("no-such-session").await.expect("store");
        assert!(
            !a.is_revoked("olga", "jti-2", Some(&second), 0).await.expect("store"),
            "still the cached answer: nothing was revoked through `a`"
        );

        assert!(a.revoke_refresh(&token).await.expect("store"));
        assert!(a.is_revoked("olga", "jti-1", Some(&first), 0).await.expect("store"));
        assert!(
            !a.is_revoked("olga", "jti-2", Some(&second), 0).await.expect("store"),
            "another session's answer stays cached"
        );
    }

    /// Scoped grants are cached like users: a grant elsewhere is seen
    /// within the bound; one made through this object at once.
    #[tokio::test]
    async fn a_scoped_grant_is_seen_within_the_bound_and_at_once_by_its_writer() {
        use rbac_core::{Role, ScopedRole};
        let ttl = Duration::from_millis(300);
        let (a, b) = pair(ttl).await;
        let grant = ScopedRole::new("org", "acme", Role::new("editor").expect("role")).expect("ok");
        assert!(a.find_scoped_roles("olga").await.expect("store").is_empty(), "cached empty");
        let changed = Instant::now();
        assert!(b.grant_scoped_role("olga", grant.clone()).await.expect("grant"));
        assert_eq!(b.find_scoped_roles("olga").await.expect("store").len(), 1, "writer: at once");
        while a.find_scoped_roles("olga").await.expect("store").is_empty() {
            assert!(
                changed.elapsed() < ttl + Duration::from_millis(200),
                "not seen within the bound"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(a.revoke_scoped_role("olga", &grant).await.expect("revoke"));
        assert!(a.find_scoped_roles("olga").await.expect("store").is_empty(), "revoker: at once");
    }

    #[tokio::test]
    async fn without_a_cache_a_change_is_seen_at_once() {
        let (a, b) = pair(Duration::ZERO).await;
        assert!(!disabled_on(&a).await);
        let disable = UserUpdate { disabled: Some(true), ..UserUpdate::default() };
        b.update_user("olga", disable).await.expect("disable");
        assert!(disabled_on(&a).await);
        b.revoke_user("olga").await.expect("revoke");
        assert!(a.is_revoked("olga", "jti-2", None, 0).await.expect("store"));
    }
}

/// Writes that must not be half-done are one transaction: a new password
/// and the revocation of the old tokens commit together or not at all.
mod sqlite_transactions {
    use rbac_core::sql::{SqlOptions, SqliteStore};
    use rbac_core::{
        PasswordHasher, SessionStore, User, UserRecord, UserStore, UserWriteError,
        WritableUserStore, store::UserUpdate,
    };
    use tests::stores::{sqlite_url, temp_db_path};

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"))
    }

    async fn store_with_olga() -> SqliteStore {
        let url = sqlite_url(&temp_db_path());
        let store = SqliteStore::connect(&url, SqlOptions::default()).await.expect("sqlite");
        let password_hash = hasher().hash_blocking("old password").expect("hash");
        let record = UserRecord { user: User::new("olga"), password_hash };
        store.create_user(record).await.expect("create");
        store
    }

    async fn password_is(store: &SqliteStore, password: &str) -> bool {
        let record = store.find_credentials("olga").await.expect("store").expect("olga");
        hasher().verify_blocking(password, Some(&record.password_hash)).expect("verify")
    }

    fn new_password() -> UserUpdate {
        UserUpdate {
            password_hash: Some(hasher().hash_blocking("new password").expect("hash")),
            revoke_tokens: true,
            ..UserUpdate::default()
        }
    }

    #[tokio::test]
    async fn a_new_password_revokes_the_old_tokens_in_the_same_write() {
        let store = store_with_olga().await;
        assert!(store.keeps_sessions());
        let session = store.start("olga", "", 1).await.expect("start");
        assert!(!store.is_revoked("olga", "jti", Some(&session), 0).await.expect("store"));
        store.update_user("olga", new_password()).await.expect("passwd");
        assert!(password_is(&store, "new password").await);
        assert_eq!(store.generation("olga").await.expect("store"), 1);
        assert!(store.is_revoked("olga", "jti", Some(&session), 0).await.expect("store"));
    }

    #[tokio::test]
    async fn if_the_revocation_fails_the_password_is_not_changed() {
        let store = store_with_olga().await;
        // Sabotage the revocation half of the write.
        sqlx::query("DROP TABLE token_generations").execute(store.pool()).await.expect("drop");
        let failed = store.update_user("olga", new_password()).await;
        assert!(matches!(failed, Err(UserWriteError::Store(_))), "{failed:?}");
        assert!(password_is(&store, "old password").await, "rolled back with the revocation");
    }
}

/// A new SQLite database (password hashes inside) is readable by its owner only.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let path = tests::stores::temp_db_path();
    let url = tests::stores::sqlite_url(&path);
    let store = rbac_core::sql::SqliteStore::connect(&url, rbac_core::sql::SqlOptions::default())
        .await
        .expect("sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        let mode = std::fs::metadata(&file).expect("file exists").permissions().mode();
        assert_eq!(mode & 0o077, 0, "{file}: {mode:o}");
    }
    drop(store);
}
