use rbac_core::{authenticated, public};

#[authenticated]
#[public]
async fn health() {}

fn main() {}
