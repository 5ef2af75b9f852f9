//! `example-app users ...`, run as a process against a temporary SQLite file.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rbac_core::sql::{SqlOptions, SqliteStore};
use rbac_core::{PasswordHasher, SessionStore as _, UserStore as _};

struct Db(PathBuf);

impl Db {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("users_cli_{name}_{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Self(path)
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_example-app"))
            .args(args)
            .env("DATABASE_URL", format!("sqlite://{}", self.0.display()))
            .env("RUST_LOG", "warn")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run example-app");
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes()).expect("stdin");
        }
        child.wait_with_output().expect("wait")
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(args, stdin);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs `check` on the database file, opened as the app opens it (no cache).
    fn with_store<T>(&self, check: impl AsyncFnOnce(&SqliteStore) -> T) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        runtime.expect("runtime").block_on(async {
            let options = SqlOptions { cache_ttl: Duration::ZERO, ..SqlOptions::default() };
            let url = format!("sqlite://{}", self.0.display());
            let store = SqliteStore::connect(&url, options).await.expect("open");
            check(&store).await
        })
    }

    fn password_is(&self, name: &str, password: &str) -> bool {
        self.with_store(async |store| {
            let record = store.find_credentials(name).await.expect("store").expect("user");
            PasswordHasher::default().verify_blocking(password, Some(&record.password_hash))
        })
        .expect("verify")
    }

    fn fails(&self, args: &[&str], stdin: Option<&str>, code: i32, message: &str) {
        let output = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr:?} should say {message:?}");
    }
}

#[test]
fn add_list_change_and_delete_a_user() {
    let db = Db::new("lifecycle");
    let added = db.ok(
        &[
            "users",
            "add",
            "carol",
            "--role",
            "editor",
            "--role",
            "user",
            "--email",
            "c@example.com",
            "--full-name",
            "Carol C",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(added.contains("created user carol"), "{added}");
    let table = db.ok(&["users", "list"], None);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("USERNAME") && lines[0].contains("ROLES"), "{table}");
    assert!(
        lines[1].starts_with("carol")
            && lines[1].contains("editor,user")
            && lines[1].contains("active")
    );
    assert!(lines[1].contains("c@example.com") && lines[1].contains("Carol C"), "{table}");

    db.ok(&["users", "set-roles", "carol", "--role", "admin"], None);
    db.ok(&["users", "disable", "carol"], None);
    let table = db.ok(&["users", "list"], None);
    assert!(
        table.contains("admin") && table.contains("disabled") && !table.contains("editor"),
        "{table}"
    );
    db.ok(&["users", "enable", "carol"], None);
    assert!(db.ok(&["users", "list"], None).contains("active"));
    let session = db.with_store(async |store| store.start("carol", "", 1).await.expect("start"));
    assert!(db.password_is("carol", "correct horse battery"));
    db.ok(&["users", "passwd", "carol", "--password-stdin"], Some("another long one\n"));
    assert!(db.password_is("carol", "another long one"), "the new password works");
    assert!(!db.password_is("carol", "correct horse battery"), "the old one does not");
    let (generation, revoked) = db.with_store(async |store| {
        let revoked = store.is_revoked("carol", "jti-1", Some(&session), 0).await.expect("store");
        (store.generation("carol").await.expect("store"), revoked)
    });
    assert_eq!(generation, 1, "passwd revokes every token");
    assert!(revoked, "including the sessions started before");
    db.ok(&["users", "revoke-tokens", "carol"], None);
    let generation = db.with_store(async |store| store.generation("carol").await.expect("store"));
    assert_eq!(generation, 2, "revoke-tokens bumps the generation again");
    db.ok(&["users", "delete", "carol"], None);
    assert!(!db.ok(&["users", "list"], None).contains("carol"));
}

#[test]
fn errors_have_clear_messages_and_unix_exit_codes() {
    let db = Db::new("errors");
    db.ok(&["users", "add", "dave", "--role", "viewer", "--password-stdin"], Some("long enough\n"));
    db.fails(
        &["users", "add", "dave", "--role", "viewer", "--password-stdin"],
        Some("long enough\n"),
        73,
        "already exists",
    );
    db.fails(
        &["users", "add", "erin", "--role", "admn", "--password-stdin"],
        Some("long enough\n"),
        65,
        "unknown role `admn`",
    );
    db.fails(&["users", "set-roles", "dave", "--role", "root"], None, 65, "unknown role `root`");
    db.fails(
        &["users", "add", "bad name", "--role", "viewer", "--password-stdin"],
        Some("long enough\n"),
        65,
        "username",
    );
    db.fails(
        &["users", "add", "frank", "--role", "viewer", "--password-stdin"],
        Some("short\n"),
        65,
        "password: 8 to 128 bytes",
    );
    for command in ["disable", "enable", "revoke-tokens", "delete"] {
        db.fails(&["users", command, "nobody"], None, 67, "no user `nobody`");
    }
    db.fails(
        &["users", "passwd", "nobody", "--password-stdin"],
        Some("long enough\n"),
        67,
        "no user",
    );
    db.fails(&["users", "add", "gina", "--role", "viewer"], None, 74, "use --password-stdin");
    db.fails(&["users", "add", "gina"], None, 2, "--role");
    let table = db.ok(&["users", "list"], None);
    assert_eq!(table.lines().count(), 2, "only dave was ever created: {table}");
}

#[test]
fn the_password_never_comes_from_the_command_line() {
    let db = Db::new("argv");
    let output =
        db.run(&["users", "add", "hank", "--role", "viewer", "--password", "hunter22"], None);
    assert_eq!(output.status.code(), Some(2), "there is no --password flag");
}

/// Runs `users add` on a pseudo-terminal (util-linux `script`), typing each
/// of `typed` after a pause, as a person answering the prompts would.
fn add_on_a_terminal(db: &Db, name: &str, typed: [&str; 2]) -> (Option<i32>, String) {
    let command = format!("{} users add {name} --role viewer", env!("CARGO_BIN_EXE_example-app"));
    let typing = format!(
        "sleep 1; printf '%s\\n' '{}'; sleep 0.5; printf '%s\\n' '{}'; sleep 0.5",
        typed[0], typed[1]
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("({typing}) | script -qec \"$0\" /dev/null"))
        .arg(command)
        .env("DATABASE_URL", format!("sqlite://{}", db.0.display()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("sh and script (util-linux)");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether util-linux `script` is installed (it is not on every machine).
fn script_is_installed() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn the_terminal_prompt_does_not_echo_the_password() {
    if !script_is_installed() {
        // Not a pass: say so, as the PostgreSQL suites do when skipped.
        eprintln!(
            "SKIPPED the_terminal_prompt_does_not_echo_the_password: needs util-linux `script` for a pseudo-terminal"
        );
        return;
    }
    let db = Db::new("tty");
    let (status, screen) = add_on_a_terminal(&db, "tina", ["terminal-pw-1", "terminal-pw-1"]);
    assert_eq!(status, Some(0), "{screen}");
    assert!(screen.contains("New password:") && screen.contains("Repeat it:"), "{screen}");
    assert!(!screen.contains("terminal-pw-1"), "the password was echoed: {screen:?}");
    assert!(db.ok(&["users", "list"], None).contains("tina"));

    let (status, screen) = add_on_a_terminal(&db, "tom", ["terminal-pw-1", "terminal-pw-2"]);
    assert_ne!(status, Some(0), "{screen}");
    assert!(
        !db.ok(&["users", "list"], None).contains("tom"),
        "mismatched passwords create nothing"
    );
}

#[test]
fn grant_revoke_and_show_scoped_roles() {
    let db = Db::new("scoped");
    db.ok(&["users", "add", "dora", "--role", "user", "--password-stdin"], Some("long enough\n"));
    let granted = db.ok(&["users", "grant", "dora", "editor", "--in", "org:acme"], None);
    assert_eq!(granted, "dora: granted editor in org:acme\n");
    let again = db.ok(&["users", "grant", "dora", "editor", "--in", "org:acme"], None);
    assert_eq!(again, "dora: already holds editor in org:acme\n");
    db.ok(&["users", "grant", "dora", "admin", "--in", "org:beta"], None);
    let shown = db.ok(&["users", "show", "dora"], None);
    assert_eq!(
        shown,
        "user:   dora\nstatus: active\nroles:  user\n\
         scoped: editor in org:acme\nscoped: admin in org:beta\n"
    );
    let revoked = db.ok(&["users", "revoke", "dora", "admin", "--in", "org:beta"], None);
    assert_eq!(revoked, "dora: revoked admin in org:beta\n");
    let held = db.with_store(async |store| store.find_scoped_roles("dora").await.expect("store"));
    assert_eq!(held.iter().map(ToString::to_string).collect::<Vec<_>>(), ["editor in org:acme"]);

    // Refusals: 65 for bad data, 67 for an unknown user; nothing written.
    db.fails(
        &["users", "grant", "dora", "editor", "--in", "orgs:acme"],
        None,
        65,
        "unknown domain `orgs`",
    );
    db.fails(
        &["users", "grant", "dora", "edtor", "--in", "org:acme"],
        None,
        65,
        "unknown role `edtor`",
    );
    db.fails(&["users", "grant", "dora", "editor", "--in", "acme"], None, 65, "DOMAIN:SCOPE");
    db.fails(
        &["users", "grant", "nobody", "editor", "--in", "org:acme"],
        None,
        67,
        "no user `nobody`",
    );
    db.fails(&["users", "revoke", "dora", "viewer", "--in", "org:acme"], None, 65, "does not hold");
    let held = db.with_store(async |store| store.find_scoped_roles("dora").await.expect("store"));
    assert_eq!(held.len(), 1, "nothing written on refusal");
    // Deleting the user deletes the grants: a new dora holds none.
    db.ok(&["users", "delete", "dora"], None);
    db.ok(&["users", "add", "dora", "--role", "user", "--password-stdin"], Some("long enough\n"));
    assert!(db.ok(&["users", "show", "dora"], None).ends_with("scoped: (none)\n"));
}
