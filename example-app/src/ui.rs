//! A small browser UI over the cookie session: log in, who am I, publish a
//! post (editors), a live feed of new posts (viewers), log out. Static
//! pages and one script, compiled into the binary; no external assets. The
//! pages hold no data: their script fetches it with the session cookie, so
//! they are public.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use rbac_core::public;
use rbac_core::routing::{SecureRouter, get};

use crate::AppState;

/// Scripts only from this origin, no inline script, connections (fetch,
/// WebSocket) only to it: an injected `<script>` does not run.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/ui", get(login_page))
        .route("/ui/me", get(me_page))
        .route("/ui/editor", get(editor_page))
        .route("/ui/feed", get(feed_page))
        .route("/ui/app.js", get(script))
        .route("/ui/app.css", get(stylesheet))
}

fn page(html: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, CSP),
            (CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
}

/// The login form.
#[public]
async fn login_page() -> impl IntoResponse {
    page(include_str!("ui/login.html"))
}

/// Who am I, and the way out.
#[public]
async fn me_page() -> impl IntoResponse {
    page(include_str!("ui/me.html"))
}

/// Publish a post; the server lets editors and admins only.
#[public]
async fn editor_page() -> impl IntoResponse {
    page(include_str!("ui/editor.html"))
}

/// New posts as they come.
#[public]
async fn feed_page() -> impl IntoResponse {
    page(include_str!("ui/feed.html"))
}

/// The pages' one script.
#[public]
async fn script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("ui/app.js"))
}

/// The pages' one stylesheet.
#[public]
async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("ui/app.css"))
}
