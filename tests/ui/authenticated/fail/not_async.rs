use rbac_core::authenticated;

#[authenticated]
fn handler() -> &'static str {
    "hello"
}

fn main() {}
