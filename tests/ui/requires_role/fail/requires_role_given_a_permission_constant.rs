use rbac_core::requires_role;

rbac_core::policy! {
    pub mod policy {
        role "editor" grants "posts:write";
    }
}

#[requires_role(policy::permissions::POSTS_WRITE)]
async fn handler() {}

fn main() {}
