//! `example-resource`: serves on 127.0.0.1:8001 and verifies tokens against
//! `example-app`'s JWKS (see `--help`).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rbac_core::{Auth, RemoteJwks, Tokens};

/// Flags, each with an environment variable.
#[derive(Debug, Parser)]
#[command(name = "example-resource", version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8001")]
    bind: SocketAddr,

    /// The issuer's JWKS document: plain HTTP on this host only (see
    /// `RemoteJwks::http`).
    #[arg(long, env = "JWKS_URL", default_value = "http://127.0.0.1:8000/.well-known/jwks.json")]
    jwks_url: String,

    /// `iss` required of tokens.
    #[arg(long, env = "JWT_ISSUER")]
    jwt_issuer: Option<String>,

    /// `aud` required of tokens.
    #[arg(long, env = "JWT_AUDIENCE")]
    jwt_audience: Option<String>,

    /// Seconds between JWKS refetches triggered by unknown `kid`s (at least 1).
    #[arg(
        long,
        env = "JWKS_MIN_REFETCH_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    jwks_min_refetch_seconds: u64,

    /// The longest token lifetime (`exp − iat`) accepted, in seconds.
    #[arg(
        long,
        env = "JWT_MAX_LIFETIME_SECONDS",
        default_value_t = Tokens::DEFAULT_MAX_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    jwt_max_lifetime_seconds: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let jwks = RemoteJwks::http(&cli.jwks_url)?
        .with_min_refetch_interval(Duration::from_secs(cli.jwks_min_refetch_seconds));
    // The issuer may start later: the first request refetches.
    if let Err(error) = jwks.refresh().await {
        tracing::warn!(%error, url = cli.jwks_url, "no keys yet; will retry on demand");
    }
    let mut tokens =
        Tokens::remote(jwks).with_max_lifetime(Duration::from_secs(cli.jwt_max_lifetime_seconds));
    if let Some(issuer) = &cli.jwt_issuer {
        tokens = tokens.with_issuer(issuer);
    }
    if let Some(audience) = &cli.jwt_audience {
        tokens = tokens.with_audience(audience);
    }
    let listener = tokio::net::TcpListener::bind(cli.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    axum::serve(listener, example_resource::app(Auth::resource_server(tokens))).await?;
    Ok(())
}
