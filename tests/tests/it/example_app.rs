//! The seed tutorial's flows through the example app's real router.

use axum::http::StatusCode;
use rbac_core::Role;
use serde_json::json;
use tests::{demo_app, get, login, send, token_request};

#[tokio::test]
async fn password_grant_issues_a_bearer_token_that_is_never_cached() {
    let app = demo_app();
    for form in [
        "username=johndoe&password=secret",
        "grant_type=password&username=johndoe&password=secret&scope=",
    ] {
        let reply = send(&app.router, token_request(form)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json["token_type"], "bearer");
        assert_eq!(reply.json["expires_in"], 1800);
        let token = reply.json["access_token"].as_str().expect("token");
        assert_eq!(app.tokens.verify(token).expect("valid").sub, "johndoe");
        assert_eq!(reply.header("cache-control"), "no-store");
        assert_eq!(reply.header("pragma"), "no-cache");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = demo_app();
    let wrong = send(&app.router, token_request("username=johndoe&password=nope")).await;
    let unknown = send(&app.router, token_request("username=nobody&password=secret")).await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.json,
            json!({
                "detail": "Incorrect username or password",
                "error": "invalid_grant",
                "error_description": "Incorrect username or password",
            })
        );
        assert_eq!(reply.header("www-authenticate"), "Bearer");
    }
    assert_eq!(wrong.headers, unknown.headers);
}

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let app = demo_app();
    for grant in ["client_credentials", "authorization_code", "PASSWORD"] {
        let form = format!("grant_type={grant}&username=johndoe&password=secret");
        let reply = send(&app.router, token_request(&form)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{grant}");
        assert_eq!(reply.json["error"], "unsupported_grant_type");
        assert!(!reply.detail().is_empty());
    }
}

#[tokio::test]
async fn malformed_token_requests_get_a_4xx_with_a_detail() {
    let app = demo_app();
    for form in ["", "username=johndoe", "password=secret", "username=a&username=b&password=c"] {
        let reply = send(&app.router, token_request(form)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(reply.json["error"], "invalid_request");
        assert!(!reply.detail().is_empty());
    }
    let json_body = axum::http::Request::post("/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(r#"{"username":"johndoe","password":"secret"}"#))
        .expect("request");
    let reply = send(&app.router, json_body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.detail().contains("form"));
}

#[tokio::test]
async fn users_me_returns_the_public_fields_only() {
    let app = demo_app();
    let token = login(&app.router, "johndoe", "secret").await;
    let reply = send(&app.router, get("/users/me", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({
            "username": "johndoe",
            "email": "johndoe@example.com",
            "full_name": "John Doe",
            "disabled": false,
            "roles": ["user"],
        })
    );
}

#[tokio::test]
async fn own_items_belong_to_the_caller() {
    let app = demo_app();
    let token = login(&app.router, "janedoe", "secret3").await;
    let reply = send(&app.router, get("/users/me/items", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!([{"item_id": "Foo", "owner": "janedoe"}]));
}

#[tokio::test]
async fn admin_listing_needs_the_admin_role_and_never_shows_hashes() {
    let app = demo_app();
    let admin = login(&app.router, "janedoe", "secret3").await;
    let reply = send(&app.router, get("/admin/users", Some(&admin))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let names: Vec<_> =
        reply.json.as_array().expect("list").iter().map(|u| u["username"].clone()).collect();
    assert_eq!(names, [json!("alice"), json!("bob"), json!("janedoe"), json!("johndoe")]);
    let text = reply.json.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("hash") && !text.contains("password"),
        "{text}"
    );

    let user = login(&app.router, "johndoe", "secret").await;
    let reply = send(&app.router, get("/admin/users", Some(&user))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json, json!({"detail": "Not enough permissions"}));
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="insufficient_scope""#);
}

#[tokio::test]
async fn missing_or_foreign_credentials_are_not_authenticated() {
    let app = demo_app();
    for path in ["/users/me", "/users/me/items", "/admin/users"] {
        let reply = send(&app.router, get(path, None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.json, json!({"detail": "Not authenticated"}));
        assert_eq!(reply.header("www-authenticate"), "Bearer");
    }
    let basic = axum::http::Request::get("/users/me")
        .header("authorization", "Basic am9obmRvZTpzZWNyZXQ=")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(send(&app.router, basic).await.detail(), "Not authenticated");
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let app = demo_app();
    let token = login(&app.router, "johndoe", "secret").await;
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let request = axum::http::Request::get("/users/me")
            .header("authorization", format!("{scheme} {token}"))
            .body(axum::body::Body::empty())
            .expect("request");
        assert_eq!(send(&app.router, request).await.status, StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn a_disabled_user_gets_no_token_but_only_with_the_right_password() {
    let app = demo_app();
    let refused = send(&app.router, token_request("username=alice&password=secret2")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json,
        json!({"detail": "Inactive user", "error": "invalid_grant", "error_description": "Inactive user"})
    );
    assert_eq!(refused.header("cache-control"), "no-store");
    // Without the password, a disabled account answers like any wrong password.
    let wrong = send(&app.router, token_request("username=alice&password=nope")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.detail(), "Incorrect username or password");
}

#[tokio::test]
async fn a_token_from_before_the_user_was_disabled_is_refused_as_inactive() {
    let app = demo_app();
    let token = tests::login_then_disable(&app, "alice", "secret2").await;
    for path in ["/users/me", "/users/me/items", "/admin/users"] {
        let reply = send(&app.router, get(path, Some(&token))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.json, json!({"detail": "Inactive user"}));
    }
}

#[tokio::test]
async fn account_changes_apply_on_the_next_request() {
    let app = demo_app();
    let token = login(&app.router, "johndoe", "secret").await;
    // Another user's profile is for admins (by role: the token's scopes
    // were granted before the promotion).
    assert_eq!(
        send(&app.router, get("/users/janedoe", Some(&token))).await.status,
        StatusCode::FORBIDDEN
    );

    assert!(app.users.set_roles("johndoe", vec![Role::new("admin").expect("role")]));
    assert_eq!(send(&app.router, get("/users/janedoe", Some(&token))).await.status, StatusCode::OK);

    assert!(app.users.set_disabled("johndoe", true));
    assert_eq!(send(&app.router, get("/users/me", Some(&token))).await.detail(), "Inactive user");

    assert!(app.users.remove("johndoe"));
    let reply = send(&app.router, get("/users/me", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json, json!({"detail": "Could not validate credentials"}));
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="invalid_token""#);
}

#[tokio::test]
async fn health_is_public() {
    let app = demo_app();
    let reply = send(&app.router, get("/health", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"status": "ok"}));
}

#[test]
fn production_mode_needs_a_strong_secret() {
    use clap::Parser as _;
    use example_app::config::{AppEnv, Cli, ConfigError, jwt_secret};

    let cli = Cli::parse_from(["example-app", "--production"]);
    assert_eq!(cli.mode(), AppEnv::Production);
    assert_eq!(jwt_secret(cli.mode(), None).expect_err("no secret"), ConfigError::MissingSecret);
    assert!(matches!(
        jwt_secret(cli.mode(), Some("x".repeat(31).into())),
        Err(ConfigError::WeakSecret(_))
    ));
    assert!(jwt_secret(cli.mode(), Some("x".repeat(32).into())).is_ok());

    let cli = Cli::parse_from(["example-app", "--app-env", "production"]);
    assert_eq!(cli.mode(), AppEnv::Production);
    let cli = Cli::parse_from(["example-app"]);
    assert_eq!(
        (cli.mode(), cli.bind.to_string()),
        (AppEnv::Development, "127.0.0.1:8000".to_owned())
    );
}

#[test]
fn secrets_can_come_from_a_private_file_only() {
    use std::os::unix::fs::PermissionsExt as _;

    use example_app::config::{AppEnv, ConfigError, SecretSource, jwt_secret_from};

    let dir = std::env::temp_dir().join(format!("rbac-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("jwt_secret");
    std::fs::write(&path, format!("{}\n", "s".repeat(40))).expect("write");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = jwt_secret_from(AppEnv::Production, Some(&path), None);
    assert_eq!(refused.expect_err("world-readable"), ConfigError::WorldReadable(path.clone()));
    assert!(ConfigError::WorldReadable(path.clone()).to_string().contains("chmod 600"));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert!(matches!(
        jwt_secret_from(AppEnv::Production, Some(&path), None),
        Ok(SecretSource::Environment(_))
    ));
    assert_eq!(
        jwt_secret_from(AppEnv::Production, Some(&path), Some("x".repeat(40).into()))
            .expect_err("both"),
        ConfigError::AmbiguousSecret
    );

    std::fs::write(&path, "short\n").expect("write");
    assert!(matches!(
        jwt_secret_from(AppEnv::Production, Some(&path), None),
        Err(ConfigError::WeakSecret(_))
    ));
    let missing = dir.join("missing");
    assert!(matches!(
        jwt_secret_from(AppEnv::Production, Some(&missing), None),
        Err(ConfigError::SecretFile(..))
    ));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn an_eddsa_key_comes_from_a_private_file() {
    use std::os::unix::fs::PermissionsExt as _;

    use example_app::config::{AppEnv, ConfigError, KeySources, signing_keys};

    fn from_file(path: &std::path::Path, secret: Option<std::ffi::OsString>) -> KeySources<'_> {
        KeySources { key_file: Some(path), secret, ..KeySources::default() }
    }

    let dir = std::env::temp_dir().join(format!("rbac-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("jwt.pem");
    // A throwaway test key (`openssl genpkey -algorithm ed25519`).
    let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA2MQ6cp5Co/s64Z0kZKkdGuqAEaIETp11BX4XIlJTat\n-----END PRIVATE KEY-----\n";
    std::fs::write(&path, pem).expect("write");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).expect("chmod");
    let refused = signing_keys(AppEnv::Production, from_file(&path, None)).map(|_| ());
    assert_eq!(refused, Err(ConfigError::WorldReadable(path.clone())));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (tokens, generated) =
        signing_keys(AppEnv::Production, from_file(&path, None)).expect("key");
    assert!(!generated);
    let issued = tokens.issue("johndoe").expect("issue");
    assert_eq!(tokens.verify(&issued.access_token).expect("verify").sub, "johndoe");
    let both = signing_keys(AppEnv::Production, from_file(&path, Some("x".repeat(40).into())));
    assert_eq!(both.map(|_| ()), Err(ConfigError::AmbiguousSecret));

    std::fs::write(&path, "not a key").expect("write");
    let bad = signing_keys(AppEnv::Production, from_file(&path, None)).map(|_| ());
    assert!(matches!(bad, Err(ConfigError::BadKey(..))));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn the_test_hasher_is_argon2id_at_its_smallest_cost() {
    let hasher = rbac_core::PasswordHasher::fast_for_tests();
    let hash = hasher.hash_blocking("pw").expect("hash");
    assert!(hash.as_phc().starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{}", hash.as_phc());
    assert_eq!(hasher.verify_blocking("pw", Some(&hash)), Ok(true));
    assert_eq!(hasher.verify_blocking("wrong", Some(&hash)), Ok(false));
}
