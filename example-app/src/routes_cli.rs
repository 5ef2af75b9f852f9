//! `example-app routes`: the access matrix of every route, for reviews and
//! audits. It needs no database, key or configuration: the table is built
//! from the annotations alone.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

/// `example-app routes [--format table|json]`.
#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// `table` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = RoutesFormat::Table)]
    pub format: RoutesFormat,
}

/// How `example-app routes` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoutesFormat {
    /// The access matrix, then each route's handler and requirement.
    Table,
    /// One object per route: method, path, handler, policy, requires, and
    /// the verdict per caller.
    Json,
}

/// How callers present their token: both schemes reach every guard.
const CREDENTIALS: &str = "Credentials: `Authorization: Bearer <token>`, or a browser session's \
                           cookie (POST /session), CSRF-checked on state-changing requests.";

/// What `example-app routes --format <format>` prints.
pub fn render(format: RoutesFormat) -> String {
    let table = crate::route_table();
    let matrix = crate::access_matrix();
    match format {
        RoutesFormat::Table => format!("{matrix}\n{table}\n{CREDENTIALS}\n"),
        RoutesFormat::Json => {
            let routes: Vec<Value> = table
                .to_json()
                .as_array()
                .into_iter()
                .flatten()
                .zip(matrix.to_json().as_array().into_iter().flatten())
                .map(|(route, row)| {
                    let mut route = route.clone();
                    route["access"] = row["access"].clone();
                    route
                })
                .collect();
            let document = json!({
                "callers": matrix.columns(),
                "credentials": ["bearer", "cookie"],
                "routes": routes,
            });
            format!("{document:#}\n")
        }
    }
}

/// Prints [`render`] to standard output.
pub fn run(args: &RoutesArgs) -> ExitCode {
    match std::io::stdout().write_all(render(args.format).as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(74), // EX_IOERR
    }
}
