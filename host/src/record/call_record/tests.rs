//! A record finishes once, and says how a stream ended.

use std::sync::Arc;

use axum::body::Body;

use super::*;
use crate::record::ledger::Ledger;
use crate::store;

fn record() -> (tempfile::TempDir, CallRecord) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = store::open(&url).expect("the store opens");
    let ledger = Ledger::start(store, 16, true, crate::spend::calendar::Calendar::utc())
        .expect("the writer starts");
    let request = Request::builder()
        .uri("/v1/chat/completions")
        .body(Body::empty())
        .expect("a request");
    (dir, CallRecord::open(Arc::new(ledger), &request))
}

#[test]
fn a_stream_that_ended_on_its_first_step_is_not_a_disconnect() {
    let (_dir, record) = record();
    record.keep_in_log();
    record.requested("m", true);
    record.stream_ended(None);
    record.stream_started();
    let remains = record.finish().expect("finished once");
    assert_eq!(remains.row.expect("a log row").error_type, None);
    assert!(record.finish().is_none(), "a record finishes once");
}

#[test]
fn a_stream_the_client_left_is_a_disconnect() {
    let (_dir, record) = record();
    record.keep_in_log();
    record.stream_started();
    let remains = record.finish().expect("finished once");
    assert_eq!(
        remains.row.expect("a log row").error_type.as_deref(),
        Some("client_disconnected")
    );
}
