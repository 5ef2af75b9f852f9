use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "admin";
        role "editor";
    }
}

#[requires_role("admin", "editor")]
async fn handler() {}

fn main() {}
