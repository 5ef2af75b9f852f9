//! The per-request store work of a guarded route, in process: the user
//! lookup and the revocation check, on each store, cached and uncached.
//!
//! `cargo bench -p rbac-core --features sqlite,postgres --bench stores`.
//! PostgreSQL (`RBAC_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, schema `rbac_bench`) is
//! skipped with a message when it cannot be reached.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rbac_core::sql::{PostgresStore, SqlOptions, SqliteStore};
use rbac_core::{
    MemorySessionStore, MemoryUserStore, PasswordHasher, SessionStore, User, UserRecord, UserStore,
    WritableUserStore,
};
use tokio::runtime::Runtime;

fn record() -> UserRecord {
    let hasher = PasswordHasher::new(argon2::Params::new(8, 1, 1, None).expect("params"));
    let password_hash = hasher.hash_blocking("long enough").expect("hash");
    UserRecord { user: User::new("johndoe"), password_hash }
}

/// Times `find_user` and `is_revoked` for one store.
fn per_request<U: UserStore + WritableUserStore, S: SessionStore>(
    c: &mut Criterion,
    runtime: &Runtime,
    name: &str,
    users: U,
    sessions: S,
) {
    let session = runtime.block_on(async {
        users.create_user(record()).await.expect("create");
        sessions.start("johndoe", "", 1).await.expect("session")
    });
    let mut group = c.benchmark_group(format!("store/{name}"));
    group.bench_function("find_user", |b| {
        b.iter(|| runtime.block_on(users.find_user(black_box("johndoe"))).expect("find"));
    });
    group.bench_function("is_revoked", |b| {
        b.iter(|| {
            let check = sessions.is_revoked("johndoe", black_box("jti"), Some(&session), 0);
            runtime.block_on(check).expect("check")
        });
    });
    group.finish();
}

fn options(ttl: Duration, schema: Option<&str>) -> SqlOptions {
    SqlOptions { cache_ttl: ttl, schema: schema.map(str::to_owned), ..SqlOptions::default() }
}

fn stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    per_request(c, &runtime, "memory", MemoryUserStore::new(), MemorySessionStore::default());

    let dir = std::env::temp_dir();
    for (name, ttl) in [("sqlite", Duration::from_secs(1)), ("sqlite_uncached", Duration::ZERO)] {
        let path = dir.join(format!("rbac_bench_{name}_{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store =
            runtime.block_on(SqliteStore::connect(&url, options(ttl, None))).expect("sqlite");
        per_request(c, &runtime, name, store.clone(), store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    let url = std::env::var("RBAC_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    for (name, ttl) in [("postgres", Duration::from_secs(1)), ("postgres_uncached", Duration::ZERO)]
    {
        let schema = format!("rbac_bench_{name}");
        let store = runtime.block_on(async {
            use sqlx::Connection as _;
            let mut connection = sqlx::PgConnection::connect(&url).await.ok()?;
            let reset = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
            sqlx::raw_sql(&reset).execute(&mut connection).await.ok()?;
            PostgresStore::connect(&url, options(ttl, Some(&schema))).await.ok()
        });
        match store {
            Some(store) => per_request(c, &runtime, name, store.clone(), store),
            None => eprintln!("skipped store/{name}: PostgreSQL not reachable at {url}"),
        }
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
