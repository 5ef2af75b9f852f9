use axum::http::HeaderValue;

use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(*name, HeaderValue::from_str(value).expect("header"));
    }
    headers
}

fn transport() -> CookieTransport {
    CookieTransport::new(["https://app.example"])
}

#[test]
fn cookies_are_host_prefixed_http_only_secure_and_lax() {
    let cookies = transport();
    let access = cookies.set_cookie(cookies.access_cookie(), "jwt", Some(1800));
    assert_eq!(
        access,
        "__Host-access_token=jwt; Path=/; Max-Age=1800; SameSite=Lax; Secure; HttpOnly"
    );
    let csrf = cookies.set_cookie(cookies.csrf_cookie(), "t", None);
    assert_eq!(csrf, "__Host-csrf_token=t; Path=/; SameSite=Lax; Secure", "readable by scripts");
    let refresh = cookies.set_cookie(cookies.refresh_cookie(), "r", None);
    assert_eq!(
        refresh,
        "__Secure-refresh_token=r; Path=/session/refresh; SameSite=Strict; Secure; HttpOnly"
    );
    let dev = CookieTransport::new(["http://localhost:8000"]).insecure_http_for_development();
    assert_eq!(
        dev.set_cookie(dev.access_cookie(), "jwt", Some(0)),
        "access_token=jwt; Path=/; Max-Age=0; SameSite=Lax; HttpOnly"
    );
}

#[test]
fn the_bearer_header_wins_over_the_cookie() {
    let cookies = transport();
    let both = headers(&[
        ("authorization", "Bearer header-token"),
        ("cookie", "__Host-access_token=cookie-token"),
    ]);
    assert_eq!(access_token(&both, Some(&cookies)), Ok(("header-token", Transport::Bearer)));
    let cookie_only = headers(&[("cookie", "a=b; __Host-access_token=cookie-token")]);
    assert_eq!(access_token(&cookie_only, Some(&cookies)), Ok(("cookie-token", Transport::Cookie)));
    assert_eq!(access_token(&cookie_only, None), Err(AuthError::NotAuthenticated), "cookies off");
    let foreign_scheme =
        headers(&[("authorization", "Basic x"), ("cookie", "__Host-access_token=t")]);
    assert_eq!(access_token(&foreign_scheme, Some(&cookies)), Err(AuthError::NotAuthenticated));
}

#[test]
fn a_duplicated_cookie_is_refused_not_guessed() {
    let planted =
        headers(&[("cookie", "__Host-access_token=a"), ("cookie", "__Host-access_token=b")]);
    assert_eq!(access_token(&planted, Some(&transport())), Err(AuthError::InvalidToken));
}

#[test]
fn csrf_tokens_are_bound_to_their_session() {
    let cookies = transport();
    let token = cookies.csrf_token("session-a");
    assert!(cookies.csrf_token_is_for(&token, "session-a"));
    assert!(!cookies.csrf_token_is_for(&token, "session-b"));
    assert!(!transport().csrf_token_is_for(&token, "session-a"), "another key");
    for forged in ["", ".", "abc", "abc.", "abc.!!!"] {
        assert!(!cookies.csrf_token_is_for(forged, "session-a"), "{forged:?}");
    }
}

#[test]
fn cross_site_fetches_and_foreign_origins_are_refused() {
    let cookies = transport();
    for (site, ok) in
        [("same-origin", true), ("none", true), ("same-site", false), ("cross-site", false)]
    {
        let result = cookies.check_origin(&headers(&[("sec-fetch-site", site)]));
        assert_eq!(result.is_ok(), ok, "{site}");
    }
    assert!(cookies.check_origin(&headers(&[("origin", "https://app.example")])).is_ok());
    assert_eq!(
        cookies.check_origin(&headers(&[("origin", "https://evil.example")])),
        Err(AuthError::CrossSiteRequest("Origin not allowed"))
    );
    assert!(
        cookies.check_origin(&headers(&[])).is_ok(),
        "no browser headers: the token check decides"
    );
}
