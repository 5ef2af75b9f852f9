rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

struct Api;

#[rbac_core::handlers]
impl Api {
    #[rbac_core::public]
    async fn health() -> &'static str {
        "ok"
    }

    #[rbac_core::requires_role("admin")]
    #[rbac_core::public]
    async fn dashboard() {}
}

fn main() {}
