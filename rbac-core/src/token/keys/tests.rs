//! Keys: algorithms, `kid` selection, rotation, and what is published.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::token::{JwtSecret, SigningAlgorithm, SigningKey, TokenError, Tokens, VerificationKey};

macro_rules! key_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/keys/", $name))
    };
}

const ED25519_A: &[u8] = key_file!("ed25519-a.pem");
const ED25519_B: &[u8] = key_file!("ed25519-b.pem");
const ES256_A: &[u8] = key_file!("es256-a.pem");
const ES256_B: &[u8] = key_file!("es256-b.pem");
const RS256_A: &[u8] = key_file!("rs256-a.pem");
const RS1024: &[u8] = key_file!("rs1024-weak.pem");

fn key(pem: &[u8]) -> SigningKey {
    SigningKey::from_pem(pem).expect("test key")
}

fn header_of(token: &str) -> serde_json::Value {
    let header = token.split('.').next().expect("header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json")
}

/// `token` with its header replaced (the signature no longer matters once
/// the header is refused).
fn with_header(token: &str, header: &serde_json::Value) -> String {
    let (_, rest) = token.split_once('.').expect("dot");
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[test]
fn every_algorithm_round_trips_with_its_kid_and_alg() {
    for (pem, algorithm) in [
        (ED25519_A, SigningAlgorithm::EdDSA),
        (ES256_A, SigningAlgorithm::ES256),
        (RS256_A, SigningAlgorithm::RS256),
    ] {
        let key = key(pem);
        assert_eq!(key.algorithm(), algorithm);
        let tokens = Tokens::new(key.clone());
        let issued = tokens.issue("johndoe").expect("issue");
        let header = header_of(&issued.access_token);
        assert_eq!(header["alg"], algorithm.as_str());
        assert_eq!(header["kid"], key.kid());
        assert_eq!(tokens.verify(&issued.access_token).map(|c| c.sub), Ok("johndoe".to_owned()));
        // The public half alone verifies it, as a resource server would.
        let verifier = Tokens::verifier([key.verification_key()]);
        assert!(verifier.verify(&issued.access_token).is_ok(), "{algorithm}");
        assert_eq!(verifier.issue("x").map(|_| ()), Err(TokenError::Signing), "cannot sign");
    }
}

#[test]
fn public_pems_give_the_same_kid_as_the_private_key() {
    let public =
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/keys/es256-a.pub.pem"));
    let from_public =
        VerificationKey::from_public_pem(public, SigningAlgorithm::ES256).expect("key");
    assert_eq!(from_public.kid(), key(ES256_A).kid());
    let issued = Tokens::new(key(ES256_A)).issue("johndoe").expect("issue");
    assert!(Tokens::verifier([from_public]).verify(&issued.access_token).is_ok());
    assert!(VerificationKey::from_public_pem(public, SigningAlgorithm::RS256).is_err());
}

#[test]
fn weak_and_wrong_keys_are_refused() {
    assert_eq!(
        SigningKey::from_pem(RS1024).map(|_| ()).expect_err("1024-bit RSA").to_string(),
        "RSA keys need at least 2048 bits"
    );
    assert!(
        SigningKey::from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
            .is_err()
    );
    assert!(SigningKey::from_pem_as(ES256_A, SigningAlgorithm::EdDSA).is_err());
    assert!(SigningKey::from_pem_as(ED25519_A, SigningAlgorithm::RS256).is_err());
}

#[test]
fn rotation_accepts_the_old_key_until_it_is_retired() {
    let (old, new) = (key(ED25519_A), key(ED25519_B));
    let before = Tokens::new(old.clone()).issue("johndoe").expect("issue");
    let rotating = Tokens::new(new.clone()).with_verification_key(old.verification_key());
    let after = rotating.issue("johndoe").expect("issue");
    assert_eq!(header_of(&after.access_token)["kid"], new.kid(), "the new key signs");
    assert!(rotating.verify(&before.access_token).is_ok(), "old tokens still verify");
    assert!(rotating.verify(&after.access_token).is_ok());
    // Both keys are published while both are active.
    let kids: Vec<String> =
        rotating.jwks().keys.iter().filter_map(|jwk| jwk.common.key_id.clone()).collect();
    assert_eq!(kids, [new.kid(), old.kid()]);
    // Retired: the old key is no longer configured.
    let retired = Tokens::new(new);
    assert_eq!(retired.verify(&before.access_token), Err(TokenError::UnknownKey));
    assert!(retired.verify(&after.access_token).is_ok());
}

#[test]
fn a_token_without_kid_is_refused_once_several_keys_are_active() {
    let tokens = Tokens::new(key(ES256_A)).with_verification_key(key(ES256_B).verification_key());
    let issued = tokens.issue("johndoe").expect("issue");
    let mut header = header_of(&issued.access_token);
    header.as_object_mut().expect("object").remove("kid");
    assert_eq!(
        tokens.verify(&with_header(&issued.access_token, &header)),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn algorithms_are_pinned_per_key_whatever_the_kid_says() {
    let ed = key(ED25519_A);
    let secret =
        JwtSecret::new(b"0123456789abcdef0123456789abcdef-confusion".to_vec()).expect("secret");
    let hmac = SigningKey::hs256(&secret);
    let tokens = Tokens::new(ed.clone()).with_verification_key(hmac.verification_key());
    // An HS256 token naming the EdDSA key's kid: refused before any HMAC is computed.
    let hs = Tokens::new(hmac.clone()).issue("mallory").expect("issue");
    let mut header = header_of(&hs.access_token);
    header["kid"] = ed.kid().into();
    assert_eq!(
        tokens.verify(&with_header(&hs.access_token, &header)),
        Err(TokenError::AlgorithmNotAllowed)
    );
    // The classic confusion: an HMAC keyed with the EdDSA public key.
    let public = serde_json::to_string(&ed.verification_key().public_jwk()).expect("json");
    let forged_secret = JwtSecret::new(public.into_bytes()).expect("long enough");
    let forged = Tokens::new(SigningKey::hs256(&forged_secret).with_kid(ed.kid()))
        .issue("mallory")
        .expect("issue");
    assert_eq!(tokens.verify(&forged.access_token), Err(TokenError::AlgorithmNotAllowed));
    // An EdDSA header on the HMAC key's kid fails the same way.
    let ed_token = Tokens::new(ed).issue("johndoe").expect("issue");
    let mut header = header_of(&ed_token.access_token);
    header["kid"] = hmac.kid().into();
    assert_eq!(
        tokens.verify(&with_header(&ed_token.access_token, &header)),
        Err(TokenError::AlgorithmNotAllowed)
    );
}

#[test]
fn the_jwks_has_every_public_key_and_no_private_material() {
    let secret = JwtSecret::generate();
    let tokens = Tokens::new(key(RS256_A))
        .with_verification_key(key(ES256_A).verification_key())
        .with_verification_key(key(ED25519_A).verification_key())
        .with_verification_key(SigningKey::hs256(&secret).verification_key());
    let jwks = serde_json::to_value(tokens.jwks()).expect("json");
    let keys = jwks["keys"].as_array().expect("keys");
    let types: Vec<&str> = keys.iter().filter_map(|k| k["kty"].as_str()).collect();
    assert_eq!(types, ["RSA", "EC", "OKP"], "the HMAC key is not published");
    for key in keys {
        assert!(key["kid"].is_string() && key["alg"].is_string(), "{key}");
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "private field {private} in {key}");
        }
    }
    // What is published is enough to verify.
    let issued = tokens.issue("johndoe").expect("issue");
    let published: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).expect("jwks");
    let from_jwks =
        published.keys.iter().map(|jwk| VerificationKey::from_jwk(jwk).expect("usable"));
    assert!(Tokens::verifier(from_jwks).verify(&issued.access_token).is_ok());
}

#[test]
fn jwks_entries_must_be_asymmetric_signature_keys_with_kid() {
    let parse = |json: serde_json::Value| {
        VerificationKey::from_jwk(&serde_json::from_value(json).expect("a JWK"))
    };
    let ed = key(ED25519_A).verification_key();
    let mut good = serde_json::to_value(ed.public_jwk()).expect("json");
    assert!(parse(good.clone()).is_ok());
    good.as_object_mut().expect("object").remove("kid");
    assert!(parse(good.clone()).is_err(), "no kid");
    good["kid"] = "k".into();
    good["use"] = "enc".into();
    assert!(parse(good.clone()).is_err(), "encryption key");
    good["use"] = "sig".into();
    good["alg"] = "RS256".into();
    assert!(parse(good).is_err(), "alg that does not fit the key type");
    assert!(
        parse(serde_json::json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0", "alg": "HS256"}))
            .is_err()
    );
}

#[test]
fn rsa_jwks_need_a_full_size_modulus_and_a_sane_exponent() {
    let rsa = key(RS256_A).verification_key();
    let good = serde_json::to_value(rsa.public_jwk()).expect("json");
    let with = |field: &str, bytes: &[u8]| {
        let mut jwk = good.clone();
        jwk[field] = URL_SAFE_NO_PAD.encode(bytes).into();
        VerificationKey::from_jwk(&serde_json::from_value(jwk).expect("jwk"))
    };
    assert!(with("e", &[1, 0, 1]).is_ok(), "65537");
    for exponent in [&[1][..], &[0, 1], &[2], &[1, 0, 0]] {
        assert!(with("e", exponent).is_err(), "e = {exponent:?}");
    }
    // 2041 bits: 256 bytes, but the top byte is 0x01.
    let mut short = vec![0xff; 256];
    short[0] = 0x01;
    assert!(with("n", &short).is_err());
}

#[test]
fn the_hmac_kid_is_stable_and_reveals_nothing() {
    let secret = JwtSecret::new(b"0123456789abcdef0123456789abcdef-kid".to_vec()).expect("secret");
    let (a, b) = (SigningKey::hs256(&secret), SigningKey::hs256(&secret.clone()));
    assert_eq!(a.kid(), b.kid(), "instances sharing a secret agree on the kid");
    assert!(!a.kid().contains("0123456789abcdef"));
    assert_ne!(a.kid(), SigningKey::hs256(&JwtSecret::generate()).kid());
}
