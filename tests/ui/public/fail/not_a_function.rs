use rbac_core::public;

#[public]
struct Health;

fn main() {}
