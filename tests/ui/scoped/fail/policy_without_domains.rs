use axum::extract::Path;
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "viewer";
    }
}

#[requires_role("viewer", in = org_id)]
async fn handler(Path(org_id): Path<String>) -> String {
    org_id
}

fn main() {}
