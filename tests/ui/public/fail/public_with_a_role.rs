use rbac_core::public;

#[public("admin")]
async fn health() {}

fn main() {}
