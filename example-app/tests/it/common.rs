//! Running `example-app` as a real process on loopback, and a minimal
//! HTTP/1.1 client (one request per connection) to talk to it.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fixed test secret shared by the instances of one test.
pub const SECRET: &str = "process-tests-only-secret-0123456789abcdef";

/// A running server, killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    pub address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound then released).
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port")
}

/// Starts `example-app` in development mode on `database_url` and waits
/// until `/health` answers.
pub fn start(database_url: &str) -> Server {
    let address = free_address();
    let child = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .env("BIND_ADDR", address.to_string())
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", SECRET)
        .env("DISABLE_LOGIN_THROTTLE", "true")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start example-app");
    let server = Server { child, address };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http(address, "GET", "/health", None, None).is_ok_and(|(status, _)| status == 200) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("example-app did not come up on {address}");
}

/// One request; `(status, body)`. `body` is JSON unless it looks like a form.
pub fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    head.push_str(&format!(
        "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// Logs in and returns the access token.
pub fn login(address: SocketAddr, username: &str, password: &str) -> String {
    let form = format!("username={username}&password={password}");
    let (status, body) = http(address, "POST", "/token", None, Some(&form)).expect("login");
    assert_eq!(status, 200, "login {username}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    json["access_token"].as_str().expect("access_token").to_owned()
}

/// Polls `check` every 20 ms until it holds; how long that took, or `None`
/// after `limit`.
pub fn time_until(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
