//! Accepting client connections. `axum::serve` accepts every connection and waits for
//! a request head forever, so idle or slow clients (slowloris) could hold every file
//! descriptor. This loop bounds both: each connection gets `header_read_timeout` to
//! deliver a request head (counted again while a keep-alive connection waits for its
//! next request, so idle connections close too), and at most `max_connections` are
//! served at once; one more is answered a 503 in the OpenAI error shape and closed.
//! hyper's header timer starts only once the protocol is known, so the first bytes
//! (which tell HTTP/1.1 from HTTP/2) are bounded here too ([`FirstBytes`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use metrics::{counter, gauge};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::config::ServerConfig;

/// Connections being served now.
pub const CONNECTIONS_OPEN: &str = "switchyard_connections_open";
/// Connections refused because `server.max_connections` were open.
pub const CONNECTIONS_REFUSED: &str = "switchyard_connections_refused_total";

/// How long a refused connection gets to read its 503.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// The pause after an accept error (out of file descriptors, most likely), so the loop
/// does not spin while nothing can be accepted.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The answer to a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 146\r\n\r\n\
{\"error\":{\"message\":\"the gateway has too many open connections; retry shortly\",\"type\":\"server_error\",\"param\":null,\"code\":\"too_many_connections\"}}\n";

/// The connection settings of `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a connection gets to deliver each request head.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl From<&ServerConfig> for Limits {
    fn from(server: &ServerConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_millis(server.header_read_timeout_ms),
            max_connections: server.max_connections,
        }
    }
}

/// Raises the open-file soft limit to the hard limit, so the connection cap, not the
/// default 1,024 descriptors, decides how many clients can be connected. Returns the
/// limit now in force.
pub fn raise_open_file_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and
/// waits for the open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            counter!(CONNECTIONS_REFUSED).increment(1);
            tokio::spawn(refuse(stream));
            continue;
        };
        // Small writes (SSE events) go out at once.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let stream = FirstBytes::new(stream, limits.header_read_timeout);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            gauge!(CONNECTIONS_OPEN).increment(1.0);
            // Errors here are the client's (a reset, a malformed or late request head):
            // hyper has already answered or closed, and there is no one to tell.
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            gauge!(CONNECTIONS_OPEN).decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Bytes hyper needs before it can tell HTTP/1.1 from HTTP/2 (the length of the HTTP/2
/// connection preface).
const PROTOCOL_SNIFF_BYTES: usize = 24;

/// A connection whose first bytes must arrive before a deadline: a client that connects
/// and sends nothing (or trickles the first few bytes) is cut off after the header
/// timeout, like one that trickles a request head.
struct FirstBytes<T> {
    inner: T,
    deadline: Pin<Box<tokio::time::Sleep>>,
    awaited: usize,
}

impl<T> FirstBytes<T> {
    fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            awaited: PROTOCOL_SNIFF_BYTES,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FirstBytes<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.awaited == 0 {
            return read;
        }
        match read {
            Poll::Ready(Ok(())) => {
                let got = buf.filled().len().saturating_sub(before);
                this.awaited = this.awaited.saturating_sub(got);
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.deadline.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no request within the header timeout",
                )))
            }
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FirstBytes<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Answers a connection over the cap with a 503 and closes it. Whatever the client
/// already sent is read first (briefly), so the close does not reset the connection
/// before the answer is read.
async fn refuse(mut stream: TcpStream) {
    let linger = async {
        let mut sink = [0_u8; 4096];
        let _ = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut sink)).await;
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        while stream.read(&mut sink).await? > 0 {}
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, linger).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn silence_before_the_first_bytes_ends_the_connection_but_not_after() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut wrapped = FirstBytes::new(server, Duration::from_secs(10));
        let mut buf = [0_u8; 64];
        let err = wrapped.read(&mut buf).await.unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::TimedOut,
            "a silent client is cut off"
        );

        let (mut client2, server2) = tokio::io::duplex(64);
        let mut wrapped = FirstBytes::new(server2, Duration::from_secs(10));
        client2
            .write_all(&[b'G'; PROTOCOL_SNIFF_BYTES])
            .await
            .unwrap();
        let mut got = 0;
        while got < PROTOCOL_SNIFF_BYTES {
            got += wrapped.read(&mut buf).await.unwrap();
        }
        // Past the protocol sniff, hyper's own header timer takes over: silence here is
        // not this wrapper's business.
        let waited = tokio::time::timeout(Duration::from_secs(60), wrapped.read(&mut buf)).await;
        assert!(waited.is_err(), "no deadline once the first bytes are in");
        client.write_all(b"x").await.unwrap();
    }

    #[test]
    fn the_refusal_is_a_well_formed_openai_error() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, body.len(), "content-length matches the body");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "too_many_connections");
    }
}
