use rbac_core::requires_role;

#[requires_role("edtior", policy = shared_policy::policy)]
async fn edit() {}

fn main() {}
