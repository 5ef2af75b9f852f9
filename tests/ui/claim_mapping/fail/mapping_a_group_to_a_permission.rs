use rbac_core::ClaimMapping;

rbac_core::policy! {
    mod policy {
        role "editor" grants "posts:write";
    }
}

fn mapping() -> ClaimMapping {
    ClaimMapping::groups("groups").group("/acme/editors", policy::permissions::POSTS_WRITE)
}

fn main() {}
