//! One list of store behaviours, run against every backend, so that SQLite and
//! Postgres cannot drift apart: a backend's tests call
//! `conformance_tests!(subject)` with a function that opens a fresh, empty store of
//! theirs, and get one `#[test]` per case. A case is written once, here, against
//! [`Subject`] (a `dyn Store`).

use std::any::Any;
use std::ops::Deref;

use serde_json::{Value, json};

use super::Store;
use super::model::{Exchange, NewKey, RequestRecord};

pub(crate) mod console;
pub(crate) mod conversations;
pub(crate) mod keys;
pub(crate) mod log;
pub(crate) mod responses;
pub(crate) mod spend;

/// Expands every case of the list into a `#[test]` calling `$subject()`, a function
/// of the calling module that returns `Option<Subject>` (`None` skips the case, for
/// a backend whose server is not available and explicitly skipped).
macro_rules! conformance_tests {
    ($subject:ident) => {
        $crate::store::conformance::conformance_tests!(@cases $subject;
            keys: [
                a_key_is_found_by_its_hash_until_revoked_and_every_change_moves_the_version,
                rotation_keeps_the_old_secret_only_for_its_grace_period,
                keys_are_listed_newest_first_with_their_hashes,
            ],
            log: [
                everything_survives_reopening,
                a_batch_writes_its_rows_and_the_keys_last_use,
                usage_is_summed_per_key_or_model_within_the_range,
            ],
            conversations: [
                a_resent_history_is_stored_once_and_a_rewritten_one_is_appended,
                conversations_are_per_client_paginated_newest_first_and_deletable,
            ],
            console: [
                keys_are_paged_newest_first_by_status_and_search,
                the_log_is_paged_both_ways_and_filtered,
                traffic_rollups_add_up_every_batch,
                stored_responses_are_listed_newest_first,
                an_ended_session_stays_ended_everywhere,
            ],
            responses: [
                a_chain_comes_back_oldest_first_and_only_for_its_owner,
                a_chain_stops_at_a_deleted_or_foreign_link,
                old_responses_are_purged,
                a_response_saved_again_is_replaced,
            ],
            spend: [
                spend_adds_up_by_day_key_and_model_and_teams_sum_their_keys,
                budgets_are_created_changed_and_deleted_and_move_the_keys_version,
            ],
        );
    };
    (@cases $subject:ident; $($module:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $module {
                $(
                    #[test]
                    fn $case() {
                        let Some(subject) = super::$subject() else {
                            return;
                        };
                        $crate::store::conformance::$module::$case(&subject);
                    }
                )*
            }
        )*
    };
}

pub(crate) use conformance_tests;

/// A fresh store under test, and how to open its database again.
pub struct Subject {
    store: Box<dyn Store>,
    reopen: Box<dyn Fn() -> Box<dyn Store>>,
    /// Whatever keeps the database alive (a temporary folder, a test database);
    /// dropped after the store.
    _keep: Box<dyn Any>,
}

impl Subject {
    /// A subject: `store`, opened anew by `reopen`, on a database `keep` holds.
    pub fn new(
        store: Box<dyn Store>,
        reopen: impl Fn() -> Box<dyn Store> + 'static,
        keep: impl Any,
    ) -> Self {
        Self {
            store,
            reopen: Box::new(reopen),
            _keep: Box::new(keep),
        }
    }

    /// Another store on the same database.
    pub fn reopen(&self) -> Box<dyn Store> {
        (self.reopen)()
    }
}

impl Deref for Subject {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        prefix: "sy-abcdefg".into(),
        ..NewKey::default()
    }
}

fn request(client: &str, model: &str, at_ms: i64, tokens: Option<(u32, u32)>) -> RequestRecord {
    RequestRecord {
        at_ms,
        request_id: format!("req-{at_ms}"),
        client_id: client.into(),
        endpoint: "/v1/chat/completions".into(),
        model: model.into(),
        status: 200,
        latency_ms: 1.5,
        prompt_tokens: tokens.map(|t| t.0),
        completion_tokens: tokens.map(|t| t.1),
        total_tokens: tokens.map(|t| t.0 + t.1),
        ..RequestRecord::default()
    }
}

fn exchange(client: &str, id: &str, at_ms: i64, messages: Vec<Value>, reply: &str) -> Exchange {
    Exchange {
        client_id: client.into(),
        conversation_id: id.into(),
        model: "m".into(),
        at_ms,
        messages,
        reply: json!({"role": "assistant", "content": reply}),
    }
}
