use rbac_core::{authenticated, requires_role};

#[requires_role("admin")]
#[authenticated]
async fn handler() {}

fn main() {}
