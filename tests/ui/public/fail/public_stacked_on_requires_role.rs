use rbac_core::{public, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

#[public]
#[requires_role("admin")]
async fn dashboard() {}

fn main() {}
