use rbac_core::{authenticated, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
        role "editor";
    }
}

#[authenticated]
#[requires_role("admin")]
async fn handler() {}

fn main() {}
