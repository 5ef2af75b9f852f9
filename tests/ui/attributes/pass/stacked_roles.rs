//! Two `#[requires_role]` on one handler mean both roles; `Auth` as the
//! whole router state works too.

use axum::Router;
use axum::routing::get;
use rbac_core::{Auth, requires_role};

rbac_core::policy! {
    mod policy {
        role "editor";
        role "reviewer";
        role "ops:deploy";
    }
}

#[requires_role("editor")]
#[rbac_core::requires_role("reviewer")]
async fn review() -> &'static str {
    "ok"
}

mod nested {
    /// Handlers in modules, with full paths to the attribute.
    #[rbac_core::requires_role("ops:deploy")]
    pub async fn deploy() {}
}

fn main() {
    let _router: Router<Auth> = Router::new()
        .route("/review", get(review))
        .route("/deploy", get(nested::deploy));
}
