use rbac_core::requires_role;

#[requires_role("admin", cache = true)]
async fn handler() {}

fn main() {}
