use axum::Json;
use axum::extract::Path;
use rbac_core::requires_role;

rbac_core::policy! {
    mod policy {
        role "editor";
    }
}

#[requires_role("editor")]
async fn update(Json(body): Json<serde_json::Value>, Path(id): Path<u32>) -> String {
    format!("{id}: {body}")
}

fn main() {}
