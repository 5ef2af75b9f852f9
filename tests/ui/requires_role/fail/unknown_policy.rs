use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

#[requires_role("admin", policy = crate::audit_policy)]
async fn handler() {}

fn main() {}
