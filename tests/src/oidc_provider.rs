//! A real OpenID provider for tests: panva's `oidc-provider` (npm), run by
//! `tests/oidc-provider/server.mjs` on a loopback port. Needs `node` and
//! `npm ci` in `tests/oidc-provider` (`.ci/run` does both).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;

use crate::net::call;
use crate::{Reply, token_request};

/// The API the provider issues tokens for that `example-resource` accepts.
pub const REPORTS_API: &str = "https://reports.example.test";
/// Another API of the same provider.
pub const OTHER_API: &str = "https://other.example.test";

/// A running provider; killed on drop.
#[derive(Debug)]
pub struct OidcProvider {
    child: Child,
    /// Its issuer URL, as its tokens' `iss` spells it.
    pub issuer: String,
    /// Where it listens.
    pub address: SocketAddr,
}

fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

/// How the provider is started.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProviderOptions<'a> {
    /// Signing keys under `testdata/keys` (the first signs; all are published).
    pub keys: &'a [&'a str],
    /// Listen here (to restart a provider where it was); any port if `None`.
    pub port: Option<u16>,
    /// Serve HTTPS with `testdata/tls/localhost.pem`, issued by `testdata/tls/ca.pem`.
    pub tls: bool,
}

impl OidcProvider {
    /// Starts the provider and waits until it listens.
    pub async fn start(options: ProviderOptions<'_>) -> Self {
        let keys: Vec<String> = options
            .keys
            .iter()
            .map(|name| repo_path(&format!("testdata/keys/{name}")).display().to_string())
            .collect();
        let mut command = Command::new("node");
        command
            .arg("server.mjs")
            .current_dir(repo_path("tests/oidc-provider"))
            .env("SIGNING_KEYS", keys.join(","))
            .env("PORT", options.port.unwrap_or(0).to_string())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if options.tls {
            command
                .env("TLS_CERT", repo_path("testdata/tls/localhost.pem"))
                .env("TLS_KEY", repo_path("testdata/tls/localhost.key"));
        }
        let mut child = command.spawn().expect("node runs tests/oidc-provider/server.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        let line =
            first.expect("the provider starts within 30 s").expect("stdout").unwrap_or_default();
        let issuer = line.strip_prefix("issuer ").expect("`issuer <url>` line").to_owned();
        let address = issuer
            .rsplit_once("//")
            .and_then(|(_, host)| host.parse().ok())
            .expect("a loopback issuer with a port");
        Self { child, issuer, address }
    }

    /// A `client_credentials` access token for `client` at `resource`.
    pub async fn token(&self, client: &str, resource: &str, scope: &str) -> String {
        let form = format!(
            "grant_type=client_credentials&client_id={client}&client_secret={client}-secret\
             &resource={resource}&scope={}",
            scope.replace(' ', "+")
        );
        let reply = if self.issuer.starts_with("https://") {
            call_tls(self.address, token_request(&form)).await
        } else {
            call(self.address, token_request(&form)).await
        };
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        reply.json["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Stops the provider and waits until its port is free.
    pub async fn stop(mut self) {
        self.child.kill().await.expect("kill the provider");
    }
}

/// [`call`] over TLS, trusting only `testdata/tls/ca.pem`.
async fn call_tls(address: SocketAddr, request: Request<Body>) -> Reply {
    use rustls::pki_types::pem::PemObject as _;
    let ca = std::fs::read(repo_path("testdata/tls/ca.pem")).expect("test CA");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.expect("PEM")).expect("CA");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(address).await.expect("connect");
    let name = rustls::pki_types::ServerName::from(address.ip());
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("handshake");
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(axum::http::header::HOST, address.to_string().parse().expect("host"));
    let response = sender.send_request(Request::from_parts(parts, body)).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply { status, headers, json }
}
