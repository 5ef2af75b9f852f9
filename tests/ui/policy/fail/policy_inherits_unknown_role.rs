rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "veiwer";
    }
}

fn main() {}
