use rbac_core::public;

#[public]
#[public]
async fn health() {}

fn main() {}
