use rbac_core::routing::{SecureRouter, get};
use rbac_core::{Auth, authenticated};

#[authenticated]
async fn me() {}

async fn open() {}

fn app() -> SecureRouter<Auth> {
    let api = SecureRouter::new().route("/me", get(me)).route("/open", get(open));
    SecureRouter::new().nest("/api", api)
}

fn main() {}
