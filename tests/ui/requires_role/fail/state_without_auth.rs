use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

#[derive(Clone)]
struct Db;

#[requires_role("admin")]
async fn list(State(_db): State<Db>) {}

fn main() {
    let _: Router<Db> = Router::new().route("/", get(list));
}
