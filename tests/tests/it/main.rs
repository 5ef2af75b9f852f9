//! The integration tests, one module per suite, linked into a single test
//! binary (`--test it`): each binary links sqlx, argon2 and the app, so one
//! link instead of one per file. Run one suite with a filter on its module,
//! e.g. `cargo test -p tests --test it sessions::`.
//!
//! Not here: `ui` (trybuild, its own kind of test) and the suites whose
//! handlers use the attributes' default policy, `crate::policy`, each
//! declaring its own (`denial`, `guards`, `policy_codegen`): a crate has one
//! root, so they stay crates of their own.

mod access_matrix;
mod admin_users;
mod browser_sessions;
mod deleted_users;
mod denylist_growth;
mod example_app;
mod example_app_openapi;
mod example_orgs;
mod external_idp;
mod fuzz_router;
mod hostile;
mod key_config;
mod limits;
mod oauth_clients;
mod openapi;
mod redaction;
mod redis_throttle;
mod refresh_retry;
mod resource_server;
mod route_surface;
mod scoped_roles;
mod scopes;
mod sessions;
mod store_conformance;
mod store_failures;
mod throttling;
