use rbac_core::requires_role;

#[requires_role("super admin")]
async fn handler() {}

fn main() {}
