//! How the upstream client reaches a platform: directly, or through the proxy the
//! environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, in
//! either case, read as curl reads them). An `https` platform is reached through a
//! CONNECT tunnel, so TLS runs end to end and the proxy sees only the host name; an
//! `http` one by sending the request, in absolute form, to the proxy.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use http::uri::Scheme;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The proxies named by the environment, if any.
#[derive(Debug, Clone)]
pub struct Proxies(Option<Arc<Matcher>>);

impl Proxies {
    /// Reads the proxy variables once, at start.
    pub fn from_env() -> Self {
        const NAMES: &[&str] = &["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"];
        let named = NAMES.iter().any(|name| {
            std::env::var_os(name).is_some_and(|v| !v.is_empty())
                || std::env::var_os(name.to_ascii_lowercase()).is_some_and(|v| !v.is_empty())
        });
        Self(named.then(|| Arc::new(Matcher::from_env())))
    }

    /// The proxy `dst` goes through, if one does.
    pub fn intercept(&self, dst: &Uri) -> Option<Intercept> {
        self.0.as_ref()?.intercept(dst)
    }
}

/// Opens TCP connections to platforms or to their proxy.
#[derive(Debug, Clone)]
pub struct Connector {
    tcp: HttpConnector,
    proxies: Proxies,
}

impl Connector {
    /// Connects with `tcp`, through `proxies` where they apply.
    pub fn new(tcp: HttpConnector, proxies: Proxies) -> Self {
        Self { tcp, proxies }
    }
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let proxy = self.proxies.intercept(&dst);
        Box::pin(async move {
            let Some(proxy) = proxy else {
                let io = tcp.call(dst).await?;
                return Ok(Stream { io, proxied: false });
            };
            let proxy_uri = proxy.uri().clone();
            if proxy_uri.scheme() != Some(&Scheme::HTTP) {
                return Err(format!(
                    "the proxy `{}` named by the environment is not an http:// proxy, \
                     the only kind the gateway speaks",
                    shown(&proxy_uri)
                )
                .into());
            }
            if dst.scheme() == Some(&Scheme::HTTPS) {
                let mut tunnel = Tunnel::new(proxy_uri, tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let io = tunnel.ready().await?.call(dst).await?;
                Ok(Stream { io, proxied: false })
            } else {
                let io = tcp.call(proxy_uri).await?;
                Ok(Stream { io, proxied: true })
            }
        })
    }
}

/// A proxy's address without its user info.
fn shown(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("?");
    let host = uri.host().unwrap_or_default();
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// A connection to a platform, or to the proxy that forwards plain-HTTP requests to
/// it (then hyper writes request targets in absolute form).
#[derive(Debug)]
pub struct Stream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    fn through(proxy: &str) -> Connector {
        let matcher = Matcher::builder().all(proxy).build();
        Connector::new(HttpConnector::new(), Proxies(Some(Arc::new(matcher))))
    }

    /// Accepts one connection and returns what it first read, answering `reply`.
    async fn proxy_answering(reply: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = vec![0; 1024];
            let read = socket.read(&mut head).await.unwrap();
            socket.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&head[..read]).into_owned()
        });
        (addr, task)
    }

    #[tokio::test]
    async fn plain_http_goes_to_the_proxy_marked_as_proxied() {
        let (addr, task) = proxy_answering("").await;
        let mut connector = through(&format!("http://{addr}"));
        let uri: Uri = "http://platform.invalid/v1/chat".parse().unwrap();
        let stream = connector.call(uri).await.unwrap();
        assert!(stream.connected().is_proxied());
        drop(stream);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn https_is_tunnelled_and_not_marked_as_proxied() {
        let (addr, task) = proxy_answering("HTTP/1.1 200 Connection established\r\n\r\n").await;
        let mut connector = through(&format!("http://{addr}"));
        let uri: Uri = "https://platform.invalid/v1/chat".parse().unwrap();
        let stream = connector.call(uri).await.unwrap();
        assert!(!stream.connected().is_proxied());
        let head = task.await.unwrap();
        assert!(
            head.starts_with("CONNECT platform.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_proxy_that_is_not_http_is_refused_by_name_without_its_password() {
        for proxy in [
            "socks5://user:pw@127.0.0.1:1080",
            "https://user:pw@127.0.0.1:3128",
        ] {
            let mut connector = through(proxy);
            let uri: Uri = "https://platform.invalid/".parse().unwrap();
            let err = connector.call(uri).await.unwrap_err().to_string();
            assert!(err.contains("not an http:// proxy"), "{err}");
            assert!(err.contains("127.0.0.1"), "{err}");
            assert!(!err.contains("pw"), "{err}");
        }
    }

    #[tokio::test]
    async fn without_proxies_nothing_is_intercepted() {
        let uri: Uri = "https://api.openai.com/v1".parse().unwrap();
        assert!(Proxies(None).intercept(&uri).is_none());
    }
}
