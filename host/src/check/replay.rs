//! Replaying one [`Case`] through an adapter: `transform-request`, then
//! `transform-response` or the stream (see `stream.rs`), each result checked against
//! the fixture's expectations. A case runs on a fresh instance whose fuel is its cost.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::diff::{self, Difference};
use super::fixture::{
    Case, ExpectedError, ExpectedRequest, ExpectedUsage, RequestExpectation, ResponseExpectation,
    Upstream,
};
use super::stream;
use crate::plugins::bindings::{
    AdapterWorldPre, ApiError, Method, StreamFraming, UpstreamRequest, UpstreamResponse, Usage,
};
use crate::plugins::call::{PluginFault, PluginState, Session};

/// Why a case failed.
#[derive(Debug)]
pub enum Failure {
    /// The fixture file cannot be used.
    Fixture(String),
    /// A step went wrong in a way that is not a value difference (a trap, a deadline,
    /// an error where a result was expected, or the reverse).
    Step {
        /// The step, e.g. `transform-request`.
        step: String,
        /// What happened.
        message: String,
    },
    /// A step's output differs from the expectation.
    Mismatch {
        /// The step, e.g. `stream replayed byte by byte`.
        step: String,
        /// The first difference.
        difference: Difference,
    },
}

impl Failure {
    /// A [`Failure::Step`].
    pub fn step(step: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Step {
            step: step.into(),
            message: message.into(),
        }
    }

    /// A [`Failure::Mismatch`].
    pub fn mismatch(step: impl Into<String>, difference: Difference) -> Self {
        Self::Mismatch {
            step: step.into(),
            difference,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixture(message) => write!(f, "invalid fixture: {message}"),
            Self::Step { step, message } => write!(f, "{step}: {message}"),
            Self::Mismatch { step, difference } => write!(f, "{step}: {difference}"),
        }
    }
}

/// How cases are run: the adapter, and the limits of each instance.
pub struct Runner<'a> {
    /// The loaded adapter, pre-linked.
    pub pre: &'a AdapterWorldPre<PluginState>,
    /// Deadline of each call.
    pub call_timeout: Duration,
    /// Memory ceiling of each instance, in bytes.
    pub memory_limit: usize,
    /// Fuel each instance starts with (a metered engine).
    pub fuel_budget: Option<u64>,
}

/// The result of one case.
#[derive(Debug)]
pub struct Outcome {
    /// Instructions the adapter ran for the case (request, then the whole answer).
    pub fuel: Option<u64>,
    /// Why the case failed, if it did.
    pub failure: Option<Failure>,
}

impl Runner<'_> {
    /// A fresh instance, as the gateway starts for a request.
    pub async fn session(&self) -> Result<Session, Failure> {
        Session::start_with_fuel(
            self.pre,
            self.call_timeout,
            self.memory_limit,
            self.fuel_budget,
        )
        .await
        .map_err(|fault| Failure::step("instantiate", brief(&fault)))
    }

    /// Runs `case` on a fresh instance.
    pub async fn run(&self, case: &Case) -> Outcome {
        let mut session = match self.session().await {
            Ok(session) => session,
            Err(failure) => {
                return Outcome {
                    fuel: None,
                    failure: Some(failure),
                };
            }
        };
        let failure = self.run_in(&mut session, case).await.err();
        Outcome {
            fuel: session.fuel_consumed(),
            failure,
        }
    }

    async fn run_in(&self, session: &mut Session, case: &Case) -> Result<(), Failure> {
        const STEP: &str = "transform-request";
        let result = session
            .transform_request(&case.ctx, &case.request)
            .await
            .map_err(|fault| Failure::step(STEP, brief(&fault)))?;
        let request = match (result, &case.expect_request) {
            (Err(error), RequestExpectation::Reject(expected)) => {
                return check_error(STEP, "request_error", expected, &error);
            }
            (Ok(_), RequestExpectation::Reject(expected)) => {
                return Err(Failure::step(
                    STEP,
                    format!(
                        "expected a rejection with status {}, but it returned an upstream request",
                        expected.status
                    ),
                ));
            }
            (Err(error), RequestExpectation::Accept(_)) => {
                return Err(Failure::step(
                    STEP,
                    format!("rejected the request: {}", describe(&error)),
                ));
            }
            (Ok(request), RequestExpectation::Accept(expected)) => {
                check_request(expected, &request)?;
                request
            }
        };
        match &case.upstream {
            Upstream::None => Ok(()),
            Upstream::Response {
                status,
                headers,
                body,
                expect,
            } => {
                let response = UpstreamResponse {
                    status: *status,
                    headers: headers.clone(),
                    body: body.clone(),
                };
                check_response(session, case, &response, expect).await
            }
            Upstream::Stream { .. } => {
                let Some(framing) = request.response_framing else {
                    return Err(Failure::step(
                        STEP,
                        "returned no response-framing, so the gateway would not stream this \
                         answer; the fixture's `upstream_stream` needs `sse` or `ndjson`",
                    ));
                };
                stream::check(self, session, case, framing).await
            }
        }
    }
}

fn check_request(expected: &ExpectedRequest, actual: &UpstreamRequest) -> Result<(), Failure> {
    const STEP: &str = "upstream request";
    let mismatch = |difference| Err(Failure::mismatch(STEP, difference));
    if let Some(method) = &expected.method
        && !method.eq_ignore_ascii_case(method_name(actual.method))
    {
        return mismatch(Difference {
            path: "upstream_request.method".into(),
            expected: Value::String(method.clone()).to_string(),
            actual: Value::String(method_name(actual.method).into()).to_string(),
        });
    }
    if let Some(path) = &expected.path_and_query
        && let Some(difference) = diff::first_difference(
            "upstream_request.path_and_query",
            &Value::String(path.clone()),
            &Value::String(actual.path_and_query.clone()),
        )
    {
        return mismatch(difference);
    }
    for (name, want) in &expected.headers {
        let got = actual
            .headers
            .iter()
            .find(|(actual_name, _)| actual_name.eq_ignore_ascii_case(name))
            .map(|(_, value)| Value::String(value.clone()));
        let path = diff::key_path("upstream_request.headers", name);
        let difference = match got {
            Some(got) => diff::first_difference(&path, want, &got),
            None => Some(Difference {
                path,
                expected: diff::render(Some(want)),
                actual: diff::render(None),
            }),
        };
        if let Some(difference) = difference {
            return mismatch(difference);
        }
    }
    if let Some(body) = &expected.body
        && let Some(difference) =
            diff::first_difference("upstream_request.body", body, &body_json(&actual.body))
    {
        return mismatch(difference);
    }
    if let Some(framing) = expected.framing {
        let want = framing.map(StreamFraming::from);
        if want != actual.response_framing {
            return mismatch(Difference {
                path: "upstream_request.framing".into(),
                expected: framing_name(want),
                actual: framing_name(actual.response_framing),
            });
        }
    }
    Ok(())
}

async fn check_response(
    session: &mut Session,
    case: &Case,
    response: &UpstreamResponse,
    expect: &ResponseExpectation,
) -> Result<(), Failure> {
    const STEP: &str = "transform-response";
    let result = session
        .transform_response(&case.ctx, response)
        .await
        .map_err(|fault| Failure::step(STEP, brief(&fault)))?;
    match (result, expect) {
        (Ok(translated), ResponseExpectation::Body(expect)) => {
            if let Some(body) = &expect.body
                && let Some(difference) =
                    diff::first_difference("expect.body", body, &body_json(&translated.body))
            {
                return Err(Failure::mismatch(STEP, difference));
            }
            match &expect.usage {
                Some(usage) => check_usage(STEP, "expect.usage", usage.as_ref(), translated.usage),
                None => Ok(()),
            }
        }
        (Ok(_), ResponseExpectation::Error(expected)) => Err(Failure::step(
            STEP,
            format!(
                "expected an error with status {}, but it returned a body",
                expected.status
            ),
        )),
        (Err(error), ResponseExpectation::Error(expected)) => {
            check_error(STEP, "expect_error", expected, &error)
        }
        (Err(error), ResponseExpectation::Body(_)) => Err(Failure::step(
            STEP,
            format!("returned an error: {}", describe(&error)),
        )),
    }
}

/// Checks an adapter's error against `expected`; `root` is the fixture key.
pub fn check_error(
    step: &str,
    root: &str,
    expected: &ExpectedError,
    actual: &ApiError,
) -> Result<(), Failure> {
    let want = expected.to_json();
    let got = error_json(actual);
    if let Some(difference) = compare_subset(root, &want, &got) {
        return Err(Failure::mismatch(step, difference));
    }
    if let Some(part) = &expected.message_contains
        && !actual.message.contains(part.as_str())
    {
        return Err(Failure::mismatch(
            step,
            Difference {
                path: diff::key_path(root, "message_contains"),
                expected: format!("a message containing {}", Value::String(part.clone())),
                actual: Value::String(actual.message.clone()).to_string(),
            },
        ));
    }
    Ok(())
}

/// Checks reported usage against `expected` (`None`: none may be reported).
pub fn check_usage(
    step: &str,
    root: &str,
    expected: Option<&ExpectedUsage>,
    actual: Option<Usage>,
) -> Result<(), Failure> {
    let difference = match (expected, actual) {
        (None, None) => None,
        (Some(want), Some(got)) => compare_subset(root, &want.to_json(), &usage_json(&got)),
        (want, got) => Some(Difference {
            path: root.to_string(),
            expected: want.map_or("null".into(), |u| Value::Object(u.to_json()).to_string()),
            actual: got.map_or("null".into(), |u| Value::Object(usage_json(&u)).to_string()),
        }),
    };
    difference.map_or(Ok(()), |difference| {
        Err(Failure::mismatch(step, difference))
    })
}

/// The first difference on the keys `want` has.
fn compare_subset(
    root: &str,
    want: &Map<String, Value>,
    got: &Map<String, Value>,
) -> Option<Difference> {
    let got: Map<String, Value> = want
        .keys()
        .filter_map(|key| got.get(key).map(|value| (key.clone(), value.clone())))
        .collect();
    diff::first_difference(root, &Value::Object(want.clone()), &Value::Object(got))
}

fn error_json(error: &ApiError) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("status".into(), error.status.into());
    map.insert("type".into(), error.error_type.clone().into());
    map.insert("code".into(), error.code.clone().into());
    map.insert("param".into(), error.param.clone().into());
    map.insert("retry_after".into(), error.retry_after.into());
    map
}

fn usage_json(usage: &Usage) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("prompt_tokens".into(), usage.prompt_tokens.into());
    map.insert("completion_tokens".into(), usage.completion_tokens.into());
    map.insert("cached_tokens".into(), usage.cached_tokens.into());
    map.insert("reasoning_tokens".into(), usage.reasoning_tokens.into());
    map
}

/// A body as JSON: `null` when empty, a string when it is not JSON.
pub fn body_json(body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// A fault in one line: a trap's wasm backtrace (one line per frame, the same for
/// every fixture) is left out, its cause kept.
pub fn brief(fault: &PluginFault) -> String {
    match fault {
        PluginFault::Trap(text) if text.lines().nth(1).is_some() => {
            let cause = text
                .rfind("wasm trap:")
                .and_then(|at| text.get(at..))
                .or_else(|| text.lines().last())
                .unwrap_or_default();
            format!("adapter trapped: {cause}")
        }
        other => other.to_string(),
    }
}

/// `429 rate_limit_exceeded (code) "message"`, for reports.
pub fn describe(error: &ApiError) -> String {
    let code = error
        .code
        .as_deref()
        .map(|code| format!(" ({code})"))
        .unwrap_or_default();
    format!(
        "{} {}{code}: {}",
        error.status, error.error_type, error.message
    )
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn framing_name(framing: Option<StreamFraming>) -> String {
    match framing {
        Some(StreamFraming::Sse) => "\"sse\"",
        Some(StreamFraming::Ndjson) => "\"ndjson\"",
        None => "null",
    }
    .to_string()
}
