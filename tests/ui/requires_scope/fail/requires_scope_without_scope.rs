use rbac_core::requires_scope;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "items:read";
    }
}

#[requires_scope]
async fn handler() {}

fn main() {}
