//! The console's files, embedded in the binary from `host/console/` (rust-embed, as
//! `switchyard plugin new` embeds its template; in debug builds too, so a test runs
//! what ships). No CDN, no Node step: the files are the source.
//!
//! Caching: every asset URL carries the build's content hash
//! (`/ui/assets/<hash>/app.js`, relative imports included), so assets are cached for
//! a year as immutable, and a new build is a new URL. The page itself, which names
//! the hash, is `no-cache`: revalidated every time, so an upgrade shows at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use crate::error::GatewayError;

/// The console's HTML, CSS and JavaScript modules.
#[derive(RustEmbed)]
#[folder = "console/"]
struct Files;

/// The pages the console has (`/ui/<page>`); each is the same document, which shows
/// the page its path names.
const PAGES: &[&str] = &[
    "overview",
    "keys",
    "models",
    "components",
    "requests",
    "spend",
    "conversations",
    "responses",
    "playground",
];

/// What replaces this in `index.html`: the build's hash.
const BUILD_MARK: &str = "{{build}}";

/// A hash of every embedded file's name and content: the assets' URL prefix.
static BUILD: LazyLock<String> = LazyLock::new(|| {
    let mut names: Vec<String> = Files::iter().map(|name| name.to_string()).collect();
    names.sort();
    let mut hash = Sha256::new();
    for name in names {
        if let Some(file) = Files::get(&name) {
            hash.update(name.as_bytes());
            hash.update(file.metadata.sha256_hash());
        }
    }
    format!("{:x}", hash.finalize()).chars().take(16).collect()
});

/// The document, with the build's asset URLs.
static INDEX: LazyLock<Option<String>> = LazyLock::new(|| {
    let file = Files::get("index.html")?;
    let text = std::str::from_utf8(&file.data).ok()?;
    Some(text.replace(BUILD_MARK, &BUILD))
});

/// `GET /ui`: the overview.
pub async fn home() -> Response {
    document()
}

/// `GET /ui/<page>`: the document for a known page, else 404.
pub async fn page(Path(page): Path<String>) -> Response {
    if PAGES.contains(&page.as_str()) {
        document()
    } else {
        GatewayError::NotFound {
            message: format!(
                "the console has no page `{page}`; its pages: {}",
                PAGES.join(", ")
            ),
            code: "page_not_found",
        }
        .into_response()
    }
}

fn document() -> Response {
    let Some(index) = INDEX.as_ref() else {
        return GatewayError::Internal("the console's index.html is not embedded".into())
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        index.clone(),
    )
        .into_response()
}

/// `GET /ui/assets/<build>/<path>`: one file of this build, cached for good.
pub async fn asset(Path((build, path)): Path<(String, String)>) -> Response {
    let not_found = || {
        GatewayError::NotFound {
            message: format!("no console file `{path}` in build `{build}`; reload the page"),
            code: "asset_not_found",
        }
        .into_response()
    };
    if build != *BUILD || path == "index.html" {
        return not_found();
    }
    let Some(file) = Files::get(&path) else {
        return not_found();
    };
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// The media type of a console file, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The build hash (tests fetch assets by it).
#[cfg(test)]
pub fn build() -> &'static str {
    &BUILD
}
