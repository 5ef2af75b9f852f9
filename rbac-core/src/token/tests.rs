use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-only";
const NOW: u64 = 1_800_000_000;

fn tokens() -> Tokens {
    Tokens::hs256(JwtSecret::new(SECRET.to_vec()).expect("long enough"))
}

/// Builds a token from raw JSON, signed with HS256 and `secret`, so tests can
/// express headers and payloads that `Tokens::issue` would never produce.
fn forge(header: &str, payload: &str, secret: &[u8]) -> String {
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let key = EncodingKey::from_secret(secret).expect("key");
    let signature =
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::HS256).expect("sign");
    format!("{signing_input}.{signature}")
}

fn payload(exp: u64) -> String {
    format!(r#"{{"sub":"johndoe","exp":{exp},"iat":{},"jti":"j"}}"#, NOW - 10)
}

const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[test]
fn issued_tokens_verify_and_carry_the_claims() {
    let issued = tokens().issue("johndoe").expect("issue");
    let claims = tokens().verify(&issued.access_token).expect("verify");
    assert_eq!(claims, issued.claims);
    assert_eq!(claims.exp - claims.iat, 30 * 60);
    assert_eq!(claims.jti.len(), 22);
    let second = tokens().issue("johndoe").expect("issue");
    assert_ne!(second.claims.jti, claims.jti, "jti must be unique");
}

#[test]
fn a_well_formed_forged_token_verifies() {
    // Guards the helpers below: the rejections they show are about the one thing each changes.
    let token = forge(HS256, &payload(NOW + 60), SECRET);
    assert_eq!(tokens().verify_at(&token, NOW).map(|c| c.sub), Ok("johndoe".to_owned()));
}

#[test]
fn other_algorithms_and_none_are_rejected() {
    for alg in ["none", "None", "RS256", "HS512", "ES256", "EdDSA"] {
        let token = forge(&format!(r#"{{"alg":"{alg}"}}"#), &payload(NOW + 60), SECRET);
        assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::AlgorithmNotAllowed), "{alg}");
    }
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(payload(NOW + 60))
    );
    assert_eq!(tokens().verify_at(&unsigned, NOW), Err(TokenError::AlgorithmNotAllowed));
}

#[test]
fn any_crit_header_is_rejected() {
    let token = forge(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, &payload(NOW + 60), SECRET);
    assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::UnsupportedCriticalHeader));
    let token = forge(r#"{"alg":"HS256","crit":["b64"],"b64":true}"#, &payload(NOW + 60), SECRET);
    assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::UnsupportedCriticalHeader));
}

#[test]
fn duplicate_keys_are_rejected_in_header_and_payload() {
    let token = forge(r#"{"alg":"HS256","alg":"HS256"}"#, &payload(NOW + 60), SECRET);
    assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::Malformed));
    let dup = format!(
        r#"{{"sub":"johndoe","sub":"janedoe","exp":{},"iat":1799999990,"jti":"j"}}"#,
        NOW + 60
    );
    assert_eq!(tokens().verify_at(&forge(HS256, &dup, SECRET), NOW), Err(TokenError::Malformed));
    let dup_extra = format!(
        r#"{{"sub":"johndoe","exp":{},"iat":1799999990,"jti":"j","role":"user","role":"admin"}}"#,
        NOW + 60
    );
    assert_eq!(
        tokens().verify_at(&forge(HS256, &dup_extra, SECRET), NOW),
        Err(TokenError::Malformed)
    );
}

#[test]
fn exp_must_be_a_present_number() {
    let as_string =
        format!(r#"{{"sub":"johndoe","exp":"{}","iat":1799999990,"jti":"j"}}"#, NOW + 60);
    assert_eq!(
        tokens().verify_at(&forge(HS256, &as_string, SECRET), NOW),
        Err(TokenError::Malformed)
    );
    let missing = r#"{"sub":"johndoe","iat":1799999990,"jti":"j"}"#;
    assert_eq!(tokens().verify_at(&forge(HS256, missing, SECRET), NOW), Err(TokenError::Malformed));
    let nbf_string =
        format!(r#"{{"sub":"johndoe","exp":{},"nbf":"1","iat":1799999990,"jti":"j"}}"#, NOW + 60);
    assert_eq!(
        tokens().verify_at(&forge(HS256, &nbf_string, SECRET), NOW),
        Err(TokenError::Malformed)
    );
}

#[test]
fn leeway_boundaries_for_exp_and_nbf() {
    let t = tokens().with_leeway(Duration::from_secs(30));
    let at_edge = forge(HS256, &payload(NOW - 30), SECRET);
    assert!(t.verify_at(&at_edge, NOW).is_ok(), "exp + leeway == now is still valid");
    let past_edge = forge(HS256, &payload(NOW - 31), SECRET);
    assert_eq!(t.verify_at(&past_edge, NOW), Err(TokenError::Expired));

    let nbf = |nbf: u64| {
        let body =
            format!(r#"{{"sub":"u","exp":{},"nbf":{nbf},"iat":1799999990,"jti":"j"}}"#, NOW + 600);
        forge(HS256, &body, SECRET)
    };
    assert!(t.verify_at(&nbf(NOW + 30), NOW).is_ok());
    assert_eq!(t.verify_at(&nbf(NOW + 31), NOW), Err(TokenError::NotYetValid));
}

#[test]
fn leeway_is_capped_at_thirty_seconds() {
    let t = tokens().with_leeway(Duration::from_secs(3600));
    let expired = forge(HS256, &payload(NOW - 31), SECRET);
    assert_eq!(t.verify_at(&expired, NOW), Err(TokenError::Expired));
}

#[test]
fn tampering_and_wrong_keys_break_the_signature() {
    let token = forge(HS256, &payload(NOW + 60), SECRET);
    let (head, rest) = token.split_once('.').expect("dot");
    let (_, signature) = rest.split_once('.').expect("dot");
    let admin = URL_SAFE_NO_PAD.encode(payload(NOW + 60).replace("johndoe", "janedoe"));
    let tampered = format!("{head}.{admin}.{signature}");
    assert_eq!(tokens().verify_at(&tampered, NOW), Err(TokenError::BadSignature));

    let other_key = forge(HS256, &payload(NOW + 60), b"another-secret-that-is-32-bytes-long!!");
    assert_eq!(tokens().verify_at(&other_key, NOW), Err(TokenError::BadSignature));
}

#[test]
fn key_fetching_headers_are_ignored_and_kid_only_selects_configured_keys() {
    // Signed with the attacker's key and pointing at it every way JOSE allows:
    // still verified with the configured key only.
    let attacker = b"attacker-controlled-secret-32-bytes!!";
    let fetchers = r#""jku":"http://127.0.0.1:1/jwks",
        "x5u":"http://127.0.0.1:1/cert","jwk":{"kty":"oct","k":"YXR0YWNrZXI"}"#;
    let header = format!(r#"{{"alg":"HS256",{fetchers}}}"#);
    let token = forge(&header, &payload(NOW + 60), attacker);
    assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::BadSignature));
    // The same headers on a token we did sign change nothing either.
    let ours = forge(&header, &payload(NOW + 60), SECRET);
    assert!(tokens().verify_at(&ours, NOW).is_ok());
    // A `kid` we do not hold selects nothing, even over a good signature.
    let unknown = format!(r#"{{"alg":"HS256","kid":"attacker",{fetchers}}}"#);
    let token = forge(&unknown, &payload(NOW + 60), SECRET);
    assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::UnknownKey));
    // Our own `kid` selects our key.
    let kid = tokens().signing_key().expect("signs").kid().to_owned();
    let named = format!(r#"{{"alg":"HS256","kid":"{kid}",{fetchers}}}"#);
    assert!(tokens().verify_at(&forge(&named, &payload(NOW + 60), SECRET), NOW).is_ok());
}

#[test]
fn garbage_is_rejected_without_panicking() {
    let oversized = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(tokens().verify_at(&oversized, NOW), Err(TokenError::TooLarge));
    for garbage in ["", ".", "..", "a.b.c", "....", "eyJ.eyJ.sig", "\u{0}.\u{0}.\u{0}", "é.é.é"]
    {
        assert!(tokens().verify_at(garbage, NOW).is_err(), "{garbage:?}");
    }
}

#[test]
fn weak_secrets_are_refused() {
    assert_eq!(JwtSecret::new(vec![7; 31]).map(|_| ()), Err(WeakSecret { len: 31 }));
    assert!(JwtSecret::new(vec![7; 32]).is_ok());
}

const ED25519_PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIA2MQ6cp5Co/s64Z0kZKkdGuqAEaIETp11BX4XIlJTat
-----END PRIVATE KEY-----";

#[test]
fn eddsa_tokens_round_trip_and_pin_their_algorithm() {
    let ed = Tokens::ed25519_from_pem(ED25519_PEM).expect("key");
    let issued = ed.issue("johndoe").expect("issue");
    let header = issued.access_token.split('.').next().expect("header");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(ed.verify(&issued.access_token).map(|c| c.sub), Ok("johndoe".to_owned()));
    // An HS256 token is refused by the EdDSA verifier, whatever it was signed with.
    let hmac = forge(HS256, &payload(NOW + 60), SECRET);
    assert_eq!(ed.verify_at(&hmac, NOW), Err(TokenError::AlgorithmNotAllowed));
    // And an EdDSA token by the HS256 one: it names a key that verifier lacks.
    assert_eq!(tokens().verify(&issued.access_token), Err(TokenError::UnknownKey));
    // A header claiming EdDSA over an HMAC signature fails the signature check.
    let claimed = forge(r#"{"alg":"EdDSA"}"#, &payload(NOW + 60), SECRET);
    assert!(ed.verify_at(&claimed, NOW).is_err());
}

#[test]
fn non_keys_are_refused() {
    assert!(Tokens::ed25519_from_pem(b"").is_err());
    assert!(Tokens::ed25519_from_pem(SECRET).is_err());
}

#[test]
fn issuer_and_audience_are_set_and_required() {
    let strict = tokens().with_issuer("https://auth.example").with_audience("api");
    let issued = strict.issue("johndoe").expect("issue");
    assert_eq!(issued.claims.iss.as_deref(), Some("https://auth.example"));
    assert!(strict.verify(&issued.access_token).is_ok());

    let body = |extra: &str| {
        format!(r#"{{"sub":"u","exp":{},"iat":1799999990,"jti":"j"{extra}}}"#, NOW + 60)
    };
    let check = |extra: &str| strict.verify_at(&forge(HS256, &body(extra), SECRET), NOW);
    assert_eq!(check(r#","aud":"api""#), Err(TokenError::WrongIssuer), "no iss");
    assert_eq!(check(r#","iss":"https://evil.example","aud":"api""#), Err(TokenError::WrongIssuer));
    assert_eq!(check(r#","iss":"https://auth.example""#), Err(TokenError::WrongAudience), "no aud");
    assert_eq!(
        check(r#","iss":"https://auth.example","aud":"other""#),
        Err(TokenError::WrongAudience)
    );
    assert!(check(r#","iss":"https://auth.example","aud":["other","api"]"#).is_ok());
    assert_eq!(check(r#","iss":"https://auth.example","aud":7"#), Err(TokenError::Malformed));
    // Without configuration, neither is required...
    assert!(tokens().verify_at(&forge(HS256, &body(""), SECRET), NOW).is_ok());
    // ...but a token addressed to some service is not for one that has no name.
    for aud in [r#","aud":"api""#, r#","aud":["api"]"#, r#","aud":[]"#] {
        let token = forge(HS256, &body(aud), SECRET);
        assert_eq!(tokens().verify_at(&token, NOW), Err(TokenError::WrongAudience), "{aud}");
    }
}

#[test]
fn fractional_numeric_dates_round_toward_a_shorter_validity() {
    let at = |times: &str| {
        let body = format!(r#"{{"sub":"u","jti":"j",{times}}}"#);
        tokens().verify_at(&forge(HS256, &body, SECRET), NOW)
    };
    let claims = at(&format!(r#""exp":{}.72,"iat":{}.2,"nbf":{}.01"#, NOW + 60, NOW - 10, NOW - 5))
        .expect("fractions are NumericDates");
    assert_eq!((claims.exp, claims.iat, claims.nbf), (NOW + 60, NOW - 9, Some(NOW - 4)));
    // Rounding `exp` down: a token that says it lasts until NOW - 30.5 is gone at NOW.
    let leeway = Tokens::MAX_LEEWAY.as_secs();
    assert_eq!(
        at(&format!(r#""exp":{}.5,"iat":{}"#, NOW - leeway - 1, NOW - 60)).map(|c| c.exp),
        Err(TokenError::Expired)
    );
    // Rounding `nbf` up: NOW + 30.5 is not yet valid at NOW.
    assert_eq!(
        at(&format!(r#""exp":{},"iat":{},"nbf":{}.5"#, NOW + 600, NOW - 10, NOW + leeway)),
        Err(TokenError::NotYetValid)
    );
    assert!(at(&format!(r#""exp":{}e0,"iat":{},"nbf":null"#, NOW + 60, NOW - 10)).is_ok());
    for bad in [
        format!(r#""exp":"{}.5","iat":{}"#, NOW + 60, NOW),
        format!(r#""exp":{},"iat":-1"#, NOW + 60),
        format!(r#""exp":-1.5,"iat":{NOW}"#),
        format!(r#""exp":1e30,"iat":{NOW}"#),
    ] {
        assert_eq!(at(&bad), Err(TokenError::Malformed), "{bad}");
    }
}

#[test]
fn tokens_claiming_a_long_life_are_refused() {
    let lifetime = |exp: u64, iat: u64| {
        let body = format!(r#"{{"sub":"u","jti":"j","exp":{exp},"iat":{iat}}}"#);
        forge(HS256, &body, SECRET)
    };
    let day = Tokens::DEFAULT_MAX_LIFETIME.as_secs();
    assert!(tokens().verify_at(&lifetime(NOW + 60, NOW + 60 - day), NOW).is_ok());
    assert_eq!(
        tokens().verify_at(&lifetime(NOW + 61, NOW + 60 - day), NOW),
        Err(TokenError::LifetimeTooLong)
    );
    let ten_years = lifetime(NOW + 10 * 365 * day, NOW - 10);
    assert_eq!(tokens().verify_at(&ten_years, NOW), Err(TokenError::LifetimeTooLong));
    let hour = Duration::from_secs(3600);
    let strict = tokens().with_max_lifetime(hour);
    assert_eq!(
        strict.verify_at(&lifetime(NOW + 3000, NOW - 1000), NOW),
        Err(TokenError::LifetimeTooLong)
    );
    // Our own tokens always pass, whatever the bound.
    let own = tokens().with_lifetime(2 * hour).with_max_lifetime(hour);
    assert!(own.verify(&own.issue("u").expect("issue").access_token).is_ok());
}

#[test]
fn the_jwks_publishes_public_keys_only() {
    let ed = Tokens::ed25519_from_pem(ED25519_PEM).expect("key");
    let jwks = serde_json::to_value(ed.jwks()).expect("json");
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!((key["kty"].as_str(), key["crv"].as_str()), (Some("OKP"), Some("Ed25519")));
    assert_eq!((key["alg"].as_str(), key["use"].as_str()), (Some("EdDSA"), Some("sig")));
    assert!(key["x"].is_string());
    for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        assert!(key.get(private).is_none(), "private field {private} in {key}");
    }
    // Issued tokens name the published key.
    let issued = ed.issue("johndoe").expect("issue");
    let header = issued.access_token.split('.').next().expect("header");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    assert_eq!(header["kid"], key["kid"]);
    // An HMAC secret is never published.
    assert_eq!(
        serde_json::to_value(tokens().jwks()).expect("json"),
        serde_json::json!({"keys": []})
    );
}
