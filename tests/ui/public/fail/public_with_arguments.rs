use rbac_core::public;

#[public(strict)]
async fn health() {}

fn main() {}
