//! Browser sessions over HTTP: the cookies `/session` sets, the guards
//! reading them, CSRF refusals that write nothing, refresh rotation with
//! reuse detection, logout, and the live feed's WebSocket (Origin check,
//! closed when its session is revoked).

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rbac_core::browser::CookieTransport;
use serde_json::{Value, json};
use tests::net::serve_on_loopback;
use tests::{Reply, TestApp, demo_app_configured, send};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

const ORIGIN: &str = "https://app.test";

fn app() -> TestApp {
    demo_app_configured(|auth| auth.with_cookies(CookieTransport::new([ORIGIN])))
}

/// A browser's session: its cookies and the CSRF token it was given.
struct Browser {
    cookies: String,
    csrf: String,
}

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().expect("ascii").to_owned())
        .collect()
}

/// `name=value` of every cookie set, as a browser would send them back.
fn cookie_header(set: &[String], path: &str) -> String {
    set.iter()
        .filter(|cookie| cookie.contains("Path=/;") || cookie.contains(&format!("Path={path};")))
        .map(|cookie| cookie.split(';').next().expect("pair").to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn log_in(app: &TestApp, username: &str, password: &str) -> (Browser, Vec<String>) {
    let request = Request::post("/session")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!("username={username}&password={password}")))
        .expect("request");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    let set = set_cookies(&reply);
    let csrf = reply.json["csrf_token"].as_str().expect("csrf_token").to_owned();
    (Browser { cookies: cookie_header(&set, "/"), csrf }, set)
}

fn from_browser(browser: &Browser, method: &str, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, &browser.cookies)
        .header(header::ORIGIN, ORIGIN)
        .header("sec-fetch-site", "same-origin")
}

fn json_body(builder: axum::http::request::Builder, body: &Value) -> Request<Body> {
    builder
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test]
async fn login_sets_host_only_http_only_cookies_and_the_guards_read_them() {
    let app = app();
    let (browser, set) = log_in(&app, "bob", "secret4").await;
    let access = set.iter().find(|c| c.starts_with("__Host-access_token=")).expect("access cookie");
    for attribute in ["Path=/", "Max-Age=1800", "SameSite=Lax", "Secure", "HttpOnly"] {
        assert!(access.contains(attribute), "{access} lacks {attribute}");
    }
    let refresh =
        set.iter().find(|c| c.starts_with("__Secure-refresh_token=")).expect("refresh cookie");
    assert!(refresh.contains("Path=/session/refresh") && refresh.contains("HttpOnly"), "{refresh}");
    let csrf = set.iter().find(|c| c.starts_with("__Host-csrf_token=")).expect("csrf cookie");
    assert!(!csrf.contains("HttpOnly"), "scripts read the CSRF token: {csrf}");

    let request = from_browser(&browser, "GET", "/users/me").body(Body::empty()).expect("request");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["username"], "bob");
    assert!(reply.json.get("hashed_password").is_none());
}

#[tokio::test]
async fn a_state_changing_cookie_request_needs_its_own_sessions_csrf_token() {
    let app = app();
    let (bob, _) = log_in(&app, "bob", "secret4").await;
    let (other, _) = log_in(&app, "bob", "secret4").await;
    let post = json!({ "title": "hello" });

    // Cross-site with the cookie but no token: refused, nothing written.
    let forged = Request::post("/posts")
        .header(header::COOKIE, &bob.cookies)
        .header(header::ORIGIN, "https://evil.test")
        .header("sec-fetch-site", "cross-site");
    let reply = send(&app.router, json_body(forged, &post)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.detail(), "Cross-site request refused");

    // Same origin but no token: refused.
    let reply = send(&app.router, json_body(from_browser(&bob, "POST", "/posts"), &post)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.detail(), "CSRF token missing or invalid");

    // Another session's token (header and cookie both from it): refused.
    let mismatched = from_browser(&bob, "POST", "/posts").header("x-csrf-token", &other.csrf);
    let reply = send(&app.router, json_body(mismatched, &post)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let mut swapped = Browser { cookies: bob.cookies.clone(), csrf: other.csrf.clone() };
    swapped.cookies = swapped.cookies.replace(
        bob.cookies
            .split("__Host-csrf_token=")
            .nth(1)
            .expect("csrf")
            .split(';')
            .next()
            .expect("value"),
        &other.csrf,
    );
    let planted = from_browser(&swapped, "POST", "/posts").header("x-csrf-token", &swapped.csrf);
    let reply = send(&app.router, json_body(planted, &post)).await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "a token of another session, planted as the cookie"
    );
    assert!(app.posts.list().is_empty(), "no refused request wrote anything");

    // Its own token: created.
    let good = from_browser(&bob, "POST", "/posts").header("x-csrf-token", &bob.csrf);
    let reply = send(&app.router, json_body(good, &post)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
    assert_eq!(app.posts.list().len(), 1);
}

#[tokio::test]
async fn bearer_requests_need_no_csrf_token() {
    let app = app();
    let token = tests::login(&app.router, "bob", "secret4").await;
    let reply = send(
        &app.router,
        tests::request("POST", "/posts", Some(&token), Some(&json!({ "title": "t" }))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn login_from_a_foreign_origin_is_refused() {
    let app = app();
    let request = Request::post("/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, "https://evil.test")
        .body(Body::from(r#"{"username":"bob","password":"secret4"}"#))
        .expect("request");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(set_cookies(&reply).is_empty());
}

#[tokio::test]
async fn refresh_rotates_the_cookie_and_a_replayed_one_ends_the_session() {
    let app = app();
    let (browser, set) = log_in(&app, "johndoe", "secret").await;
    let refresh_cookies = cookie_header(&set, "/session/refresh");
    let refresh = |cookies: String| {
        Request::post("/session/refresh")
            .header(header::COOKIE, cookies)
            .header(header::ORIGIN, ORIGIN)
            .body(Body::empty())
            .expect("request")
    };
    let reply = send(&app.router, refresh(refresh_cookies.clone())).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    let rotated = cookie_header(&set_cookies(&reply), "/");
    assert_ne!(rotated, browser.cookies);

    let replay = send(&app.router, refresh(refresh_cookies)).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "a spent refresh token");
    let request = Request::get("/users/me")
        .header(header::COOKIE, rotated)
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        send(&app.router, request).await.status,
        StatusCode::UNAUTHORIZED,
        "reuse ended the session"
    );
}

#[tokio::test]
async fn logout_clears_the_cookies_and_the_old_cookie_is_refused() {
    let app = app();
    let (browser, _) = log_in(&app, "johndoe", "secret").await;
    let logout = from_browser(&browser, "DELETE", "/session").header("x-csrf-token", &browser.csrf);
    let reply = send(&app.router, logout.body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let cleared = set_cookies(&reply);
    assert_eq!(cleared.len(), 3);
    assert!(cleared.iter().all(|cookie| cookie.contains("Max-Age=0")), "{cleared:?}");
    let request = from_browser(&browser, "GET", "/users/me").body(Body::empty()).expect("request");
    assert_eq!(send(&app.router, request).await.status, StatusCode::UNAUTHORIZED);
}

async fn open_feed(
    address: SocketAddr,
    cookies: &str,
    origin: &str,
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, tungstenite::Error> {
    let mut request = format!("ws://{address}/posts/feed").into_client_request().expect("request");
    request.headers_mut().insert(header::COOKIE, cookies.parse().expect("cookie"));
    request.headers_mut().insert(header::ORIGIN, origin.parse().expect("origin"));
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    tokio_tungstenite::client_async(request, stream).await.map(|(socket, _)| socket)
}

#[tokio::test]
async fn the_feed_refuses_a_foreign_origin_and_closes_when_the_session_is_revoked() {
    use futures_util::StreamExt as _;

    let app = app();
    let (viewer, _) = log_in(&app, "johndoe", "secret").await;
    let address = serve_on_loopback(app.router.clone()).await;

    match open_feed(address, &viewer.cookies, "https://evil.test").await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN)
        }
        other => panic!("a cross-site upgrade must be refused, got {other:?}"),
    }

    let mut socket =
        open_feed(address, &viewer.cookies, ORIGIN).await.expect("same-origin upgrade");
    app.posts.create("live".into(), String::new(), "bob".into());
    let message = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await;
    let Ok(Some(Ok(Message::Text(text)))) = message else {
        panic!("no post on the feed: {message:?}")
    };
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json")["title"], "live");

    // Revoke johndoe's tokens: the socket closes with 1008 within the watch interval.
    let admin = tests::login(&app.router, "janedoe", "secret3").await;
    let revoke = tests::request("POST", "/admin/users/johndoe/revoke-tokens", Some(&admin), None);
    assert!(send(&app.router, revoke).await.status.is_success());
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await;
    match closed {
        Ok(Some(Ok(Message::Close(Some(frame))))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a 1008 close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_browser_client_opens_the_feed_with_a_bearer_header() {
    let app = app();
    let token = tests::login(&app.router, "johndoe", "secret").await;
    let address = serve_on_loopback(app.router.clone()).await;
    let mut request = format!("ws://{address}/posts/feed").into_client_request().expect("request");
    let bearer = format!("Bearer {token}").parse().expect("header");
    request.headers_mut().insert(header::AUTHORIZATION, bearer);
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let upgraded = tokio_tungstenite::client_async(request, stream).await;
    assert!(upgraded.is_ok(), "a bearer upgrade needs no Origin: {:?}", upgraded.err());

    let anonymous = format!("ws://{address}/posts/feed").into_client_request().expect("request");
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    match tokio_tungstenite::client_async(anonymous, stream).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        other => panic!("an anonymous upgrade must be refused, got {:?}", other.map(|_| ())),
    }
}
