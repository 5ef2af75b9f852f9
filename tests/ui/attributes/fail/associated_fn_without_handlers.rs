use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

struct Reports;

impl Reports {
    #[requires_role("admin")]
    async fn stats() {}
}

fn main() {}
