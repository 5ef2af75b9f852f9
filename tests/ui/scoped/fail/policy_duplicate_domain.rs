rbac_core::policy! {
    mod policy {
        role "viewer";
        domain "org";
        domain "org";
    }
}

fn main() {}
