//! The SQLite store: the shared conformance list (`store/conformance.rs`), and what
//! only SQLite has (its sync mode around log batches).

use super::*;
use crate::store::conformance::{Subject, conformance_tests};
use crate::store::model::RequestRecord;
use crate::store::{RequestLog, Store};

/// A fresh store in a temporary folder (in a subfolder the store creates).
fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested/db.sqlite")).unwrap();
    (dir, store)
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "the conformance list takes backends that may be skipped"
)]
fn subject() -> Option<Subject> {
    let (dir, store) = open();
    let path = dir.path().join("nested/db.sqlite");
    let reopen = move || Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn Store>;
    Some(Subject::new(Box::new(store), reopen, dir))
}

conformance_tests!(subject);

fn request(client: &str, at_ms: i64) -> RequestRecord {
    RequestRecord {
        at_ms,
        client_id: client.into(),
        model: "m".into(),
        status: 200,
        ..RequestRecord::default()
    }
}

#[test]
fn a_log_batch_leaves_the_writer_fully_synchronous_for_keys() {
    let (_dir, store) = open();
    let synchronous = |store: &SqliteStore| {
        store
            .write(|conn| Ok(conn.pragma_query_value(None, "synchronous", |r| r.get::<_, i64>(0))?))
            .unwrap()
    };
    // 2 is FULL: key and admin writes are synced at every commit.
    assert_eq!(synchronous(&store), 2);
    store
        .write_batch(&[request("key_a", 1_000)], &[], &[])
        .unwrap();
    assert_eq!(
        synchronous(&store),
        2,
        "the batch's NORMAL does not outlive it"
    );
    let rows = store.request_log(0, i64::MAX, 10).unwrap();
    assert_eq!(rows.len(), 1, "the batch was written");
}
