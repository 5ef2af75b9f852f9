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
const MAX_JWKS_BYTES: usize = 64 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
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
/// - A failed fetch keeps the last good keys. Only asymmetric signature keys
///   are taken from the document; `oct` (HMAC) keys are ignored, so a
///   tampered document cannot turn verification into a shared secret.
///
/// The built-in fetcher speaks plain HTTP/1.1, for an issuer on the same
/// host or private network. Across untrusted networks, fetch over TLS with
/// the HTTP client you already use and hand the bytes over with
/// [`RemoteJwks::from_fetcher`].
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
pub struct JwksError(String);

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JWKS unavailable: {}", self.0)
    }
}

impl std::error::Error for JwksError {}

impl RemoteJwks {
    /// Fetches from an `http://host:port/path` URL with the built-in client
    /// (5 s timeout, 64 KiB cap). Fails on a URL that is not plain HTTP.
    pub fn http(url: &str) -> Result<Self, JwksError> {
        let uri: hyper::Uri = url.parse().map_err(|_| JwksError(format!("bad URL {url:?}")))?;
        let authority = match (uri.scheme_str(), uri.authority()) {
            (Some("http"), Some(authority)) => authority.clone(),
            _ => return Err(JwksError(format!("{url:?}: only http:// URLs are built in"))),
        };
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
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// How long fetched keys are used before they are fetched again.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Fetches now, whatever the rate limit; returns how many keys are usable.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let _one_fetch = self.in_flight.lock().await;
        self.fetch_and_store().await
    }

    /// The keys as last fetched.
    pub(crate) fn keys(&self) -> Arc<[VerificationKey]> {
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
        let keys = (self.fetch)().await.map_err(|error| JwksError(error.to_string()));
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
        return Err(JwksError("no usable signature keys".to_owned()));
    }
    Ok(keys)
}

async fn http_get(
    uri: hyper::Uri,
    authority: hyper::http::uri::Authority,
) -> Result<Bytes, BoxError> {
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port)).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
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
