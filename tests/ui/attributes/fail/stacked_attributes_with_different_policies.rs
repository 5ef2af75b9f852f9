use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor" grants "users:manage";
    }
}

mod other {
    rbac_core::policy! {
        pub mod policy {
            role "auditor";
        }
    }
}

#[requires_role("admin", policy = crate::policy)]
#[requires_role("auditor", policy = crate::other::policy)]
async fn handler() {}

fn main() {}
