//! Durability on SQLite: kill -9 the server in the middle of a burst of
//! admin writes, restart it on the same file, and check that every write it
//! acknowledged is there, whole, and that nothing half-made is.

use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{http, login, start};
use serde_json::Value;

const WRITERS: usize = 4;

#[test]
fn acknowledged_writes_survive_a_kill_9() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("durability_{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    let mut server = start(&url);
    let address = server.address;
    let admin = login(address, "janedoe", "secret3");

    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (admin, acknowledged) = (admin.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for n in 0.. {
                    let name = format!("burst-{writer}-{n}");
                    let body = format!(
                        r#"{{"username":"{name}","password":"password-{name}","roles":["editor"],"email":"{name}@example.com","full_name":"Burst {name}"}}"#
                    );
                    match http(address, "POST", "/admin/users", Some(&admin), Some(&body)) {
                        Ok((201, _)) => {
                            acknowledged.lock().expect("lock").insert(name);
                        }
                        // No complete answer: the server is gone.
                        Ok((0, _)) | Err(_) => return n,
                        Ok((status, body)) => panic!("{name}: {status} {body}"),
                    }
                }
                unreachable!()
            })
        })
        .collect();
    // Let the burst run, then kill -9 while requests are in flight.
    let enough = common::time_until(Duration::from_secs(60), || {
        acknowledged.lock().expect("lock").len() >= 20
    });
    assert!(enough.is_some(), "the burst made progress");
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    let attempted: usize = writers.into_iter().map(|w| w.join().expect("writer")).sum();
    let acknowledged = acknowledged.lock().expect("lock").clone();

    let server = start(&url);
    let admin = login(server.address, "janedoe", "secret3");
    let (status, body) =
        http(server.address, "GET", "/admin/users", Some(&admin), None).expect("list");
    assert_eq!(status, 200, "{body}");
    let users: Vec<Value> = serde_json::from_str(&body).expect("json");
    let burst: Vec<&Value> = users
        .iter()
        .filter(|u| u["username"].as_str().is_some_and(|n| n.starts_with("burst-")))
        .collect();
    let present: BTreeSet<String> =
        burst.iter().map(|u| u["username"].as_str().unwrap_or_default().to_owned()).collect();
    let missing: Vec<_> = acknowledged.difference(&present).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(present.len() <= attempted + WRITERS, "no user appeared from nowhere");
    for user in &burst {
        let name = user["username"].as_str().unwrap_or_default();
        assert_eq!(user["roles"], serde_json::json!(["editor"]), "{user}");
        assert_eq!(user["email"], format!("{name}@example.com"), "{user}");
        assert_eq!(user["full_name"], format!("Burst {name}"), "{user}");
    }
    // Every user present (acknowledged or not) is whole: its password works.
    for name in present
        .iter()
        .filter(|name| !acknowledged.contains(*name))
        .chain(acknowledged.iter().take(2))
    {
        login(server.address, name, &format!("password-{name}"));
    }
    assert_eq!(
        users.iter().filter(|u| u["username"] == "janedoe").count(),
        1,
        "demo users not seeded twice"
    );
    eprintln!(
        "acknowledged {}, present {}, attempted {attempted}",
        acknowledged.len(),
        present.len()
    );
}

/// Whether `password` logs `name` in on `address`.
fn logs_in(address: std::net::SocketAddr, name: &str, password: &str) -> bool {
    let form = format!("username={name}&password={password}");
    let (status, body) = http(address, "POST", "/token", None, Some(&form)).expect("login");
    assert!(status == 200 || status == 401, "{name}: {status} {body}");
    status == 200
}

/// The PATCH-with-password path: kill -9 during a burst of password changes.
/// After the restart, every acknowledged change is there, and every user
/// whose password changed (acknowledged or not) has lost the tokens issued
/// before: the new hash and the revocation commit together.
#[test]
fn password_changes_and_their_revocations_survive_a_kill_9_together() {
    const USERS: usize = 24;
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("durability_passwd_{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    let mut server = start(&url);
    let address = server.address;
    let admin = login(address, "janedoe", "secret3");
    let mut old_tokens = Vec::new();
    for n in 0..USERS {
        let body = format!(r#"{{"username":"pw-{n}","password":"old-pw-{n}"}}"#);
        let (status, reply) =
            http(address, "POST", "/admin/users", Some(&admin), Some(&body)).expect("create");
        assert_eq!(status, 201, "{reply}");
        old_tokens.push(login(address, &format!("pw-{n}"), &format!("old-pw-{n}")));
    }

    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (admin, acknowledged) = (admin.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for n in (writer..USERS).step_by(WRITERS) {
                    let path = format!("/admin/users/pw-{n}");
                    let body = format!(r#"{{"password":"new-pw-{n}"}}"#);
                    match http(address, "PATCH", &path, Some(&admin), Some(&body)) {
                        Ok((200, _)) => {
                            acknowledged.lock().expect("lock").insert(n);
                        }
                        Ok((0, _)) | Err(_) => return,
                        Ok((status, body)) => panic!("pw-{n}: {status} {body}"),
                    }
                }
            })
        })
        .collect();
    // Kill once some changes are acknowledged, with others in flight.
    let enough = common::time_until(Duration::from_secs(60), || {
        acknowledged.lock().expect("lock").len() >= 4
    });
    assert!(enough.is_some(), "the burst made progress");
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for writer in writers {
        writer.join().expect("writer");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();

    let server = start(&url);
    let mut changed = 0;
    for (n, old_token) in old_tokens.iter().enumerate() {
        let name = format!("pw-{n}");
        let new = logs_in(server.address, &name, &format!("new-pw-{n}"));
        let old = logs_in(server.address, &name, &format!("old-pw-{n}"));
        assert!(new != old, "{name}: exactly one password works (new {new}, old {old})");
        if acknowledged.contains(&n) {
            assert!(new, "{name}: an acknowledged change was lost");
        }
        let (status, _) =
            http(server.address, "GET", "/users/me", Some(old_token), None).expect("me");
        if new {
            changed += 1;
            assert_eq!(status, 401, "{name}: new password, but a token from before still works");
        } else {
            assert_eq!(status, 200, "{name}: unchanged, and its token still works");
        }
    }
    eprintln!("acknowledged {}, changed {changed} of {USERS}", acknowledged.len());
}
