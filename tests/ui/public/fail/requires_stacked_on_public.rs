use rbac_core::requires;

#[requires(owner(name))]
#[rbac_core::public]
async fn profile(axum::extract::Path(name): axum::extract::Path<String>) -> String {
    name
}

fn main() {}
