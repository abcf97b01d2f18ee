//! The records the store keeps, as the admin API and the CLI show them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Per-key limits; `None` means unlimited. Enforced by the rate limiter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyLimits {
    /// Requests per minute.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Tokens (prompt + completion) per minute.
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
    /// Requests in flight at once.
    #[serde(default)]
    pub max_concurrent: Option<u32>,
}

/// A client key as shown to operators: never the secret, only its prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientKey {
    /// Stable identity (`key_...`), kept across rotations; the client id in logs.
    pub id: String,
    /// Operator's label.
    pub name: String,
    /// The first characters of the current secret, to recognise it.
    pub prefix: String,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Last successful use, unix seconds (updated in batches).
    pub last_used_at: Option<i64>,
    /// Expiry, unix seconds; `None` never expires.
    pub expires_at: Option<i64>,
    /// A disabled key is refused until enabled again.
    pub enabled: bool,
    /// When the key was revoked, for good.
    pub revoked_at: Option<i64>,
    /// Models this key may call; `None` allows every model.
    pub models: Option<Vec<String>>,
    /// Rate and concurrency limits.
    pub limits: KeyLimits,
    /// Store this key's conversations; `None` follows `conversations.enabled`.
    pub store_conversations: Option<bool>,
    /// The team the key belongs to: a team's budgets cover all of its keys.
    pub team: Option<String>,
    /// When the secret was last rotated.
    pub rotated_at: Option<i64>,
    /// Until when the secret before the last rotation still works.
    pub previous_secret_valid_until: Option<i64>,
}

impl ClientKey {
    /// Whether this key may call `model`.
    pub fn allows_model(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|models| models.iter().any(|m| m == model))
    }
}

/// A key and the hashes that authenticate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHashes {
    /// The key.
    pub key: ClientKey,
    /// SHA-256 of the current secret, hex.
    pub secret_hash: String,
    /// SHA-256 of the secret before the last rotation, while it is in its grace period.
    pub previous_hash: Option<String>,
}

/// What an operator sets when creating a key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Label.
    pub name: String,
    /// Allowed models; absent allows all.
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Limits.
    #[serde(default)]
    pub limits: KeyLimits,
    /// Expiry, unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Conversation storage for this key.
    #[serde(default)]
    pub store_conversations: Option<bool>,
    /// The key's team.
    #[serde(default)]
    pub team: Option<String>,
    /// The visible prefix of the secret (set by the key service, not the caller).
    #[serde(skip)]
    pub prefix: String,
}

/// A partial update: absent fields are left alone; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPatch {
    /// New label.
    #[serde(default)]
    pub name: Option<String>,
    /// New allowlist (`null`: every model).
    #[serde(default, with = "double_option")]
    pub models: Option<Option<Vec<String>>>,
    /// New limits (whole object).
    #[serde(default)]
    pub limits: Option<KeyLimits>,
    /// New expiry (`null`: never).
    #[serde(default, with = "double_option")]
    pub expires_at: Option<Option<i64>>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Conversation storage (`null`: follow the global setting).
    #[serde(default, with = "double_option")]
    pub store_conversations: Option<Option<bool>>,
    /// The key's team (`null`: none).
    #[serde(default, with = "double_option")]
    pub team: Option<Option<String>>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// One row of the request log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequestRecord {
    /// When the request arrived, unix milliseconds.
    pub at_ms: i64,
    /// The `x-request-id`.
    pub request_id: String,
    /// Key id, `anonymous`, or `admin`.
    pub client_id: String,
    /// `/v1/chat/completions` or `/v1/embeddings`.
    pub endpoint: String,
    /// Public model name as requested.
    pub model: String,
    /// Adapter that served it.
    pub platform: Option<String>,
    /// Adapter version.
    pub adapter_version: Option<String>,
    /// HTTP status answered.
    pub status: u16,
    /// Time until the answer (for streams: until the last event), milliseconds.
    pub latency_ms: f64,
    /// Upstream time to its response head, milliseconds.
    pub upstream_ms: Option<f64>,
    /// Prompt tokens.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens.
    pub completion_tokens: Option<u32>,
    /// Prompt + completion.
    pub total_tokens: Option<u32>,
    /// Whether the answer was streamed.
    pub streamed: bool,
    /// OpenAI error type when it failed (also for a stream that failed midway).
    pub error_type: Option<String>,
    /// The client's session id, when it sent one (Claude Code's
    /// `x-claude-code-session-id`).
    pub session_id: Option<String>,
    /// Prompt tokens read from the platform's cache (part of `prompt_tokens`).
    pub cached_tokens: Option<u32>,
    /// Reasoning tokens (part of `completion_tokens`).
    pub reasoning_tokens: Option<u32>,
    /// What the request cost, in nanodollars; `None` when its model has no price
    /// or it used nothing. Shown in dollars as `cost_usd`.
    #[serde(rename = "cost_usd", serialize_with = "nanos_as_usd")]
    pub cost_nanos: Option<i64>,
}

/// Nanodollars as a JSON number of dollars.
fn nanos_as_usd<S: serde::Serializer>(
    nanos: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match nanos {
        Some(nanos) => serializer.serialize_f64(crate::spend::cost::usd(*nanos)),
        None => serializer.serialize_none(),
    }
}

/// One request/answer pair to append to a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Owner (key id or `anonymous`).
    pub client_id: String,
    /// Conversation id (client-chosen or assigned).
    pub conversation_id: String,
    /// The model asked for.
    pub model: String,
    /// When the answer completed, unix milliseconds.
    pub at_ms: i64,
    /// The request's messages, in order.
    pub messages: Vec<Value>,
    /// The assistant's answer.
    pub reply: Value,
}

/// A response kept for the Responses API: what went in and what came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The response's id (`resp_...`).
    pub id: String,
    /// Owner (key id or `anonymous`): only its owner can read or continue it.
    pub client_id: String,
    /// The response it continued, if any.
    pub previous_id: Option<String>,
    /// The model asked for.
    pub model: String,
    /// When it completed, unix milliseconds.
    pub created_at_ms: i64,
    /// The request's own input items (a JSON array), each with an `id`.
    pub input: String,
    /// The Response object as the client received it (JSON).
    pub response: String,
}

/// A conversation in a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationSummary {
    /// Conversation id.
    pub id: String,
    /// The object type, always `conversation` (OpenAI's list items carry one).
    pub object: &'static str,
    /// Owner.
    pub client_id: String,
    /// Model of the latest exchange.
    pub model: String,
    /// First exchange, unix seconds.
    pub created_at: i64,
    /// Latest exchange, unix seconds.
    pub updated_at: i64,
    /// Messages stored.
    pub message_count: i64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    /// Position in the conversation, from 0.
    pub index: i64,
    /// The message as the OpenAI API shapes it.
    pub message: Value,
    /// Model that produced it (assistant) or was asked (others).
    pub model: String,
    /// When stored, unix seconds.
    pub created_at: i64,
}

/// A conversation with its messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Messages in order.
    pub messages: Vec<StoredMessage>,
}

/// One page of conversations, OpenAI list-shaped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationPage {
    /// The object type, always `list`, as OpenAI's list pages say.
    pub object: &'static str,
    /// The page.
    pub data: Vec<ConversationSummary>,
    /// Id of the first item.
    pub first_id: Option<String>,
    /// Id of the last item: pass as `after` for the next page.
    pub last_id: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// What a usage summary groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageGroup {
    /// Per client key.
    Key,
    /// Per model.
    Model,
}

/// A usage summary request.
#[derive(Debug, Clone)]
pub struct UsageQuery {
    /// From, unix milliseconds (inclusive).
    pub since_ms: i64,
    /// To, unix milliseconds (exclusive).
    pub until_ms: i64,
    /// Grouping.
    pub group: UsageGroup,
}

/// One line of a usage summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    /// The key id or model name.
    pub group: String,
    /// Requests answered.
    pub requests: i64,
    /// Requests that failed (status >= 400 or a stream error).
    pub errors: i64,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Completion tokens.
    pub completion_tokens: i64,
    /// Prompt + completion.
    pub total_tokens: i64,
}

/// Whose spending a budget caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetScope {
    /// One client key (`subject` is its id).
    Key,
    /// Every key of a team (`subject` is the team's name).
    Team,
}

impl BudgetScope {
    /// The name the store keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Team => "team",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "key" => Some(Self::Key),
            "team" => Some(Self::Team),
            _ => None,
        }
    }
}

/// A spending cap over a calendar period.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// Stable identity (`bud_...`).
    pub id: String,
    /// When it was created, unix seconds.
    pub created_at: i64,
    /// What it caps.
    pub settings: BudgetSettings,
}

/// What an operator sets on a budget (created or changed).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSettings {
    /// A key's or a team's.
    pub scope: BudgetScope,
    /// The key id or team name.
    pub subject: String,
    /// The period it resets on.
    pub period: crate::spend::calendar::Period,
    /// The cap, nanodollars.
    pub amount_nanos: i64,
    /// Share of the cap (0 to 1) past which operators are warned.
    pub soft_ratio: Option<f64>,
}

/// The spend of one (day, key, model), added to the daily rollup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpendLine {
    /// The day on the operator's calendar, `YYYY-MM-DD`.
    pub day: String,
    /// Key id, `anonymous` or `admin`.
    pub client_id: String,
    /// The configured model that served.
    pub model: String,
    /// Requests.
    pub requests: i64,
    /// Uncached prompt tokens.
    pub input_tokens: i64,
    /// Prompt tokens read from the cache.
    pub cached_tokens: i64,
    /// Prompt tokens written to the cache.
    pub cache_write_tokens: i64,
    /// Completion tokens.
    pub output_tokens: i64,
    /// Cost of the priced requests, nanodollars.
    pub cost_nanos: i64,
    /// Requests whose cost is unknown (no price).
    pub unpriced_requests: i64,
}

impl SpendLine {
    /// Adds the counts of `other` to this line.
    pub fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_nanos = self.cost_nanos.saturating_add(other.cost_nanos);
        self.unpriced_requests += other.unpriced_requests;
    }
}

/// What a spend report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpendGroup {
    /// Per client key.
    Key,
    /// Per model.
    Model,
    /// Per day.
    Day,
}

impl SpendGroup {
    /// The rollup column it groups by.
    pub fn column(self) -> &'static str {
        match self {
            Self::Key => "client_id",
            Self::Model => "model",
            Self::Day => "day",
        }
    }
}

/// A spend report request, over whole days.
#[derive(Debug, Clone, Default)]
pub struct SpendQuery {
    /// First day, `YYYY-MM-DD` (inclusive).
    pub since_day: String,
    /// Last day, `YYYY-MM-DD` (inclusive).
    pub until_day: String,
    /// Grouping (`None`: one total line).
    pub group: Option<SpendGroup>,
    /// Only this key.
    pub key: Option<String>,
    /// Only this model.
    pub model: Option<String>,
}
