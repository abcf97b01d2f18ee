//! The golden fixture format (docs/plugin-check.md): one `*.json` file per case,
//! parsed strictly (an unknown key is an error, so a misspelt expectation cannot pass
//! silently) and resolved into a [`Case`] ready to replay.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::expect::{Expect, ExpectedError, ExpectedRequest, ExpectedUsage, present};
use crate::plugins::bindings::{CallContext, Endpoint};

/// Public model name when the fixture names none.
pub const DEFAULT_PUBLIC_MODEL: &str = "fixture-model";
/// Client id when the fixture names none.
pub const DEFAULT_CLIENT_ID: &str = "fixture-client";

/// One fixture file, resolved: what to send, what to feed back, what to expect.
#[derive(Debug)]
pub struct Case {
    /// The call context every adapter call gets.
    pub ctx: CallContext,
    /// The OpenAI request body the client sends.
    pub request: Vec<u8>,
    /// What `transform-request` must do with it.
    pub expect_request: RequestExpectation,
    /// The upstream answer to translate, if any.
    pub upstream: Upstream,
}

/// What `transform-request` must return.
#[derive(Debug)]
pub enum RequestExpectation {
    /// An upstream request; the given parts are checked.
    Accept(ExpectedRequest),
    /// A rejection (`request_error`).
    Reject(ExpectedError),
}

/// The upstream answer of a case and the expectations on its translation.
#[derive(Debug)]
pub enum Upstream {
    /// A request-only fixture.
    None,
    /// A whole answer for `transform-response`.
    Response {
        /// Status of the answer.
        status: u16,
        /// Headers, names lower-cased (as the host passes them).
        headers: Vec<(String, String)>,
        /// The body bytes.
        body: Vec<u8>,
        /// What the translation must be.
        expect: ResponseExpectation,
    },
    /// A streamed answer for a `stream-transformer`.
    Stream {
        /// Status of the answer (2xx).
        status: u16,
        /// Headers, names lower-cased.
        headers: Vec<(String, String)>,
        /// The raw transcript (SSE or NDJSON text).
        transcript: Vec<u8>,
        /// Every chunk, in order (`expect_chunks`), if checked.
        chunks: Option<Vec<Value>>,
        /// The last usage reported (`expect_usage`), if checked.
        usage: Option<Option<ExpectedUsage>>,
        /// The error that must end the stream (`expect_error`), if any.
        error: Option<ExpectedError>,
    },
}

/// What `transform-response` must return.
#[derive(Debug)]
pub enum ResponseExpectation {
    /// A translated body (`expect`).
    Body(Expect),
    /// An OpenAI-shaped error (`expect_error`).
    Error(ExpectedError),
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    /// For readers of the file only.
    #[serde(rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    context: ContextSpec,
    request: Value,
    upstream_request: Option<ExpectedRequest>,
    request_error: Option<ExpectedError>,
    upstream_response: Option<ResponseSpec>,
    upstream_stream: Option<StreamSpec>,
    expect: Option<Expect>,
    expect_chunks: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "present")]
    expect_usage: Option<Option<ExpectedUsage>>,
    expect_error: Option<ExpectedError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    endpoint: Option<EndpointName>,
    public_model: Option<String>,
    upstream_model: Option<String>,
    streaming: Option<bool>,
    include_usage: Option<bool>,
    client_id: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum EndpointName {
    ChatCompletions,
    Embeddings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseSpec {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    body_text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamSpec {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    transcript: Option<String>,
    transcript_file: Option<PathBuf>,
}

fn ok() -> u16 {
    200
}

/// The `*.json` files directly in `dir`, sorted by name (subfolders are ignored).
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and resolves one fixture file; the error says what is wrong with it.
pub fn load(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read it: {err}"))?;
    let mut json = serde_json::Deserializer::from_str(&text);
    let file: FixtureFile =
        serde_path_to_error::deserialize(&mut json).map_err(|err| {
            match err.path().to_string().as_str() {
                "." => err.inner().to_string(),
                at => format!("{at}: {}", err.inner()),
            }
        })?;
    resolve(file, path.parent().unwrap_or(Path::new(".")))
}

fn resolve(file: FixtureFile, base: &Path) -> Result<Case, String> {
    let request = serde_json::to_vec(&file.request).map_err(|err| err.to_string())?;
    let ctx = file.context.call_context(&file.request);
    if let Some(rejection) = file.request_error {
        let others = [
            ("upstream_request", file.upstream_request.is_some()),
            ("upstream_response", file.upstream_response.is_some()),
            ("upstream_stream", file.upstream_stream.is_some()),
            ("expect", file.expect.is_some()),
            ("expect_chunks", file.expect_chunks.is_some()),
            ("expect_usage", file.expect_usage.is_some()),
            ("expect_error", file.expect_error.is_some()),
        ];
        if let Some((key, _)) = others.iter().find(|(_, set)| *set) {
            return Err(format!(
                "`request_error` ends the case at transform-request; `{key}` would never be checked"
            ));
        }
        return Ok(Case {
            ctx,
            request,
            expect_request: RequestExpectation::Reject(rejection),
            upstream: Upstream::None,
        });
    }
    let upstream = match (file.upstream_response, file.upstream_stream) {
        (Some(_), Some(_)) => {
            return Err("give `upstream_response` or `upstream_stream`, not both".into());
        }
        (Some(response), None) => {
            reject_keys(
                "upstream_response",
                &[
                    ("expect_chunks", file.expect_chunks.is_some()),
                    ("expect_usage", file.expect_usage.is_some()),
                ],
            )?;
            response.resolve(file.expect, file.expect_error)?
        }
        (None, Some(stream)) => {
            reject_keys("upstream_stream", &[("expect", file.expect.is_some())])?;
            if file.expect_chunks.is_none()
                && file.expect_usage.is_none()
                && file.expect_error.is_none()
            {
                return Err(
                    "`upstream_stream` needs `expect_chunks`, `expect_usage` or `expect_error`"
                        .into(),
                );
            }
            let transcript = stream.transcript(base)?;
            Upstream::Stream {
                status: stream.status,
                headers: lower_case(stream.headers),
                transcript,
                chunks: file.expect_chunks,
                usage: file.expect_usage,
                error: file.expect_error,
            }
        }
        (None, None) => {
            reject_keys(
                "a request-only fixture",
                &[
                    ("expect", file.expect.is_some()),
                    ("expect_chunks", file.expect_chunks.is_some()),
                    ("expect_usage", file.expect_usage.is_some()),
                    ("expect_error", file.expect_error.is_some()),
                ],
            )?;
            Upstream::None
        }
    };
    Ok(Case {
        ctx,
        request,
        expect_request: RequestExpectation::Accept(file.upstream_request.unwrap_or_default()),
        upstream,
    })
}

fn reject_keys(with: &str, keys: &[(&str, bool)]) -> Result<(), String> {
    match keys.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(format!("`{key}` does not apply to {with}")),
        None => Ok(()),
    }
}

fn lower_case(headers: BTreeMap<String, String>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect()
}

impl ContextSpec {
    fn call_context(self, request: &Value) -> CallContext {
        let public_model = self
            .public_model
            .unwrap_or_else(|| DEFAULT_PUBLIC_MODEL.to_string());
        CallContext {
            endpoint: match self.endpoint {
                Some(EndpointName::Embeddings) => Endpoint::Embeddings,
                Some(EndpointName::ChatCompletions) | None => Endpoint::ChatCompletions,
            },
            upstream_model: self.upstream_model.unwrap_or_else(|| public_model.clone()),
            public_model,
            streaming: self
                .streaming
                .unwrap_or_else(|| request.get("stream") == Some(&Value::Bool(true))),
            include_usage: self.include_usage.unwrap_or_else(|| {
                request.pointer("/stream_options/include_usage") == Some(&Value::Bool(true))
            }),
            client_id: self
                .client_id
                .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_string()),
            options: self.options.into_iter().collect(),
        }
    }
}

impl ResponseSpec {
    fn resolve(
        self,
        expect: Option<Expect>,
        expect_error: Option<ExpectedError>,
    ) -> Result<Upstream, String> {
        let body = match (self.body, self.body_text) {
            (Some(_), Some(_)) => {
                return Err("give `upstream_response.body` or `body_text`, not both".into());
            }
            (Some(json), None) => serde_json::to_vec(&json).map_err(|err| err.to_string())?,
            (None, Some(text)) => text.into_bytes(),
            (None, None) => Vec::new(),
        };
        let expect = match (expect, expect_error) {
            (Some(_), Some(_)) => {
                return Err("give `expect` or `expect_error` for a response, not both".into());
            }
            (Some(expect), None) => ResponseExpectation::Body(expect),
            (None, Some(error)) => ResponseExpectation::Error(error),
            (None, None) => {
                return Err("`upstream_response` needs `expect` or `expect_error`".into());
            }
        };
        Ok(Upstream::Response {
            status: self.status,
            headers: lower_case(self.headers),
            body,
            expect,
        })
    }
}

impl StreamSpec {
    fn transcript(&self, base: &Path) -> Result<Vec<u8>, String> {
        if !(200..300).contains(&self.status) {
            return Err(format!(
                "`upstream_stream.status` {} is not 2xx: the gateway hands error answers to \
                 transform-response, so use `upstream_response`",
                self.status
            ));
        }
        match (&self.transcript, &self.transcript_file) {
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, Some(file)) => {
                let path = base.join(file);
                std::fs::read(&path)
                    .map_err(|err| format!("cannot read transcript {}: {err}", path.display()))
            }
            _ => Err("`upstream_stream` needs one of `transcript` or `transcript_file`".into()),
        }
    }
}

#[cfg(test)]
mod tests;
