use rbac_core::routing::{SecureRouter, get};

fn main() {
    let _: SecureRouter = SecureRouter::new().route("/", get(|| async { "anyone" }));
}
