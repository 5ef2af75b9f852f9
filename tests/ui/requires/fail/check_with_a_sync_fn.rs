use axum::extract::Path;
use rbac_core::{User, requires};

fn is_author(user: &User, id: &String) -> bool {
    user.username == *id
}

#[requires(check(is_author(id)))]
async fn edit(Path(id): Path<String>) -> String {
    id
}

fn main() {}
