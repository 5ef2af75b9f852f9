use rbac_core::{authenticated, requires_role};

#[authenticated]
#[requires_role("admin")]
async fn handler() {}

fn main() {}
