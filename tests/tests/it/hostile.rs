//! Hostile and malformed input: always a 4xx, never a panic or a 5xx, and
//! the server keeps serving.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tests::{TEST_SECRET, demo_app, forge, get, login, now, send, token_request, urlencode};

fn with_authorization(value: HeaderValue) -> Request<Body> {
    let mut request = get("/users/me", None);
    request.headers_mut().insert("authorization", value);
    request
}

fn assert_invalid_token(reply: &tests::Reply, case: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}: {:?}", reply.json);
    assert_eq!(reply.detail(), "Could not validate credentials", "{case}");
    assert_eq!(reply.header("www-authenticate"), r#"Bearer error="invalid_token""#, "{case}");
}

#[tokio::test]
async fn garbage_empty_and_oversized_tokens() {
    let app = demo_app();
    let cases = [
        ("garbage", "garbage".to_owned()),
        ("dots", "...".to_owned()),
        ("two segments", "eyJhbGciOiJIUzI1NiJ9.e30".to_owned()),
        ("bad base64", "e#J.e#J.sig".to_owned()),
        ("16 KB", "a".repeat(16 * 1024)),
        ("1 MB", "a".repeat(1024 * 1024)),
        ("1 MB of dots", ".".repeat(1024 * 1024)),
    ];
    for (case, token) in cases {
        let reply = send(&app.router, get("/users/me", Some(&token))).await;
        assert_invalid_token(&reply, case);
    }
    let empty = send(&app.router, with_authorization(HeaderValue::from_static("Bearer "))).await;
    assert_invalid_token(&empty, "empty");
}

#[tokio::test]
async fn non_utf8_header_bytes() {
    let app = demo_app();
    let value = HeaderValue::from_bytes(b"Bearer \xff\xfe\xfd.\x80.\x81")
        .expect("obs-text is a legal header");
    assert_invalid_token(&send(&app.router, with_authorization(value)).await, "non-UTF-8 token");
    let value = HeaderValue::from_bytes(b"\xffearer abc").expect("legal header");
    assert_eq!(send(&app.router, with_authorization(value)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tampered_payload_without_resigning() {
    let app = demo_app();
    let token = login(&app.router, "johndoe", "secret").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let claims = URL_SAFE_NO_PAD.decode(&parts[1]).expect("payload");
    let claims = String::from_utf8(claims).expect("json").replace("johndoe", "janedoe");
    parts[1] = URL_SAFE_NO_PAD.encode(claims);
    let tampered = parts.join(".");
    assert_invalid_token(
        &send(&app.router, get("/admin/users", Some(&tampered))).await,
        "tampered",
    );
}

fn claims(sub: &str) -> String {
    let (exp, iat) = (now() + 600, now());
    format!(r#"{{"sub":"{sub}","exp":{exp},"iat":{iat},"jti":"x","scope":"users:manage"}}"#)
}

#[tokio::test]
async fn alg_none_and_algorithm_confusion() {
    let app = demo_app();
    let payload = URL_SAFE_NO_PAD.encode(claims("janedoe"));
    for header in [r#"{"alg":"none"}"#, r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"NONE"}"#] {
        let unsigned = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(header));
        assert_invalid_token(
            &send(&app.router, get("/admin/users", Some(&unsigned))).await,
            header,
        );
    }
    // RS256 in the header, but an HMAC over the token with our secret as the
    // "public key": the classic confusion attack.
    let confused = forge(r#"{"alg":"RS256","typ":"JWT"}"#, &claims("janedoe"), TEST_SECRET);
    assert_invalid_token(&send(&app.router, get("/admin/users", Some(&confused))).await, "RS256");
    // Control: the same forgery with the honest header is accepted, so the
    // rejection above is about the algorithm.
    let honest = forge(r#"{"alg":"HS256","typ":"JWT"}"#, &claims("janedoe"), TEST_SECRET);
    assert_eq!(send(&app.router, get("/admin/users", Some(&honest))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn expired_and_string_exp_tokens() {
    let app = demo_app();
    let expired = format!(r#"{{"sub":"johndoe","exp":{},"iat":1,"jti":"x"}}"#, now() - 3600);
    let as_string = format!(r#"{{"sub":"johndoe","exp":"{}","iat":1,"jti":"x"}}"#, now() + 600);
    for (case, payload) in [("expired", expired), ("string exp", as_string)] {
        let token = forge(r#"{"alg":"HS256"}"#, &payload, TEST_SECRET);
        assert_invalid_token(&send(&app.router, get("/users/me", Some(&token))).await, case);
    }
}

#[tokio::test]
async fn fractional_dates_pass_and_foreign_audiences_do_not() {
    let app = demo_app();
    let (exp, iat) = (now() + 600, now());
    let fractional = format!(r#"{{"sub":"johndoe","exp":{exp}.72,"iat":{iat}.5,"jti":"x"}}"#);
    let token = forge(r#"{"alg":"HS256"}"#, &fractional, TEST_SECRET);
    assert_eq!(send(&app.router, get("/users/me", Some(&token))).await.status, StatusCode::OK);
    // The app is configured with no audience, so any `aud` names another service.
    let foreign =
        format!(r#"{{"sub":"johndoe","exp":{exp},"iat":{iat},"jti":"x","aud":"billing"}}"#);
    let token = forge(r#"{"alg":"HS256"}"#, &foreign, TEST_SECRET);
    assert_invalid_token(&send(&app.router, get("/users/me", Some(&token))).await, "aud");
    let forever = format!(r#"{{"sub":"johndoe","exp":{},"iat":{iat},"jti":"x"}}"#, iat + 86_401);
    let token = forge(r#"{"alg":"HS256"}"#, &forever, TEST_SECRET);
    assert_invalid_token(&send(&app.router, get("/users/me", Some(&token))).await, "lifetime");
}

#[tokio::test]
async fn huge_and_sql_like_usernames() {
    let app = demo_app();
    let huge = format!("username={}&password=secret", "a".repeat(100 * 1024));
    let reply = send(&app.router, token_request(&huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.detail(), "Request body too large");

    let long = format!("username={}&password=secret", "a".repeat(1000));
    assert_eq!(send(&app.router, token_request(&long)).await.status, StatusCode::UNAUTHORIZED);

    for name in [
        "' OR '1'='1",
        "admin'--",
        "\"; DROP TABLE users; --",
        "johndoe' --",
        "%00",
        "johndoe\u{0}",
    ] {
        let form = format!("username={}&password=secret", urlencode(name));
        let reply = send(&app.router, token_request(&form)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name:?}");
        assert_eq!(reply.detail(), "Incorrect username or password");
        // And as a validly signed subject: an unknown user, nothing more.
        let token = forge(r#"{"alg":"HS256"}"#, &claims(&name.replace('"', "\\\"")), TEST_SECRET);
        assert_invalid_token(&send(&app.router, get("/users/me", Some(&token))).await, name);
    }
}

/// Over a real socket, where hyper's own limits apply too: the server answers
/// each hostile request with a 4xx and still serves the next one.
#[allow(clippy::disallowed_methods, reason = "blocking socket I/O, not password hashing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_serving_over_tcp() {
    let app = demo_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app.router).await });

    let big = "a".repeat(16 * 1024);
    let huge = "a".repeat(1024 * 1024);
    let requests: Vec<Vec<u8>> = vec![
        format!("GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {big}\r\nConnection: close\r\n\r\n").into_bytes(),
        format!("GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {huge}\r\nConnection: close\r\n\r\n").into_bytes(),
        b"GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nConnection: close\r\n\r\n\xff\xfe\x00=&".to_vec(),
    ];
    for (index, raw) in requests.into_iter().enumerate() {
        let status =
            tokio::task::spawn_blocking(move || raw_status(address, &raw)).await.expect("join");
        assert!((400..500).contains(&status), "request {index}: status {status}");
    }
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec();
    let status =
        tokio::task::spawn_blocking(move || raw_status(address, &health)).await.expect("join");
    assert_eq!(status, 200);
}

/// Sends raw bytes and returns the response's status code.
fn raw_status(address: std::net::SocketAddr, raw: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    // The server may answer and close before reading everything; that is fine.
    let _ = stream.write_all(raw);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}
