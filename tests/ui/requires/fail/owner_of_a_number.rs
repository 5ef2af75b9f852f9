use axum::extract::Path;
use rbac_core::requires;

#[requires(owner(id))]
async fn profile(Path(id): Path<u64>) -> String {
    id.to_string()
}

fn main() {}
