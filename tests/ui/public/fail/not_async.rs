use rbac_core::public;

#[public]
fn health() -> &'static str {
    "ok"
}

fn main() {}
