use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "items:read";
    }
}

#[requires(all(role("viewer"), scopes("items:read")))]
async fn handler() {}

fn main() {}
