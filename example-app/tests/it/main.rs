//! The example app's tests as a real process, one module per suite, linked
//! into a single test binary (`--test it`). Run one suite with a filter on
//! its module, e.g. `cargo test -p example-app --test it durability::`.

mod common;
mod demo_users;
mod docs_browser;
mod durability;
mod scale_out;
mod ui_browser;
mod users_cli;
