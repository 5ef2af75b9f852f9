use rbac_core::requires_role;

rbac_core::policy! {
    pub mod policy {
        role "editor";
    }
}

mod billing {
    rbac_core::policy! {
        pub mod policy {
            role "cfo";
        }
    }
}

#[requires_role(all(policy::roles::EDITOR, billing::policy::roles::CFO))]
async fn handler() {}

fn main() {}
