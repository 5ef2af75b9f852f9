use rbac_core::public;

struct Api;

impl Api {
    #[public]
    async fn health(&self) -> &'static str {
        "ok"
    }
}

fn main() {}
