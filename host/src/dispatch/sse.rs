//! Stream framing: upstream bytes -> complete events (SSE or NDJSON), and OpenAI
//! chunks -> SSE bytes for the client. Framing is where gateways break, so it is done
//! once, here: LF, CRLF and CR line ends, terminators split across reads, optional
//! space after the colon, multi-line `data:`, comments, and a last event with no
//! closing blank line.

use bytes::{BufMut, Bytes, BytesMut};

use crate::plugins::bindings::{StreamEvent, StreamFraming};

/// Largest single event accepted from an upstream; beyond it the stream is broken.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// An upstream stream that cannot be framed.
#[derive(Debug, thiserror::Error)]
#[error("upstream stream event exceeds {MAX_EVENT_BYTES} bytes")]
pub struct EventTooLarge;

/// Splits an upstream byte stream into complete events.
#[derive(Debug)]
pub struct Framer {
    framing: StreamFraming,
    buf: Vec<u8>,
    /// Set when the buffer ended in `\r`: a `\n` opening the next read belongs to it.
    skip_lf: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl Framer {
    /// A framer for `framing`.
    pub fn new(framing: StreamFraming) -> Self {
        Self {
            framing,
            buf: Vec::new(),
            skip_lf: false,
            event: None,
            data: String::new(),
            has_data: false,
        }
    }

    /// Feeds bytes; appends every event they complete to `out`.
    pub fn push(
        &mut self,
        mut bytes: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), EventTooLarge> {
        if self.skip_lf && !bytes.is_empty() {
            self.skip_lf = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            let (line, rest) = bytes.split_at(end);
            let mut rest = rest.get(1..).unwrap_or_default();
            if bytes.get(end) == Some(&b'\r') {
                match rest.first() {
                    Some(b'\n') => rest = rest.get(1..).unwrap_or_default(),
                    None => self.skip_lf = true,
                    Some(_) => {}
                }
            }
            if self.buf.is_empty() {
                self.line(line, out);
            } else {
                let mut joined = std::mem::take(&mut self.buf);
                joined.extend_from_slice(line);
                self.line(&joined, out);
            }
            bytes = rest;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() + self.data.len() > MAX_EVENT_BYTES {
            return Err(EventTooLarge);
        }
        Ok(())
    }

    /// Flushes a last line or event that had no terminator.
    pub fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.line(&line, out);
        }
        self.dispatch(out);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<StreamEvent>) {
        match self.framing {
            StreamFraming::Ndjson => {
                let text = String::from_utf8_lossy(line);
                let text = text.trim();
                if !text.is_empty() {
                    out.push(StreamEvent {
                        event: None,
                        data: text.to_string(),
                    });
                }
            }
            StreamFraming::Sse => self.sse_line(line, out),
        }
    }

    fn sse_line(&mut self, line: &[u8], out: &mut Vec<StreamEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.first() == Some(&b':') {
            return; // comment / keep-alive
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = line.get(colon + 1..).unwrap_or_default();
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (line.get(..colon).unwrap_or_default(), value)
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {} // id, retry and unknown fields carry nothing an adapter needs
        }
    }

    fn dispatch(&mut self, out: &mut Vec<StreamEvent>) {
        if self.has_data || self.event.is_some() {
            out.push(StreamEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.has_data = false;
    }
}

/// `data: <chunk>\n\n` for each chunk, in one buffer.
pub fn encode_chunks(chunks: &[String]) -> Bytes {
    let len = chunks.iter().map(|c| c.len() + 8).sum();
    let mut out = BytesMut::with_capacity(len);
    for chunk in chunks {
        out.put_slice(b"data: ");
        out.put_slice(chunk.as_bytes());
        out.put_slice(b"\n\n");
    }
    out.freeze()
}

/// The closing `data: [DONE]` event.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

#[cfg(test)]
mod tests;
