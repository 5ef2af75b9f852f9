//! example-app's OpenAPI document: generated from its route table and its
//! handlers' docs, it must agree with both, and validate with an
//! independent validator.

use std::collections::BTreeSet;

use rbac_core::AccessPolicy;
use rbac_core::Requires;
use rbac_core::routing::Access;
use serde_json::{Value, json};

fn spec() -> Value {
    let api = example_app::docs::spec(&example_app::route_table()).unwrap_or_else(|mismatch| {
        panic!("example-app's spec and routes disagree: {mismatch}");
    });
    serde_json::to_value(api).expect("the spec serializes")
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Every documented operation: (METHOD, path) -> operation.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_ascii_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

/// Left out of the spec on purpose: the docs themselves, the HTML pages of
/// the browser UI, and the WebSocket feed.
fn documented_route(path: &str) -> bool {
    !(path.starts_with("/docs")
        || path == "/openapi.json"
        || path.starts_with("/ui")
        || path == "/posts/feed")
}

#[test]
fn spec_matches_the_routes() {
    // `spec()` fails on any drift; here, also the exact set, docs routes aside.
    let spec = spec();
    let documented: BTreeSet<(String, String)> =
        operations(&spec).into_iter().map(|(method, path, _)| (method, path)).collect();
    let routed: BTreeSet<(String, String)> = example_app::route_table()
        .entries()
        .iter()
        .filter(|entry| documented_route(&entry.path))
        .map(|entry| (entry.method.to_owned(), entry.path.clone()))
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn every_guarded_operation_documents_its_security_and_refusals() {
    let spec = spec();
    let table = example_app::route_table();
    for (method, path, operation) in operations(&spec) {
        let entry = table.get(&method, &path).expect("routed");
        let Access::Requires(requires) = entry.access else { panic!("{method} {path} unchecked") };
        let rule = &operation["x-rbac-requires"]["rule"];
        assert_eq!(rule, &json!(requires.to_string()), "{method} {path}");
        if requires == Requires::Public {
            assert_eq!(operation["security"], json!([]), "{method} {path}");
            continue;
        }
        // Each OAuth2 alternative, then the browser session's cookie.
        let expected: Vec<Value> = rbac_core::openapi::scope_alternatives(&requires)
            .into_iter()
            .map(|scopes| json!({ "oauth2": scopes }))
            .chain([json!({ "cookieSession": [] })])
            .collect();
        assert_eq!(operation["security"], Value::Array(expected), "{method} {path}");
        let responses = &operation["responses"];
        assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object(), "{method} {path}");
        assert!(responses["400"].is_object(), "{method} {path}: no 400 Inactive user");
        let forbids = requires != Requires::Authenticated;
        assert_eq!(responses.get("403").is_some(), forbids, "{method} {path}");
        let description = operation["description"].as_str().unwrap_or_default();
        assert!(description.contains("**Access:**"), "{method} {path}: {description}");
    }
}

#[test]
fn the_admin_routes_ask_for_users_manage_and_items_for_items_read() {
    let spec = spec();
    let paths = &spec["paths"];
    let cookie = json!({ "cookieSession": [] });
    let admin = json!([{ "oauth2": ["users:manage"] }, cookie]);
    assert_eq!(paths["/admin/users"]["get"]["security"], admin);
    let items = json!([{ "oauth2": ["items:read"] }, cookie]);
    assert_eq!(paths["/users/me/items"]["get"]["security"], items);
    assert_eq!(paths["/users/me"]["get"]["security"], json!([{ "oauth2": [] }, cookie]));
    let scheme = &spec["components"]["securitySchemes"]["cookieSession"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "cookie");
    assert_eq!(scheme["name"], "__Host-access_token");
}

#[test]
fn security_is_empty_exactly_on_the_public_routes() {
    let spec = spec();
    let open: BTreeSet<(String, String)> = operations(&spec)
        .into_iter()
        .filter(|(_, _, operation)| operation["security"] == json!([]))
        .map(|(method, path, _)| (method, path))
        .collect();
    let public: BTreeSet<(String, String)> = example_app::route_table()
        .entries()
        .iter()
        .filter(|entry| entry.access == Access::Requires(Requires::Public))
        .filter(|entry| documented_route(&entry.path))
        .map(|entry| (entry.method.to_owned(), entry.path.clone()))
        .collect();
    assert!(public.contains(&("POST".to_owned(), "/token".to_owned())), "{public:?}");
    assert_eq!(open, public);
}

#[test]
fn the_scheme_offers_the_policy_permissions_as_scopes() {
    let spec = spec();
    let scheme = &spec["components"]["securitySchemes"]["oauth2"];
    assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/token");
    assert_eq!(scheme["flows"]["password"]["refreshUrl"], "/token");
    let scopes: BTreeSet<&str> = scheme["flows"]["password"]["scopes"]
        .as_object()
        .expect("scopes")
        .keys()
        .map(String::as_str)
        .collect();
    let permissions: BTreeSet<&str> = <example_app::policy::Policy as AccessPolicy>::describe()
        .permissions
        .iter()
        .copied()
        .collect();
    assert_eq!(scopes, permissions);
}

#[test]
fn bodies_come_from_the_handlers_types() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    for name in ["User", "Post", "NewPost", "NewUser", "UserPatch", "ProfilePatch", "Item"] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    let create =
        &spec["paths"]["/admin/users"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(create["schema"]["$ref"], "#/components/schemas/NewUser");
    // The user schema is the serialized `User`: no password hash in it.
    let user = schemas["User"]["properties"].as_object().expect("User properties");
    assert!(user.keys().all(|field| !field.contains("password")), "{user:?}");
}

/// Runs `openapi-spec-validator` (PyPI) on the served document.
#[test]
#[ignore = "needs python3 with openapi-spec-validator; .ci/run installs it and runs it"]
fn the_spec_validates_with_openapi_spec_validator() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-app-openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&spec()).expect("json"))
        .expect("write the spec");
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&path)
        .output()
        .expect("python3 runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{}: {report}", path.display());
    assert!(report.contains("OK"), "{report}");
}

#[tokio::test]
async fn api_docs_off_serves_neither_the_spec_nor_the_page_and_auto_follows_the_mode() {
    use example_app::config::AppEnv;
    use example_app::docs::ApiDocs;
    use tower::ServiceExt as _;

    assert!(ApiDocs::Auto.enabled(AppEnv::Development));
    assert!(!ApiDocs::Auto.enabled(AppEnv::Production));
    assert!(ApiDocs::On.enabled(AppEnv::Production));
    assert!(!ApiDocs::Off.enabled(AppEnv::Development));

    let users = rbac_core::MemoryUserStore::new();
    let tokens = rbac_core::Tokens::hs256(rbac_core::JwtSecret::generate());
    let state = example_app::AppState::new(rbac_core::Auth::new(tokens, users.clone()), users);
    for (docs, expected) in [(true, 200), (false, 404)] {
        let router = example_app::routes_with_docs(state.clone(), docs);
        for path in ["/openapi.json", "/docs/", "/docs/swagger-ui.css"] {
            let request =
                axum::http::Request::get(path).body(axum::body::Body::empty()).expect("request");
            let response = router.clone().oneshot(request).await.expect("a response");
            assert_eq!(response.status(), expected, "{path} with docs {docs}");
        }
    }
}
