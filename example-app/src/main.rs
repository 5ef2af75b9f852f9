//! `example-app`: serves the demo on 127.0.0.1:8000 (see `--help`).

use std::process::ExitCode;
use std::str::FromStr;

use clap::Parser;
use example_app::config::{AppEnv, Cli, KeySources, LogFormat, signing_keys};
use example_app::db::Database;
use example_app::server::ConnectionLimits;
use example_app::{AppState, demo_passwords_in_use, seed_demo_users_if_empty, users_cli};
use rbac_core::PasswordHasher;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    init_tracing(cli.log_format);
    if let Some(command) = cli.command.take() {
        let command = match command {
            users_cli::Command::Routes(args) => return example_app::routes_cli::run(&args),
            users_cli::Command::Users(command) => command,
        };
        return match Database::open(&cli.database_url, cli.store_options()).await {
            Ok(database) => users_cli::run(command, &database, &PasswordHasher::default()).await,
            Err(error) => {
                tracing::error!("{error}");
                ExitCode::from(69) // EX_UNAVAILABLE
            }
        };
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mode = cli.mode();
    let sources = KeySources {
        key_file: cli.jwt_key_file.as_deref(),
        private_key: std::env::var_os("JWT_PRIVATE_KEY"),
        secret_file: cli.jwt_secret_file.as_deref(),
        secret: std::env::var_os("JWT_SECRET"),
        previous_key_files: &cli.jwt_previous_key_files,
        previous_secret_file: cli.jwt_previous_secret_file.as_deref(),
    };
    let (tokens, generated) = signing_keys(mode, sources)?;
    if generated {
        tracing::warn!(
            "JWT_SECRET is not set: signing with a random secret; tokens stop working on restart"
        );
    }
    let database = Database::open(&cli.database_url, cli.store_options()).await?;
    let users = database.users();
    let mut tokens = tokens
        .with_lifetime(cli.token_lifetime())
        .with_leeway(std::time::Duration::from_secs(cli.jwt_leeway_seconds));
    if let Some(issuer) = &cli.jwt_issuer {
        tokens = tokens.with_issuer(issuer);
    }
    if let Some(audience) = &cli.jwt_audience {
        tokens = tokens.with_audience(audience);
    }
    let (concurrency, queue) = PasswordHasher::default_limits();
    let hasher = PasswordHasher::default()
        .with_limits(cli.hash_concurrency.unwrap_or(concurrency), cli.hash_queue.unwrap_or(queue));
    let auth = database
        .auth(tokens, hasher)
        .with_scopes(example_app::scope_policy(cli.refuse_excess_scopes));
    let auth = if cli.rfc6749_token_errors {
        auth.with_token_error_style(rbac_core::oauth2::TokenErrorStyle::Rfc6749)
    } else {
        auth
    };
    let auth = if cli.disable_login_throttle {
        tracing::warn!("login throttling is off (--disable-login-throttle)");
        auth.without_login_throttle()
    } else {
        auth
    };
    #[cfg(feature = "redis")]
    let auth = match &cli.redis_url {
        Some(url) => {
            let config = rbac_core::throttle::ThrottleConfig::default();
            let throttle = rbac_core::throttle::RedisThrottle::connect(url, "rbac", config).await?;
            tracing::info!("login throttle shared through Redis");
            auth.with_login_throttle(throttle)
        }
        None => auth,
    };
    let auth = match cli.cookie_transport()? {
        Some(cookies) => auth.with_cookies(cookies),
        None => auth,
    };
    let hasher = auth.password_hasher().ok_or("this app issues tokens, so it has a hasher")?;
    if mode == AppEnv::Production {
        let demo = demo_passwords_in_use(&users, hasher).await?;
        if !demo.is_empty() {
            return Err(format!(
                "refusing to start in production: demo users with their public demo passwords \
                 are in the database ({}); change them with `example-app users passwd NAME` or \
                 remove them with `example-app users delete NAME`",
                demo.join(", ")
            )
            .into());
        }
    } else if seed_demo_users_if_empty(&users, hasher).await? {
        tracing::warn!(
            "development mode: empty database, seeded demo users johndoe, alice (disabled), \
             janedoe (admin), bob (editor) with PUBLIC passwords; a --production start on this \
             database is refused until they are changed or deleted"
        );
    }
    let listener = tokio::net::TcpListener::bind(cli.bind).await?;
    tracing::info!(address = %listener.local_addr()?, ?mode, "listening");
    let state = AppState::with_directory(auth.clone(), users.clone());
    let routes = example_app::routes_with_docs(state, cli.api_docs.enabled(mode));
    // Bench-only routes, one of them unauthenticated: never in production.
    // Merged before the limits, so they pay exactly what the real routes pay.
    #[cfg(feature = "baseline")]
    let routes = match std::env::var_os("JWT_SECRET") {
        Some(secret) if mode == AppEnv::Development => {
            routes.merge(example_app::baseline::router(&secret.into_encoded_bytes(), auth, users))
        }
        _ => routes,
    };
    let router = example_app::with_request_limits(routes);
    example_app::server::serve(listener, router, ConnectionLimits::default(), shutdown_signal())
        .await?;
    tracing::info!("shut down");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}

/// Logs to stderr; `RUST_LOG` takes `target=level` pairs (default `info`).
fn init_tracing(format: LogFormat) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|spec| Targets::from_str(&spec).ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry.with(layer).init(),
        LogFormat::Json => registry.with(layer.json()).init(),
    }
}
