//! Gemini's answer JSON (`GenerateContentResponse`), read-only and lenient: every field
//! may be missing, unknown fields (`turnToken`, `avgLogprobs`, …) are ignored.

use serde::Deserialize;
use serde_json::Value;
use switchyard_guest_kit::Usage;
use switchyard_guest_kit::usage::saturate;

/// One `GenerateContentResponse`: a whole answer, or one stream event.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    /// The candidates; absent or empty when the prompt was blocked.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Why the prompt was blocked, if it was.
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    /// Token counts, cumulative over a stream.
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model that answered, e.g. `gemini-2.5-flash`.
    #[serde(default)]
    pub model_version: Option<String>,
    /// Gemini's id of this answer.
    #[serde(default)]
    pub response_id: Option<String>,
}

/// One candidate answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The content; `parts` may be missing (MAX_TOKENS after thinking, SAFETY).
    #[serde(default)]
    pub content: Option<Content>,
    /// `STOP`, `MAX_TOKENS`, `SAFETY`, … (only on the last stream event).
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Gemini's explanation of the finish reason.
    #[serde(default)]
    pub finish_message: Option<String>,
    /// The candidate's index (missing for the first one on some models).
    #[serde(default)]
    pub index: Option<u32>,
    /// Token log probabilities, when `responseLogprobs` asked for them.
    #[serde(default)]
    pub logprobs_result: Option<LogprobsResult>,
    /// The web pages a Google Search grounded the answer on ([`crate::grounding`]).
    #[serde(default)]
    pub grounding_metadata: Option<GroundingMetadata>,
}

/// `candidates[].groundingMetadata`, as far as it is read (`webSearchQueries`,
/// `searchEntryPoint` and the rest are not).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroundingMetadata {
    /// The sources, which supports point to by position.
    #[serde(default)]
    pub grounding_chunks: Vec<GroundingChunk>,
    /// Which span of the answer which sources support.
    #[serde(default)]
    pub grounding_supports: Vec<GroundingSupport>,
}

/// `groundingChunks[]`: a web page (other kinds, such as maps, are not read).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct GroundingChunk {
    /// The page, for a web source.
    #[serde(default)]
    pub web: Option<WebSource>,
}

/// `groundingChunks[].web`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct WebSource {
    /// The page's address (a Google redirect URL).
    #[serde(default)]
    pub uri: Option<String>,
    /// Its title (often the domain).
    #[serde(default)]
    pub title: Option<String>,
}

/// `groundingSupports[]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroundingSupport {
    /// The span of the answer.
    #[serde(default)]
    pub segment: Option<Segment>,
    /// The `groundingChunks` that support it.
    #[serde(default)]
    pub grounding_chunk_indices: Vec<u64>,
}

/// `groundingSupports[].segment`: a span in UTF-8 bytes (`startIndex` is left out
/// when 0).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// The first byte.
    #[serde(default)]
    pub start_index: Option<u64>,
    /// The byte after the span.
    #[serde(default)]
    pub end_index: Option<u64>,
}

/// `candidates[].logprobsResult`: the chosen token at each step, and the top candidates
/// at the same steps.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogprobsResult {
    /// The tokens chosen, in order.
    #[serde(default)]
    pub chosen_candidates: Vec<TokenLogprob>,
    /// For each step, the most likely tokens.
    #[serde(default)]
    pub top_candidates: Vec<TopCandidates>,
}

/// The top candidates of one step.
#[derive(Debug, Default, Deserialize)]
pub struct TopCandidates {
    /// Most likely first.
    #[serde(default)]
    pub candidates: Vec<TokenLogprob>,
}

/// One token and its log probability.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenLogprob {
    /// The token's text.
    #[serde(default)]
    pub token: String,
    /// Its natural log probability.
    #[serde(default)]
    pub log_probability: f64,
}

impl LogprobsResult {
    /// OpenAI's `choices[].logprobs`: `{"content": [{token, logprob, bytes,
    /// top_logprobs}]}`.
    pub fn to_openai(&self) -> serde_json::Value {
        let entry = |t: &TokenLogprob| serde_json::json!({"token": t.token, "logprob": t.log_probability, "bytes": t.token.as_bytes()});
        let content: Vec<serde_json::Value> = self
            .chosen_candidates
            .iter()
            .enumerate()
            .map(|(step, chosen)| {
                let mut item = entry(chosen);
                let top: Vec<serde_json::Value> = self
                    .top_candidates
                    .get(step)
                    .map(|t| t.candidates.iter().map(entry).collect())
                    .unwrap_or_default();
                item["top_logprobs"] = serde_json::Value::Array(top);
                item
            })
            .collect();
        serde_json::json!({ "content": content })
    }
}

/// `{"role","parts"}`.
#[derive(Debug, Default, Deserialize)]
pub struct Content {
    /// The parts, in order.
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// One part; only the payloads this adapter translates are read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text (a thought summary when `thought` is true).
    #[serde(default)]
    pub text: Option<String>,
    /// Whether `text` is a thought summary.
    #[serde(default)]
    pub thought: bool,
    /// A function call, whole.
    #[serde(default)]
    pub function_call: Option<FunctionCall>,
    /// Opaque signature that must be echoed back with this part on the next turn.
    #[serde(default)]
    pub thought_signature: Option<String>,
}

/// `functionCall{name,args,id?}`.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default)]
    pub name: String,
    /// The arguments object.
    #[serde(default)]
    pub args: Option<Value>,
    /// Gemini 3 models send an id; Gemini 2.x ones do not.
    #[serde(default)]
    pub id: Option<String>,
}

/// `promptFeedback`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    /// `SAFETY`, `OTHER`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `IMAGE_SAFETY`, …
    #[serde(default)]
    pub block_reason: Option<String>,
    /// Gemini's explanation, when it gives one.
    #[serde(default)]
    pub block_reason_message: Option<String>,
}

/// `usageMetadata`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Prompt tokens (cached ones included).
    #[serde(default)]
    pub prompt_token_count: u64,
    /// Answer tokens, thoughts excluded.
    #[serde(default)]
    pub candidates_token_count: u64,
    /// Thinking tokens.
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    /// Tokens of tool results Gemini itself ran (search, code execution).
    #[serde(default)]
    pub tool_use_prompt_token_count: u64,
    /// Prompt tokens served from a context cache.
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
}

impl UsageMetadata {
    /// Prompt tokens in OpenAI terms.
    pub fn prompt_tokens(&self) -> u64 {
        self.prompt_token_count
            .saturating_add(self.tool_use_prompt_token_count)
    }

    /// Completion tokens in OpenAI terms: thoughts count (as OpenAI counts reasoning).
    pub fn completion_tokens(&self) -> u64 {
        self.candidates_token_count
            .saturating_add(self.thoughts_token_count.unwrap_or(0))
    }

    /// The OpenAI `usage` object.
    pub fn to_openai(&self) -> Value {
        let (prompt, completion) = (self.prompt_tokens(), self.completion_tokens());
        let mut usage = serde_json::json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt.saturating_add(completion),
        });
        if let Some(cached) = self.cached_content_token_count {
            usage["prompt_tokens_details"] = serde_json::json!({ "cached_tokens": cached });
        }
        if let Some(thoughts) = self.thoughts_token_count {
            usage["completion_tokens_details"] =
                serde_json::json!({ "reasoning_tokens": thoughts });
        }
        usage
    }

    /// The WIT usage, for the host's accounting.
    pub fn to_wit(&self) -> Usage {
        Usage {
            prompt_tokens: saturate(self.prompt_tokens()),
            completion_tokens: saturate(self.completion_tokens()),
            cached_tokens: self.cached_content_token_count.map(saturate),
            reasoning_tokens: self.thoughts_token_count.map(saturate),
        }
    }
}
