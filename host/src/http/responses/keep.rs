//! Keeping a response (`store: true`, OpenAI's default) in the gateway's store.
//!
//! The answer is saved before the client sees its end (the whole body, or the stream's
//! terminal event), so a client that continues at once with `previous_response_id`
//! always finds it. A save that fails is logged and the answer still goes out: the
//! client loses the continuation, not the answer.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::store::{self, SharedStore, StoredResponse};

/// The stream events that end a response, each carrying it whole.
const TERMINAL: &[&str] = &[
    "response.completed",
    "response.incomplete",
    "response.failed",
];

/// What is kept of one call, once its answer is known.
pub struct Keeper {
    store: SharedStore,
    client_id: String,
    model: String,
    previous_id: Option<String>,
    input: Vec<Value>,
    kept: bool,
}

/// A terminal stream event: its type and the response it carries.
#[derive(Deserialize)]
struct Terminal<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    response: Option<&'a RawValue>,
}

/// The members of a Response the store indexes.
#[derive(Deserialize)]
struct Head {
    id: String,
}

impl Keeper {
    /// A keeper for a call by `client_id` to `model` whose own input is `input`.
    pub fn new(
        store: SharedStore,
        client_id: &str,
        model: &str,
        previous_id: Option<String>,
        input: Vec<Value>,
    ) -> Self {
        Self {
            store,
            client_id: client_id.to_owned(),
            model: model.to_owned(),
            previous_id,
            input,
            kept: false,
        }
    }

    /// Keeps a whole answer (a Response object).
    pub async fn body(mut self, body: &[u8]) {
        if let Ok(text) = std::str::from_utf8(body) {
            self.save(text).await;
        }
    }

    /// Looks for the terminal event among a stream's events and keeps its response.
    pub async fn events(&mut self, events: &[String]) {
        if self.kept {
            return;
        }
        let terminal = events.iter().rev().find_map(|event| {
            // Most events are deltas: a substring test spares parsing them.
            if !TERMINAL.iter().any(|kind| event.contains(kind)) {
                return None;
            }
            let terminal: Terminal<'_> = serde_json::from_str(event).ok()?;
            TERMINAL
                .contains(&terminal.kind)
                .then_some(terminal.response)
                .flatten()
                .map(|response| response.get().to_owned())
        });
        if let Some(response) = terminal {
            self.save(&response).await;
        }
    }

    async fn save(&mut self, response: &str) {
        self.kept = true;
        let Ok(Head { id }) = serde_json::from_str::<Head>(response) else {
            tracing::warn!("a response without an id cannot be stored");
            return;
        };
        let stored = StoredResponse {
            id,
            client_id: self.client_id.clone(),
            previous_id: self.previous_id.take(),
            model: self.model.clone(),
            created_at_ms: store::now_millis(),
            input: Value::Array(std::mem::take(&mut self.input)).to_string(),
            response: response.to_owned(),
        };
        let id = stored.id.clone();
        if let Err(err) = store::blocking(&self.store, move |s| s.save_response(&stored)).await {
            tracing::error!(response = %id, error = %err, "cannot store the response; it cannot be continued");
        }
    }
}
