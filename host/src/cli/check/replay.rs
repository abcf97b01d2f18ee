//! Replaying one [`Case`] through an adapter: `transform-request`, then
//! `transform-response` or the stream (see `stream.rs`), each result checked against
//! the fixture's expectations. A case runs on a fresh instance whose fuel is its cost.

use super::Failure;
use super::diff;
use super::expect::{body_json, check_error, check_request, check_usage};
use super::fixture::{Case, RequestExpectation, ResponseExpectation, Upstream};
use super::runner::{Runner, brief, describe};
use super::stream;
use crate::plugins::bindings::UpstreamResponse;
use crate::plugins::session::Session;

/// The result of one case.
#[derive(Debug)]
pub struct Outcome {
    /// Instructions the adapter ran for the case (request, then the whole answer).
    pub fuel: Option<u64>,
    /// Why the case failed, if it did.
    pub failure: Option<Failure>,
}

impl Runner<'_> {
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
