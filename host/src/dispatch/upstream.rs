//! The one HTTP client to upstream platforms: builds the request an adapter described
//! (after checking it stays on the deployment's origin and sets no header the host
//! owns, see [`origin`] and [`headers`]), attaches the credential where the adapter
//! said, and maps transport failures.

pub mod headers;
pub mod origin;

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use secrecy::ExposeSecret;

use crate::config::UpstreamConfig;
use crate::dispatch::models::Deployment;
use crate::error::GatewayError;
use crate::plugins::bindings::{CredentialPlacement, Method, UpstreamRequest, UpstreamResponse};
use crate::plugins::registry::Adapter;
use crate::plugins::session::PluginFault;

/// The upstream HTTP client.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Upstream {
    /// Builds the client (connection pooling, connect timeout, no redirects: a redirect
    /// would resend the credential somewhere the operator did not configure).
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place the upstream client is built"
    )]
    pub fn new(config: &UpstreamConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            client,
            timeout: Duration::from_secs(config.timeout_secs),
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// Sends what the adapter built. Streamed calls get no total timeout (a stream may
    /// legitimately run for minutes); others are bounded by `upstream.timeout_secs`.
    pub async fn send(
        &self,
        route: &Deployment,
        adapter: &Adapter,
        request: UpstreamRequest,
    ) -> Result<reqwest::Response, GatewayError> {
        let base = route
            .base_url
            .as_ref()
            .or(adapter.default_base.as_ref())
            .ok_or_else(|| GatewayError::UpstreamUnreachable {
                model: route.name.clone(),
                message: format!(
                    "adapter `{}` names no default base URL; set the model's base_url",
                    adapter.info.name
                ),
            })?;
        let broke = |rule: String| GatewayError::plugin(adapter, PluginFault::Contract(rule));
        let mut url = origin::join(base, &request.path_and_query).map_err(broke)?;
        let placement = request
            .credential
            .as_ref()
            .unwrap_or(&adapter.info.credential);
        let credential_header = headers::credential_header(placement).map_err(broke)?;
        let extra = headers::build(&request.headers, credential_header.as_ref()).map_err(broke)?;

        // Only now, with the target fixed to the configured origin, does the key come in.
        let key = route.api_key.as_ref().map(|k| k.expose_secret());
        if let (CredentialPlacement::Query(name), Some(key)) = (placement, key) {
            url.query_pairs_mut().append_pair(name, key);
        }
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, url).headers(extra);
        if let Some(key) = key {
            builder = match (placement, credential_header) {
                (CredentialPlacement::Bearer, _) => builder.bearer_auth(key),
                (CredentialPlacement::Header(_), Some(header)) => builder.header(header, key),
                _ => builder,
            };
        }
        if !request.body.is_empty() {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(request.body);
        }
        if request.response_framing.is_none() {
            builder = builder.timeout(self.timeout);
        }
        builder
            .send()
            .await
            .map_err(|err| transport_error(&route.name, err))
    }

    /// Reads a whole upstream answer, bounded by `upstream.max_response_bytes`.
    pub async fn read(
        &self,
        route: &Deployment,
        response: reqwest::Response,
    ) -> Result<UpstreamResponse, GatewayError> {
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            let piece: Bytes = piece.map_err(|err| transport_error(&route.name, err))?;
            if body.len() + piece.len() > self.max_response_bytes {
                return Err(GatewayError::UpstreamUnreachable {
                    model: route.name.clone(),
                    message: format!("upstream answer exceeds {} bytes", self.max_response_bytes),
                });
            }
            body.extend_from_slice(&piece);
        }
        Ok(UpstreamResponse {
            status,
            headers,
            body,
        })
    }
}

/// Response headers as lower-cased (name, value) pairs; non-UTF-8 values are skipped.
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_string(), v.to_string()))
        })
        .collect()
}

/// Maps a transport error. The URL it tried is named without its query (which may
/// carry a key) and user info, so an operator can tell a wrong `base_url` from a
/// platform that is down.
pub fn transport_error(model: &str, err: reqwest::Error) -> GatewayError {
    if err.is_timeout() {
        return GatewayError::UpstreamTimeout {
            model: model.to_string(),
        };
    }
    // " to http://host:port/path", or nothing when the error carries no URL.
    let target = err.url().map(|url| {
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!(" to {}://{host}:{port}{}", url.scheme(), url.path()),
            None => format!(" to {}://{host}{}", url.scheme(), url.path()),
        }
    });
    let target = target.as_deref().unwrap_or_default();
    let kind = if err.is_connect() {
        format!("cannot connect{target}; check the model's base_url and that the platform is up")
    } else if err.is_body() || err.is_decode() {
        format!("connection{target} broke while reading the answer")
    } else {
        format!("request{target} failed")
    };
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    GatewayError::UpstreamUnreachable {
        model: model.to_string(),
        message: format!("{kind} ({detail})"),
    }
}
