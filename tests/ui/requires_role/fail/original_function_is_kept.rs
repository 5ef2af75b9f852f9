// The macro reports the misuse once and still emits the function, so code
// that refers to it does not produce a second "cannot find" error.
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "admin";
        role "editor";
    }
}

#[requires_role(7)]
async fn handler() -> &'static str {
    "hello"
}

#[allow(dead_code)]
fn refers_to_handler() {
    let _ = handler;
}

fn main() {}
