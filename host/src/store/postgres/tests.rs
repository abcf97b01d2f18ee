//! The Postgres store against a real server (`testing.rs`): the shared conformance
//! list, and what only a server database has: several stores on one database, the
//! pool's bound, migrations racing, and a server that goes away and comes back.

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use super::testing::{self, Cluster, PASSWORD};
use super::{DEFAULT_POOL_SIZE, PostgresStore};
use crate::store::conformance::{Subject, conformance_tests};
use crate::store::{self, KeyStore, Migrated, NewKey, RequestLog, Store, StoreError};

fn open(database: &testing::TestDatabase<'_>, pool_size: usize) -> PostgresStore {
    PostgresStore::open(&database.parsed(), pool_size).expect("the test database opens")
}

fn subject() -> Option<Subject> {
    let database = testing::database()?;
    let store = open(&database, DEFAULT_POOL_SIZE);
    let parsed = database.parsed();
    let reopen = move || {
        Box::new(PostgresStore::open(&parsed, DEFAULT_POOL_SIZE).unwrap()) as Box<dyn Store>
    };
    Some(Subject::new(Box::new(store), reopen, database))
}

conformance_tests!(subject);

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        prefix: "sy-test".into(),
        ..NewKey::default()
    }
}

#[test]
fn two_stores_on_one_database_see_each_others_keys_at_once() {
    let Some(database) = testing::database() else {
        return;
    };
    let (a, b) = (open(&database, 4), open(&database, 4));
    let before = (a.keys_version().unwrap(), b.keys_version().unwrap());
    assert_eq!(before.0, before.1);

    let key = a.create_key(&new_key("shared"), "hash-shared").unwrap();
    let (found, previous) = b.find_key_by_hash("hash-shared").unwrap().unwrap();
    assert_eq!((found, previous), (key.clone(), false));
    let after = b.keys_version().unwrap();
    assert!(after > before.1, "the other store sees the version move");
    assert_eq!(a.keys_version().unwrap(), after);

    b.revoke_key(&key.id).unwrap();
    assert!(a.find_key_by_hash("hash-shared").unwrap().is_none());
    assert!(a.keys_version().unwrap() > after);
}

#[test]
fn the_pool_never_holds_more_connections_than_its_size() {
    let Some(database) = testing::database() else {
        return;
    };
    const SIZE: usize = 3;
    let store = Arc::new(open(&database, SIZE));
    let callers = 10;
    let start = Arc::new(Barrier::new(callers));
    let most = Arc::new(Mutex::new(0_i64));
    let threads: Vec<_> = (0..callers)
        .map(|_| {
            let (store, start, most) = (Arc::clone(&store), Arc::clone(&start), Arc::clone(&most));
            std::thread::spawn(move || {
                start.wait();
                let sessions = store.call(async |conn| {
                    let row = conn
                        .query_one(
                            "SELECT count(*) FROM pg_stat_activity \
                             WHERE datname = current_database() \
                               AND backend_type = 'client backend'",
                            &[],
                        )
                        .await?;
                    conn.execute("SELECT pg_sleep(0.1)", &[]).await?;
                    Ok(row.try_get::<_, i64>(0)?)
                })?;
                let mut most = most.lock().unwrap();
                *most = (*most).max(sessions);
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for thread in threads {
        thread
            .join()
            .unwrap()
            .expect("callers beyond the bound wait for a connection");
    }
    let most = *most.lock().unwrap();
    assert!(
        most <= i64::try_from(SIZE).unwrap(),
        "{most} sessions at once"
    );
    assert!(most >= 2, "calls ran side by side ({most} at most)");
    assert_eq!(store.pool_size(), (SIZE, SIZE));
}

#[test]
fn stores_opening_together_on_an_empty_database_migrate_it_once() {
    let Some(database) = testing::database() else {
        return;
    };
    const OPENERS: usize = 6;
    let start = Arc::new(Barrier::new(OPENERS));
    let openers: Vec<_> = (0..OPENERS)
        .map(|i| {
            let (parsed, start) = (database.parsed(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let store = PostgresStore::open(&parsed, 2)?;
                store.create_key(&new_key("racer"), &format!("hash-{i}"))
            })
        })
        .collect();
    for opener in openers {
        opener.join().unwrap().expect("every opener succeeds");
    }
    let store = open(&database, 1);
    assert_eq!(store.list_keys(true).unwrap().len(), OPENERS);
    let versions = store
        .call(async |conn| {
            let rows = conn
                .query(
                    "SELECT version FROM schema_migrations ORDER BY version",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| Ok(row.try_get::<_, i32>(0)?))
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .unwrap();
    assert_eq!(versions, [1, 2, 3], "each migration applied once");
    let latest = versions.len();
    assert_eq!(
        store::migrate(database.url()).unwrap(),
        Migrated {
            from: latest,
            to: latest
        }
    );
}

#[test]
fn open_and_migrate_dispatch_on_the_scheme() {
    let Some(database) = testing::database() else {
        return;
    };
    let url = database.url().replacen("postgres://", "postgresql://", 1);
    assert_eq!(store::migrate(&url).unwrap(), Migrated { from: 0, to: 3 });
    let shared = store::open(&url).unwrap();
    shared
        .create_key(&new_key("via open"), "hash-open")
        .unwrap();
    assert!(shared.find_key_by_hash("hash-open").unwrap().is_some());
}

#[test]
fn a_stopped_server_is_a_quick_clear_error_and_the_store_recovers_when_it_is_back() {
    if testing::skipped() {
        return;
    }
    let cluster = Cluster::start().unwrap_or_else(|why| panic!("{why}"));
    let database = cluster.create_database();
    let store = open(&database, 4);
    let key = store
        .create_key(&new_key("survivor"), "hash-survivor")
        .unwrap();

    cluster.stop().unwrap();
    let began = Instant::now();
    let err = store.keys_version().unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "failed in {:?}",
        began.elapsed()
    );
    assert!(
        matches!(err, StoreError::PostgresUnavailable { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    let server = format!("127.0.0.1:{}", database.parsed().config().get_ports()[0]);
    assert!(
        message.starts_with(&format!(
            "cannot reach the Postgres server at {server}/{}: ",
            database.name()
        )),
        "{message}"
    );
    assert!(!message.contains(PASSWORD), "{message}");
    let refused = PostgresStore::open(&database.parsed(), 4).err().unwrap();
    assert!(
        matches!(refused, StoreError::PostgresUnavailable { .. }),
        "{refused}"
    );
    assert!(began.elapsed() < Duration::from_secs(5));
    assert!(
        store.write_batch(&[], &[], &[]).is_err(),
        "writes fail alike, and are not lost silently"
    );

    cluster.start_again().unwrap();
    assert_eq!(
        store.find_key_by_hash("hash-survivor").unwrap().unwrap().0,
        key,
        "the same store works again, without reopening"
    );
    store.create_key(&new_key("after"), "hash-after").unwrap();
}

#[test]
fn the_store_can_be_called_from_async_code_and_dropped_there() {
    let Some(database) = testing::database() else {
        return;
    };
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    single.block_on(async {
        let store = open(&database, 2);
        store.create_key(&new_key("single"), "hash-single").unwrap();
        drop(store);
    });
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    multi.block_on(async {
        let store = open(&database, 2);
        assert!(store.find_key_by_hash("hash-single").unwrap().is_some());
        let shared: store::SharedStore = Arc::new(store);
        let found = store::blocking(&shared, |s| s.find_key_by_hash("hash-single"))
            .await
            .unwrap();
        assert!(found.is_some());
    });
}
