rbac_core::policy! {
    mod policy {
        role "viewer";
        role "admin": "viewer";
        domain "org";
        global "admin" in "ogr";
    }
}

fn main() {}
