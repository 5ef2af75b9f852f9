use rbac_core::requires_role;

#[requires_role]
async fn handler() {}

fn main() {}
