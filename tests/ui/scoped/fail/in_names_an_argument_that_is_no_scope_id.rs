use axum::extract::Path;
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        global "admin" in "org";
    }
}

#[requires_role("editor", in = org(pair))]
async fn handler(Path(pair): Path<(String, String)>) -> String {
    pair.0
}

fn handler_is_routable() {
    let _: axum::Router<rbac_core::Auth> = axum::Router::new().route("/{a}/{b}", axum::routing::get(handler));
}

fn main() {}
