//! The console's routes through the whole router: sign-in, the cookie standing in for
//! the admin key, CSRF and cross-site refusals, sign-out, and how files are served.

use axum::body::Body;
use http::{Request, Response, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::CONTENT_SECURITY_POLICY;
use crate::app::App;
use crate::config::Config;

const ADMIN: &str = "admin-secret-for-tests";

async fn app(dir: &tempfile::TempDir, extra: &str) -> App {
    let config = Config::from_toml_str(&format!(
        "[storage]\ndatabase_url = \"sqlite://{}\"\n[auth]\nadmin_key = \"{ADMIN}\"\n\
         enable_client_auth = false\n[plugins]\ndir = {:?}\nhot_reload = false\n{extra}",
        dir.path().join("db.sqlite").display(),
        dir.path().join("plugins")
    ))
    .unwrap();
    App::build(config).await.unwrap()
}

async fn send(app: &App, request: Request<Body>) -> (Response<()>, Value) {
    let response = app.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (Response::from_parts(parts, ()), json)
}

fn json_request(method: &str, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "gw.test")
}

/// Signs in and returns (cookie pair, CSRF token).
async fn sign_in(app: &App) -> (String, String) {
    let body = format!(r#"{{"admin_key":"{ADMIN}"}}"#);
    let request = json_request("POST", "/ui/api/session")
        .body(Body::from(body))
        .unwrap();
    let (response, json) = send(app, request).await;
    assert_eq!(response.status(), 200, "{json}");
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap().to_string();
    (pair, json["csrf_token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_wrong_admin_key_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, "").await;
    let body = r#"{"admin_key":"guess"}"#;
    let request = json_request("POST", "/ui/api/session")
        .body(Body::from(body))
        .unwrap();
    let (response, json) = send(&app, request).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json["error"]["message"], "incorrect admin key");
    assert!(response.headers().get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_session_reads_the_admin_api_and_changes_it_only_with_its_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, "").await;
    let (cookie, csrf) = sign_in(&app).await;

    let list = Request::get("/admin/keys")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let (response, json) = send(&app, list).await;
    assert_eq!(response.status(), 200, "{json}");
    assert_eq!(json["object"], "list");

    let create = |token: Option<&str>, origin: Option<&str>| {
        let body = r#"{"name":"from-console"}"#;
        let mut builder = json_request("POST", "/admin/keys").header(header::COOKIE, &cookie);
        if let Some(token) = token {
            builder = builder.header("x-csrf-token", token);
        }
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(Body::from(body)).unwrap()
    };
    let (response, json) = send(&app, create(None, None)).await;
    assert_eq!(response.status(), 403, "no CSRF token: {json}");
    assert_eq!(json["error"]["code"], "csrf_token_invalid");
    let (response, _) = send(&app, create(Some("forged"), None)).await;
    assert_eq!(response.status(), 403, "a wrong CSRF token");
    let (response, json) = send(&app, create(Some(&csrf), Some("https://evil.test"))).await;
    assert_eq!(response.status(), 403, "another site's page: {json}");
    assert_eq!(json["error"]["code"], "cross_site_request");
    let (response, json) = send(&app, create(Some(&csrf), Some("http://gw.test"))).await;
    assert_eq!(response.status(), 201, "{json}");
    assert!(json["secret"].as_str().unwrap().starts_with("sy-"));
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_forged_cookie_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, "").await;
    let (cookie, csrf) = sign_in(&app).await;
    let session = |cookie: &str| {
        Request::get("/ui/api/session")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let (response, json) = send(&app, session(&cookie)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json["csrf_token"], csrf.as_str());

    let out = Request::delete("/ui/api/session")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    let (response, _) = send(&app, out).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (response, json) = send(&app, session(&cookie)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json["error"]["code"], "session_ended");

    let forged = cookie.replace("switchyard_console=v1.", "switchyard_console=v1.0");
    let (response, json) = send(&app, session(&forged)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json["error"]["code"], "session_invalid");
    let (response, json) = send(&app, session("other=1")).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json["error"]["code"], "missing_api_key");
}

#[tokio::test]
async fn pages_are_revalidated_and_assets_are_immutable_under_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, "").await;
    let (response, _) = send(&app, Request::get("/ui/keys").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        CONTENT_SECURITY_POLICY
    );
    let page = app
        .router
        .clone()
        .oneshot(Request::get("/ui").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let html = page.into_body().collect().await.unwrap().to_bytes();
    let html = std::str::from_utf8(&html).unwrap();
    let build = super::assets::build();
    assert!(html.contains(&format!("/ui/assets/{build}/app.js")));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "nothing inline"
    );

    let asset = Request::get(format!("/ui/assets/{build}/app.js"))
        .body(Body::empty())
        .unwrap();
    let (response, _) = send(&app, asset).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let stale = Request::get("/ui/assets/0000/app.js")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, stale).await.0.status(), 404);
    let unknown = Request::get("/ui/nope").body(Body::empty()).unwrap();
    assert_eq!(send(&app, unknown).await.0.status(), 404);
}

#[tokio::test]
async fn the_console_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, "[console]\nenabled = false\n").await;
    let (response, _) = send(&app, Request::get("/ui").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), 404);
    let with_cookie = Request::get("/admin/keys")
        .header(header::COOKIE, "switchyard_console=v1.x.1.y")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, with_cookie).await.0.status(), 401);
}
