//! The `example-resource` binary itself: configured from the environment,
//! fetching a JWKS over loopback, guarding its routes.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use rbac_core::{Role, SigningKey, TokenSubject, Tokens};

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn key(name: &str) -> SigningKey {
    let path = format!("{}/../testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    SigningKey::from_pem(&std::fs::read(path).expect("test key")).expect("key")
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

/// `GET path` over a fresh connection; the status code.
fn status(address: SocketAddr, path: &str, token: Option<&str>) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_verifies_issuer_tokens_from_the_jwks_url() {
    let issuer_key = key("es256-a.pem");
    let jwks = Tokens::new(issuer_key.clone()).jwks();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let jwks_address = listener.local_addr().expect("address");
    let router = Router::new().route("/jwks", get(move || async move { axum::Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let address = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_example-resource"))
        .env("BIND_ADDR", address.to_string())
        .env("JWKS_URL", format!("http://{jwks_address}/jwks"))
        .env("JWT_ISSUER", "http://issuer.test")
        .spawn()
        .expect("start example-resource");
    let _server = Server(child);
    let started = Instant::now();
    while status(address, "/health", None) != Some(200) {
        assert!(started.elapsed() < Duration::from_secs(20), "example-resource did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let roles = [Role::new("viewer").expect("role")];
    let subject = TokenSubject { username: "johndoe", roles: &roles, ..TokenSubject::default() };
    let issue = |key: &SigningKey, issuer: &str| {
        Tokens::new(key.clone())
            .with_issuer(issuer)
            .issue_for(&subject)
            .expect("issue")
            .access_token
    };
    let good = issue(&issuer_key, "http://issuer.test");
    assert_eq!(status(address, "/reports", Some(&good)), Some(200));
    assert_eq!(status(address, "/whoami", Some(&good)), Some(200));
    assert_eq!(status(address, "/items", Some(&good)), Some(403), "no scope granted");
    let stranger = issue(&key("ed25519-b.pem"), "http://issuer.test");
    assert_eq!(status(address, "/reports", Some(&stranger)), Some(401));
    let elsewhere = issue(&issuer_key, "http://elsewhere.test");
    assert_eq!(status(address, "/reports", Some(&elsewhere)), Some(401));
    assert_eq!(status(address, "/reports", None), Some(401));
}
