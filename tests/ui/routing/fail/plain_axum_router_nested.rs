use rbac_core::routing::SecureRouter;

async fn open() {}

fn main() {
    let plain = axum::Router::new().route("/", axum::routing::get(open));
    let _: SecureRouter = SecureRouter::new().nest("/api", plain);
}
