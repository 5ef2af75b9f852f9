use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires(any(role("admin"), role("superuser")))]
async fn handler() {}

fn main() {}
