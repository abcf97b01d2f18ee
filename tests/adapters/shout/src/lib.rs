//! Test adapter `shout`: the OpenAI adapter, visibly different. It reports version
//! `9.9.9-shout` under the name `openai` and upper-cases every assistant message
//! content (non-streamed) and every `delta.content` (streamed), so a hot-reload test
//! can tell which version answered.
//!
//! It reuses the OpenAI adapter by compiling its sources as the module [`openai`]
//! rather than linking `plugin-openai`'s rlib: that rlib carries the OpenAI component's
//! exports, which collide with these at link time whenever both adapters are built in
//! one cargo run (`tests/build.rs` builds all guests together, and features unify
//! there, so an opt-out feature on `plugin-openai` would strip `openai.wasm` instead).

use serde_json::Value;
use switchyard_guest_kit::{
    ApiError, CallContext, Guest, PluginInfo, Stream, StreamEvent, StreamState, TranslatedResponse,
    UpstreamRequest, UpstreamResponse, Usage,
};

#[path = "../../../../plugins/openai/src/lib.rs"]
pub mod openai;

/// The version this adapter reports.
pub const VERSION: &str = "9.9.9-shout";

/// The adapter, as the component exports it.
pub struct Shout;

impl Guest for Shout {
    type StreamTransformer = Stream<ShoutStream>;

    fn info() -> PluginInfo {
        PluginInfo {
            version: VERSION.to_owned(),
            description: "OpenAI adapter that shouts (test build)".to_owned(),
            ..openai::info()
        }
    }

    fn transform_request(ctx: CallContext, body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        openai::request::from_openai(&ctx, &body)
    }

    fn transform_response(
        _ctx: CallContext,
        response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        let mut translated = openai::response::to_openai(response)?;
        translated.body = shout_json(&translated.body, "message").unwrap_or(translated.body);
        Ok(translated)
    }
}

/// The OpenAI stream state, with every `delta.content` upper-cased.
pub struct ShoutStream(openai::stream::Transformer);

impl StreamState for ShoutStream {
    fn start(ctx: &CallContext) -> Self {
        ShoutStream(openai::stream::Transformer::start(ctx))
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        let first = out.len();
        let result = self.0.event(event, out);
        shout_chunks(out.get_mut(first..).unwrap_or_default());
        result
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.0.finish(out)
    }

    fn usage(&self) -> Option<Usage> {
        self.0.usage()
    }
}

fn shout_chunks(chunks: &mut [String]) {
    for chunk in chunks {
        if chunk.contains("\"content\"")
            && let Some(loud) = shout_json(chunk.as_bytes(), "delta")
            && let Ok(loud) = String::from_utf8(loud)
        {
            *chunk = loud;
        }
    }
}

/// `json` with `choices[].<field>.content` upper-cased; `None` when there was nothing
/// to change or it is not JSON.
fn shout_json(json: &[u8], field: &str) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(json).ok()?;
    let mut changed = false;
    for choice in value.get_mut("choices")?.as_array_mut()? {
        if let Some(Value::String(content)) = choice
            .get_mut(field)
            .and_then(|message| message.get_mut("content"))
        {
            *content = content.to_uppercase();
            changed = true;
        }
    }
    if changed {
        serde_json::to_vec(&value).ok()
    } else {
        None
    }
}

switchyard_guest_kit::export_adapter!(Shout);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shouts_message_and_delta_content_only() {
        let body =
            br#"{"choices":[{"message":{"role":"assistant","content":"hi there"}}],"usage":null}"#;
        let loud: Value =
            serde_json::from_slice(&shout_json(body, "message").expect("changed")).expect("json");
        assert_eq!(loud["choices"][0]["message"]["content"], "HI THERE");
        assert_eq!(loud["choices"][0]["message"]["role"], "assistant");

        let chunk = r#"{"choices":[{"index":0,"delta":{"content":"abc"}}]}"#;
        let mut chunks = vec![chunk.to_owned()];
        shout_chunks(&mut chunks);
        assert_eq!(
            chunks,
            vec![r#"{"choices":[{"delta":{"content":"ABC"},"index":0}]}"#]
        );

        let tool = r#"{"choices":[{"index":0,"delta":{"content":null,"tool_calls":[]}}]}"#;
        let mut chunks = vec![tool.to_owned()];
        shout_chunks(&mut chunks);
        assert_eq!(chunks, vec![tool], "nothing to shout, left as it was");
    }
}
