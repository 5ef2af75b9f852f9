use rbac_core::{authenticated, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
        role "editor";
    }
}

#[requires_role("admin")]
#[authenticated]
async fn handler() {}

fn main() {}
