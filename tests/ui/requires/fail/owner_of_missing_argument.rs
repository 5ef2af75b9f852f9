use axum::extract::Path;
use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires(any(role("admin"), owner(username)))]
async fn handler(Path(name): Path<String>) -> String {
    name
}

fn main() {}
