//! Two `example-app` instances on one PostgreSQL database: a token from
//! one works on the other, and a user disabled, or a token revoked, through
//! one is refused by the other within the cache bound (1 s by default).
//!
//! Needs PostgreSQL at `postgres://postgres@127.0.0.1:5432/test` (or
//! `RBAC_TEST_POSTGRES_URL`): `cargo test -p example-app --features postgres
//! --test it scale_out:: -- --ignored` (as `.ci/run` does).

/// Without the feature there is nothing to run; say so rather than pass.
#[cfg(not(feature = "postgres"))]
#[test]
#[ignore = "skipped: the scale-out test needs --features postgres and PostgreSQL (see .ci/run)"]
fn two_instances_share_tokens_users_and_revocations() {}

#[cfg(feature = "postgres")]
use crate::common;

#[cfg(feature = "postgres")]
mod two_instances {
    use super::common;
    use std::time::Duration;

    use common::{http, login, start, time_until};

    /// The documented staleness bound (the 1 s default cache TTL), plus
    /// 200 ms for one 20 ms poll and a request's latency on loopback.
    const BOUND: Duration = Duration::from_millis(1200);

    async fn fresh_schema_url() -> String {
        use sqlx::Connection as _;
        let base = std::env::var("RBAC_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        // Named like the conformance suite's schemas, whose sweep drops old ones.
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let schema = format!(
            "rbac_test_{}_scale_{}_{}",
            now.as_secs(),
            std::process::id(),
            now.subsec_nanos()
        );
        let mut connection = sqlx::PgConnection::connect(&base).await.expect("PostgreSQL is up");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut connection)
            .await
            .expect("schema");
        format!("{base}?options=-c%20search_path%3D{schema}")
    }

    #[tokio::test]
    #[ignore = "skipped: needs PostgreSQL; run with --features postgres -- --ignored (see .ci/run)"]
    async fn two_instances_share_tokens_users_and_revocations() {
        let url = fresh_schema_url().await;
        let a = start(&url);
        let b = start(&url);
        let (a, b) = (a.address, b.address);
        let me = |address, token: &str| {
            http(address, "GET", "/users/me", Some(token), None).expect("request").0
        };

        let token = login(a, "johndoe", "secret");
        assert_eq!(me(b, &token), 200, "a token from A works on B");
        assert_eq!(me(a, &token), 200, "and A has johndoe cached now");

        let admin = login(b, "janedoe", "secret3");
        let disable = r#"{"disabled":true}"#;
        let (status, body) =
            http(b, "PATCH", "/admin/users/johndoe", Some(&admin), Some(disable)).expect("patch");
        assert_eq!(status, 200, "{body}");
        let took = time_until(BOUND, || me(a, &token) == 400);
        assert!(took.is_some(), "a user disabled through B is refused on A within {BOUND:?}");
        eprintln!("disable seen on A after {took:?}");

        let enable = r#"{"disabled":false}"#;
        http(b, "PATCH", "/admin/users/johndoe", Some(&admin), Some(enable)).expect("patch");
        let second = login(a, "johndoe", "secret");
        assert_eq!(me(b, &second), 200, "B has the new token's revocation answer cached");
        // /logout is #[authenticated]: A must see johndoe enabled again first.
        assert!(time_until(BOUND, || me(a, &second) == 200).is_some(), "enable seen on A");
        let (status, _) = http(a, "POST", "/logout", Some(&second), None).expect("logout");
        assert_eq!(status, 204);
        let took = time_until(BOUND, || me(b, &second) == 401);
        assert!(took.is_some(), "a token revoked on A is refused on B within {BOUND:?}");
        eprintln!("revocation seen on B after {took:?}");

        let third = login(b, "johndoe", "secret");
        let revoke_all = "/admin/users/johndoe/revoke-tokens";
        let admin_a = login(a, "janedoe", "secret3");
        assert_eq!(http(a, "POST", revoke_all, Some(&admin_a), None).expect("revoke").0, 204);
        assert!(
            time_until(BOUND, || me(b, &third) == 401).is_some(),
            "log-out-everywhere crosses instances"
        );
    }
}
