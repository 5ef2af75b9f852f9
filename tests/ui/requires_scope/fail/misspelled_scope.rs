use rbac_core::requires_scope;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "items:read";
        role "admin": "viewer" grants "users:manage";
    }
}

#[requires_scope("items:raed")]
async fn handler() {}

fn main() {}
