rbac_core::policy! {
    mod policy {
        role "viewer": "admin";
        role "editor": "viewer";
        role "admin": "editor";
    }
}

fn main() {}
