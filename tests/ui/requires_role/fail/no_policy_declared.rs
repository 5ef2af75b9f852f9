// `#[requires_role]` checks names against `crate::policy` unless told otherwise.
use rbac_core::requires_role;

#[requires_role("admin")]
async fn handler() {}

fn main() {}
