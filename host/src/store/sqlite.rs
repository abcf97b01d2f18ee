//! The embedded store: one SQLite file in WAL mode, one connection for writes (admin
//! changes and the request-log batches) and one for reads, so listings never wait
//! behind a batch.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;

use super::{Migrated, StoreError, StoreResult};

mod connect;
mod conversations;
mod keys;
mod log;
mod pages;
mod responses;
mod sessions;
mod spend;
mod traffic;
mod transfer;

/// Creates or migrates the file at `path`, as opening it does, and says which schema
/// versions it went between.
pub fn migrate(path: &Path) -> StoreResult<Migrated> {
    connect::open_migrated(path).map(|(_, migrated)| migrated)
}

/// SQLite behind [`super::Store`]: keys ([`keys`]), the request log ([`log`]) and its
/// rollups ([`traffic`]), conversations ([`conversations`]), stored responses
/// ([`responses`]) and ended console sessions ([`sessions`]), each its own file; paged
/// listings in [`pages`]; whole records in and out for a copy in [`transfer`].
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) and migrates the database at
    /// `path`; safe when other processes open the same file at the same moment.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let (writer, _) = connect::open_migrated(path)?;
        let reader = connect::connect(path)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| StoreError::Poisoned("writer"))?;
        f(&mut conn)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| StoreError::Poisoned("reader"))?;
        f(&conn)
    }
}

#[cfg(test)]
mod tests;
