use rbac_core::ClaimMapping;

rbac_core::policy! {
    mod policy {
        role "viewer";
        role "editor": "viewer";
    }
}

fn mapping() -> ClaimMapping {
    ClaimMapping::groups("groups").group("/acme/editors", policy::roles::EDITR)
}

fn main() {}
