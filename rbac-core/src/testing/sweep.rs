//! Sweeps over a route table: a request per route (and per caller), sent
//! through the router as a client would send it.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use http_body::Frame;
use tower::ServiceExt as _;

use super::TestAuth;
use crate::policy::Requires;
use crate::routing::{ANONYMOUS, Access, RouteEntry, SecureRouter};

/// What a sweep found wrong, one line per finding; its `Display` is what
/// the `assert_*` helpers panic with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessViolations(pub Vec<Violation>);

/// One finding of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The request as sent: `GET /users/1`.
    pub request: String,
    /// The caller: `anonymous` or a role.
    pub caller: String,
    /// What was wrong.
    pub problem: String,
}

impl fmt::Display for AccessViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} access violation(s):", self.0.len())?;
        for violation in &self.0 {
            writeln!(f, "  {} as {}: {}", violation.request, violation.caller, violation.problem)?;
        }
        Ok(())
    }
}

impl std::error::Error for AccessViolations {}

/// The value every path parameter gets: `/users/{username}` is requested as
/// `/users/1`, which parses as a string and as any integer type.
const PLACEHOLDER: &str = "1";

/// Sends every route that is not public a request without credentials and
/// checks it gets 401 without its body being read. Routes added with
/// [`SecureRouter::route_without_access_check`] are swept too (nothing
/// checks them, so an open one is found here); `#[public]` handlers and
/// [`SecureRouter::public_service`] are not.
pub async fn check_anonymous_denied(router: &SecureRouter) -> Result<(), AccessViolations> {
    let mut violations = Vec::new();
    for entry in router.routes() {
        if is_public(entry) {
            continue;
        }
        for (method, path) in requests_for(entry) {
            let outcome = send(router, method.clone(), &path, None).await;
            let request = format!("{method} {path}");
            // A route taking any method was probed with two; one it does
            // not serve is not open.
            let unserved =
                entry_takes_any_method(entry) && outcome.status == StatusCode::METHOD_NOT_ALLOWED;
            if outcome.status != StatusCode::UNAUTHORIZED && !unserved {
                let problem = format!("expected 401, got {}", outcome.status);
                violations.push(Violation {
                    request: request.clone(),
                    caller: ANONYMOUS.into(),
                    problem,
                });
            }
            if outcome.body_read {
                let problem = "the request body was read before access was refused".to_owned();
                violations.push(Violation { request, caller: ANONYMOUS.into(), problem });
            }
        }
    }
    if violations.is_empty() { Ok(()) } else { Err(AccessViolations(violations)) }
}

/// [`check_anonymous_denied`], panicking with the violations.
///
/// # Panics
///
/// When a route that is not public answers an anonymous request with
/// anything but 401, or reads its body first.
pub async fn assert_anonymous_denied(router: &SecureRouter) {
    if let Err(violations) = check_anonymous_denied(router).await {
        panic!("{violations}");
    }
}

/// Checks a whole access policy stated as a table, by sending a request
/// per route and caller: `anonymous` sends no credentials, and each role
/// column sends a token [`TestAuth::token_for`] minted for a user holding
/// that role alone (with every scope it allows). `allow` means the request
/// got past access control (any status but 401 and 403); `deny` means 401
/// or 403 without the body being read.
///
/// `expected` has a header line `METHOD PATH <caller>...`, then a line per
/// route: its method, its path as routed (`/users/{username}`), and
/// `allow` or `deny` per caller. Every route of the table must be listed,
/// and only those: the table is the app's whole access policy. Path
/// parameters are sent as `1`, so `owner(...)` checks see a user
/// that is not the caller.
pub async fn check_access_matrix(
    router: &SecureRouter,
    auth: &TestAuth,
    expected: &str,
) -> Result<(), AccessViolations> {
    let mut violations = Vec::new();
    let mut lines = expected.lines().map(str::trim).filter(|line| !line.is_empty());
    let header: Vec<&str> =
        lines.next().map(|line| line.split_whitespace().collect()).unwrap_or_default();
    let callers = match header.as_slice() {
        ["METHOD", "PATH", callers @ ..] if !callers.is_empty() => callers.to_vec(),
        _ => panic!("the expected matrix starts with a header `METHOD PATH <caller>...`"),
    };
    let mut listed = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let [method, path, verdicts @ ..] = cells.as_slice() else {
            panic!("a matrix line is `METHOD PATH verdict...`: {line:?}");
        };
        assert_eq!(verdicts.len(), callers.len(), "one verdict per caller on {line:?}");
        listed.push((*method, *path));
        let Some(entry) = router.routes().get(method, path) else {
            violations.push(Violation {
                request: format!("{method} {path}"),
                caller: "-".into(),
                problem: "listed in the expected matrix but not routed".into(),
            });
            continue;
        };
        for (caller, verdict) in callers.iter().zip(verdicts) {
            let allow = match *verdict {
                "allow" => true,
                "deny" => false,
                other => panic!("a verdict is `allow` or `deny`, not {other:?}"),
            };
            for (method, path) in requests_for(entry) {
                let token = match *caller {
                    ANONYMOUS => None,
                    role => Some(auth.token_for(&format!("test-{role}"), &[role]).await),
                };
                let outcome = send(router, method.clone(), &path, token.as_deref()).await;
                let refused =
                    matches!(outcome.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
                let problem = match (allow, refused) {
                    (true, true) => Some(format!("expected allow, got {}", outcome.status)),
                    (false, false) => Some(format!("expected deny, got {}", outcome.status)),
                    (false, true) if outcome.body_read => {
                        Some("refused only after reading the request body".to_owned())
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    let request = format!("{method} {path}");
                    violations.push(Violation { request, caller: (*caller).to_owned(), problem });
                }
            }
        }
    }
    for entry in router.routes() {
        if !listed.contains(&(entry.method, entry.path.as_str())) {
            violations.push(Violation {
                request: format!("{} {}", entry.method, entry.path),
                caller: "-".into(),
                problem: "routed but missing from the expected matrix".into(),
            });
        }
    }
    if violations.is_empty() { Ok(()) } else { Err(AccessViolations(violations)) }
}

/// [`check_access_matrix`], panicking with the violations.
///
/// # Panics
///
/// On any difference between `expected` and what the router answers.
pub async fn assert_access_matrix(router: &SecureRouter, auth: &TestAuth, expected: &str) {
    if let Err(violations) = check_access_matrix(router, auth, expected).await {
        panic!("{violations}");
    }
}

fn is_public(entry: &RouteEntry) -> bool {
    matches!(entry.access, Access::Requires(Requires::Public) | Access::Unchecked("public_service"))
}

/// The requests that reach `entry`: its method (GET and POST for an
/// unchecked route or `ANY`, which take every method) at its path with
/// placeholders.
fn requests_for(entry: &RouteEntry) -> Vec<(Method, String)> {
    let path = if entry.path.ends_with("(fallback)") {
        // A path no route matches, under the fallback's nest prefix.
        entry.path.replace("(fallback)", "__rbac_unrouted__")
    } else {
        with_placeholders(&entry.path)
    };
    match entry.method {
        _ if entry_takes_any_method(entry) => {
            vec![(Method::GET, path.clone()), (Method::POST, path)]
        }
        method => vec![(Method::from_bytes(method.as_bytes()).expect("a routed method"), path)],
    }
}

fn entry_takes_any_method(entry: &RouteEntry) -> bool {
    matches!(entry.method, "ANY" | "*")
}

fn with_placeholders(path: &str) -> String {
    path.split('/')
        .map(
            |segment| {
                if segment.starts_with('{') && segment.ends_with('}') {
                    PLACEHOLDER
                } else {
                    segment
                }
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

struct Outcome {
    status: StatusCode,
    body_read: bool,
}

async fn send(router: &SecureRouter, method: Method, path: &str, token: Option<&str>) -> Outcome {
    let body_read = Arc::new(AtomicBool::new(false));
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::new(WatchedBody { read: body_read.clone(), sent: false }))
        .expect("a request from a routed path");
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("a token is a header value");
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    let response = router.inner.clone().oneshot(request).await;
    let status = match response {
        Ok(response) => response.status(),
        Err(infallible) => match infallible {},
    };
    Outcome { status, body_read: body_read.load(Ordering::SeqCst) }
}

/// A body `{}` that records whether anything polled it.
struct WatchedBody {
    read: Arc<AtomicBool>,
    sent: bool,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.read.store(true, Ordering::SeqCst);
        if std::mem::replace(&mut self.sent, true) {
            Poll::Ready(None)
        } else {
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{}")))))
        }
    }
}
