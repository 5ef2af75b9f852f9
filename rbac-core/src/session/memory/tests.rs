use super::*;

fn chain(sessions: &MemorySessionStore) -> (String, String) {
    let session = sessions.start("johndoe", "", 100).expect("session");
    let token = sessions.issue(&session, None, 100).expect("randomness").expect("token");
    (session, token)
}

/// Spends `token` and issues its successor.
fn next(sessions: &MemorySessionStore, token: &str, now: u64) -> String {
    let rotation = sessions.rotate(token, now).expect("rotate");
    sessions
        .issue(&rotation.session, Some(&rotation.family), now)
        .expect("randomness")
        .expect("token")
}

#[test]
fn refresh_tokens_are_stored_only_as_digests() {
    let sessions = MemorySessionStore::default();
    let (session, token) = chain(&sessions);
    let dump = format!("{:?}", *sessions.state.read().expect("lock"));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(!dump.contains(parts[1]) && !dump.contains(parts[2]), "no secret is kept");
    assert_eq!(parts[0], session);
    assert_eq!(token.len(), 22 + 1 + 43 + 1 + 43, "session id and twice 256 random bits");
    let rotation = sessions.rotate(&token, 101).expect("rotate");
    assert_eq!(format!("{rotation:?}").matches(parts[1]).count(), 0, "Debug hides the family");
}

#[test]
fn reuse_revokes_the_session() {
    let sessions = MemorySessionStore::default();
    let (session, first) = chain(&sessions);
    let second = next(&sessions, &first, 110);
    assert_eq!(sessions.rotate(&first, 120).expect_err("replay"), RefreshError::Reused);
    assert_eq!(sessions.rotate(&second, 120).expect_err("revoked"), RefreshError::Invalid);
    assert!(sessions.is_revoked("johndoe", "a2", Some(&session), 0));
}

#[test]
fn a_token_spent_twice_before_its_successor_exists_is_reuse() {
    let sessions = MemorySessionStore::default();
    let (session, token) = chain(&sessions);
    let rotation = sessions.rotate(&token, 110).expect("first");
    // The same token again, racing the first rotation's `issue`.
    assert_eq!(sessions.rotate(&token, 110).expect_err("second spend"), RefreshError::Reused);
    let successor =
        sessions.issue(&session, Some(&rotation.family), 110).expect("randomness").expect("token");
    assert!(sessions.rotate(&successor, 111).is_err());
}

#[test]
fn memory_per_session_is_constant() {
    let sessions = MemorySessionStore::default();
    let (session, mut token) = chain(&sessions);
    for now in 100..1100 {
        token = next(&sessions, &token, now);
    }
    let dump = format!("{:?}", sessions.state.read().expect("lock").sessions[&session]);
    let (_, fresh) = chain(&MemorySessionStore::default());
    assert!(!dump.is_empty() && !fresh.is_empty());
    assert!(dump.len() < 2000, "two digests, whatever the chain's length: {dump}");
}

#[test]
fn issuing_needs_the_sessions_family() {
    let sessions = MemorySessionStore::default();
    let (session, token) = chain(&sessions);
    assert_eq!(sessions.issue(&session, None, 101), Ok(None), "the family is drawn once");
    let other = sessions.start("johndoe", "", 100).expect("session");
    let other_token = sessions.issue(&other, None, 100).expect("randomness").expect("token");
    let foreign = sessions.rotate(&other_token, 101).expect("rotate").family;
    assert_eq!(sessions.issue(&session, Some(&foreign), 101), Ok(None));
    assert!(sessions.rotate(&token, 101).is_ok());
}

#[test]
fn forged_and_foreign_tokens_are_invalid_without_revoking() {
    let sessions = MemorySessionStore::default();
    let (session, token) = chain(&sessions);
    let forged = format!("{session}.{}.{}", "A".repeat(43), "B".repeat(43));
    assert_eq!(sessions.rotate(&forged, 110).expect_err("forged"), RefreshError::Invalid);
    assert!(!sessions.revoke_refresh(&forged));
    for garbage in ["no-dot", "a.b", "a.b.c.d", "..", &format!("{session}..")] {
        assert_eq!(sessions.rotate(garbage, 110).expect_err("garbage"), RefreshError::Invalid);
    }
    assert!(sessions.rotate(&token, 110).is_ok(), "the real chain goes on");
}

#[test]
fn revoking_a_user_voids_older_generations() {
    let sessions = MemorySessionStore::default();
    assert!(!sessions.is_revoked("johndoe", "x", None, 0));
    sessions.revoke_user("johndoe");
    assert!(sessions.is_revoked("johndoe", "x", None, 0));
    assert!(!sessions.is_revoked("johndoe", "y", None, sessions.generation("johndoe")));
    assert!(!sessions.is_revoked("janedoe", "z", None, 0), "other users are untouched");
}

#[test]
fn a_denial_outlives_exp_by_the_clock_leeway() {
    let sessions = MemorySessionStore::default();
    sessions.deny_token("u", None, "jti", 1000, 900);
    let leeway = crate::Tokens::MAX_LEEWAY.as_secs();
    sessions.write().prune(1000 + leeway);
    assert!(sessions.is_revoked("u", "jti", None, 0), "the token still verifies");
    sessions.write().prune(1000 + leeway + 1);
    assert!(!sessions.is_revoked("u", "jti", None, 0), "pruned once it cannot verify");
    assert!(sessions.write().denied_sessionless.is_empty());
}

#[test]
fn the_denylist_is_bounded_per_session_and_per_user() {
    let sessions = MemorySessionStore::default();
    let (session, _) = chain(&sessions);
    for n in 0..10_000 {
        sessions.deny_token("johndoe", Some(&session), &format!("s{n}"), 2000, 1000);
        sessions.deny_token("johndoe", None, &format!("u{n}"), 2000, 1000);
    }
    assert!(sessions.denied_len() <= 2 * MAX_DENIED_PER_SESSION, "{}", sessions.denied_len());
    assert!(sessions.is_revoked("johndoe", "s9999", Some(&session), 0), "session revoked");
    assert!(sessions.is_revoked("johndoe", "u9999", None, 0), "user revoked");
}

#[test]
fn expired_and_outlived_refresh_tokens_are_refused() {
    let sessions = MemorySessionStore::default();
    let (_, token) = chain(&sessions);
    let later = 100 + REFRESH_LIFETIME.as_secs() + 1;
    assert_eq!(sessions.rotate(&token, later).expect_err("expired"), RefreshError::Invalid);

    let sessions = MemorySessionStore::default().with_max_session_lifetime(Duration::from_secs(50));
    let (_, token) = chain(&sessions);
    let token = next(&sessions, &token, 150);
    assert_eq!(sessions.rotate(&token, 151).expect_err("outlived"), RefreshError::Invalid);
}

#[test]
fn the_refresh_lifetime_is_configurable() {
    let sessions = MemorySessionStore::default().with_refresh_lifetime(Duration::from_secs(60));
    let session = sessions.start("johndoe", "", 100).expect("session");
    let token = sessions.issue(&session, None, 100).expect("issue").expect("token");
    assert_eq!(sessions.rotate(&token, 161).map(|_| ()), Err(RefreshError::Invalid), "idle 61 s");
}
