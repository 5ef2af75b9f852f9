use rbac_core::handlers;

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

trait Stats {
    async fn stats();
}

struct Reports;

#[handlers]
impl Stats for Reports {
    #[rbac_core::requires_role("admin")]
    async fn stats() {}
}

fn main() {}
