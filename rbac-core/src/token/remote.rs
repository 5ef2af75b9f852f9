//! Verification keys fetched from an issuer's JWKS URL, for resource servers
//! that hold no secret.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::JwkSet;

use super::VerificationKey;

/// A JWKS document larger than this is refused (a few keys take ~2 KiB).
pub(super) const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The longest any fetch may take, custom fetchers included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The shortest refetch interval accepted, whatever is configured.
const MIN_REFETCH_FLOOR: Duration = Duration::from_secs(1);

pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Fetch =
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Bytes, BoxError>> + Send>> + Send + Sync;

/// The keys of an issuer's `/.well-known/jwks.json`, kept fresh.
///
/// - Keys are cached; a token naming an unknown `kid` triggers a refetch
///   (the issuer may have rotated), but at most once per
///   [`min_refetch_interval`](RemoteJwks::with_min_refetch_interval)
///   (default 30 s), and concurrent requests share one fetch: a flood of
///   garbage `kid`s costs the issuer one request per interval.
/// - The cache is refreshed when older than
///   [`max_age`](RemoteJwks::with_max_age) (default 10 min), so retired keys
///   stop verifying.
/// - A failed fetch keeps the last good keys, but only up to twice
///   `max_age`: past that, every token is refused until a fetch succeeds, so
///   an issuer that is down cannot keep a withdrawn key alive. A well-formed
///   document without usable keys empties the set. Only asymmetric signature
///   keys are taken from the document; `oct` (HMAC) keys are ignored, so a
///   tampered document cannot turn verification into a shared secret.
/// - Every fetch, custom fetchers included, is abandoned after 10 s.
///
/// The built-in fetcher speaks plain HTTP/1.1 and therefore only to an
/// issuer on the same host (`localhost` or a loopback address): a JWKS read
/// over an unauthenticated network would let anyone on the path supply the
/// keys. Anywhere else, fetch over TLS: with the `oidc` feature,
/// `RemoteJwks::https` or `RemoteJwks::discover`; or with the HTTP client
/// you already use, handing the bytes over with [`RemoteJwks::from_fetcher`].
///
/// ```no_run
/// use rbac_core::{RemoteJwks, Tokens};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let jwks = RemoteJwks::http("http://127.0.0.1:8000/.well-known/jwks.json")?;
/// jwks.refresh().await?; // fail fast at start-up if the issuer is unreachable
/// let tokens = Tokens::remote(jwks).with_issuer("http://127.0.0.1:8000");
/// # Ok(()) }
/// ```
pub struct RemoteJwks {
    fetch: Box<Fetch>,
    keys: RwLock<Arc<[VerificationKey]>>,
    /// When the keys were last fetched (successfully or not) and last stored.
    fetched: Mutex<Fetched>,
    /// Held while fetching, so concurrent refetches wait for one fetch.
    in_flight: tokio::sync::Mutex<()>,
    min_refetch_interval: Duration,
    max_age: Duration,
}

#[derive(Default)]
struct Fetched {
    attempt: Option<Instant>,
    success: Option<Instant>,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<String> = self.keys().iter().map(|key| key.kid.clone()).collect();
        f.debug_struct("RemoteJwks")
            .field("kids", &kids)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// Why the JWKS could not be fetched or used. The last good keys stay in use.
#[derive(Debug)]
pub struct JwksError(pub(super) String);

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JWKS unavailable: {}", self.0)
    }
}

impl std::error::Error for JwksError {}

impl RemoteJwks {
    /// Fetches from an `http://host:port/path` URL on this host (`localhost`
    /// or a loopback address) with the built-in client (5 s timeout, 64 KiB
    /// cap). Fails on any other URL, and on one carrying credentials.
    pub fn http(url: &str) -> Result<Self, JwksError> {
        let uri: hyper::Uri = url.parse().map_err(|_| JwksError("bad JWKS URL".to_owned()))?;
        let authority = match (uri.scheme_str(), uri.authority()) {
            (Some("http"), Some(authority)) if !authority.as_str().contains('@') => {
                authority.clone()
            }
            _ => {
                return Err(JwksError(
                    "the built-in fetcher takes http://host:port/path URLs without credentials"
                        .to_owned(),
                ));
            }
        };
        if !is_loopback(authority.host()) {
            return Err(JwksError(
                "plain HTTP only to this host (localhost or a loopback address); fetch over TLS and use RemoteJwks::from_fetcher".to_owned(),
            ));
        }
        Ok(Self::from_fetcher(move || {
            let (uri, authority) = (uri.clone(), authority.clone());
            Box::pin(async move {
                tokio::time::timeout(Duration::from_secs(5), http_get(uri, authority))
                    .await
                    .map_err(|_| "timed out")?
            })
        }))
    }

    /// Fetches with `fetch`, which returns the JWKS document's bytes.
    pub fn from_fetcher(
        fetch: impl Fn() -> Pin<Box<dyn Future<Output = Result<Bytes, BoxError>> + Send>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            fetch: Box::new(fetch),
            keys: RwLock::new(Arc::from([])),
            fetched: Mutex::new(Fetched::default()),
            in_flight: tokio::sync::Mutex::new(()),
            min_refetch_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(600),
        }
    }

    /// The shortest time between two fetches triggered by unknown `kid`s.
    /// At least 1 s, whatever is asked.
    #[must_use]
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval.max(MIN_REFETCH_FLOOR);
        self
    }

    /// How long fetched keys are used before they are fetched again.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Fetches now, whatever the rate limit; returns how many keys are usable.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let _one_fetch = self.in_flight.lock().await;
        self.fetch_and_store().await
    }

    /// The keys as last fetched; none once the last good fetch is older
    /// than twice `max_age`.
    pub(crate) fn keys(&self) -> Arc<[VerificationKey]> {
        let expired = {
            let fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
            fetched.success.is_some_and(|at| at.elapsed() >= self.max_age.saturating_mul(2))
        };
        if expired {
            return Arc::from([]);
        }
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether the cached keys are past their maximum age (or never fetched).
    pub(crate) fn is_stale(&self) -> bool {
        let fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
        fetched.success.is_none_or(|at| at.elapsed() >= self.max_age)
    }

    /// Refetches if the rate limit allows; `true` if it fetched new keys.
    /// Callers racing here share one fetch.
    pub(crate) async fn refetch_rate_limited(&self) -> bool {
        if !self.may_fetch() {
            return false;
        }
        let _one_fetch = self.in_flight.lock().await;
        // Whoever held the lock before us may just have fetched.
        if !self.may_fetch() {
            return true;
        }
        self.fetch_and_store().await.is_ok()
    }

    fn may_fetch(&self) -> bool {
        let fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
        fetched.attempt.is_none_or(|at| at.elapsed() >= self.min_refetch_interval)
    }

    async fn fetch_and_store(&self) -> Result<usize, JwksError> {
        self.fetched.lock().unwrap_or_else(PoisonError::into_inner).attempt = Some(Instant::now());
        let keys = match tokio::time::timeout(FETCH_TIMEOUT, (self.fetch)()).await {
            Ok(fetched) => fetched.map_err(|error| JwksError(error.to_string())),
            Err(_) => Err(JwksError("fetch timed out".to_owned())),
        };
        let keys = keys.and_then(|bytes| parse_jwks(&bytes));
        match keys {
            Ok(keys) => {
                let count = keys.len();
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys.into();
                self.fetched.lock().unwrap_or_else(PoisonError::into_inner).success =
                    Some(Instant::now());
                tracing::info!(keys = count, "JWKS fetched");
                Ok(count)
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS fetch failed; keeping the previous keys");
                Err(error)
            }
        }
    }
}

/// The usable keys of a JWKS document; unusable entries are skipped.
fn parse_jwks(bytes: &[u8]) -> Result<Vec<VerificationKey>, JwksError> {
    if bytes.len() > MAX_JWKS_BYTES {
        return Err(JwksError("document too large".to_owned()));
    }
    let set: JwkSet =
        serde_json::from_slice(bytes).map_err(|_| JwksError("not a JWKS document".to_owned()))?;
    let keys: Vec<VerificationKey> = set
        .keys
        .iter()
        .filter_map(|jwk| {
            VerificationKey::from_jwk(jwk)
                .inspect_err(
                    |error| tracing::warn!(kid = ?jwk.common.key_id, %error, "JWK skipped"),
                )
                .ok()
        })
        .collect();
    if keys.is_empty() {
        tracing::warn!("the JWKS document has no usable signature keys: every token is refused");
    }
    Ok(keys)
}

/// `localhost`, or an IPv4/IPv6 loopback literal (brackets allowed).
pub(super) fn is_loopback(host: &str) -> bool {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || literal.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(super) async fn http_get(
    uri: hyper::Uri,
    authority: hyper::http::uri::Authority,
) -> Result<Bytes, BoxError> {
    let port = authority.port_u16().unwrap_or(80);
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    send_get(TokioIo::new(stream), &uri, &authority).await
}

/// One `GET` over an open connection (plain, or TLS with the `oidc`
/// feature); the body, at most [`MAX_JWKS_BYTES`], on a 200 only.
/// Redirects are not followed: the URL configured (or discovered) is the
/// one trusted.
pub(super) async fn send_get<Io>(
    io: Io,
    uri: &hyper::Uri,
    authority: &hyper::http::uri::Authority,
) -> Result<Bytes, BoxError>
where
    Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "JWKS connection closed");
        }
    });
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority.as_str())
        .header(hyper::header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if response.status() != hyper::StatusCode::OK {
        return Err(format!("HTTP {}", response.status()).into());
    }
    let body = Limited::new(response.into_body(), MAX_JWKS_BYTES).collect().await?;
    Ok(body.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tokens;

    #[test]
    fn the_built_in_fetcher_only_speaks_to_this_host() {
        for url in [
            "http://127.0.0.1:8000/.well-known/jwks.json",
            "http://localhost/jwks",
            "http://[::1]:8000/jwks",
            "http://127.8.9.10/jwks",
        ] {
            assert!(RemoteJwks::http(url).is_ok(), "{url}");
        }
        for url in [
            "http://issuer.example/jwks",
            "http://10.0.0.5/jwks",
            "https://127.0.0.1/jwks",
            "http://user:pass@127.0.0.1/jwks",
            "ftp://127.0.0.1/jwks",
            "not a url",
        ] {
            let error = RemoteJwks::http(url).expect_err(url).to_string();
            assert!(!error.contains("pass"), "credentials never echoed: {error}");
        }
    }

    #[test]
    fn the_refetch_interval_has_a_floor() {
        let jwks = RemoteJwks::http("http://127.0.0.1/jwks").expect("url");
        assert_eq!(
            jwks.with_min_refetch_interval(Duration::ZERO).min_refetch_interval,
            MIN_REFETCH_FLOOR
        );
    }

    #[tokio::test]
    async fn keys_are_dropped_when_no_fetch_has_succeeded_for_twice_max_age() {
        let document = Tokens::new(
            crate::SigningKey::from_pem(include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../testdata/keys/ed25519-a.pem"
            )))
            .expect("key"),
        )
        .jwks();
        let bytes = Bytes::from(serde_json::to_vec(&document).expect("json"));
        let jwks = RemoteJwks::from_fetcher(move || {
            let bytes = bytes.clone();
            Box::pin(async move { Ok(bytes) })
        })
        .with_max_age(Duration::from_millis(50));
        assert_eq!(jwks.refresh().await.expect("fetch"), 1);
        assert_eq!(jwks.keys().len(), 1);
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(jwks.keys().is_empty(), "stale past twice max_age: fail closed");
        jwks.refresh().await.expect("fetch");
        assert_eq!(jwks.keys().len(), 1, "back once a fetch succeeds");
    }

    #[tokio::test]
    async fn a_document_without_usable_keys_empties_the_set() {
        let empty = Bytes::from_static(br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}"#);
        let jwks = RemoteJwks::from_fetcher(move || {
            let empty = empty.clone();
            Box::pin(async move { Ok(empty) })
        });
        assert_eq!(jwks.refresh().await.expect("well-formed"), 0);
        assert!(jwks.keys().is_empty());
    }
}
