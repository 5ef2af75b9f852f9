//! example-app's organizations over two orgs and the demo users: each role
//! in its own org, in the other org, and a global admin; ids differing by
//! case or encoding; grants and revocations through the admin API taking
//! effect on the next request, in memory and in SQLite.

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::{demo_app, login, request, send, sqlite_demo_app};

const ORGS: [&str; 2] = ["acme", "beta"];

/// Status of each call, for one org: list projects, add one, delete the org
/// (last, since it removes the org).
async fn statuses(router: &Router, token: &str, org: &str) -> [u16; 3] {
    let new = json!({ "name": "launchpad" });
    let list = send(router, request("GET", &format!("/orgs/{org}/projects"), Some(token), None));
    let list = list.await.status.as_u16();
    let add =
        send(router, request("POST", &format!("/orgs/{org}/projects"), Some(token), Some(&new)));
    let add = add.await.status.as_u16();
    let delete = send(router, request("DELETE", &format!("/orgs/{org}"), Some(token), None));
    [list, add, delete.await.status.as_u16()]
}

/// A demo user's login, their statuses in acme and beta (list, add,
/// delete), and what `GET /orgs` lists for them.
type Row = (&'static str, &'static str, [u16; 3], [u16; 3], &'static [&'static str]);

#[tokio::test]
async fn each_demo_user_gets_what_their_role_in_each_org_allows() {
    let expected: [Row; 3] = [
        // editor of acme, viewer of beta; globally a viewer (`user`).
        ("johndoe", "secret", [200, 201, 403], [200, 403, 403], &["acme", "beta"]),
        // admin of beta only; globally an editor, which counts in no org.
        ("bob", "secret4", [403, 403, 403], [200, 201, 204], &["beta"]),
        // a global admin: the policy counts her as an admin of every org.
        ("janedoe", "secret3", [200, 201, 204], [200, 201, 204], &["acme", "beta"]),
    ];
    for (user, password, acme, beta, listed) in expected {
        let app = demo_app();
        let token = login(&app.router, user, password).await;
        let orgs = send(&app.router, request("GET", "/orgs", Some(&token), None)).await;
        assert_eq!(orgs.json, json!(listed), "GET /orgs as {user}");
        for (org, wanted) in ORGS.into_iter().zip([acme, beta]) {
            assert_eq!(statuses(&app.router, &token, org).await, wanted, "{user} on {org}");
        }
    }
}

#[tokio::test]
async fn anonymous_callers_and_unknown_orgs() {
    let app = demo_app();
    for (method, path) in
        [("GET", "/orgs"), ("GET", "/orgs/acme/projects"), ("DELETE", "/orgs/acme")]
    {
        let reply = send(&app.router, request(method, path, None, None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let john = login(&app.router, "johndoe", "secret").await;
    // No grant there: refused, whether the org exists or not.
    let missing =
        send(&app.router, request("GET", "/orgs/gamma/projects", Some(&john), None)).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    // The global admin may look: then it is a 404.
    let jane = login(&app.router, "janedoe", "secret3").await;
    let missing =
        send(&app.router, request("GET", "/orgs/gamma/projects", Some(&jane), None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_org_id_differing_by_case_or_encoding_is_another_org() {
    let app = demo_app();
    let john = login(&app.router, "johndoe", "secret").await;
    for path in [
        "/orgs/ACME/projects",
        "/orgs/Acme/projects",
        "/orgs/%41cme/projects",
        "/orgs/acme%2F/projects",
        "/orgs/acme%20/projects",
    ] {
        let reply = send(&app.router, request("GET", path, Some(&john), None)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    // `%61` is `a`: decoded before the check and the handler alike, so the
    // org checked is the org served.
    let same = send(&app.router, request("GET", "/orgs/%61cme/projects", Some(&john), None)).await;
    assert_eq!((same.status, same.json), (StatusCode::OK, json!(["rocket", "anvil"])));
}

async fn admin_token(router: &Router) -> String {
    login(router, "janedoe", "secret3").await
}

fn grant(role: &str, target: &str) -> Value {
    json!({ "role": role, "in": target })
}

/// Revoke johndoe's `editor` in acme through the admin API: refused on his
/// next request, with the token he already holds; granted back, allowed.
async fn revocation_takes_effect_on_the_next_request(router: &Router) {
    let admin = admin_token(router).await;
    let john = login(router, "johndoe", "secret").await;
    let add = |token: String| {
        let body = json!({ "name": "p2" });
        async move {
            send(router, request("POST", "/orgs/acme/projects", Some(&token), Some(&body)))
                .await
                .status
        }
    };
    assert_eq!(add(john.clone()).await, StatusCode::CREATED);
    let path = "/admin/users/johndoe/grants";
    let revoked =
        send(router, request("DELETE", path, Some(&admin), Some(&grant("editor", "org:acme"))))
            .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{:?}", revoked.json);
    assert_eq!(add(john.clone()).await, StatusCode::FORBIDDEN, "refused on the next request");
    let list = send(router, request("GET", "/orgs/acme/projects", Some(&john), None)).await;
    assert_eq!(list.status, StatusCode::FORBIDDEN, "editor was his only role in acme");
    let again =
        send(router, request("DELETE", path, Some(&admin), Some(&grant("editor", "org:acme"))))
            .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "no longer held");

    let granted =
        send(router, request("POST", path, Some(&admin), Some(&grant("editor", "org:acme")))).await;
    assert_eq!(granted.status, StatusCode::CREATED);
    assert_eq!(granted.json, json!({ "domain": "org", "scope": "acme", "role": "editor" }));
    let repeated =
        send(router, request("POST", path, Some(&admin), Some(&grant("editor", "org:acme")))).await;
    assert_eq!(repeated.status, StatusCode::OK, "already held: nothing changed");
    assert_eq!(add(john).await, StatusCode::CREATED);
}

#[tokio::test]
async fn a_revoked_grant_is_refused_on_the_next_request_in_memory() {
    revocation_takes_effect_on_the_next_request(&demo_app().router).await;
}

#[tokio::test]
async fn a_revoked_grant_is_refused_on_the_next_request_in_sqlite() {
    let (router, _) = sqlite_demo_app().await;
    revocation_takes_effect_on_the_next_request(&router).await;
}

#[tokio::test]
async fn the_admin_api_refuses_unknown_domains_roles_and_users_writing_nothing() {
    let app = demo_app();
    let admin = admin_token(&app.router).await;
    let path = "/admin/users/bob/grants";
    let before = send(&app.router, request("GET", path, Some(&admin), None)).await;
    assert_eq!(before.json, json!([{ "domain": "org", "scope": "beta", "role": "admin" }]));
    for (body, wanted) in [
        (grant("editor", "orgs:acme"), "unknown domain `orgs`"),
        (grant("edtor", "org:acme"), "unknown role `edtor`"),
        (grant("editor", "acme"), "DOMAIN:SCOPE"),
        (grant("editor", "org:ac me"), "scope id"),
        (json!({ "role": "editor" }), "in"),
    ] {
        for method in ["POST", "DELETE"] {
            let reply = send(&app.router, request(method, path, Some(&admin), Some(&body))).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {body}");
            assert!(
                reply.json["detail"].as_str().is_some_and(|d| d.contains(wanted)),
                "{:?}",
                reply.json
            );
        }
    }
    let after = send(&app.router, request("GET", path, Some(&admin), None)).await;
    assert_eq!(after.json, before.json, "nothing written on refusal");
    let nobody = "/admin/users/nobody/grants";
    let reply = send(
        &app.router,
        request("POST", nobody, Some(&admin), Some(&grant("editor", "org:acme"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Managing grants needs the global admin role, not an org's.
    let bob = login(&app.router, "bob", "secret4").await;
    let reply =
        send(&app.router, request("POST", path, Some(&bob), Some(&grant("admin", "org:acme"))))
            .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_grant_made_under_an_alias_is_one_grant_revoked_as_either_name() {
    let app = demo_app();
    let admin = admin_token(&app.router).await;
    let path = "/admin/users/bob/grants";
    let added =
        send(&app.router, request("POST", path, Some(&admin), Some(&grant("user", "org:gamma"))))
            .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.json);
    assert_eq!(added.json["role"], "viewer", "stored under the role's own name");
    let same =
        send(&app.router, request("POST", path, Some(&admin), Some(&grant("viewer", "org:gamma"))))
            .await;
    assert_eq!(same.status, StatusCode::OK, "already held under its own name");
    let revoked = send(
        &app.router,
        request("DELETE", path, Some(&admin), Some(&grant("viewer", "org:gamma"))),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let bob = login(&app.router, "bob", "secret4").await;
    let list = send(&app.router, request("GET", "/orgs/gamma/projects", Some(&bob), None)).await;
    assert_eq!(list.status, StatusCode::FORBIDDEN, "no grant left behind under the alias");
}
