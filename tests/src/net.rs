//! Services on real loopback sockets, and a client to call them, for tests
//! where services talk to each other over the network.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::Reply;

/// Serves `router` on an ephemeral 127.0.0.1 port for the rest of the test.
pub async fn serve_on_loopback(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    address
}

/// Sends `request` (its URI a path) to `address` over a fresh connection.
pub async fn call(address: SocketAddr, request: Request<Body>) -> Reply {
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    let host = address.to_string().parse().expect("host header");
    parts.headers.insert(axum::http::header::HOST, host);
    let response = sender.send_request(Request::from_parts(parts, body)).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, json }
}
