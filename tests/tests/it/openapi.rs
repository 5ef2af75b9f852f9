//! `rbac_core::openapi` over a real secured router: the spec follows the
//! attributes and the policy, and a spec that drifts from the routes is
//! refused.

use rbac_core::openapi::{OpenApiSecurity, SpecMismatch};
use rbac_core::routing::{RouteTable, SecureRouter, get, post};
use rbac_core::{Auth, public, requires, requires_role, requires_scope};
use serde_json::{Value, json};
use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::{Info, OpenApi, OpenApiBuilder};

rbac_core::policy! {
    mod v1 {
        role "viewer" grants "items:read";
        role "admin": "viewer" grants "users:manage";
    }
}

// The same policy a release later: one more permission.
rbac_core::policy! {
    mod v2 {
        role "viewer" grants "items:read";
        role "admin": "viewer" grants "users:manage", "reports:read";
    }
}

#[public]
async fn health() {}

#[requires_scope("items:read", policy = self::v1)]
async fn items() {}

#[requires(any(scope("items:read"), scope("users:manage")), policy = self::v1)]
async fn either() {}

#[requires(all(role("admin"), scope("users:manage")), policy = self::v1)]
async fn manage() {}

#[requires_role("viewer", policy = self::v1)]
async fn profile(axum::extract::Path(_name): axum::extract::Path<String>) {}

#[requires(all(role("admin"), scope("reports:read")), policy = self::v2)]
async fn reports() {}

fn routes() -> SecureRouter<Auth> {
    SecureRouter::new()
        .route("/health", get(health))
        .route("/items", get(items).post(either))
        .route("/users/{name}", get(profile))
        .nest("/admin", SecureRouter::new().route("/users", post(manage)))
}

fn info() -> Info {
    Info::new("test", "1.0.0")
}

fn spec_json(api: &OpenApi) -> Value {
    serde_json::to_value(api).expect("the spec serializes")
}

#[test]
fn every_operation_gets_security_from_its_attribute() {
    let spec =
        spec_json(&OpenApiSecurity::for_policy::<v1::Policy>().generate(info(), routes().routes()));
    let paths = &spec["paths"];
    assert_eq!(paths["/health"]["get"]["security"], json!([]));
    assert_eq!(paths["/items"]["get"]["security"], json!([{ "oauth2": ["items:read"] }]));
    assert_eq!(
        paths["/items"]["post"]["security"],
        json!([{ "oauth2": ["items:read"] }, { "oauth2": ["users:manage"] }])
    );
    assert_eq!(paths["/admin/users"]["post"]["security"], json!([{ "oauth2": ["users:manage"] }]));
    assert_eq!(paths["/users/{name}"]["get"]["security"], json!([{ "oauth2": [] }]));
    let parameter = &paths["/users/{name}"]["get"]["parameters"][0];
    assert_eq!((&parameter["name"], &parameter["in"]), (&json!("name"), &json!("path")));
}

#[test]
fn guarded_operations_document_their_refusals_and_public_ones_none() {
    let spec =
        spec_json(&OpenApiSecurity::for_policy::<v1::Policy>().generate(info(), routes().routes()));
    let manage = &spec["paths"]["/admin/users"]["post"];
    for status in ["400", "401", "403"] {
        assert!(manage["responses"][status].is_object(), "{status} missing: {manage}");
    }
    assert!(manage["responses"]["401"]["headers"]["WWW-Authenticate"].is_object());
    assert_eq!(manage["x-rbac-requires"]["rule"], r#"all(role("admin"), scope("users:manage"))"#);
    assert_eq!(manage["x-rbac-requires"]["handler"], "manage");
    let description = manage["description"].as_str().expect("description");
    assert!(description.contains("role `admin` (held by `admin`)"), "{description}");
    let health = &spec["paths"]["/health"]["get"];
    assert!(health["responses"].get("401").is_none(), "{health}");
    assert_eq!(health["x-rbac-requires"]["rule"], "public");
}

#[test]
fn the_scheme_scopes_are_the_policy_permissions() {
    for (security, permissions) in [
        (OpenApiSecurity::for_policy::<v1::Policy>(), v1::describe().permissions),
        (OpenApiSecurity::for_policy::<v2::Policy>(), v2::describe().permissions),
    ] {
        let spec = spec_json(&security.generate(info(), &RouteTable::default()));
        let scopes = spec["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["scopes"]
            .as_object()
            .expect("scopes")
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>();
        let expected = permissions.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(scopes, expected);
    }
}

#[test]
fn a_new_permission_shows_up_without_touching_openapi_code() {
    // The same generator call, only the policy and routes differ.
    fn spec<P: rbac_core::AccessPolicy>(router: SecureRouter<Auth>) -> Value {
        spec_json(&OpenApiSecurity::for_policy::<P>().generate(info(), router.routes()))
    }
    let before = spec::<v1::Policy>(SecureRouter::new());
    let after = spec::<v2::Policy>(SecureRouter::new().route("/reports", get(reports)));
    let scopes = |spec: &Value| {
        spec["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["scopes"].clone()
    };
    assert!(scopes(&before).get("reports:read").is_none());
    assert_eq!(scopes(&after)["reports:read"], "permission `reports:read`, granted to `admin`");
    assert_eq!(
        after["paths"]["/reports"]["get"]["security"],
        json!([{ "oauth2": ["reports:read"] }])
    );
}

fn documented(operations: &[(HttpMethod, &str)]) -> OpenApi {
    let mut paths = Paths::new();
    for (method, path) in operations {
        paths.add_path_operation(*path, vec![method.clone()], Operation::new());
    }
    OpenApiBuilder::new().info(info()).paths(paths).build()
}

#[test]
fn a_spec_that_matches_the_routes_is_patched() {
    let mut api = documented(&[
        (HttpMethod::Get, "/health"),
        (HttpMethod::Get, "/items"),
        (HttpMethod::Post, "/items"),
        (HttpMethod::Get, "/users/{name}"),
        (HttpMethod::Post, "/admin/users"),
    ]);
    OpenApiSecurity::for_policy::<v1::Policy>()
        .apply(&mut api, routes().routes())
        .expect("matches");
    assert_eq!(
        spec_json(&api)["paths"]["/items"]["get"]["security"],
        json!([{ "oauth2": ["items:read"] }])
    );
}

#[test]
fn a_spec_that_drifts_from_the_routes_fails_loudly_and_changes_nothing() {
    let mut api = documented(&[
        (HttpMethod::Get, "/health"),
        (HttpMethod::Get, "/items"),
        (HttpMethod::Post, "/items"),
        (HttpMethod::Get, "/users/{name}"),
        // Routed as POST, documented as DELETE; and a path nobody routes.
        (HttpMethod::Delete, "/admin/users"),
        (HttpMethod::Get, "/gone"),
    ]);
    let untouched = api.clone();
    let mismatch: SpecMismatch = OpenApiSecurity::for_policy::<v1::Policy>()
        .apply(&mut api, routes().routes())
        .expect_err("the spec drifted");
    let report = mismatch.to_string();
    assert!(report.contains("DELETE /admin/users: documented, but no route serves it"), "{report}");
    assert!(report.contains("GET /gone: documented, but no route serves it"), "{report}");
    assert!(report.contains("POST /admin/users: routed, but not in the spec"), "{report}");
    assert!(api == untouched, "a failed apply must not patch the spec");
}

#[test]
fn undocumented_paths_may_be_left_out_but_nothing_else() {
    let routes = routes();
    let mut api = documented(&[(HttpMethod::Get, "/health")]);
    let security = OpenApiSecurity::for_policy::<v1::Policy>()
        .undocumented("/items")
        .undocumented("/users/{name}");
    let mismatch = security.clone().apply(&mut api, routes.routes()).expect_err("admin missing");
    assert_eq!(mismatch.not_documented.len(), 1, "{mismatch}");
    let mut api = documented(&[(HttpMethod::Get, "/health"), (HttpMethod::Post, "/admin/users")]);
    security.apply(&mut api, routes.routes()).expect("the rest is documented");
}

#[test]
fn a_scope_outside_the_policy_is_refused() {
    // `reports` is checked against v2; documenting it with v1's scheme would
    // advertise a scope v1 never grants.
    let router: SecureRouter<Auth> = SecureRouter::new().route("/reports", get(reports));
    let mut api = documented(&[(HttpMethod::Get, "/reports")]);
    let mismatch = OpenApiSecurity::for_policy::<v1::Policy>()
        .apply(&mut api, router.routes())
        .expect_err("unknown scope");
    assert!(mismatch.to_string().contains("GET /reports (scope `reports:read`)"), "{mismatch}");
}
