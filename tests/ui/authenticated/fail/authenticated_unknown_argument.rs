use rbac_core::authenticated;

#[authenticated(strict)]
async fn handler() {}

fn main() {}
