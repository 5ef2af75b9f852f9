//! The `oidc` feature's fetchers: a JWKS over TLS (rustls), and OpenID
//! Provider discovery (OIDC Discovery 1.0 §4, RFC 8414), each feeding a
//! [`RemoteJwks`] so caching, single-flight, rate limiting and failing
//! closed stay as they are.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Deserialize;

use super::remote::{BoxError, http_get, is_loopback};
use super::{JwksError, RemoteJwks};

/// How long one HTTP exchange may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The certificate authorities TLS fetches trust.
///
/// [`TlsRoots::webpki`] (the default of [`RemoteJwks::https`] and
/// [`RemoteJwks::discover`]) is Mozilla's root program, built in;
/// [`TlsRoots::from_pem`] trusts only the CAs given, for a private PKI or
/// a test CA.
#[derive(Clone)]
pub struct TlsRoots(Arc<rustls::ClientConfig>);

impl fmt::Debug for TlsRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsRoots").finish_non_exhaustive()
    }
}

impl TlsRoots {
    /// Mozilla's root program (the `webpki-roots` crate).
    pub fn webpki() -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        Self::with_store(roots)
    }

    /// Only the CA certificates in `pem` (one or more `CERTIFICATE` blocks).
    pub fn from_pem(pem: &[u8]) -> Result<Self, JwksError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|_| JwksError("not a PEM certificate".to_owned()))?;
            roots.add(cert).map_err(|_| JwksError("unusable CA certificate".to_owned()))?;
        }
        if roots.is_empty() {
            return Err(JwksError("no CA certificate in the PEM".to_owned()));
        }
        Ok(Self::with_store(roots))
    }

    fn with_store(roots: rustls::RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self(Arc::new(config))
    }
}

/// How a fetcher reaches the issuer.
#[derive(Clone)]
enum Transport {
    Tls(TlsRoots),
    /// Plain HTTP to this host only: for tests and same-host issuers.
    LoopbackHttp,
}

impl Transport {
    /// The URL, if this transport may fetch it.
    fn checked(&self, url: &str) -> Result<hyper::Uri, JwksError> {
        let uri: hyper::Uri = url.parse().map_err(|_| JwksError("bad URL".to_owned()))?;
        let authority = uri.authority().filter(|authority| !authority.as_str().contains('@'));
        let Some(authority) = authority else {
            return Err(JwksError("a URL needs a host and no credentials".to_owned()));
        };
        match (self, uri.scheme_str()) {
            (Self::Tls(_), Some("https")) => Ok(uri),
            (Self::LoopbackHttp, Some("http")) if is_loopback(authority.host()) => Ok(uri),
            (Self::Tls(_), _) => {
                Err(JwksError("only https:// URLs are fetched over TLS".to_owned()))
            }
            (Self::LoopbackHttp, _) => Err(JwksError(
                "plain HTTP only to this host (localhost or a loopback address)".to_owned(),
            )),
        }
    }

    async fn get(&self, uri: hyper::Uri) -> Result<Bytes, BoxError> {
        let authority = uri.authority().cloned().ok_or("no host")?;
        let exchange = async {
            match self {
                Self::LoopbackHttp => http_get(uri, authority).await,
                Self::Tls(roots) => https_get(&roots.0, uri, authority).await,
            }
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange).await.map_err(|_| "timed out")?
    }
}

async fn https_get(
    config: &Arc<rustls::ClientConfig>,
    uri: hyper::Uri,
    authority: hyper::http::uri::Authority,
) -> Result<Bytes, BoxError> {
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = authority.port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let server_name = ServerName::try_from(host)?;
    let tls =
        tokio_rustls::TlsConnector::from(Arc::clone(config)).connect(server_name, tcp).await?;
    super::remote::send_get(TokioIo::new(tls), &uri, &authority).await
}

/// The fields of a provider's metadata that are used.
#[derive(Deserialize)]
struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
}

/// The JWKS of `issuer`, found through its discovery document.
async fn discovered_keys(transport: Transport, issuer: Arc<str>) -> Result<Bytes, BoxError> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let metadata = transport.get(transport.checked(&url)?).await?;
    let metadata: ProviderMetadata = serde_json::from_slice(&metadata)
        .map_err(|_| "not an OpenID provider metadata document")?;
    // OIDC Discovery §4.3: the document must name exactly the issuer asked
    // about, or an impostor's metadata could point at its own keys.
    if metadata.issuer != *issuer {
        return Err("the discovery document names another issuer".into());
    }
    let jwks_uri = transport.checked(&metadata.jwks_uri)?;
    transport.get(jwks_uri).await
}

impl RemoteJwks {
    /// Fetches `url` over TLS, trusting [`TlsRoots::webpki`].
    pub fn https(url: &str) -> Result<Self, JwksError> {
        Self::https_with_roots(url, TlsRoots::webpki())
    }

    /// Fetches `url` over TLS, trusting `roots`.
    pub fn https_with_roots(url: &str, roots: TlsRoots) -> Result<Self, JwksError> {
        let transport = Transport::Tls(roots);
        let uri = transport.checked(url)?;
        Ok(Self::from_fetcher(move || {
            let (transport, uri) = (transport.clone(), uri.clone());
            Box::pin(async move { transport.get(uri).await })
        }))
    }

    /// The keys of the OpenID provider `issuer` (an `https://` URL, exactly
    /// as its tokens' `iss` spells it), found through
    /// `<issuer>/.well-known/openid-configuration`, over TLS trusting
    /// [`TlsRoots::webpki`].
    ///
    /// Nothing is fetched yet. Each fetch reads the discovery document,
    /// checks that its `issuer` equals `issuer` exactly, then reads its
    /// `jwks_uri` (which must be `https://` too), so a provider that moves
    /// its keys is followed, and a document naming another issuer yields
    /// no keys. Redirects are not followed.
    ///
    /// ```no_run
    /// use rbac_core::RemoteJwks;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwks = RemoteJwks::discover("https://sso.acme.example/realms/acme")?;
    /// jwks.refresh().await?; // fail fast at start-up if the provider is unreachable
    /// # Ok(()) }
    /// ```
    pub fn discover(issuer: &str) -> Result<Self, JwksError> {
        Self::discover_with_roots(issuer, TlsRoots::webpki())
    }

    /// [`RemoteJwks::discover`], trusting `roots`.
    pub fn discover_with_roots(issuer: &str, roots: TlsRoots) -> Result<Self, JwksError> {
        Self::discovering(issuer, Transport::Tls(roots))
    }

    /// [`RemoteJwks::discover`] over plain HTTP, for a provider on this host
    /// (`localhost` or a loopback address), such as one a test starts. The
    /// issuer and its `jwks_uri` must both be loopback `http://` URLs.
    pub fn discover_loopback_http(issuer: &str) -> Result<Self, JwksError> {
        Self::discovering(issuer, Transport::LoopbackHttp)
    }

    fn discovering(issuer: &str, transport: Transport) -> Result<Self, JwksError> {
        transport.checked(issuer)?;
        let issuer: Arc<str> = Arc::from(issuer);
        Ok(Self::from_fetcher(move || {
            Box::pin(discovered_keys(transport.clone(), Arc::clone(&issuer)))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_per_transport() {
        let tls = Transport::Tls(TlsRoots::webpki());
        assert!(tls.checked("https://idp.example/jwks").is_ok());
        assert!(tls.checked("https://127.0.0.1:8443/jwks").is_ok());
        for url in ["http://idp.example/jwks", "https://user:pw@idp.example/", "/jwks", "x"] {
            let error = tls.checked(url).expect_err(url).to_string();
            assert!(!error.contains("pw"), "{error}");
        }
        let plain = Transport::LoopbackHttp;
        assert!(plain.checked("http://127.0.0.1:3000").is_ok());
        assert!(plain.checked("http://localhost/jwks").is_ok());
        for url in ["http://idp.example/", "https://127.0.0.1/", "http://10.0.0.1/"] {
            assert!(plain.checked(url).is_err(), "{url}");
        }
        assert!(RemoteJwks::discover("http://idp.example").is_err(), "discovery is over TLS");
        assert!(RemoteJwks::discover_loopback_http("http://idp.example").is_err());
        assert!(RemoteJwks::discover("https://idp.example/realms/acme").is_ok());
    }

    #[test]
    fn pem_roots_must_hold_a_certificate() {
        assert!(TlsRoots::from_pem(b"").is_err());
        assert!(
            TlsRoots::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }
}
