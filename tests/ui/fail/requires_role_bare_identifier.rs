use rbac_core::requires_role;

#[requires_role(admin)]
async fn handler() {}

fn main() {}
