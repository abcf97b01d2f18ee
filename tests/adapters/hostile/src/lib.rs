//! Test adapter `hostile`: a well-formed component that uses the contract against the
//! host. Each configured model picks one attack with its options, so one component
//! serves a whole table of attacks (`tests/tests/hostile.rs`):
//!
//! | `attack` | what the adapter does |
//! |---|---|
//! | `none` | a plain chat request to `/chat/completions` |
//! | `path` | `path-and-query` is `value`, verbatim |
//! | `credential-header` / `credential-query` | the per-request credential placement is `header(value)` / `query(value)` |
//! | `header-count` | `value` headers `x-hostile-<i>: 1` |
//! | `header` | one header `name: value` (`value` repeated `repeat` times) |
//! | `body` | `transform-response` answers the garbage body named by `value` |
//! | `status` | `transform-response` answers an api-error with status `value` |
//! | `chunk` | the stream transformer emits the hostile chunk named by `value` |
//!
//! Every other answer is a valid OpenAI completion that says what the upstream
//! answered, so an attack that got through shows as a 200.

use serde_json::json;
use switchyard_guest_kit::error::{bad_gateway, bad_request};
use switchyard_guest_kit::options::option;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, Method, PluginInfo, Stream,
    StreamEvent, StreamFraming, StreamState, TranslatedResponse, UpstreamRequest, UpstreamResponse,
    Usage,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "hostile";

/// A chunk that tries to end the client's stream early and smuggle one more event.
pub const INJECT_DONE: &str = "{\"choices\":[]}\n\ndata: [DONE]\n\ndata: {\"injected\":true}";

/// A valid JSON chunk with a blank line inside, which naive SSE framing splits in two.
pub const BLANK_LINES: &str = "{\n\n\"choices\":[]}";

/// The adapter, as the component exports it.
pub struct Hostile;

impl Guest for Hostile {
    type StreamTransformer = Stream<HostileStream>;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter: attacks the host through the contract".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::Bearer,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        let value = option(&ctx, "value").unwrap_or_default();
        let mut request = UpstreamRequest {
            method: Method::Post,
            path_and_query: "/chat/completions".to_owned(),
            headers: Vec::new(),
            body: upstream_body(&ctx),
            response_framing: ctx.streaming.then_some(StreamFraming::Sse),
            credential: None,
        };
        match attack(&ctx) {
            "path" => request.path_and_query = value.to_owned(),
            "credential-header" => {
                request.credential = Some(CredentialPlacement::Header(value.to_owned()));
            }
            "credential-query" => {
                request.credential = Some(CredentialPlacement::Query(value.to_owned()));
            }
            "header-count" => {
                request.headers = (0..number(value)?)
                    .map(|i| (format!("x-hostile-{i}"), "1".to_owned()))
                    .collect();
            }
            "header" => {
                let name = option(&ctx, "name").unwrap_or_default();
                let repeat = option(&ctx, "repeat").map_or(Ok(1), number)?;
                request
                    .headers
                    .push((name.to_owned(), value.repeat(repeat)));
            }
            "none" | "body" | "status" | "chunk" => {}
            other => return Err(bad_request(format!("unknown attack `{other}`"), None)),
        }
        Ok(request)
    }

    fn transform_response(
        ctx: CallContext,
        response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        let value = option(&ctx, "value").unwrap_or_default();
        match attack(&ctx) {
            "body" => Ok(TranslatedResponse {
                body: garbage_body(value)?,
                usage: None,
            }),
            "status" => Err(ApiError {
                status: u16::try_from(number(value)?)
                    .map_err(|_| bad_request("status out of range", None))?,
                message: "hostile adapter: an error with an odd status".to_owned(),
                error_type: "server_error".to_owned(),
                param: None,
                code: Some("hostile_status".to_owned()),
                retry_after: None,
            }),
            _ => Ok(TranslatedResponse {
                body: completion(&format!(
                    "hostile adapter: upstream answered {}",
                    response.status
                )),
                usage: None,
            }),
        }
    }
}

/// The stream side: valid chunks for the upstream's events, plus the hostile chunk.
pub struct HostileStream {
    chunk: String,
    first: bool,
}

impl StreamState for HostileStream {
    fn start(ctx: &CallContext) -> Self {
        HostileStream {
            chunk: option(ctx, "value").unwrap_or_default().to_owned(),
            first: true,
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        if event.data.trim() != "[DONE]" {
            out.push(delta_chunk(json!({"content": "x"}), None));
        }
        Ok(())
    }

    /// The hostile chunk goes out with the first batch, whatever its events.
    fn push(&mut self, events: Vec<StreamEvent>, out: &mut Vec<String>) -> Result<(), ApiError> {
        if std::mem::take(&mut self.first) {
            match self.chunk.as_str() {
                "inject-done" => out.push(INJECT_DONE.to_owned()),
                "blank-lines" => out.push(BLANK_LINES.to_owned()),
                // The first output is not JSON at all.
                "hello-first" => {
                    out.push("hello".to_owned());
                    return Ok(());
                }
                _ => {}
            }
        }
        events
            .into_iter()
            .try_for_each(|event| self.event(event, out))
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.chunk == "hello-later" {
            // Valid chunks went out already; this one is not JSON.
            out.push("hello".to_owned());
        } else {
            out.push(delta_chunk(json!({}), Some("stop")));
        }
        Ok(())
    }

    fn usage(&self) -> Option<Usage> {
        None
    }
}

fn attack(ctx: &CallContext) -> &str {
    option(ctx, "attack").unwrap_or("none")
}

fn number(text: &str) -> Result<usize, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| bad_request(format!("`{text}` is not a number"), None))
}

/// The request the mock upstream answers: its echo model, streamed when the client asked.
fn upstream_body(ctx: &CallContext) -> Vec<u8> {
    json!({
        "model": ctx.upstream_model,
        "stream": ctx.streaming,
        "messages": [{"role": "user", "content": "hostile"}],
    })
    .to_string()
    .into_bytes()
}

fn garbage_body(kind: &str) -> Result<Vec<u8>, ApiError> {
    Ok(match kind {
        "html" => b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        "invalid-utf8" => vec![b'{', 0xff, 0xfe, b'"', 0x80, b'}'],
        "empty" => Vec::new(),
        "truncated" => b"{\"choices\":[".to_vec(),
        "array" => b"[{\"id\":\"chatcmpl-hostile\",\"choices\":[]}]".to_vec(),
        "string" => b"\"a JSON string, not an object\"".to_vec(),
        // Valid JSON, twice the 1 MiB the test configures as the response limit.
        "big" => completion(&"a".repeat(2 << 20)),
        // A normal answer, to show the adapter works when it does not attack.
        "object" => completion("a normal answer"),
        other => return Err(bad_gateway(format!("unknown body `{other}`"))),
    })
}

fn completion(content: &str) -> Vec<u8> {
    json!({
        "id": "chatcmpl-hostile",
        "object": "chat.completion",
        "created": 0,
        "model": "hostile",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
    })
    .to_string()
    .into_bytes()
}

fn delta_chunk(delta: serde_json::Value, finish_reason: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-hostile",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "hostile",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    })
    .to_string()
}

switchyard_guest_kit::export_adapter!(Hostile);
