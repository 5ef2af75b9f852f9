use rbac_core::routing::{SecureRouter, get};

async fn open() -> &'static str {
    "anyone"
}

fn main() {
    let _: SecureRouter = SecureRouter::new().route("/", get(open));
}
