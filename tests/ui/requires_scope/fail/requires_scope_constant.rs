use rbac_core::requires_scope;

rbac_core::policy! {
    pub mod policy {
        role "editor" grants "posts:write";
    }
}

#[requires_scope(policy::permissions::POSTS_WRITE)]
async fn handler() {}

fn main() {}
