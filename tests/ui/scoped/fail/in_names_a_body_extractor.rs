use axum::Json;
use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
        domain "org";
        global "admin" in "org";
    }
}

#[requires(permission("posts:write", in = org(org)))]
async fn handler(Json(org): Json<String>) -> String {
    org
}

fn main() {}
