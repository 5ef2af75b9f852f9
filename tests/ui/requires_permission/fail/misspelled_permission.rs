use rbac_core::requires_permission;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires_permission("posts:wirte")]
async fn handler() {}

fn main() {}
