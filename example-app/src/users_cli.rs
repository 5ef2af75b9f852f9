//! `example-app users ...`: user management against `DATABASE_URL`.
//!
//! Passwords are read from the terminal without echo (asked twice), or from
//! the first line of standard input with `--password-stdin`; never from the
//! command line, where `ps` and shell history would show them.
//!
//! Exit codes follow `sysexits.h`: 0 done, 2 bad command line (clap),
//! 65 invalid data (bad name, password, unknown role or domain, a revoked
//! grant that was not held), 67 unknown user,
//! 69 database unavailable, 73 user already exists, 74 password not read.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rbac_core::store::UserUpdate;
use rbac_core::{
    PasswordHasher, ScopedRole, User, UserDirectory, UserRecord, UserStore, UserWriteError,
    WritableUserStore,
};
use zeroize::Zeroizing;

use crate::db::Database;
use crate::validate;

/// Subcommands of `example-app`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage users in the database named by `DATABASE_URL`.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print every route and who may call it (the access matrix).
    Routes(crate::routes_cli::RoutesArgs),
}

/// `example-app users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is prompted for (or read with --password-stdin).
    Add {
        /// The username.
        name: String,
        /// Roles declared by the policy (repeat, or list several).
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
        /// Contact address.
        #[arg(long)]
        email: Option<String>,
        /// Display name.
        #[arg(long)]
        full_name: Option<String>,
        /// Where the password comes from.
        #[command(flatten)]
        password: PasswordSource,
    },
    /// List users as a table.
    List,
    /// Replace a user's roles.
    SetRoles {
        /// The username.
        name: String,
        /// Roles declared by the policy.
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
    },
    /// Disable a user: their tokens are refused until enabled again.
    Disable {
        /// The username.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// The username.
        name: String,
    },
    /// Set a new password; every token the user holds is revoked.
    Passwd {
        /// The username.
        name: String,
        /// Where the password comes from.
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Revoke every access and refresh token the user holds.
    RevokeTokens {
        /// The username.
        name: String,
    },
    /// Delete a user (their tokens are revoked with it).
    Delete {
        /// The username.
        name: String,
    },
    /// Grant a role within one scope: `users grant bob editor --in org:acme`.
    Grant {
        /// The username.
        name: String,
        /// A role declared by the policy.
        role: String,
        /// `DOMAIN:SCOPE`, the domain declared by the policy.
        #[arg(long = "in")]
        target: String,
    },
    /// Revoke a role within one scope.
    Revoke {
        /// The username.
        name: String,
        /// The role.
        role: String,
        /// `DOMAIN:SCOPE`.
        #[arg(long = "in")]
        target: String,
    },
    /// Show a user: global roles, status, and roles held within scopes.
    Show {
        /// The username.
        name: String,
    },
}

/// Where a new password comes from.
#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input instead of
    /// prompting on the terminal.
    #[arg(long)]
    password_stdin: bool,
}

/// A failed command: what to print and the exit status.
#[derive(Debug)]
pub struct Failure {
    /// The `sysexits.h` status.
    pub code: u8,
    /// For standard error.
    pub message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure { code, message: message.into() }
}

const EX_DATAERR: u8 = 65;
const EX_NOUSER: u8 = 67;
const EX_UNAVAILABLE: u8 = 69;
const EX_CANTCREAT: u8 = 73;
const EX_IOERR: u8 = 74;

fn write_failed(error: UserWriteError) -> Failure {
    match error {
        UserWriteError::Duplicate(name) => {
            fail(EX_CANTCREAT, format!("user `{name}` already exists"))
        }
        UserWriteError::UnknownUser(name) => fail(EX_NOUSER, format!("no user `{name}`")),
        UserWriteError::Store(error) => fail(EX_UNAVAILABLE, error.to_string()),
    }
}

/// Runs `command` and maps the outcome to an exit status, printing errors
/// to standard error.
pub async fn run(command: UsersCommand, database: &Database, hasher: &PasswordHasher) -> ExitCode {
    match run_users(command, database, hasher).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(std::io::stderr(), "error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn existing(users: &UserDirectory, name: &str) -> Result<User, Failure> {
    let found = users.find_user(name).await.map_err(|e| fail(EX_UNAVAILABLE, e.to_string()))?;
    found.ok_or_else(|| fail(EX_NOUSER, format!("no user `{}`", name.escape_debug())))
}

async fn run_users(
    command: UsersCommand,
    database: &Database,
    hasher: &PasswordHasher,
) -> Result<(), Failure> {
    let users = database.users();
    let mut out = std::io::stdout().lock();
    let done = |out: &mut std::io::StdoutLock<'_>, text: String| {
        writeln!(out, "{text}").map_err(|e| fail(EX_IOERR, e.to_string()))
    };
    match command {
        UsersCommand::Add { name, roles, email, full_name, password } => {
            validate::username(&name).map_err(|e| fail(EX_DATAERR, e))?;
            let roles = validate::roles(&roles).map_err(|e| fail(EX_DATAERR, e))?;
            for (field, value) in [("email", &email), ("full_name", &full_name)] {
                if let Some(value) = value {
                    validate::text(field, value).map_err(|e| fail(EX_DATAERR, e))?;
                }
            }
            let password_hash = new_password_hash(&password, hasher).await?;
            let user = User { username: name.clone(), email, full_name, disabled: false, roles };
            users.create_user(UserRecord { user, password_hash }).await.map_err(write_failed)?;
            done(&mut out, format!("created user {name}"))
        }
        UsersCommand::List => {
            let all = users.list_users().await.map_err(|e| fail(EX_UNAVAILABLE, e.to_string()))?;
            done(&mut out, table(&all))
        }
        UsersCommand::SetRoles { name, roles } => {
            let roles = validate::roles(&roles).map_err(|e| fail(EX_DATAERR, e))?;
            let update = UserUpdate { roles: Some(roles), ..UserUpdate::default() };
            let user = users.update_user(&name, update).await.map_err(write_failed)?;
            done(&mut out, format!("{}: roles {}", user.username, role_list(&user)))
        }
        UsersCommand::Disable { name } => set_disabled(&users, &name, true, &mut out).await,
        UsersCommand::Enable { name } => set_disabled(&users, &name, false, &mut out).await,
        UsersCommand::Passwd { name, password } => {
            let user = existing(&users, &name).await?;
            let password_hash = new_password_hash(&password, hasher).await?;
            let update = UserUpdate {
                password_hash: Some(password_hash),
                revoke_tokens: true,
                ..UserUpdate::default()
            };
            users.update_user(&user.username, update).await.map_err(write_failed)?;
            done(&mut out, format!("{}: password changed; tokens revoked", user.username))
        }
        UsersCommand::RevokeTokens { name } => {
            let user = existing(&users, &name).await?;
            revoke(database, &user.username).await?;
            done(&mut out, format!("{}: tokens revoked", user.username))
        }
        UsersCommand::Delete { name } => {
            let user = existing(&users, &name).await?;
            users.delete_user(&user.username).await.map_err(write_failed)?;
            done(&mut out, format!("deleted user {}", user.username))
        }
        UsersCommand::Grant { name, role, target } => {
            let grant = validate::grant(&role, &target).map_err(|e| fail(EX_DATAERR, e))?;
            let user = existing(&users, &name).await?;
            let new = users.grant_scoped_role(&user.username, grant.clone()).await;
            let what = if new.map_err(write_failed)? { "granted" } else { "already holds" };
            done(&mut out, format!("{}: {what} {}", user.username, printable(&grant.to_string())))
        }
        UsersCommand::Revoke { name, role, target } => {
            let grant = validate::grant(&role, &target).map_err(|e| fail(EX_DATAERR, e))?;
            let user = existing(&users, &name).await?;
            if !users.revoke_scoped_role(&user.username, &grant).await.map_err(write_failed)? {
                let message =
                    format!("{} does not hold {}", user.username, printable(&grant.to_string()));
                return Err(fail(EX_DATAERR, message));
            }
            done(&mut out, format!("{}: revoked {}", user.username, printable(&grant.to_string())))
        }
        UsersCommand::Show { name } => {
            let user = existing(&users, &name).await?;
            let grants = users
                .find_scoped_roles(&user.username)
                .await
                .map_err(|e| fail(EX_UNAVAILABLE, e.to_string()))?;
            done(&mut out, show(&user, &grants))
        }
    }
}

async fn set_disabled(
    users: &UserDirectory,
    name: &str,
    disabled: bool,
    out: &mut std::io::StdoutLock<'_>,
) -> Result<(), Failure> {
    let update = UserUpdate { disabled: Some(disabled), ..UserUpdate::default() };
    let user = users.update_user(name, update).await.map_err(write_failed)?;
    let state = if user.disabled { "disabled" } else { "enabled" };
    writeln!(out, "{}: {state}", user.username).map_err(|e| fail(EX_IOERR, e.to_string()))
}

async fn revoke(database: &Database, username: &str) -> Result<(), Failure> {
    database.revoke_tokens(username).await.map_err(|e| fail(EX_UNAVAILABLE, e.to_string()))
}

async fn new_password_hash(
    source: &PasswordSource,
    hasher: &PasswordHasher,
) -> Result<rbac_core::PasswordHash, Failure> {
    let mut password = read_password(source.password_stdin)?;
    validate::password(&password).map_err(|e| fail(EX_DATAERR, e))?;
    // Moved, not copied: `hash` zeroes what it is given.
    hasher
        .hash(std::mem::take(&mut *password))
        .await
        .map_err(|error| fail(EX_UNAVAILABLE, format!("could not hash the password: {error:?}")))
}

fn read_password(from_stdin: bool) -> Result<Zeroizing<String>, Failure> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line).map_err(|e| fail(EX_IOERR, e.to_string()))?;
        let trimmed = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(trimmed);
        return Ok(line);
    }
    let no_terminal =
        || fail(EX_IOERR, "no terminal to ask for the password on; use --password-stdin");
    if !std::io::stderr().is_terminal() && !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let first =
        Zeroizing::new(rpassword::prompt_password("New password: ").map_err(|_| no_terminal())?);
    let again =
        Zeroizing::new(rpassword::prompt_password("Repeat it: ").map_err(|_| no_terminal())?);
    if first != again {
        return Err(fail(EX_DATAERR, "the passwords differ"));
    }
    Ok(first)
}

/// `users show`: one line per fact, control characters escaped.
fn show(user: &User, grants: &[ScopedRole]) -> String {
    let mut lines = vec![
        format!("user:   {}", printable(&user.username)),
        format!("status: {}", if user.disabled { "disabled" } else { "active" }),
        format!("roles:  {}", role_list(user)),
    ];
    if grants.is_empty() {
        lines.push("scoped: (none)".to_owned());
    }
    for grant in grants {
        lines.push(format!("scoped: {}", printable(&grant.to_string())));
    }
    lines.join("\n")
}

fn role_list(user: &User) -> String {
    user.roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(",")
}

/// `text` with its control characters escaped (`\u{1b}`), so what the
/// database holds cannot drive the terminal (ANSI escapes, carriage returns).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// Users as an aligned table: username, roles, status, email, full name.
fn table(users: &[User]) -> String {
    let rows: Vec<[String; 5]> = users
        .iter()
        .map(|user| {
            [
                printable(&user.username),
                role_list(user),
                if user.disabled { "disabled" } else { "active" }.to_owned(),
                printable(user.email.as_deref().unwrap_or_default()),
                printable(user.full_name.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    let header = ["USERNAME", "ROLES", "STATUS", "EMAIL", "FULL NAME"].map(str::to_owned);
    let mut widths = header.clone().map(|title| title.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(&rows)
        .map(|row| {
            let cells: Vec<String> =
                row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_escapes_control_characters() {
        let mut user = User::new("mallory");
        user.full_name = Some("\u{1b}[2J\u{1b}[31mpwned\r".to_owned());
        user.email = Some("a\u{7}@example.com".to_owned());
        let printed = table(&[user]);
        let controls = printed.chars().filter(|&c| c.is_control() && c != '\n').count();
        assert_eq!(controls, 0, "{printed:?}");
        assert!(printed.contains(r"\u{1b}[2J\u{1b}[31mpwned\r"), "{printed}");
        assert!(printed.contains(r"a\u{7}@example.com"), "{printed}");
    }
}
