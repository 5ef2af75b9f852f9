//! Several issuers: selection by `iss`, keys never crossing issuers, token
//! types, audiences, algorithms, mapping and the start-up checks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::token::SigningKey;

crate::policy! {
    mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer" grants "posts:write";
        role "admin": "editor";
    }
}

const OWN: &str = "https://app.test";
const IDP: &str = "https://idp.test";
const NOW: u64 = 1_800_000_000;

macro_rules! key_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/keys/", $name))
    };
}

fn own_key() -> SigningKey {
    SigningKey::from_pem(key_file!("ed25519-a.pem")).expect("key")
}

fn idp_key() -> SigningKey {
    SigningKey::from_pem(key_file!("es256-b.pem")).expect("key").with_kid("idp-1")
}

fn own_issuer() -> TrustedIssuer {
    TrustedIssuer::own(Tokens::verifier([own_key().verification_key()]).with_issuer(OWN))
}

fn idp_issuer() -> TrustedIssuer {
    TrustedIssuer::external_with_keys(IDP, [idp_key().verification_key()])
        .with_audience("reports-api")
        .refusing_id_tokens_of(["reports-web"])
        .with_mapping(
            ClaimMapping::groups("groups")
                .group("/acme/editors", policy::roles::EDITOR)
                .scope("reports.read", "items:read"),
        )
}

fn issuers() -> TrustedIssuers {
    TrustedIssuers::for_policy::<policy::Policy>([own_issuer(), idp_issuer()]).expect("config")
}

/// An RFC 9068 access token from the IdP, as `oidc-provider` shapes them.
fn idp_claims() -> Value {
    json!({
        "iss": IDP, "sub": "reports-editor", "aud": "reports-api", "client_id": "reports-editor",
        "iat": NOW, "exp": NOW + 300, "jti": "j1", "scope": "reports.read other",
        "groups": ["/acme/editors", "/acme/unmapped"],
    })
}

fn sign(typ: Option<&str>, kid: &str, pem: &[u8], alg: Algorithm, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.typ = typ.map(str::to_owned);
    header.kid = Some(kid.to_owned());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
        _ => EncodingKey::from_rsa_pem(pem),
    }
    .expect("key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

fn idp_token(claims: &Value) -> String {
    sign(Some("at+jwt"), "idp-1", key_file!("es256-b.pem"), Algorithm::ES256, claims)
}

#[test]
fn an_idp_token_is_verified_and_mapped() {
    let claims = issuers().verify_cached_at(&idp_token(&idp_claims()), NOW).expect("valid");
    assert_eq!(claims.sub, "reports-editor");
    assert_eq!(claims.roles, ["editor"], "mapped; the unmapped group grants nothing");
    assert_eq!(claims.scope.as_deref(), Some("items:read"), "mapped; `other` grants nothing");
    assert_eq!(claims.iss.as_deref(), Some(IDP));
    assert_eq!(claims.jti, "j1");
}

#[test]
fn own_tokens_verify_exactly_as_before() {
    let tokens = Tokens::new(own_key()).with_issuer(OWN);
    let subject = crate::TokenSubject {
        username: "janedoe",
        scope: Some("items:read"),
        roles: &[crate::Role::new("admin").expect("role")],
        ..Default::default()
    };
    let issued = tokens.issue_for(&subject).expect("issue");
    let now = issued.claims.iat;
    assert_eq!(issuers().verify_cached_at(&issued.access_token, now), Ok(issued.claims.clone()));
    assert_eq!(
        issuers().verify_cached_at(&issued.access_token, now + 3600),
        tokens.verify_at(&issued.access_token, now + 3600),
        "the same refusal too"
    );
}

#[test]
fn the_issuer_is_chosen_by_iss_and_keys_never_cross_issuers() {
    // The IdP's own key, claiming our issuer: our keys do not have its kid.
    let mut claims = idp_claims();
    claims["iss"] = OWN.into();
    assert_eq!(issuers().verify_cached_at(&idp_token(&claims), NOW), Err(TokenError::UnknownKey));
    // Even under our key's kid, the IdP's key cannot sign for us.
    let own_kid = own_key().kid().to_owned();
    let forged = sign(None, &own_kid, key_file!("es256-b.pem"), Algorithm::ES256, &claims);
    assert_eq!(issuers().verify_cached_at(&forged, NOW), Err(TokenError::AlgorithmNotAllowed));
    // Our key, claiming the IdP: the IdP's keys do not include it.
    let ours =
        sign(Some("at+jwt"), &own_kid, key_file!("ed25519-a.pem"), Algorithm::EdDSA, &idp_claims());
    assert_eq!(issuers().verify_cached_at(&ours, NOW), Err(TokenError::UnknownKey));
    let ours =
        sign(Some("at+jwt"), "idp-1", key_file!("ed25519-a.pem"), Algorithm::EdDSA, &idp_claims());
    assert_eq!(issuers().verify_cached_at(&ours, NOW), Err(TokenError::AlgorithmNotAllowed));
    // Unknown, missing or duplicated issuers.
    for iss in [json!("https://evil.test"), json!("https://idp.test/"), Value::Null] {
        let mut claims = idp_claims();
        claims["iss"] = iss;
        assert_eq!(
            issuers().verify_cached_at(&idp_token(&claims), NOW),
            Err(TokenError::WrongIssuer)
        );
    }
    // A second `iss`, plainly or escaped, never lets the payload choose.
    for second in ["iss", "i\\u0073s"] {
        let payload = format!(
            r#"{{"iss":"{OWN}","sub":"x","iat":{NOW},"exp":{},"{second}":"{IDP}"}}"#,
            NOW + 60
        );
        let duplicated = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","typ":"at+jwt","kid":"idp-1"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        );
        assert_eq!(issuers().verify_cached_at(&duplicated, NOW), Err(TokenError::Malformed));
    }
}

#[test]
fn token_types_follow_the_issuer_profile() {
    let es256 = |typ: Option<&str>| {
        sign(typ, "idp-1", key_file!("es256-b.pem"), Algorithm::ES256, &idp_claims())
    };
    let rfc9068 = issuers();
    assert!(rfc9068.verify_cached_at(&es256(Some("at+jwt")), NOW).is_ok());
    assert!(rfc9068.verify_cached_at(&es256(Some("application/AT+JWT")), NOW).is_ok());
    for typ in [Some("JWT"), None, Some("id_token+jwt")] {
        assert_eq!(
            rfc9068.verify_cached_at(&es256(typ), NOW),
            Err(TokenError::WrongTokenType),
            "{typ:?}"
        );
    }
    let plain = TrustedIssuers::for_policy::<policy::Policy>([
        idp_issuer().with_profile(AccessTokenProfile::Jwt)
    ])
    .expect("config");
    for typ in [Some("JWT"), None, Some("at+jwt")] {
        assert!(plain.verify_cached_at(&es256(typ), NOW).is_ok(), "{typ:?}");
    }
    assert_eq!(
        plain.verify_cached_at(&es256(Some("secevent+jwt")), NOW),
        Err(TokenError::WrongTokenType)
    );
}

#[test]
fn rfc9068_required_claims_are_checked_only_for_rfc9068_issuers() {
    let plain = TrustedIssuers::for_policy::<policy::Policy>([
        idp_issuer().with_profile(AccessTokenProfile::Jwt)
    ])
    .expect("config");
    for missing in ["client_id", "jti", "aud", "iat"] {
        let mut claims = idp_claims();
        claims.as_object_mut().expect("object").remove(missing);
        assert_eq!(
            issuers().verify_cached_at(&idp_token(&claims), NOW),
            Err(TokenError::Malformed),
            "{missing}"
        );
        let token = sign(Some("JWT"), "idp-1", key_file!("es256-b.pem"), Algorithm::ES256, &claims);
        let expected = match missing {
            "aud" => Err(TokenError::WrongAudience),
            "iat" => Err(TokenError::Malformed),
            _ => Ok(()),
        };
        assert_eq!(plain.verify_cached_at(&token, NOW).map(|_| ()), expected, "{missing}");
    }
}

#[test]
fn id_tokens_are_refused_as_access_tokens() {
    let plain = TrustedIssuers::for_policy::<policy::Policy>([idp_issuer()
        .with_profile(AccessTokenProfile::Jwt)
        .with_audience("reports-web")])
    .expect("config");
    // Addressed to the client: an ID token, even when the API was
    // (mis)configured with the client's id as its audience.
    let mut claims = idp_claims();
    claims["aud"] = "reports-web".into();
    let id_token = sign(Some("JWT"), "idp-1", key_file!("es256-b.pem"), Algorithm::ES256, &claims);
    assert_eq!(plain.verify_cached_at(&id_token, NOW), Err(TokenError::WrongTokenType));
    // A nonce marks an ID token whatever the audience.
    let mut claims = idp_claims();
    claims["nonce"] = "n-0S6_WzA2Mj".into();
    assert_eq!(
        issuers().verify_cached_at(&idp_token(&claims), NOW),
        Err(TokenError::WrongTokenType)
    );
}

#[test]
fn audience_algorithms_and_times_are_per_issuer() {
    let mut claims = idp_claims();
    claims["aud"] = json!(["https://other.test", "reports-api"]);
    assert!(issuers().verify_cached_at(&idp_token(&claims), NOW).is_ok());
    claims["aud"] = "https://other.test".into();
    assert_eq!(
        issuers().verify_cached_at(&idp_token(&claims), NOW),
        Err(TokenError::WrongAudience)
    );
    let rsa_only = TrustedIssuers::for_policy::<policy::Policy>([
        idp_issuer().with_algorithms([SigningAlgorithm::RS256])
    ])
    .expect("config");
    assert_eq!(
        rsa_only.verify_cached_at(&idp_token(&idp_claims()), NOW),
        Err(TokenError::AlgorithmNotAllowed)
    );
    let token = idp_token(&idp_claims());
    assert_eq!(issuers().verify_cached_at(&token, NOW + 300 + 31), Err(TokenError::Expired));
    assert_eq!(issuers().verify_cached_at(&token, NOW - 31), Err(TokenError::NotYetValid));
    let mut claims = idp_claims();
    claims["exp"] = json!(NOW + 2 * 24 * 3600);
    assert_eq!(
        issuers().verify_cached_at(&idp_token(&claims), NOW),
        Err(TokenError::LifetimeTooLong)
    );
    for (claim, value) in
        [("exp", json!("soon")), ("iat", json!(-1)), ("sub", json!("")), ("sub", json!(7))]
    {
        let mut claims = idp_claims();
        claims[claim] = value;
        assert_eq!(
            issuers().verify_cached_at(&idp_token(&claims), NOW),
            Err(TokenError::Malformed),
            "{claim}"
        );
    }
    let mut tampered = idp_token(&idp_claims());
    tampered.pop();
    tampered.push('A');
    assert!(issuers().verify_cached_at(&tampered, NOW).is_err());
}

#[test]
fn configuration_mistakes_are_start_up_errors_naming_them() {
    let build = |issuers: Vec<TrustedIssuer>| {
        TrustedIssuers::for_policy::<policy::Policy>(issuers).map(|_| ()).map_err(|e| e.to_string())
    };
    let role_typo = idp_issuer().with_mapping(ClaimMapping::groups("groups").group("/g", "editr"));
    let error = build(vec![role_typo]).expect_err("unknown role");
    assert!(
        error.contains("`editr` is not a role of the policy") && error.contains(IDP),
        "{error}"
    );
    let scope_typo = idp_issuer().with_mapping(ClaimMapping::new().scope("s", "items:reed"));
    assert!(build(vec![scope_typo]).expect_err("unknown scope").contains("`items:reed`"));
    assert!(build(vec![idp_issuer(), idp_issuer()]).expect_err("twice").contains("twice"));
    let anonymous = TrustedIssuer::own(Tokens::verifier([own_key().verification_key()]));
    assert!(build(vec![anonymous]).expect_err("no iss").contains("with_issuer"));
    assert!(build(Vec::new()).is_err());
    // Roles by typed constant and keycloak presets check out.
    let keycloak = idp_issuer().with_mapping(
        ClaimMapping::keycloak("reports-api")
            .realm_role("boss", policy::roles::ADMIN)
            .client_role("writer", "editor")
            .scope("reports.read", policy::permissions::ITEMS_READ),
    );
    assert_eq!(build(vec![own_issuer(), keycloak]), Ok(()));
}
