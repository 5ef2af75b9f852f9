use rbac_core::routing::{SecureRouter, get};
use rbac_core::{Auth, requires_role};

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

#[requires_role("admin")]
async fn list() {}

async fn create() {}

fn main() {
    let _: SecureRouter<Auth> = SecureRouter::new().route("/posts", get(list).post(create));
}
