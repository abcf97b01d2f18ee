//! Console sessions: signing in with the admin key gives the browser a cookie that
//! stands for the admin key on `/admin` and the console's own routes.
//!
//! The cookie is stateless and signed: `v1.<session id>.<expires at>.<MAC>`, the MAC an
//! HMAC-SHA256 under a key derived from the admin key. Any gateway process configured
//! with the same admin key accepts a session another one minted, without a shared
//! session table; changing the admin key ends every session at once. Ending one
//! session early (sign-out) is the one thing that needs shared state: its id is
//! written to the store (`console_sessions_ended`, kept until the cookie would have
//! expired) and every process checks it on each request, one primary-key lookup.
//!
//! The cookie is `HttpOnly` (scripts never see it), `SameSite=Strict` (no other site's
//! page can make the browser send it), `Path=/`, with a `Max-Age`, and `Secure` when
//! the request came over HTTPS (per `X-Forwarded-Proto` from a TLS-terminating proxy,
//! or always with `console.secure_cookie`). Every state change also needs the
//! session's CSRF token in the `x-csrf-token` header: an HMAC of the session id the
//! page reads from `GET /ui/api/session` and keeps in memory only, so a forged
//! cross-site request, which can neither read it nor set the header, is refused; so
//! is one whose `Origin` or `Sec-Fetch-Site` says it came from another site.

use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, header};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The session cookie's name.
pub const COOKIE: &str = "switchyard_console";
/// The header a state change carries the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The token format's version, first in every cookie.
const VERSION: &str = "v1";
/// What the MAC key is derived for (a different purpose gives a different key).
const KEY_CONTEXT: &[u8] = b"switchyard console session key v1";

type HmacSha256 = Hmac<Sha256>;

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Random, 128 bits, hex: what sign-out records.
    pub id: String,
    /// When it ends, unix seconds.
    pub expires_at: i64,
}

/// Why a cookie does not stand for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// Not a cookie this gateway wrote, or signed under another admin key.
    Forged,
    /// Past its expiry.
    Expired,
}

/// Mints and checks session cookies and CSRF tokens.
pub struct Sessions {
    key: [u8; 32],
    ttl_secs: i64,
    always_secure: bool,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions signed under a key derived from `admin_key`, lasting `ttl_secs`.
    pub fn new(admin_key: &SecretString, ttl_secs: u64, always_secure: bool) -> Self {
        let mut mac = mac_with(admin_key.expose_secret().trim().as_bytes());
        mac.update(KEY_CONTEXT);
        Self {
            key: mac.finalize().into_bytes().into(),
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(i64::MAX),
            always_secure,
        }
    }

    /// How long a session lasts, seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// A new session from `now` (unix seconds), and its cookie value.
    pub fn mint(&self, now: i64) -> Result<(Session, String), getrandom::Error> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random)?;
        let id: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let session = Session {
            id,
            expires_at: now.saturating_add(self.ttl_secs),
        };
        let payload = format!("{VERSION}.{}.{}", session.id, session.expires_at);
        let value = format!("{payload}.{}", self.sign(payload.as_bytes()));
        Ok((session, value))
    }

    /// The session a cookie value stands for at `now`: signature first (in constant
    /// time), then expiry. Ended sessions are the caller's to check (in the store).
    pub fn verify(&self, value: &str, now: i64) -> Result<Session, Invalid> {
        let (payload, signature) = value.rsplit_once('.').ok_or(Invalid::Forged)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Invalid::Forged)?;
        let mut mac = mac_with(&self.key);
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).map_err(|_| Invalid::Forged)?;
        let mut parts = payload.split('.');
        let (Some(VERSION), Some(id), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Invalid::Forged);
        };
        let expires_at: i64 = expires.parse().map_err(|_| Invalid::Forged)?;
        if expires_at <= now {
            return Err(Invalid::Expired);
        }
        Ok(Session {
            id: id.to_string(),
            expires_at,
        })
    }

    /// The session's CSRF token.
    pub fn csrf_token(&self, session: &Session) -> String {
        self.sign(format!("csrf.{}", session.id).as_bytes())
    }

    /// Whether `presented` is the session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, session: &Session, presented: &str) -> bool {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
            return false;
        };
        let mut mac = mac_with(&self.key);
        mac.update(format!("csrf.{}", session.id).as_bytes());
        mac.verify_slice(&presented).is_ok()
    }

    /// The `Set-Cookie` value carrying `value` for the session's life.
    pub fn cookie(&self, value: &str, headers: &HeaderMap) -> Option<HeaderValue> {
        let secure = if self.always_secure || came_over_https(headers) {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            self.ttl_secs
        ))
        .ok()
    }

    /// The `Set-Cookie` value that makes the browser forget the cookie.
    pub fn clearing_cookie(&self, headers: &HeaderMap) -> HeaderValue {
        let secure = self.always_secure || came_over_https(headers);
        HeaderValue::from_static(if secure {
            "switchyard_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
        } else {
            "switchyard_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        })
    }

    fn sign(&self, payload: &[u8]) -> String {
        let mut mac = mac_with(&self.key);
        mac.update(payload);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

fn mac_with(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac())
}

#[expect(
    clippy::panic,
    reason = "HMAC accepts keys of every length: this cannot run"
)]
fn unreachable_hmac() -> HmacSha256 {
    panic!("HMAC refused a key")
}

/// The session cookie's value among the request's cookies.
pub fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether a TLS-terminating proxy in front says the browser used HTTPS. A client
/// that sends it falsely over plain HTTP only gets a cookie its browser will not keep.
fn came_over_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// Whether a request may change state on behalf of a session: not a safe method, or
/// one a browser says came from this very origin. A browser marks a cross-site request
/// with `Sec-Fetch-Site` and `Origin`; either naming another site refuses it (the CSRF
/// token is checked besides).
pub fn from_this_site(method: &Method, headers: &HeaderMap) -> bool {
    if is_safe(method) {
        return true;
    }
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    if let Some(site) = fetch_site
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let hosts = [header::HOST.as_str(), "x-forwarded-host"];
    hosts.iter().any(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
    })
}

/// GET, HEAD and OPTIONS change nothing.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests;
