//! `example-resource`: serves on 127.0.0.1:8001 and verifies tokens against
//! `example-app`'s JWKS, and an OpenID provider's when configured (see `--help`).

use std::process::ExitCode;

use clap::Parser;
use example_resource::Config;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    match run(Config::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let auth = example_resource::auth_from(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    axum::serve(listener, example_resource::app(auth)).await?;
    Ok(())
}
