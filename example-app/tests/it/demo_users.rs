//! The demo users' passwords are public (the FastAPI tutorial's): a database
//! seeded in development mode must not be served in production until they
//! are changed or the users removed.

use crate::common;

use std::io::{Read as _, Write as _};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SECRET, Server, free_address, http, start};

fn example_app(url: &str, args: &[&str], stdin: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-app"));
    command
        .args(args)
        .env("DATABASE_URL", url)
        .env("JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn users(url: &str, args: &[&str], stdin: Option<&str>) {
    let mut child = example_app(url, args, stdin).spawn().expect("run example-app");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).expect("stdin");
    }
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// Starts `--production`; `Err(output)` if it exited, `Ok(server)` (killed
/// when dropped) once it serves.
fn start_production(url: &str) -> Result<Server, Output> {
    let address = free_address();
    let mut command = example_app(url, &["--production"], None);
    let child = command.env("BIND_ADDR", address.to_string()).spawn().expect("start");
    let mut server = Server { child, address };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if server.child.try_wait().expect("wait").is_some() {
            let mut output = Output {
                status: server.child.wait().expect("status"),
                stdout: Vec::new(),
                stderr: Vec::new(),
            };
            if let Some(mut pipe) = server.child.stderr.take() {
                pipe.read_to_end(&mut output.stderr).expect("stderr");
            }
            return Err(output);
        }
        if http(address, "GET", "/health", None, None).is_ok_and(|(status, _)| status == 200) {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("example-app --production neither served nor exited");
}

#[test]
fn production_refuses_a_database_with_demo_passwords() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo_users_{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    drop(start(&url)); // development mode seeds the demo users into the file

    let refused = start_production(&url).expect_err("demo passwords must block production");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("janedoe") && stderr.contains("demo"), "{stderr}");

    for name in ["johndoe", "alice", "bob"] {
        users(&url, &["users", "delete", name], None);
    }
    let still = start_production(&url).expect_err("janedoe still has the demo password");
    assert!(String::from_utf8_lossy(&still.stderr).contains("janedoe"));
    assert!(!String::from_utf8_lossy(&still.stderr).contains("johndoe"));

    users(&url, &["users", "passwd", "janedoe", "--password-stdin"], Some("a private one\n"));
    let serving = start_production(&url).unwrap_or_else(|output| {
        panic!("no demo password left: {}", String::from_utf8_lossy(&output.stderr))
    });
    drop(serving);
}
