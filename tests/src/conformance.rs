//! The store contract, one `async fn` per rule, run against every
//! [`Backend`] by `tests/tests/it/store_conformance.rs`.

use rbac_core::session::{
    MAX_DENIED_PER_SESSION, MAX_SESSION_LIFETIME, MAX_SESSIONS_PER_USER, REFRESH_LIFETIME,
    RefreshError,
};
use rbac_core::store::UserUpdate;
use rbac_core::{
    PasswordHash, PasswordHasher, Role, ScopedRole, SessionStore, User, UserRecord, UserStore,
    UserWriteError, WritableUserStore,
};

use crate::stores::Backend;

/// Spends `token` and issues its successor in the same session.
async fn next<S: SessionStore>(sessions: &S, token: &str, now: u64) -> String {
    let rotation = sessions.rotate(token, now).await.expect("store").expect("rotate");
    let family = Some(&rotation.family);
    sessions.issue(&rotation.session, family, now).await.expect("store").expect("token")
}

const NOW: u64 = 1_000_000;

fn hash(password: &str) -> PasswordHash {
    // Cheap parameters: these tests are about storage, not hashing.
    let params = argon2_params();
    PasswordHasher::new(params).hash_blocking(password).expect("hash")
}

fn argon2_params() -> argon2::Params {
    argon2::Params::new(8, 1, 1, None).expect("params")
}

fn record(name: &str, role: &str) -> UserRecord {
    let mut user = User::new(name);
    user.email = Some(format!("{name}@example.com"));
    user.full_name = Some(format!("{name} Example"));
    user.roles = vec![Role::new(role).expect("role")];
    UserRecord { user, password_hash: hash("correct horse") }
}

/// Created users are found, with and without credentials, and listed in order.
pub async fn created_users_are_found<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("zed", "viewer")).await.expect("create");
    users.create_user(record("amy", "admin")).await.expect("create");
    let amy = users.find_user("amy").await.expect("store").expect("amy");
    assert_eq!(amy, record("amy", "admin").user);
    let credentials = users.find_credentials("amy").await.expect("store").expect("amy");
    let verified = PasswordHasher::new(argon2_params())
        .verify_blocking("correct horse", Some(&credentials.password_hash))
        .expect("verify");
    assert!(verified, "the stored hash verifies the password");
    let names: Vec<_> =
        users.list_users().await.expect("list").into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["amy", "zed"]);
    assert_eq!(users.find_user("nobody").await.expect("store"), None);
}

/// A taken name is a distinct error, and the first user is untouched.
pub async fn duplicates_are_refused_and_nothing_changes<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("bob", "viewer")).await.expect("create");
    let again = users.create_user(record("bob", "admin")).await;
    assert!(matches!(again, Err(UserWriteError::Duplicate(name)) if name == "bob"));
    let bob = users.find_user("bob").await.expect("store").expect("bob");
    assert!(bob.has_direct_role("viewer") && !bob.has_direct_role("admin"));
}

/// Case-insensitive stores treat `Bob` and `bob` as one user; exact ones do not.
pub async fn username_case_follows_the_configuration<B: Backend>() {
    let (insensitive, _) = B::open(true).await;
    insensitive.create_user(record("Bob", "viewer")).await.expect("create");
    let found = insensitive.find_user("bOB").await.expect("store").expect("any case finds Bob");
    assert_eq!(found.username, "Bob", "the name keeps its case");
    assert!(matches!(
        insensitive.create_user(record("BOB", "viewer")).await,
        Err(UserWriteError::Duplicate(_))
    ));
    let (exact, _) = B::open(false).await;
    exact.create_user(record("Bob", "viewer")).await.expect("create");
    exact.create_user(record("bob", "viewer")).await.expect("another user");
    assert_eq!(exact.find_user("BOB").await.expect("store"), None);
}

/// An update changes exactly the fields it names.
pub async fn updates_change_only_the_given_fields<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("carol", "viewer")).await.expect("create");
    let update = UserUpdate {
        roles: Some(vec![Role::new("editor").expect("role"), Role::new("admin").expect("role")]),
        disabled: Some(true),
        email: Some(None),
        ..UserUpdate::default()
    };
    let carol = users.update_user("carol", update).await.expect("update");
    assert_eq!(carol.roles.len(), 2);
    assert!(carol.disabled && carol.email.is_none());
    assert_eq!(carol.full_name.as_deref(), Some("carol Example"), "not named, not changed");
    assert_eq!(users.find_user("carol").await.expect("store"), Some(carol));
    let password =
        UserUpdate { password_hash: Some(hash("new password")), ..UserUpdate::default() };
    users.update_user("carol", password).await.expect("passwd");
    let stored = users.find_credentials("carol").await.expect("store").expect("carol");
    let hasher = PasswordHasher::new(argon2_params());
    assert!(hasher.verify_blocking("new password", Some(&stored.password_hash)).expect("verify"));
    let unknown = users.update_user("nobody", UserUpdate::default()).await;
    assert!(matches!(unknown, Err(UserWriteError::UnknownUser(_))));
}

/// Deleted users are gone; deleting twice is an unknown user.
pub async fn deleted_users_are_gone<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("dave", "viewer")).await.expect("create");
    users.delete_user("dave").await.expect("delete");
    assert_eq!(users.find_user("dave").await.expect("store"), None);
    assert!(matches!(users.delete_user("dave").await, Err(UserWriteError::UnknownUser(_))));
}

/// Hostile names are just names: no error, no match.
pub async fn hostile_usernames_find_nothing<B: Backend>() {
    let (users, sessions) = B::open(false).await;
    users.create_user(record("erin", "viewer")).await.expect("create");
    let session = sessions.start("erin", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let long = "a".repeat(100_000);
    // Those with a '.' have the shape of a refresh token, so they reach the
    // session queries too.
    let hostile = [
        "x' OR '1'='1",
        "erin'; DROP TABLE users; --",
        "%",
        "_",
        "\0",
        &long,
        "x' OR '1'='1.abc",
        "' OR 1=1; DROP TABLE sessions; --.abc",
        "%.%",
        "_._",
        "\0.abc",
        "abc.\0",
        &format!("{session}' OR '1'='1.x"),
        &format!("{long}.{long}"),
        // Three parts, like a current refresh token.
        "a.b.c",
        "x' OR '1'='1.y.z",
        &format!("{session}.{long}.{long}"),
        &format!("{session}.99999999999999999999999999.-1"),
        &format!("{session}..x"),
        &format!("{session}.\0.x"),
    ];
    for name in hostile {
        assert_eq!(users.find_user(name).await.expect("store"), None, "{name:.20}");
        assert_eq!(sessions.rotate(name, NOW).await.expect("store"), Err(RefreshError::Invalid));
        assert_eq!(sessions.granted(name).await.expect("store"), None, "{name:.20}");
        assert!(!sessions.revoke_refresh(name).await.expect("store"), "{name:.20}");
    }
    assert!(users.find_user("erin").await.expect("store").is_some());
    assert!(sessions.rotate(&token, NOW + 1).await.expect("store").is_ok(), "sessions intact");
}

/// Rotation: each token works once; a spent one presented again revokes the
/// session, and every token of that session with it.
pub async fn reuse_revokes_the_session<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("frank", "", NOW).await.expect("start");
    let first = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    assert_eq!(first.split_once('.').map(|(sid, _)| sid), Some(session.as_str()));
    let rotation = sessions.rotate(&first, NOW + 1).await.expect("store").expect("first use");
    assert_eq!(
        (rotation.username.as_str(), rotation.session.as_str()),
        ("frank", session.as_str())
    );
    let family = Some(&rotation.family);
    let second = sessions.issue(&session, family, NOW + 1).await.expect("store").expect("token");
    assert!(!sessions.is_revoked("frank", "jti-1", Some(&session), 0).await.expect("store"));
    assert_eq!(sessions.rotate(&first, NOW + 2).await.expect("store"), Err(RefreshError::Reused));
    assert_eq!(sessions.rotate(&second, NOW + 2).await.expect("store"), Err(RefreshError::Invalid));
    assert!(sessions.is_revoked("frank", "jti-2", Some(&session), 0).await.expect("store"));
}

/// Four concurrent uses of one token: exactly one wins, and the session is
/// revoked as a reuse.
pub async fn a_concurrent_double_spend_is_reuse<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("grace", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let spend = || sessions.rotate(&token, NOW + 1);
    let (a, b, c, d) = tokio::join!(spend(), spend(), spend(), spend());
    let outcomes: Vec<_> =
        [a, b, c, d].into_iter().map(|outcome| outcome.expect("store")).collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&Err(RefreshError::Reused)), "{outcomes:?}");
    assert!(sessions.is_revoked("grace", "jti", Some(&session), 0).await.expect("store"));
}

/// Forged, garbage and expired tokens are invalid, and do not revoke anything.
pub async fn forged_and_expired_tokens_are_invalid<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("heidi", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let forged = format!("{session}.{}", "A".repeat(43));
    assert_eq!(sessions.rotate(&forged, NOW).await.expect("store"), Err(RefreshError::Invalid));
    assert!(!sessions.revoke_refresh(&forged).await.expect("store"));
    assert_eq!(sessions.rotate("no-dot", NOW).await.expect("store"), Err(RefreshError::Invalid));
    let later = NOW + REFRESH_LIFETIME.as_secs() + 1;
    assert_eq!(sessions.rotate(&token, later).await.expect("store"), Err(RefreshError::Invalid));
    assert!(
        sessions.rotate(&token, NOW + 1).await.expect("store").is_ok(),
        "the real chain goes on"
    );
}

/// Past the per-user cap, a new login ends the least recently used session,
/// and only that user's.
pub async fn sessions_per_user_are_capped<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let bystander = sessions.start("olga", "", NOW).await.expect("start");
    let mut started = Vec::new();
    for n in 0..MAX_SESSIONS_PER_USER as u64 + 2 {
        // Later starts are more recently used: they expire later.
        let session = sessions.start("pavel", "", NOW + n).await.expect("start");
        let token = sessions.issue(&session, None, NOW + n).await.expect("store").expect("token");
        started.push((session, token));
    }
    let later = NOW + 1000;
    for (index, (session, token)) in started.iter().enumerate() {
        let evicted = index < 2;
        // A jti of its own per check: real tokens never share one, and the
        // SQL stores cache answers by it.
        let jti = format!("j{index}");
        let revoked = sessions.is_revoked("pavel", &jti, Some(session), 0).await.expect("store");
        assert_eq!(revoked, evicted, "session {index}");
        if evicted {
            assert_eq!(
                sessions.rotate(token, later).await.expect("store"),
                Err(RefreshError::Invalid)
            );
        }
    }
    assert!(!sessions.is_revoked("olga", "k", Some(&bystander), 0).await.expect("store"));
    let (_, newest) = started.last().expect("sessions");
    assert!(sessions.rotate(newest, later).await.expect("store").is_ok());
    // Logins within one second tie on expiry: the new session still stays.
    // Ids are random, so run enough tied logins that a store evicting by id
    // would evict a new one (odds of missing it: (64/65)^256, about 2 %).
    for n in 0..5 * MAX_SESSIONS_PER_USER {
        let session = sessions.start("pavel", "", later).await.expect("start");
        let first = sessions.issue(&session, None, later).await.expect("store");
        assert!(first.is_some(), "the new session {n} was evicted");
    }
}

/// Revoking a refresh token (current or spent) revokes its session.
pub async fn revoking_a_refresh_token_revokes_its_session<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("ivan", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    assert!(!sessions.is_revoked("ivan", "j", Some(&session), 0).await.expect("store"));
    assert!(sessions.revoke_refresh(&token).await.expect("store"));
    assert!(sessions.is_revoked("ivan", "j", Some(&session), 0).await.expect("store"));
    assert_eq!(sessions.rotate(&token, NOW).await.expect("store"), Err(RefreshError::Invalid));
    let other = sessions.start("ivan", "", NOW).await.expect("start");
    sessions.revoke_session(&other).await.expect("revoke");
    assert!(sessions.is_revoked("ivan", "k", Some(&other), 0).await.expect("store"));
    assert!(sessions.is_revoked("ivan", "k", Some("no-such-session"), 0).await.expect("store"));
}

/// A denied `jti` is revoked; others are not.
pub async fn denied_access_tokens_are_revoked<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    assert!(!sessions.is_revoked("judy", "jti-a", None, 0).await.expect("store"));
    sessions.deny_token("judy", None, "jti-a", NOW + 60, NOW).await.expect("deny");
    let again = sessions.deny_token("judy", None, "jti-a", NOW + 60, NOW).await;
    again.expect("denying twice is fine");
    assert!(sessions.is_revoked("judy", "jti-a", None, 0).await.expect("store"));
    assert!(!sessions.is_revoked("judy", "jti-b", None, 0).await.expect("store"));
}

/// "Log out everywhere" bumps the generation and revokes the user's sessions only.
pub async fn revoking_a_user_voids_older_generations<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("kim", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let other = sessions.start("lee", "", NOW).await.expect("start");
    assert_eq!(sessions.generation("kim").await.expect("store"), 0);
    sessions.revoke_user("kim").await.expect("revoke");
    assert_eq!(sessions.generation("kim").await.expect("store"), 1);
    assert!(sessions.is_revoked("kim", "x", None, 0).await.expect("store"));
    assert!(!sessions.is_revoked("kim", "y", None, 1).await.expect("store"));
    assert_eq!(sessions.rotate(&token, NOW).await.expect("store"), Err(RefreshError::Invalid));
    assert!(
        !sessions.is_revoked("lee", "z", Some(&other), 0).await.expect("store"),
        "others untouched"
    );
    sessions.revoke_user("kim").await.expect("revoke again");
    assert_eq!(sessions.generation("kim").await.expect("store"), 2);
}

/// A recently spent token is recognised as reuse.
pub async fn a_long_chain_keeps_detecting_recent_reuse<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("mia", "", NOW).await.expect("start");
    let mut token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let mut spent = Vec::new();
    for step in 1..=40 {
        let successor = next(&sessions, &token, NOW + step).await;
        spent.push(std::mem::replace(&mut token, successor));
    }
    let recent = &spent[spent.len() - 2];
    assert_eq!(sessions.rotate(recent, NOW + 50).await.expect("store"), Err(RefreshError::Reused));
}

/// Deleting a user voids their tokens, and a user re-created under the name
/// inherits none. A store that keeps the sessions does it in the delete;
/// otherwise the caller revokes through the session store right after.
pub async fn a_recreated_user_inherits_no_tokens<B: Backend>() {
    let (users, sessions) = B::open(false).await;
    users.create_user(record("nina", "viewer")).await.expect("create");
    let session = sessions.start("nina", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    users.delete_user("nina").await.expect("delete");
    if !users.keeps_sessions() {
        sessions.revoke_user("nina").await.expect("revoke");
    }
    users.create_user(record("nina", "admin")).await.expect("re-create");
    assert_eq!(sessions.rotate(&token, NOW + 1).await.expect("store"), Err(RefreshError::Invalid));
    assert!(sessions.is_revoked("nina", "jti", Some(&session), 0).await.expect("store"));
    assert!(sessions.is_revoked("nina", "jti", None, 0).await.expect("store"), "old generation");
}

/// In a case-insensitive store, sessions and generations follow the user,
/// whatever the case of the name they are revoked by.
pub async fn sessions_follow_the_username_case<B: Backend>() {
    let (users, sessions) = B::open(true).await;
    users.create_user(record("Bob", "viewer")).await.expect("create");
    let session = sessions.start("Bob", "", NOW).await.expect("start");
    let token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    sessions.revoke_user("bOB").await.expect("revoke");
    assert_eq!(sessions.generation("Bob").await.expect("store"), 1);
    assert_eq!(sessions.generation("BOB").await.expect("store"), 1);
    assert!(sessions.is_revoked("Bob", "jti", None, 0).await.expect("store"), "old generation");
    assert!(!sessions.is_revoked("Bob", "jti-new", None, 1).await.expect("store"));
    assert_eq!(sessions.rotate(&token, NOW + 1).await.expect("store"), Err(RefreshError::Invalid));
}

/// Any spent token of a session is reuse, however long ago it was spent.
pub async fn reuse_is_detected_for_the_whole_session<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("quinn", "", NOW).await.expect("start");
    let first = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let mut token = first.clone();
    for step in 1..=100 {
        token = next(&sessions, &token, NOW + step).await;
    }
    assert_eq!(sessions.rotate(&first, NOW + 200).await.expect("store"), Err(RefreshError::Reused));
    assert_eq!(
        sessions.rotate(&token, NOW + 200).await.expect("store"),
        Err(RefreshError::Invalid)
    );
    assert!(sessions.is_revoked("quinn", "jti", Some(&session), 0).await.expect("store"));
}

/// A session refreshed before every idle expiry still ends at its absolute
/// lifetime.
pub async fn sessions_end_at_their_absolute_lifetime<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let max = MAX_SESSION_LIFETIME.as_secs();
    let session = sessions.start("rita", "", NOW).await.expect("start");
    let mut token = sessions.issue(&session, None, NOW).await.expect("store").expect("token");
    let step = REFRESH_LIFETIME.as_secs() - 60;
    let mut now = NOW;
    while now + step <= NOW + max {
        now += step;
        token = next(&sessions, &token, now).await;
    }
    let late = NOW + max + 1;
    assert_eq!(sessions.rotate(&token, late).await.expect("store"), Err(RefreshError::Invalid));
}

/// Revoking ever more access tokens of one session does not grow the
/// denylist: past the per-session cap the session itself is revoked; tokens
/// naming no session are capped per user, then the user is revoked.
pub async fn access_token_denials_are_bounded_per_session<B: Backend>() {
    let (_, sessions) = B::open(false).await;
    let session = sessions.start("sam", "", NOW).await.expect("start");
    let other = sessions.start("sam", "", NOW).await.expect("start");
    let cap = MAX_DENIED_PER_SESSION;
    for n in 0..cap {
        let jti = format!("jti-{n}");
        sessions.deny_token("sam", Some(&session), &jti, NOW + 900, NOW).await.expect("deny");
        assert!(sessions.is_revoked("sam", &jti, Some(&session), 0).await.expect("store"));
        assert!(!sessions.is_revoked("sam", "fresh", Some(&session), 0).await.expect("store"));
    }
    for n in cap..200 {
        let jti = format!("jti-{n}");
        sessions.deny_token("sam", Some(&session), &jti, NOW + 900, NOW).await.expect("deny");
    }
    assert!(B::denials(&sessions).await <= cap, "bounded");
    assert!(sessions.is_revoked("sam", "jti-0", Some(&session), 0).await.expect("store"));
    assert!(sessions.is_revoked("sam", "fresh-2", Some(&session), 0).await.expect("store"));
    assert!(!sessions.is_revoked("sam", "fresh-3", Some(&other), 0).await.expect("store"));
    // Expired denials make room.
    let later = NOW + 900 + 31;
    for n in 0..cap {
        let jti = format!("other-{n}");
        sessions.deny_token("sam", Some(&other), &jti, later + 900, later).await.expect("deny");
    }
    for n in 0..200 {
        let jti = format!("none-{n}");
        sessions.deny_token("tess", None, &jti, NOW + 900, NOW).await.expect("deny");
    }
    assert!(B::denials(&sessions).await <= 2 * cap, "bounded");
    assert!(!sessions.is_revoked("sam", "fresh-4", Some(&other), 0).await.expect("store"));
    assert!(sessions.generation("tess").await.expect("store") >= 1, "revoked the user");
}

fn scoped(domain: &str, scope: &str, role: &str) -> ScopedRole {
    ScopedRole::new(domain, scope, Role::new(role).expect("role")).expect("grant")
}

async fn scoped_roles_of<S: UserStore>(users: &S, name: &str) -> Vec<ScopedRole> {
    let mut roles = users.find_scoped_roles(name).await.expect("store").to_vec();
    roles.sort();
    roles
}

/// A grant is listed once however often it is made; a revocation removes
/// exactly it; a user that does not exist can neither gain nor lose one.
pub async fn scoped_roles_are_granted_listed_and_revoked<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("gil", "viewer")).await.expect("create");
    let acme_editor = scoped("org", "acme", "editor");
    assert!(users.grant_scoped_role("gil", acme_editor.clone()).await.expect("grant"));
    assert!(!users.grant_scoped_role("gil", acme_editor.clone()).await.expect("again"));
    // Same id, other domain; same scope, other role; ids differing by case.
    for other in [
        scoped("team", "acme", "admin"),
        scoped("org", "acme", "viewer"),
        scoped("org", "ACME", "admin"),
    ] {
        assert!(users.grant_scoped_role("gil", other).await.expect("grant"));
    }
    let expected = vec![
        scoped("org", "ACME", "admin"),
        scoped("org", "acme", "editor"),
        scoped("org", "acme", "viewer"),
        scoped("team", "acme", "admin"),
    ];
    assert_eq!(scoped_roles_of(&users, "gil").await, expected);
    assert!(users.revoke_scoped_role("gil", &acme_editor).await.expect("revoke"));
    assert!(!users.revoke_scoped_role("gil", &acme_editor).await.expect("not held"));
    let mut left = expected;
    left.retain(|grant| *grant != acme_editor);
    assert_eq!(scoped_roles_of(&users, "gil").await, left);
    assert!(matches!(
        users.grant_scoped_role("nobody", acme_editor.clone()).await,
        Err(UserWriteError::UnknownUser(_))
    ));
    assert!(matches!(
        users.revoke_scoped_role("nobody", &acme_editor).await,
        Err(UserWriteError::UnknownUser(_))
    ));
    assert!(scoped_roles_of(&users, "nobody").await.is_empty(), "nothing written on refusal");
    // The global roles are untouched by scoped grants.
    assert_eq!(
        users.find_user("gil").await.expect("store").expect("gil").roles,
        record("gil", "viewer").user.roles
    );
}

/// Deleting a user deletes their grants: one re-created under the name holds none.
pub async fn scoped_roles_go_with_a_deleted_user<B: Backend>() {
    let (users, _) = B::open(false).await;
    users.create_user(record("hal", "viewer")).await.expect("create");
    assert!(users.grant_scoped_role("hal", scoped("org", "acme", "admin")).await.expect("grant"));
    assert_eq!(
        scoped_roles_of(&users, "hal").await.len(),
        1,
        "read (and cached) before the delete"
    );
    users.delete_user("hal").await.expect("delete");
    assert!(scoped_roles_of(&users, "hal").await.is_empty());
    users.create_user(record("hal", "viewer")).await.expect("re-create");
    assert!(scoped_roles_of(&users, "hal").await.is_empty(), "the new hal inherits nothing");
}

/// Grants follow the user whatever the case of the name, in a
/// case-insensitive store; in an exact one `Ivy` is not `ivy`.
pub async fn scoped_roles_follow_the_username_case<B: Backend>() {
    let (users, _) = B::open(true).await;
    users.create_user(record("Ivy", "viewer")).await.expect("create");
    assert!(users.grant_scoped_role("ivy", scoped("org", "acme", "editor")).await.expect("grant"));
    assert_eq!(scoped_roles_of(&users, "IVY").await, [scoped("org", "acme", "editor")]);
    assert!(
        users.revoke_scoped_role("IvY", &scoped("org", "acme", "editor")).await.expect("revoke")
    );
    assert!(scoped_roles_of(&users, "Ivy").await.is_empty());

    let (users, _) = B::open(false).await;
    users.create_user(record("Ivy", "viewer")).await.expect("create");
    assert!(matches!(
        users.grant_scoped_role("ivy", scoped("org", "acme", "editor")).await,
        Err(UserWriteError::UnknownUser(_))
    ));
    assert!(scoped_roles_of(&users, "Ivy").await.is_empty());
}
