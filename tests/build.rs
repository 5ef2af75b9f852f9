//! `RBAC_TEST_POSTGRES=1` turns the PostgreSQL suites on (cfg
//! `rbac_test_postgres`); without it they are reported as ignored, with the
//! reason, rather than silently passing.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rbac_test_postgres)");
    println!("cargo::rerun-if-env-changed=RBAC_TEST_POSTGRES");
    if std::env::var_os("RBAC_TEST_POSTGRES").is_some_and(|value| value == "1") {
        println!("cargo::rustc-cfg=rbac_test_postgres");
    }
}
