use rbac_core::{requires_permission, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

mod other {
    rbac_core::policy! {
        pub mod policy {
            role "support" grants "tickets:read";
        }
    }
}

// Without `policy = ...`, `admin` is checked against `crate::policy`; it must
// not silently switch to the other attribute's policy.
#[requires_role("admin")]
#[requires_permission("tickets:read", policy = crate::other::policy)]
async fn handler() {}

fn main() {}
