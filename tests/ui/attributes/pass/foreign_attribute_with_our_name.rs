//! Stacked attributes are ours only by their own paths: the bare name, or
//! through `rbac_core::`. A foreign attribute whose path merely ends in one
//! of our names stays on the handler for whoever owns it; it is not read as
//! a requirement. `diagnostic::` is such a namespace: rustc ignores
//! attributes in it that it does not know.

#![deny(warnings)]
#![allow(unknown_diagnostic_attributes)]

use rbac_core::{Requires, requirements_of, requires_role};

rbac_core::policy! {
    mod policy {
        role "editor";
        role "admin";
    }
}

#[requires_role("editor")]
#[diagnostic::requires_role("admin")]
#[diagnostic::requires(role("admin"))]
async fn edit() {}

/// Our own paths still stack: through `rbac_core::` and `::rbac_core::`.
#[rbac_core::requires_role("editor")]
#[::rbac_core::requires_role("admin")]
async fn administer() {}

fn main() {
    assert_eq!(requirements_of!(edit).requires, Requires::Role("editor"));
    assert_eq!(
        requirements_of!(administer).requires,
        Requires::All(&[Requires::Role("editor"), Requires::Role("admin")])
    );
    let _ = (edit, administer);
}
