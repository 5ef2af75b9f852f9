use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires(not(role("viewer"), role("editor")))]
async fn handler() {}

fn main() {}
