//! The value a guarded handler takes can only come from its passed check:
//! code that builds it to call the handler directly must not compile.

use axum::extract::Path;
use rbac_core::requires;

rbac_core::policy! {
    mod policy {
        role "admin";
    }
}

#[requires(any(role("admin"), owner(username)))]
async fn profile(Path(username): Path<String>) -> String {
    username
}

async fn bypass() -> String {
    let unchecked = rbac_core::__private::CheckedGuard::<__rbac_requirement_profile>(
        ::core::marker::PhantomData,
    );
    profile(unchecked, Path("johndoe".to_owned())).await
}

fn main() {}
