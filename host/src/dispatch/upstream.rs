//! The one HTTP client to upstream platforms: builds the request an adapter described
//! (after checking it stays on the deployment's origin and sets no header the host
//! owns, see [`origin`] and [`headers`]), attaches the credential where the adapter
//! said, and maps transport failures.
//!
//! It is hyper's pooled client over rustls, the parts reqwest is made of, without
//! reqwest's layers: redirects are never followed here (a redirect would resend the
//! credential somewhere the operator did not configure), and reqwest re-parsed the
//! URL twice per request to decide on them.

pub mod connect;
pub mod headers;
pub mod origin;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use secrecy::ExposeSecret;
use url::Url;

use crate::config::UpstreamConfig;
use crate::dispatch::models::Deployment;
use crate::error::GatewayError;
use crate::plugins::bindings::{CredentialPlacement, Method, UpstreamRequest, UpstreamResponse};
use crate::plugins::registry::Adapter;
use crate::plugins::session::PluginFault;

/// An upstream answer: its head, and its body still to be read.
pub type Response = http::Response<Incoming>;

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// TCP keepalive on upstream connections, so a silent peer is noticed during a long
/// stream.
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);

type Connector = hyper_rustls::HttpsConnector<connect::Connector>;

/// The upstream HTTP client.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: Client<Connector, Full<Bytes>>,
    /// The proxies the environment names (their credentials go on plain-HTTP calls).
    proxies: connect::Proxies,
    timeout: Duration,
    max_response_bytes: usize,
}

/// Where a response came from and until when its body may be read, kept on the
/// response for the reader.
#[derive(Clone)]
struct Sent {
    url: Url,
    read_by: Option<Instant>,
}

impl Upstream {
    /// Builds the client: pooled keep-alive connections, HTTP/2 where the platform
    /// offers it (ALPN), a connect timeout, no Nagle delay, rustls with the webpki
    /// roots, and the proxy the environment names ([`connect`]).
    pub fn new(config: &UpstreamConfig) -> Result<Self, rustls::Error> {
        let proxies = connect::Proxies::from_env();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(config.connect_timeout_secs)));
        http.set_keepalive(Some(TCP_KEEPALIVE));
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(connect::Connector::new(http, proxies.clone()));
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Ok(Self {
            client,
            proxies,
            timeout: Duration::from_secs(config.timeout_secs),
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// Sends what the adapter built. Streamed calls get no total timeout (a stream may
    /// legitimately run for minutes); others are bounded by `upstream.timeout_secs`,
    /// their body included.
    pub async fn send(
        &self,
        route: &Deployment,
        adapter: &Adapter,
        request: UpstreamRequest,
    ) -> Result<Response, GatewayError> {
        let started = Instant::now();
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
        let mut extra =
            headers::build(&request.headers, credential_header.as_ref()).map_err(broke)?;

        // Only now, with the target fixed to the configured origin, does the key come in.
        let key = route.api_key.as_ref().map(|k| k.expose_secret());
        if let (CredentialPlacement::Query(name), Some(key)) = (placement, key) {
            url.query_pairs_mut().append_pair(name, key);
        }
        if let Some(key) = key {
            let credential = match (placement, credential_header) {
                (CredentialPlacement::Bearer, _) => {
                    Some((header::AUTHORIZATION, format!("Bearer {key}")))
                }
                (CredentialPlacement::Header(_), Some(name)) => Some((name, key.to_owned())),
                _ => None,
            };
            if let Some((name, value)) = credential {
                let mut value = HeaderValue::try_from(value).map_err(|_| {
                    GatewayError::UpstreamUnreachable {
                        model: route.name.clone(),
                        message: "the model's api_key holds characters a header cannot carry"
                            .into(),
                    }
                })?;
                value.set_sensitive(true);
                extra.insert(name, value);
            }
        }
        if !request.body.is_empty() {
            extra.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        extra
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        let method = match request.method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
        };
        let uri = http::Uri::try_from(url.as_str())
            .map_err(|err| broke(format!("the upstream URL is not valid: {err}")))?;
        if uri.scheme() == Some(&http::uri::Scheme::HTTP)
            && let Some(auth) = self
                .proxies
                .intercept(&uri)
                .and_then(|proxy| proxy.basic_auth().cloned())
        {
            extra.insert(header::PROXY_AUTHORIZATION, auth);
        }
        let mut outgoing = http::Request::new(Full::new(Bytes::from(request.body)));
        *outgoing.method_mut() = method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = extra;

        let read_by = request
            .response_framing
            .is_none()
            .then(|| started + self.timeout);
        let sent = self.client.request(outgoing);
        let answer = match read_by {
            Some(limit) => tokio::time::timeout_at(limit.into(), sent)
                .await
                .map_err(|_| GatewayError::UpstreamTimeout {
                    model: route.name.clone(),
                })?,
            None => sent.await,
        };
        let mut response = answer.map_err(|err| send_error(&route.name, &url, &err))?;
        response.extensions_mut().insert(Sent { url, read_by });
        Ok(response)
    }

    /// Reads a whole upstream answer, bounded by `upstream.max_response_bytes` (and,
    /// for a call that was not streamed, by `upstream.timeout_secs`).
    pub async fn read(
        &self,
        route: &Deployment,
        response: Response,
    ) -> Result<UpstreamResponse, GatewayError> {
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let (parts, mut body) = response.into_parts();
        let sent = parts.extensions.get::<Sent>();
        let collect = async {
            let mut whole = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|err| body_error(&route.name, sent, &err))?;
                let Ok(piece) = frame.into_data() else {
                    continue; // trailers
                };
                if whole.len() + piece.len() > self.max_response_bytes {
                    return Err(GatewayError::UpstreamUnreachable {
                        model: route.name.clone(),
                        message: format!(
                            "upstream answer exceeds {} bytes",
                            self.max_response_bytes
                        ),
                    });
                }
                whole.extend_from_slice(&piece);
            }
            Ok(whole)
        };
        let body = match sent.and_then(|sent| sent.read_by) {
            Some(limit) => tokio::time::timeout_at(limit.into(), collect)
                .await
                .map_err(|_| GatewayError::UpstreamTimeout {
                    model: route.name.clone(),
                })??,
            None => collect.await?,
        };
        Ok(UpstreamResponse {
            status,
            headers,
            body,
        })
    }
}

/// A streamed answer's body as its data pieces (trailers skipped), each failure
/// already a [`GatewayError`] naming `model` and where the answer came from.
pub fn body_stream(
    model: &str,
    response: Response,
) -> futures_util::stream::BoxStream<'static, Result<Bytes, GatewayError>> {
    use futures_util::StreamExt;
    let (parts, body) = response.into_parts();
    let sent = parts.extensions.get::<Sent>().cloned();
    let model = model.to_owned();
    body.into_data_stream()
        .map(move |piece| piece.map_err(|err| body_error(&model, sent.as_ref(), &err)))
        .boxed()
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

/// Maps a failure to send a request or read its head. The URL it tried is named
/// without its query (which may carry a key) and user info, so an operator can tell a
/// wrong `base_url` from a platform that is down.
fn send_error(model: &str, url: &Url, err: &hyper_util::client::legacy::Error) -> GatewayError {
    let target = target(url);
    if err.is_connect() && timed_out(err) {
        return GatewayError::UpstreamTimeout {
            model: model.to_string(),
        };
    }
    let kind = if err.is_connect() {
        format!(
            "cannot connect to {target}; check the model's base_url and that the platform is up"
        )
    } else {
        format!("request to {target} failed")
    };
    GatewayError::UpstreamUnreachable {
        model: model.to_string(),
        message: format!("{kind} ({})", chain(err)),
    }
}

/// Maps a failure while reading an answer's body.
fn body_error(model: &str, sent: Option<&Sent>, err: &hyper::Error) -> GatewayError {
    let target = sent.map_or_else(|| "the upstream".to_owned(), |sent| target(&sent.url));
    GatewayError::UpstreamUnreachable {
        model: model.to_string(),
        message: format!(
            "connection to {target} broke while reading the answer ({})",
            chain(err)
        ),
    }
}

/// `scheme://host[:port]/path`: the URL without user info and query.
fn target(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// An error and its causes, outermost first.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |err| err.source())
}

/// An error and its causes, joined with `: `.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    causes(err)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Whether a connect failure was the connect timeout running out.
fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}
