//! The mock's Coze v3 chat: `POST /v3/chat` and `POST /v3/chat/submit_tool_outputs`.
//!
//! The credential is `Authorization: Bearer` [`MOCK_API_KEY`]; like Coze, a bad one is
//! answered HTTP 200 with `{"code":4100,"msg":"authentication is invalid"}` in place
//! of the stream. Streams follow the recorded shapes (tests/fixtures/coze): `event:`
//! and `data:` lines without a space, answer deltas, the repeated full text in
//! `message.completed`, `verbose` and `follow_up` messages, usage in
//! `chat.completed`, and `data:"[DONE]"`. The bot id picks the behaviour:
//!
//! | bot_id | answer |
//! |---|---|
//! | `bot-tools` | `conversation.chat.requires_action` for `get_schedule`; the submitted output is answered `The tool returned: <output>` |
//! | `bot-failed` | `conversation.chat.failed` with `last_error` 5000 |
//! | `bot-busy` | HTTP 200 `{"code":4020,…}` (RPM limit) instead of a stream |
//! | `bot-model-error` | HTTP 200 `{"code":4013,…}` (model error, retry later) |
//! | `bot-recorded` | the recorded stream `coze-v3-stream.sse`, byte for byte (Chinese answer, usage) |
//! | `bot-recorded-tools` | the recorded `coze-v3-stream-requires-action.sse`, byte for byte |
//! | anything else | `echo: <last user message text>` |
//!
//! A `-bytewise` suffix on a bot id sends its stream one byte per write; `-split` sends
//! it in pieces of pseudo-random length (fixed seed) that cut through blank lines and
//! multi-byte UTF-8 ([`wire::Pacing`]). The suffix is stripped before the bot id picks
//! the behaviour: `bot-recorded-split`, `bot-echo-bytewise`. Streams answering
//! `submit_tool_outputs` are written one event per write.
//!
//! A `stream: false` create is answered like Coze: at once, `status: "in_progress"`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::wire::Pacing;
use super::{MOCK_API_KEY, PlatformRequest, wire};

const RECORDED_STREAM: &str = include_str!("../../fixtures/coze/coze-v3-stream.sse");
const RECORDED_TOOLS_STREAM: &str =
    include_str!("../../fixtures/coze/coze-v3-stream-requires-action.sse");

/// Whether this module answers `uri`.
pub fn matches(uri: &Uri) -> bool {
    uri.path().starts_with("/v3/chat")
}

/// Answers a request [`matches`] accepted.
pub async fn answer(request: PlatformRequest<'_>) -> Response {
    if !authorized(request.headers) {
        return coze_error(4100, "authentication is invalid");
    }
    let Ok(body) = request.body else {
        return coze_error(4000, "invalid request body");
    };
    if *request.method != "POST" {
        return coze_error(4000, "method not allowed");
    }
    let id = request.state.next_id();
    let ids = Ids {
        conversation: format!("74{id:017}"),
        chat: format!("75{id:017}"),
        bot: String::new(),
    };
    match request.uri.path() {
        "/v3/chat" => create(ids, body),
        "/v3/chat/submit_tool_outputs" => submit(request.uri, body),
        _ => coze_error(4200, "resource not found"),
    }
}

struct Ids {
    conversation: String,
    chat: String,
    bot: String,
}

fn create(mut ids: Ids, body: &Value) -> Response {
    let bot = body
        .get("bot_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let user = body
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if bot.is_empty() || user.is_empty() {
        return coze_error(4000, "bot_id and user_id are required");
    }
    let Some(messages) = body.get("additional_messages").and_then(Value::as_array) else {
        return coze_error(
            4000,
            "additional_messages is required without a conversation_id",
        );
    };
    ids.bot = bot.to_owned();
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return wire::json_response(
            StatusCode::OK,
            &json!({"code": 0, "msg": "", "data": chat(&ids, "in_progress", None)}),
        );
    }
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| m.get("content"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (name, pacing) = Pacing::from_suffix(bot);
    match name {
        "bot-recorded" => wire::paced_sse(RECORDED_STREAM, pacing, EVENT_STREAM),
        "bot-recorded-tools" => wire::paced_sse(RECORDED_TOOLS_STREAM, pacing, EVENT_STREAM),
        // Coze's error-code page: 4020 is the RPM limit, 4013 a model error.
        "bot-busy" => coze_error(4020, "Bot call exceeded the RPM peak"),
        "bot-model-error" => coze_error(4013, "model error, please retry later"),
        "bot-failed" => {
            let mut failed = chat(&ids, "failed", Some((0, 0)));
            failed["last_error"] = json!({"code": 5000, "msg": "event interval error"});
            sse(
                vec![
                    (
                        "conversation.chat.created",
                        chat(&ids, "created", Some((0, 0))),
                    ),
                    ("conversation.chat.failed", failed),
                ],
                pacing,
            )
        }
        "bot-tools" => {
            let function_call = message(
                &ids,
                "function_call",
                "7400000000000000003",
                r#"{"name":"get_schedule","arguments":{},"plugin_name":"local_plugin","api_name":"get_schedule"}"#,
            );
            let mut action = chat(&ids, "requires_action", Some((0, 0)));
            action["required_action"] = json!({
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": [{
                    "id": "7400000000000000011",
                    "type": "function",
                    "function": {"name": "get_schedule", "arguments": "{}"}
                }]}
            });
            sse(
                vec![
                    (
                        "conversation.chat.created",
                        chat(&ids, "created", Some((0, 0))),
                    ),
                    (
                        "conversation.chat.in_progress",
                        chat(&ids, "in_progress", Some((0, 0))),
                    ),
                    ("conversation.message.completed", function_call),
                    ("conversation.chat.requires_action", action),
                    ("done", json!("[DONE]")),
                ],
                pacing,
            )
        }
        _ => answer_stream(
            &ids,
            &format!("echo: {last_user}"),
            word_count(messages),
            pacing,
        ),
    }
}

fn submit(uri: &Uri, body: &Value) -> Response {
    let (Some(conversation), Some(chat_id)) =
        (query(uri, "conversation_id"), query(uri, "chat_id"))
    else {
        return coze_error(4000, "conversation_id and chat_id are required");
    };
    let Some(outputs) = body.get("tool_outputs").and_then(Value::as_array) else {
        return coze_error(4000, "tool_outputs is required");
    };
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return coze_error(4000, "the mock streams submit_tool_outputs only");
    }
    let output = outputs
        .iter()
        .filter_map(|o| o.get("output").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    let ids = Ids {
        conversation,
        chat: chat_id,
        bot: "bot-tools".into(),
    };
    answer_stream(
        &ids,
        &format!("The tool returned: {output}"),
        20,
        Pacing::Events,
    )
}

/// A whole answer: chat events, answer deltas per word, the repeated full text, a
/// verbose and a follow-up message, usage, done.
fn answer_stream(ids: &Ids, text: &str, input_count: u64, pacing: Pacing) -> Response {
    let message_id = format!("{}9", ids.chat);
    let mut events = vec![
        (
            "conversation.chat.created",
            chat(ids, "created", Some((0, 0))),
        ),
        (
            "conversation.chat.in_progress",
            chat(ids, "in_progress", Some((0, 0))),
        ),
    ];
    for piece in text.split_inclusive(' ') {
        events.push((
            "conversation.message.delta",
            message(ids, "answer", &message_id, piece),
        ));
    }
    events.push((
        "conversation.message.completed",
        message(ids, "answer", &message_id, text),
    ));
    events.push((
        "conversation.message.completed",
        message(
            ids,
            "verbose",
            &format!("{}8", ids.chat),
            r#"{"msg_type":"generate_answer_finish","data":"{\"finish_reason\":0,\"FinData\":\"\"}","from_module":null,"from_unit":null}"#,
        ),
    ));
    events.push((
        "conversation.message.completed",
        message(
            ids,
            "follow_up",
            &format!("{}7", ids.chat),
            "What else can you do?",
        ),
    ));
    let output_count = u64::try_from(text.split_whitespace().count()).unwrap_or(1);
    events.push((
        "conversation.chat.completed",
        chat(ids, "completed", Some((input_count, output_count))),
    ));
    events.push(("done", json!("[DONE]")));
    sse(events, pacing)
}

fn chat(ids: &Ids, status: &str, usage: Option<(u64, u64)>) -> Value {
    let mut chat = json!({
        "id": ids.chat,
        "conversation_id": ids.conversation,
        "bot_id": ids.bot,
        "created_at": wire::now_secs(),
        "last_error": {"code": 0, "msg": ""},
        "status": status,
    });
    if let Some((input, output)) = usage {
        chat["usage"] =
            json!({"token_count": input + output, "output_count": output, "input_count": input});
    }
    chat
}

fn message(ids: &Ids, kind: &str, id: &str, content: &str) -> Value {
    json!({
        "id": id,
        "conversation_id": ids.conversation,
        "bot_id": ids.bot,
        "chat_id": ids.chat,
        "role": "assistant",
        "type": kind,
        "content": content,
        "content_type": "text",
    })
}

/// Rough prompt size: words in every message, plus a per-message overhead.
fn word_count(messages: &[Value]) -> u64 {
    messages
        .iter()
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .map(|c| 3 + u64::try_from(c.split_whitespace().count()).unwrap_or(0))
        .sum::<u64>()
        .max(1)
}

/// The content type of Coze's streams.
const EVENT_STREAM: &str = "text/event-stream";

/// `event:NAME\ndata:JSON\n\n` per event, as Coze writes them (no space), in the
/// writes `pacing` cuts.
fn sse(events: Vec<(&str, Value)>, pacing: Pacing) -> Response {
    let text: String = events
        .into_iter()
        .map(|(name, data)| format!("event:{name}\ndata:{data}\n\n"))
        .collect();
    wire::paced_sse(&text, pacing, EVENT_STREAM)
}

/// Coze's error answer: HTTP 200, a JSON body with a non-zero `code`.
fn coze_error(code: u32, msg: &str) -> Response {
    let mut response = wire::json_response(StatusCode::OK, &json!({"code": code, "msg": msg}));
    response.headers_mut().insert(
        "x-tt-logid",
        HeaderValue::from_static("20241015100256FA70F619ED86EC262A80"),
    );
    response
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {MOCK_API_KEY}"))
}

fn query(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_owned())
    })
}
