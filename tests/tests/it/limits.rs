//! Request limits and load shedding: oversized heads, slow clients, and a
//! full password-hashing queue.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use example_app::server::{ConnectionLimits, serve};
use rbac_core::{Auth, JwtSecret, MemoryUserStore, PasswordHasher, Tokens};
use tests::{TEST_SECRET, send, token_request};

async fn spawn_server(limits: ConnectionLimits) -> SocketAddr {
    let app = tests::demo_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(serve(listener, app.router, limits, std::future::pending()));
    address
}

fn exchange(address: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let _ = stream.write_all(raw);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[allow(clippy::disallowed_methods, reason = "blocking socket I/O, not password hashing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_heads_get_431_and_the_server_goes_on() {
    let address = spawn_server(ConnectionLimits::default()).await;
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(32 * 1024)
    );
    let reply =
        tokio::task::spawn_blocking(move || exchange(address, big.as_bytes())).await.expect("join");
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply:.80}");
    let ok = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let reply = tokio::task::spawn_blocking(move || exchange(address, ok)).await.expect("join");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply:.80}");
}

#[allow(clippy::disallowed_methods, reason = "blocking socket I/O, not password hashing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off_after_the_header_timeout() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let address = spawn_server(limits).await;
    let elapsed = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let started = Instant::now();
        // Half a request head, then silence.
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").expect("write");
        let mut buffer = Vec::new();
        let _ = stream.read_to_end(&mut buffer);
        (started.elapsed(), String::from_utf8_lossy(&buffer).into_owned())
    })
    .await
    .expect("join");
    let (elapsed, reply) = elapsed;
    assert!(elapsed < Duration::from_secs(5), "connection held for {elapsed:?}");
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 408"), "{reply:.80}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_sheds_load_with_503() {
    let users = MemoryUserStore::new();
    let hasher = PasswordHasher::default().with_limits(1, 1);
    example_app::seed_demo_users(&users, &hasher).expect("seed");
    let tokens = Tokens::hs256(JwtSecret::new(TEST_SECRET.to_vec()).expect("secret"));
    let auth = Auth::with_hasher(tokens, users.clone(), hasher);
    let router = example_app::app(example_app::AppState::new(auth, users));

    // One account each: the throttle counts parallel guesses at one account
    // before they reach the hashing queue, and this is about the queue.
    let logins: Vec<_> = (0..8)
        .map(|i| {
            let router = router.clone();
            let form = format!("username=user{i}&password=wrong");
            tokio::spawn(async move { send(&router, token_request(&form)).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for login in logins {
        let reply = login.await.expect("join");
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(reply.header("retry-after"), "1");
            assert!(!reply.detail().is_empty());
        }
        statuses.push(reply.status);
    }
    assert!(statuses.contains(&StatusCode::SERVICE_UNAVAILABLE), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::SERVICE_UNAVAILABLE, StatusCode::UNAUTHORIZED].contains(s)),
        "{statuses:?}"
    );
}
