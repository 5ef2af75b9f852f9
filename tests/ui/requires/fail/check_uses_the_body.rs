use axum::Json;
use rbac_core::{User, requires};

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

async fn is_draft(_user: &User, post: &Json<serde_json::Value>) -> bool {
    post["draft"] == true
}

#[requires(check(is_draft(post)))]
async fn handler(post: Json<serde_json::Value>) {
    let _ = post;
}

fn handler_is_routable() {
    let _: axum::Router<rbac_core::Auth> = axum::Router::new().route("/", axum::routing::post(handler));
}

fn main() {}
