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
            a_long_chain_keeps_detecting_recent_reuse
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
