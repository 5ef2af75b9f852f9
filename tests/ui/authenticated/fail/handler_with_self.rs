use rbac_core::authenticated;

struct Api;

impl Api {
    #[authenticated]
    async fn handler(&self) -> &'static str {
        "hello"
    }
}

fn main() {}
