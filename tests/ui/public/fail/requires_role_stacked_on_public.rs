use rbac_core::{public, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

#[requires_role("admin")]
#[public]
async fn dashboard() {}

fn main() {}
