use rbac_core::requires_role;

#[requires_role(42)]
async fn handler() {}

fn main() {}
