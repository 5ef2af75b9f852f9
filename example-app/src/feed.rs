//! `GET /posts/feed`: new posts, live, over a WebSocket, for viewers.
//!
//! The upgrade request is guarded like any other: a browser authenticates
//! with its session cookie (and its `Origin` must be allowed: cross-site
//! WebSocket hijacking is refused), other clients with a bearer header. The
//! socket then lives only as long as the session: when the token expires or
//! is revoked, or its user is disabled, it is closed with code 1008 within
//! [`SessionWatch::DEFAULT_INTERVAL`] plus the user store's staleness bound.

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use rbac_core::browser::SessionWatch;
use rbac_core::requires_role;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::posts::{Post, Posts};

/// New posts as JSON text messages, for viewers and up.
#[requires_role("viewer")]
pub(crate) async fn feed(
    watch: SessionWatch,
    State(posts): State<Posts>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let new_posts = posts.subscribe();
    upgrade.on_upgrade(move |socket| stream(socket, new_posts, watch))
}

async fn stream(
    mut socket: WebSocket,
    mut new_posts: broadcast::Receiver<Post>,
    watch: SessionWatch,
) {
    // One watch for the socket's life: restarting it on every message would
    // let a busy feed postpone the check forever.
    let ended = watch.ended();
    tokio::pin!(ended);
    loop {
        tokio::select! {
            ended = &mut ended => {
                tracing::info!(reason = %ended, "closing a feed: its session is over");
                let frame = CloseFrame { code: close_code::POLICY, reason: "session ended".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            }
            post = new_posts.recv() => match post {
                Ok(post) => {
                    let Ok(text) = serde_json::to_string(&post) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {} // the feed is one-way; pings are answered by axum
            },
        }
    }
}
