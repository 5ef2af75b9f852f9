rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
        role "admin";
    }
}

fn main() {}
