//! The writer lingers for company, but never keeps a flush waiting.

use std::time::Instant;

use super::*;
use crate::spend::calendar::Calendar;
use crate::store::{self, RequestRecord};

#[tokio::test]
async fn a_flush_commits_at_once_instead_of_lingering_and_loses_no_row() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = store::open(&url).expect("the store opens");
    let ledger =
        Ledger::start(Arc::clone(&store), 8192, true, Calendar::utc()).expect("the writer starts");

    const ROUNDS: u32 = 10;
    let started = Instant::now();
    for n in 0..ROUNDS {
        let row = RequestRecord {
            at_ms: 1_000 + i64::from(n),
            request_id: format!("req-{n}"),
            client_id: "alice".into(),
            model: "gpt-test".into(),
            status: 200,
            ..RequestRecord::default()
        };
        ledger
            .write(Remains {
                row: Some(row),
                ..Remains::default()
            })
            .await;
        ledger.flush().await;
    }
    let took = started.elapsed();
    // Lingering would take a whole LINGER per round; the writer runs at a low priority,
    // so a busy machine may slow each commit, but not by that much.
    assert!(
        took < LINGER * ROUNDS * 4 / 5,
        "{ROUNDS} write-and-flush rounds took {took:?}: a flush waited for the linger"
    );
    let rows = store.request_log(0, i64::MAX, 100).expect("the log reads");
    assert_eq!(
        rows.len(),
        ROUNDS as usize,
        "every flushed row is committed"
    );
    ledger.close().await;
}
