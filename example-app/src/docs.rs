//! `GET /openapi.json` and the Swagger UI at `GET /docs`, both public.
//!
//! The spec is the handlers' `#[utoipa::path]` documentation (bodies and
//! app responses) patched by [`rbac_core::openapi`] from the route table:
//! security, scopes and refusals come from the attributes, never by hand.
//! Swagger UI's assets are compiled into the binary (utoipa-swagger-ui's
//! `vendored` feature), so `/docs` works with no network; its Authorize
//! button runs the OAuth2 password flow against `/token`, and "Try it out"
//! sends the bearer token it got.
//!
//! Whether the two routes are served is [`ApiDocs`], from `--api-docs`.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rbac_core::openapi::{OpenApiSecurity, SpecMismatch, endpoints};
use rbac_core::public;
use rbac_core::routing::{RouteTable, SecureRouter, get};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::HttpMethod;

use crate::AppState;

/// Where the spec is served.
pub const SPEC_PATH: &str = "/openapi.json";

/// Where Swagger UI is served (and `{DOCS_PATH}/` with its assets below).
pub const DOCS_PATH: &str = "/docs";

/// The access cookie the spec names: the production (`__Host-`) one.
const COOKIE_NAME: &str = "__Host-access_token";

/// Whether `/openapi.json` and `/docs` are served (`--api-docs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ApiDocs {
    /// On in development, off in production: the default. Swagger UI is a
    /// large client-side surface (it has had DOM XSS bugs), and a production
    /// API rarely needs an interactive console.
    #[default]
    Auto,
    /// Always served.
    On,
    /// Never served.
    Off,
}

impl ApiDocs {
    /// Whether the docs routes are mounted in `mode`.
    pub fn enabled(self, mode: crate::config::AppEnv) -> bool {
        match self {
            Self::Auto => mode == crate::config::AppEnv::Development,
            Self::On => true,
            Self::Off => false,
        }
    }
}

/// The docs routes, all `#[public]`.
pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route(SPEC_PATH, get(openapi_json))
        .route(DOCS_PATH, get(docs_redirect))
        .route("/docs/", get(docs_index))
        .route("/docs/{file}", get(docs_asset))
}

/// The handlers' own documentation: paths, bodies and app responses.
/// Security is not written here: [`spec`] adds it from the route table.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "example-app",
        description = "The FastAPI security tutorial made real with rbac-core. Click \
                       **Authorize**, log in (demo users: `johndoe` / `secret`, \
                       `janedoe` / `secret3` for an admin), then \"Try it out\"."
    ),
    paths(
        crate::routes::read_users_me,
        crate::routes::read_own_items,
        crate::routes::read_user,
        crate::routes::update_profile,
        crate::routes::health,
        crate::admin::list_users,
        crate::admin::create_user,
        crate::admin::update_account,
        crate::admin::delete_user,
        crate::admin::revoke_user_tokens,
        crate::posts::list_posts,
        crate::posts::create_post,
        crate::posts::delete_post,
        crate::orgs::list_orgs,
        crate::orgs::list_projects,
        crate::orgs::create_project,
        crate::orgs::delete_org,
        crate::admin::list_grants,
        crate::admin::grant,
        crate::admin::revoke_grant,
    ),
    tags(
        (name = "oauth2", description = "Tokens: log in, refresh, revoke, introspect."),
        (name = "users", description = "The current user and profiles."),
        (name = "admin", description = "User management, for admins."),
        (name = "posts", description = "A small resource with owner checks."),
        (name = "orgs", description = "Organizations, checked against roles held in each one."),
        (name = "health", description = "Liveness."),
    )
)]
pub struct ApiDoc;

/// The spec's security, for this app's policy: routes of the docs
/// themselves are left out of the spec, as FastAPI does.
pub fn openapi_security() -> OpenApiSecurity {
    OpenApiSecurity::for_policy::<crate::policy::Policy>()
        .undocumented(SPEC_PATH)
        .undocumented(DOCS_PATH)
        .undocumented("/docs/")
        .undocumented("/docs/{file}")
        // HTML pages and a WebSocket, not JSON operations.
        .undocumented("/ui")
        .undocumented("/ui/me")
        .undocumented("/ui/editor")
        .undocumented("/ui/feed")
        .undocumented("/ui/app.js")
        .undocumented("/ui/app.css")
        .undocumented("/posts/feed")
        .with_cookie_session(COOKIE_NAME)
}

/// The app's OpenAPI document for `routes` (the app's route table): the
/// handlers' documentation plus `rbac-core`'s endpoints, patched with the
/// security the table says. Fails when the two disagree.
pub fn spec(routes: &RouteTable) -> Result<OpenApi, SpecMismatch> {
    let mut api = <ApiDoc as utoipa::OpenApi>::openapi();
    let core = [
        ("/token", HttpMethod::Post, endpoints::token()),
        ("/token/revoke", HttpMethod::Post, endpoints::revoke()),
        ("/token/introspect", HttpMethod::Post, endpoints::introspect()),
        ("/logout", HttpMethod::Post, endpoints::logout()),
        ("/.well-known/jwks.json", HttpMethod::Get, endpoints::jwks()),
        ("/session", HttpMethod::Post, endpoints::session_log_in()),
        ("/session", HttpMethod::Delete, endpoints::session_log_out()),
        ("/session/refresh", HttpMethod::Post, endpoints::session_refresh()),
    ];
    for (path, method, mut operation) in core {
        operation.tags = Some(vec!["oauth2".to_owned()]);
        api.paths.add_path_operation(path, vec![method], operation);
    }
    openapi_security().apply(&mut api, routes)?;
    Ok(api)
}

/// The served document, built once from the whole app's table. A mismatch
/// is a bug caught by the tests (`spec_matches_the_routes`); should one
/// ship, `/openapi.json` answers 500 and the log says what drifted.
static SPEC_JSON: LazyLock<Result<String, String>> = LazyLock::new(|| {
    spec(&crate::route_table())
        .map_err(|mismatch| mismatch.to_string())
        .and_then(|api| api.to_pretty_json().map_err(|error| error.to_string()))
});

/// The OpenAPI document, as JSON.
#[public]
async fn openapi_json() -> Response {
    match &*SPEC_JSON {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(error) => {
            tracing::error!(%error, "no OpenAPI document to serve");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({ "detail": "Internal error" })),
            )
                .into_response()
        }
    }
}

/// `/docs` → `/docs/`, so the page's relative asset links resolve under it.
#[public]
async fn docs_redirect() -> Redirect {
    Redirect::permanent("/docs/")
}

/// Swagger UI's page.
#[public]
async fn docs_index() -> Response {
    swagger_file("index.html")
}

/// Swagger UI's scripts, styles and its configuration.
#[public]
async fn docs_asset(Path(file): Path<String>) -> Response {
    swagger_file(&file)
}

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        utoipa_swagger_ui::Config::new([SPEC_PATH])
            // A token in localStorage would outlive the tab and be readable
            // by any script on the origin.
            .persist_authorization(false)
            // No badge fetched from an outside validator: the page stays offline.
            .validator_url("none")
            .display_request_duration(true),
    )
});

fn swagger_file(file: &str) -> Response {
    match utoipa_swagger_ui::serve(file, Arc::clone(&SWAGGER_CONFIG)) {
        Ok(Some(found)) => {
            let mut response = found.bytes.into_owned().into_response();
            let headers = response.headers_mut();
            if let Ok(content_type) = HeaderValue::from_str(&found.content_type) {
                headers.insert(header::CONTENT_TYPE, content_type);
            }
            if found.gzpipped {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            response
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "Swagger UI file failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Swagger UI loads only its own files and talks only to this origin;
/// it needs inline styles and `data:` images (its icons).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";
