use rbac_core::requires_role;

#[requires_role("admin", "editor")]
async fn handler() {}

fn main() {}
