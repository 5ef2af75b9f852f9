use rbac_core::{authenticated, public};

#[public]
#[authenticated]
async fn health() {}

fn main() {}
