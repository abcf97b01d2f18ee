use http::{HeaderMap, HeaderValue, Method, header};
use secrecy::SecretString;

use super::*;

const NOW: i64 = 1_700_000_000;

fn sessions(admin: &str) -> Sessions {
    Sessions::new(&SecretString::from(admin.to_string()), 3600, false)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

#[test]
fn a_minted_cookie_verifies_until_it_expires() {
    let sessions = sessions("admin-secret");
    let (session, value) = sessions.mint(NOW).unwrap();
    assert_eq!(session.expires_at, NOW + 3600);
    assert_eq!(sessions.verify(&value, NOW + 10), Ok(session.clone()));
    assert_eq!(sessions.verify(&value, NOW + 3600), Err(Invalid::Expired));
    assert!(
        !value.contains("admin-secret"),
        "the cookie never holds the key"
    );
    let (other, _) = sessions.mint(NOW).unwrap();
    assert_ne!(other.id, session.id, "every session has its own id");
}

#[test]
fn another_process_with_the_same_admin_key_accepts_it_and_another_key_does_not() {
    let (session, value) = sessions("admin-secret").mint(NOW).unwrap();
    assert_eq!(sessions(" admin-secret ").verify(&value, NOW), Ok(session));
    assert_eq!(
        sessions("rotated-admin").verify(&value, NOW),
        Err(Invalid::Forged),
        "changing the admin key ends every session"
    );
}

#[test]
fn a_tampered_cookie_is_forged() {
    let sessions = sessions("admin-secret");
    let (session, value) = sessions.mint(NOW).unwrap();
    let extended = value.replacen(
        &format!(".{}.", session.expires_at),
        &format!(".{}.", session.expires_at + 999_999),
        1,
    );
    assert_eq!(sessions.verify(&extended, NOW), Err(Invalid::Forged));
    for junk in ["", "v1", "v1.a.b", "v1.a.1.!!!", "x.y.z.w.v"] {
        assert_eq!(sessions.verify(junk, NOW), Err(Invalid::Forged), "{junk:?}");
    }
    let (mac_payload, mac) = value.rsplit_once('.').unwrap();
    let swapped = format!("{}.{mac}", mac_payload.replacen("v1", "v2", 1));
    assert_eq!(sessions.verify(&swapped, NOW), Err(Invalid::Forged));
}

#[test]
fn the_csrf_token_belongs_to_one_session() {
    let sessions = sessions("admin-secret");
    let (one, _) = sessions.mint(NOW).unwrap();
    let (two, _) = sessions.mint(NOW).unwrap();
    let token = sessions.csrf_token(&one);
    assert!(sessions.csrf_matches(&one, &token));
    assert!(!sessions.csrf_matches(&two, &token));
    assert!(!sessions.csrf_matches(&one, ""));
    assert!(!sessions.csrf_matches(&one, "not base64 !"));
}

#[test]
fn the_cookie_is_http_only_strict_and_secure_behind_https() {
    let sessions = sessions("k");
    let plain = sessions.cookie("v", &HeaderMap::new()).unwrap();
    let plain = plain.to_str().unwrap();
    assert!(plain.starts_with("switchyard_console=v; Path=/; Max-Age=3600"));
    assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
    assert!(!plain.contains("Secure"));
    let proxied = sessions
        .cookie("v", &headers(&[("x-forwarded-proto", "https")]))
        .unwrap();
    assert!(proxied.to_str().unwrap().ends_with("; Secure"));
    let always = Sessions::new(&SecretString::from("k".to_string()), 60, true);
    assert!(
        always
            .cookie("v", &HeaderMap::new())
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    assert!(
        sessions
            .clearing_cookie(&HeaderMap::new())
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[test]
fn the_cookie_is_found_among_others() {
    let map = headers(&[(
        header::COOKIE.as_str(),
        "a=1; switchyard_console=abc.def ; b=2",
    )]);
    assert_eq!(cookie_value(&map), Some("abc.def"));
    assert_eq!(cookie_value(&headers(&[("cookie", "a=1")])), None);
    assert_eq!(
        cookie_value(&headers(&[("cookie", "switchyard_console=")])),
        None
    );
}

#[test]
fn cross_site_state_changes_are_refused() {
    let post = Method::POST;
    let same = headers(&[
        ("host", "gw.example:8080"),
        ("origin", "http://gw.example:8080"),
        ("sec-fetch-site", "same-origin"),
    ]);
    assert!(from_this_site(&post, &same));
    let evil = headers(&[
        ("host", "gw.example:8080"),
        ("origin", "https://evil.example"),
    ]);
    assert!(!from_this_site(&post, &evil));
    let cross = headers(&[("host", "gw.example"), ("sec-fetch-site", "cross-site")]);
    assert!(!from_this_site(&post, &cross));
    let same_site = headers(&[("host", "gw.example"), ("sec-fetch-site", "same-site")]);
    assert!(
        !from_this_site(&post, &same_site),
        "another port or subdomain"
    );
    assert!(from_this_site(&Method::GET, &evil), "reads change nothing");
    let proxied = headers(&[
        ("host", "10.0.0.5:8080"),
        ("x-forwarded-host", "gw.example"),
        ("origin", "https://gw.example"),
    ]);
    assert!(from_this_site(&post, &proxied));
    assert!(
        from_this_site(&post, &headers(&[("host", "gw.example")])),
        "a script (no Origin) is judged by its CSRF token"
    );
}
