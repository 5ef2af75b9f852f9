rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
        global "admin";
    }
}

fn main() {}
