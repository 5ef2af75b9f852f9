//! Serving with connection-level limits that `axum::serve` does not expose:
//! a header-read timeout (slowloris) and a cap on the request head size.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A client must send its whole request head within this time.
    pub header_read_timeout: Duration,
    /// The largest request head (request line plus headers) accepted; hyper
    /// answers 431 beyond it. At least 8 KiB.
    pub max_header_bytes: usize,
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
/// Each request carries `ConnectInfo<SocketAddr>` with the peer address.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8 * 1024));
    // Shutdown by hand: hyper-util's `GracefulShutdown` cannot watch a
    // connection that allows upgrades, and the live feed is a WebSocket.
    // Every connection task holds a clone of `alive`; once they have all
    // ended, `drained` yields `None`.
    let (stop, stopping) = tokio::sync::watch::channel(());
    let (alive, mut drained) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: keep serving the
                // connections we have rather than exiting.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let (mut stopping, alive) = (stopping.clone(), alive.clone());
        tokio::spawn(async move {
            let _alive = alive;
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stopping.changed() => {
                    // Finish the request in flight, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop.send(());
    drop(alive);
    if tokio::time::timeout(limits.drain_timeout, drained.recv()).await.is_err() {
        tracing::warn!("drain timed out; closing remaining connections");
    }
    Ok(())
}
