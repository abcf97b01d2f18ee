//! HTTP/1.1 by hand over one TCP connection, so a test controls every byte and sees
//! exactly when the server closes.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One response read off a connection.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header's value (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// `GET path` on a keep-alive connection.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

/// `POST path` with a JSON body on a keep-alive connection.
pub fn post_json(path: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Sends `request` and reads one response, within `limit`.
pub async fn exchange(
    stream: &mut TcpStream,
    request: &str,
    limit: Duration,
) -> Result<RawResponse, String> {
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|err| format!("sending the request: {err}"))?;
    tokio::time::timeout(limit, read_response(stream))
        .await
        .map_err(|_| format!("no whole response within {limit:?}"))?
}

/// Reads one response: the head, then a body framed by `content-length`, chunked, or
/// by the end of the connection. Bytes that arrived before a reset still count.
pub async fn read_response(stream: &mut TcpStream) -> Result<RawResponse, String> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        if fill(stream, &mut buffer).await == 0 {
            return Err(format!(
                "the connection ended inside the response head: {:?}",
                String::from_utf8_lossy(&buffer)
            ));
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {head:?}"))?;
    let mut response = RawResponse {
        status,
        head,
        body: Vec::new(),
    };
    let mut rest = buffer.split_off(head_end);
    if let Some(length) = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        while rest.len() < length {
            if fill(stream, &mut rest).await == 0 {
                return Err(format!(
                    "the body ended after {} of {length} bytes",
                    rest.len()
                ));
            }
        }
        rest.truncate(length);
        response.body = rest;
    } else if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        while find(&rest, b"0\r\n\r\n").is_none() {
            if fill(stream, &mut rest).await == 0 {
                break;
            }
        }
        response.body = dechunk(&rest);
    } else {
        while fill(stream, &mut rest).await > 0 {}
        response.body = rest;
    }
    Ok(response)
}

/// Reads (and drops) whatever the server still sends until it closes the connection;
/// how long that took, or an error if it stays open past `limit`.
pub async fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let mut sink = Vec::new();
    match tokio::time::timeout(limit, async {
        while fill(stream, &mut sink).await > 0 {
            sink.clear();
        }
    })
    .await
    {
        Ok(()) => Ok(started.elapsed()),
        Err(_) => Err(format!("the connection was still open after {limit:?}")),
    }
}

/// Reads more bytes into `buffer`; 0 at the end of the connection or on a reset.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> usize {
    let mut chunk = [0_u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            n
        }
        Err(_) => 0,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = find(raw, b"\r\n") {
        let size = std::str::from_utf8(&raw[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(raw.len());
        body.extend_from_slice(&raw[start..end]);
        raw = &raw[(end + 2).min(raw.len())..];
    }
    body
}
