//! Signing and verification keys from the example app's configuration:
//! PEM files or the environment, every algorithm, and rotation.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use example_app::config::{AppEnv, Cli, ConfigError, KeySources, signing_keys};
use rbac_core::{SigningAlgorithm, TokenError, Tokens};

fn test_key_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/keys").join(name)
}

/// A private copy (mode 600) of a test key, in a directory of its own.
fn private_copy(name: &str, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join(name);
    std::fs::copy(test_key_path(name), &path).expect("copy");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

fn scratch(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rbac-keys-{test}-{}", std::process::id()))
}

fn algorithm_of(tokens: &Tokens) -> SigningAlgorithm {
    tokens.signing_key().expect("signs").algorithm()
}

#[test]
fn each_key_type_is_recognized_from_its_file() {
    let dir = scratch("types");
    for (name, algorithm) in [
        ("ed25519-a.pem", SigningAlgorithm::EdDSA),
        ("es256-a.pem", SigningAlgorithm::ES256),
        ("rs256-a.pem", SigningAlgorithm::RS256),
    ] {
        let path = private_copy(name, &dir);
        let sources = KeySources { key_file: Some(&path), ..KeySources::default() };
        let (tokens, generated) = signing_keys(AppEnv::Production, sources).expect(name);
        assert!(!generated);
        assert_eq!(algorithm_of(&tokens), algorithm);
        assert_eq!(tokens.jwks().keys.len(), 1, "{name}: its public half is published");
    }
    let weak = private_copy("rs1024-weak.pem", &dir);
    let sources = KeySources { key_file: Some(&weak), ..KeySources::default() };
    match signing_keys(AppEnv::Production, sources) {
        Err(error @ ConfigError::BadKey(..)) => {
            assert!(error.to_string().contains("at least 2048 bits"), "{error}");
        }
        other => panic!("a 1024-bit RSA key must be refused: {other:?}"),
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn the_private_key_can_come_from_the_environment() {
    let pem = std::fs::read(test_key_path("es256-a.pem")).expect("pem");
    let sources = KeySources {
        private_key: Some(std::ffi::OsString::from(String::from_utf8(pem).expect("ascii"))),
        ..KeySources::default()
    };
    let (tokens, _) = signing_keys(AppEnv::Production, sources).expect("key");
    assert_eq!(algorithm_of(&tokens), SigningAlgorithm::ES256);

    let both = KeySources {
        private_key: Some("x".into()),
        secret: Some("y".repeat(40).into()),
        ..KeySources::default()
    };
    assert_eq!(
        signing_keys(AppEnv::Production, both).map(|_| ()),
        Err(ConfigError::AmbiguousSecret)
    );
    let garbage = KeySources { private_key: Some("not a key".into()), ..KeySources::default() };
    assert!(matches!(signing_keys(AppEnv::Production, garbage), Err(ConfigError::BadKey(..))));
}

#[test]
fn previous_keys_keep_old_tokens_valid_until_dropped() {
    let dir = scratch("rotation");
    let old_key = private_copy("ed25519-a.pem", &dir);
    let new_key = private_copy("es256-a.pem", &dir);
    let old_public = test_key_path("ed25519-a.pub.pem");
    let sources = KeySources { key_file: Some(&old_key), ..KeySources::default() };
    let (before, _) = signing_keys(AppEnv::Production, sources).expect("old");
    let old_token = before.issue("johndoe").expect("issue").access_token;

    // Rotated: the new key signs; the old one is listed as previous (public PEM).
    let previous = [old_public];
    let sources = KeySources {
        key_file: Some(&new_key),
        previous_key_files: &previous,
        ..KeySources::default()
    };
    let (rotated, _) = signing_keys(AppEnv::Production, sources).expect("rotated");
    assert!(rotated.verify(&old_token).is_ok(), "old tokens still verify");
    assert_eq!(rotated.jwks().keys.len(), 2, "both public keys are published");
    let new_token = rotated.issue("johndoe").expect("issue").access_token;
    assert!(rotated.verify(&new_token).is_ok());

    // An old *private* key given as previous must be as private as the signing key.
    let exposed = dir.join("exposed.pem");
    std::fs::copy(&old_key, &exposed).expect("copy");
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let previous = [exposed.clone()];
    let sources = KeySources {
        key_file: Some(&new_key),
        previous_key_files: &previous,
        ..KeySources::default()
    };
    assert_eq!(
        signing_keys(AppEnv::Production, sources).map(|_| ()),
        Err(ConfigError::WorldReadable(exposed))
    );

    // Retired: dropped from the configuration.
    let sources = KeySources { key_file: Some(&new_key), ..KeySources::default() };
    let (retired, _) = signing_keys(AppEnv::Production, sources).expect("retired");
    assert_eq!(retired.verify(&old_token), Err(TokenError::UnknownKey));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_previous_hmac_secret_keeps_its_tokens_valid() {
    let dir = scratch("hmac");
    std::fs::create_dir_all(&dir).expect("dir");
    let old_secret = "old-secret-that-is-long-enough-0123456789";
    let path = dir.join("old-secret");
    std::fs::write(&path, old_secret).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let old = KeySources { secret: Some(old_secret.into()), ..KeySources::default() };
    let (old, _) = signing_keys(AppEnv::Production, old).expect("old");
    let old_token = old.issue("johndoe").expect("issue").access_token;
    let rotated = KeySources {
        secret: Some("new-secret-that-is-long-enough-0123456789".into()),
        previous_secret_file: Some(&path),
        ..KeySources::default()
    };
    let (rotated, _) = signing_keys(AppEnv::Production, rotated).expect("rotated");
    assert!(rotated.verify(&old_token).is_ok());
    assert!(rotated.jwks().keys.is_empty(), "HMAC secrets are never published");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn the_clock_leeway_is_configurable_up_to_thirty_seconds() {
    let parse = |args: &[&str]| Cli::try_parse_from([&["example-app"], args].concat());
    assert_eq!(parse(&[]).expect("defaults").jwt_leeway_seconds, 30);
    assert_eq!(parse(&["--jwt-leeway-seconds", "5"]).expect("5 s").jwt_leeway_seconds, 5);
    assert!(parse(&["--jwt-leeway-seconds", "31"]).is_err());
}
