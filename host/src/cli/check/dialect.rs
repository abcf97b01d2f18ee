//! `plugin check` for a dialect component: what it declares, then its golden fixtures.
//!
//! A dialect fixture is one JSON file of one of three kinds, told apart by its keys:
//!
//! | keys | checks |
//! |---|---|
//! | `request`, `chat` | `to-chat` of `request` equals `chat` |
//! | `completion`, `answer` | `from-chat` of `completion` equals `answer` |
//! | `chunks`, `events` | the chunks pushed one at a time, then all at once, then `finish`: the events equal `events` both ways |
//!
//! `expect_error` (`{"status": 400}`, optionally `"type"`) instead of the expected
//! output checks a refusal. `context` sets the call context (defaults:
//! `public_model` `claude-test`, `platform` `openai`, `streaming` true, `call_id`
//! `call1`, `created` 1700000000). Values compare as in adapter fixtures (`"<any>"`
//! matches anything).

use serde::Deserialize;
use serde_json::Value;

use super::Failure;
use super::diff::first_difference;
use super::replay::Outcome;
use super::runner::{Runner, brief, describe};
use crate::plugins::bindings::{ApiError, DialectContext};
use crate::plugins::session::{CallResult, Session};

/// One dialect fixture file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectCase {
    /// Free text for the fixture's readers.
    #[serde(default, rename = "description")]
    _description: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    context: Context,
    #[serde(default)]
    request: Option<Value>,
    #[serde(default)]
    chat: Option<Value>,
    #[serde(default)]
    completion: Option<Value>,
    #[serde(default)]
    answer: Option<Value>,
    #[serde(default)]
    chunks: Option<Vec<Value>>,
    #[serde(default)]
    events: Option<Vec<Value>>,
    #[serde(default)]
    expect_error: Option<ExpectedError>,
}

/// The call context a fixture runs with.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Context {
    public_model: String,
    platform: String,
    streaming: bool,
    call_id: String,
    created: u64,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            public_model: "claude-test".into(),
            platform: "openai".into(),
            streaming: true,
            call_id: "call1".into(),
            created: 1_700_000_000,
        }
    }
}

/// A refusal the fixture expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    status: u16,
    #[serde(default, rename = "type")]
    error_type: Option<String>,
}

/// Reads one dialect fixture; the error says what is wrong with it.
pub fn load(path: &std::path::Path) -> Result<DialectCase, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read it: {err}"))?;
    serde_json::from_str(&text).map_err(|err| err.to_string())
}

impl Runner<'_> {
    /// Runs a dialect `case` on fresh instances (one per replay of a stream).
    pub async fn run_dialect(&self, case: &DialectCase) -> Outcome {
        let mut fuel = None;
        let failure = self.dialect_steps(case, &mut fuel).await.err();
        Outcome { fuel, failure }
    }

    async fn dialect_steps(
        &self,
        case: &DialectCase,
        fuel: &mut Option<u64>,
    ) -> Result<(), Failure> {
        let ctx = DialectContext {
            public_model: case.context.public_model.clone(),
            platform: case.context.platform.clone(),
            streaming: case.context.streaming,
            call_id: case.context.call_id.clone(),
            created: case.context.created,
        };
        let mut session = self.session().await?;
        let result = match (case, &case.chunks) {
            (
                DialectCase {
                    request: Some(request),
                    ..
                },
                _,
            ) => {
                let body =
                    serde_json::to_vec(request).map_err(|e| Failure::Fixture(e.to_string()))?;
                let out = session.to_chat(&ctx, &body).await;
                outcome(
                    "to-chat",
                    out,
                    case.chat.as_ref(),
                    case.expect_error.as_ref(),
                )
            }
            (
                DialectCase {
                    completion: Some(completion),
                    ..
                },
                _,
            ) => {
                let body =
                    serde_json::to_vec(completion).map_err(|e| Failure::Fixture(e.to_string()))?;
                let out = session.from_chat(&ctx, &body).await;
                outcome(
                    "from-chat",
                    out,
                    case.answer.as_ref(),
                    case.expect_error.as_ref(),
                )
            }
            (_, Some(chunks)) => {
                let expected = case.events.as_ref().map(|e| Value::Array(e.clone()));
                let chunks: Vec<String> = chunks.iter().map(Value::to_string).collect();
                let one_by_one: Vec<Vec<String>> = chunks.iter().map(|c| vec![c.clone()]).collect();
                let out = convert(&mut session, &ctx, &one_by_one).await?;
                let checked = stream_outcome(
                    "stream, one chunk per push",
                    out,
                    expected.as_ref(),
                    case.expect_error.as_ref(),
                );
                *fuel = session.fuel_consumed();
                checked?;
                let mut whole = self.session().await?;
                let out = convert(&mut whole, &ctx, &[chunks]).await?;
                stream_outcome(
                    "stream, every chunk in one push",
                    out,
                    expected.as_ref(),
                    case.expect_error.as_ref(),
                )
            }
            _ => Err(Failure::Fixture(
                "give `request` and `chat`, `completion` and `answer`, or `chunks` and `events`"
                    .into(),
            )),
        };
        if fuel.is_none() {
            *fuel = session.fuel_consumed();
        }
        result
    }
}

/// Pushes `batches` through one converter, then finishes: every event, or the error.
async fn convert(
    session: &mut Session,
    ctx: &DialectContext,
    batches: &[Vec<String>],
) -> Result<Result<Vec<String>, ApiError>, Failure> {
    let fault = |step: &str, fault: crate::plugins::session::PluginFault| {
        Failure::step(step, brief(&fault))
    };
    let converter = session
        .open_converter(ctx)
        .await
        .map_err(|f| fault("stream-converter", f))?;
    let mut events = Vec::new();
    for batch in batches {
        match session
            .convert(converter, batch)
            .await
            .map_err(|f| fault("push", f))?
        {
            Ok(more) => events.extend(more),
            Err(error) => return Ok(Err(error)),
        }
    }
    match session
        .finish_conversion(converter)
        .await
        .map_err(|f| fault("finish", f))?
    {
        Ok(more) => events.extend(more),
        Err(error) => return Ok(Err(error)),
    }
    Ok(Ok(events))
}

/// Checks a body a dialect produced (or its refusal).
fn outcome(
    step: &str,
    result: CallResult<Vec<u8>>,
    expected: Option<&Value>,
    expected_error: Option<&ExpectedError>,
) -> Result<(), Failure> {
    let answer = result.map_err(|fault| Failure::step(step, brief(&fault)))?;
    let answer = answer.and_then(|bytes| {
        serde_json::from_slice::<Value>(&bytes).map_err(|err| ApiError {
            status: 0,
            message: format!("the output is not JSON: {err}"),
            error_type: String::new(),
            param: None,
            code: None,
            retry_after: None,
        })
    });
    check(step, answer, expected, expected_error)
}

/// Checks the events of a stream (or its refusal).
fn stream_outcome(
    step: &str,
    result: Result<Vec<String>, ApiError>,
    expected: Option<&Value>,
    expected_error: Option<&ExpectedError>,
) -> Result<(), Failure> {
    let events = result.and_then(|events| {
        events
            .iter()
            .map(|event| serde_json::from_str::<Value>(event))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
            .map_err(|err| ApiError {
                status: 0,
                message: format!("an event is not JSON: {err}"),
                error_type: String::new(),
                param: None,
                code: None,
                retry_after: None,
            })
    });
    check(step, events, expected, expected_error)
}

fn check(
    step: &str,
    actual: Result<Value, ApiError>,
    expected: Option<&Value>,
    expected_error: Option<&ExpectedError>,
) -> Result<(), Failure> {
    match (actual, expected, expected_error) {
        (Ok(actual), Some(expected), None) => match first_difference("$", expected, &actual) {
            None => Ok(()),
            Some(difference) => Err(Failure::mismatch(step, difference)),
        },
        (Err(error), None, Some(want)) => {
            let type_ok = want
                .error_type
                .as_ref()
                .is_none_or(|t| *t == error.error_type);
            if error.status == want.status && type_ok {
                Ok(())
            } else {
                Err(Failure::step(
                    step,
                    format!(
                        "expected a {} refusal, got {}",
                        want.status,
                        describe(&error)
                    ),
                ))
            }
        }
        (Ok(_), None, Some(want)) => Err(Failure::step(
            step,
            format!("expected a {} refusal, got an answer", want.status),
        )),
        (Err(error), Some(_), None) => Err(Failure::step(step, describe(&error))),
        _ => Err(Failure::Fixture(
            "give the expected output or `expect_error`, not both".into(),
        )),
    }
}
