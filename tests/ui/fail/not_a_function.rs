use rbac_core::requires_role;

#[requires_role("admin")]
struct Handler;

fn main() {}
