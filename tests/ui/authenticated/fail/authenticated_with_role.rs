use rbac_core::authenticated;

#[authenticated("admin")]
async fn handler() {}

fn main() {}
