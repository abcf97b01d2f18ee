//! Client keys in SQLite. Every change bumps `meta.keys_version`, which other processes
//! poll to refresh their key rings.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::SqliteStore;
use crate::store::model::{ClientKey, KeyHashes, KeyLimits, KeyPatch, NewKey};
use crate::store::pages::{KeyPage, KeyQuery};
use crate::store::{KeyStore, StoreError, StoreResult, now_secs};

/// A key's columns as [`key_from_row`] reads them; its hashes follow at 16 and 17 where
/// [`hashes_from_row`] reads them.
pub(super) const KEY_COLUMNS: &str = "id, name, prefix, created_at, last_used_at, expires_at, enabled, \
     revoked_at, models, requests_per_minute, tokens_per_minute, max_concurrent, \
     store_conversations, rotated_at, previous_valid_until, team";

pub(super) fn key_from_row(row: &Row<'_>) -> rusqlite::Result<ClientKey> {
    let models: Option<String> = row.get(8)?;
    Ok(ClientKey {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        created_at: row.get(3)?,
        last_used_at: row.get(4)?,
        expires_at: row.get(5)?,
        enabled: row.get(6)?,
        revoked_at: row.get(7)?,
        models: models.and_then(|m| serde_json::from_str(&m).ok()),
        limits: KeyLimits {
            requests_per_minute: row.get(9)?,
            tokens_per_minute: row.get(10)?,
            max_concurrent: row.get(11)?,
        },
        store_conversations: row.get(12)?,
        rotated_at: row.get(13)?,
        previous_secret_valid_until: row.get(14)?,
        team: row.get(15)?,
    })
}

/// A key with its hashes, from `KEY_COLUMNS, secret_hash, previous_hash`.
pub(super) fn hashes_from_row(row: &Row<'_>) -> rusqlite::Result<KeyHashes> {
    Ok(KeyHashes {
        key: key_from_row(row)?,
        secret_hash: row.get(16)?,
        previous_hash: row.get(17)?,
    })
}

pub(super) fn models_json(models: Option<&Vec<String>>) -> Option<String> {
    models.map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()))
}

pub(super) fn bump_keys_version(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'keys_version'",
        [],
    )?;
    Ok(())
}

fn select_key(conn: &Connection, id: &str) -> StoreResult<Option<ClientKey>> {
    Ok(conn
        .query_row(
            &format!("SELECT {KEY_COLUMNS} FROM client_keys WHERE id = ?1"),
            [id],
            key_from_row,
        )
        .optional()?)
}

impl KeyStore for SqliteStore {
    fn create_key(&self, key: &NewKey, secret_hash: &str) -> StoreResult<ClientKey> {
        let id = format!("key_{}", uuid::Uuid::new_v4().simple());
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO client_keys (id, name, prefix, secret_hash, created_at, expires_at, \
                 enabled, models, requests_per_minute, tokens_per_minute, max_concurrent, \
                 store_conversations, team) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    id,
                    key.name,
                    key.prefix,
                    secret_hash,
                    now_secs(),
                    key.expires_at,
                    models_json(key.models.as_ref()),
                    key.limits.requests_per_minute,
                    key.limits.tokens_per_minute,
                    key.limits.max_concurrent,
                    key.store_conversations,
                    key.team,
                ],
            )?;
            bump_keys_version(&tx)?;
            let created = select_key(&tx, &id)?
                .ok_or_else(|| StoreError::Inconsistent("a key vanished after its insert"))?;
            tx.commit()?;
            Ok(created)
        })
    }

    fn list_keys(&self, include_revoked: bool) -> StoreResult<Vec<ClientKey>> {
        self.read(|conn| {
            let filter = if include_revoked {
                ""
            } else {
                "WHERE revoked_at IS NULL"
            };
            let mut stmt = conn.prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM client_keys {filter} ORDER BY created_at DESC, id"
            ))?;
            let keys = stmt
                .query_map([], key_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    fn get_key(&self, id: &str) -> StoreResult<Option<ClientKey>> {
        self.read(|conn| select_key(conn, id))
    }

    fn find_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<(ClientKey, bool)>> {
        self.read(|conn| {
            let found = conn
                .query_row(
                    &format!(
                        "SELECT {KEY_COLUMNS}, secret_hash = ?1 FROM client_keys \
                         WHERE revoked_at IS NULL AND (secret_hash = ?1 \
                           OR (previous_hash = ?1 AND previous_valid_until > ?2))"
                    ),
                    params![secret_hash, now_secs()],
                    |row| Ok((key_from_row(row)?, !row.get::<_, bool>(16)?)),
                )
                .optional()?;
            Ok(found)
        })
    }

    fn update_key(&self, id: &str, patch: &KeyPatch) -> StoreResult<Option<ClientKey>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let Some(mut key) = select_key(&tx, id)?.filter(|k| k.revoked_at.is_none()) else {
                return Ok(None);
            };
            if let Some(name) = &patch.name {
                key.name.clone_from(name);
            }
            if let Some(models) = &patch.models {
                key.models.clone_from(models);
            }
            if let Some(limits) = patch.limits {
                key.limits = limits;
            }
            if let Some(expires_at) = patch.expires_at {
                key.expires_at = expires_at;
            }
            if let Some(enabled) = patch.enabled {
                key.enabled = enabled;
            }
            if let Some(store) = patch.store_conversations {
                key.store_conversations = store;
            }
            if let Some(team) = &patch.team {
                key.team.clone_from(team);
            }
            tx.execute(
                "UPDATE client_keys SET name = ?2, models = ?3, requests_per_minute = ?4, \
                 tokens_per_minute = ?5, max_concurrent = ?6, expires_at = ?7, enabled = ?8, \
                 store_conversations = ?9, team = ?10 WHERE id = ?1",
                params![
                    id,
                    key.name,
                    models_json(key.models.as_ref()),
                    key.limits.requests_per_minute,
                    key.limits.tokens_per_minute,
                    key.limits.max_concurrent,
                    key.expires_at,
                    key.enabled,
                    key.store_conversations,
                    key.team,
                ],
            )?;
            bump_keys_version(&tx)?;
            tx.commit()?;
            Ok(Some(key))
        })
    }

    fn revoke_key(&self, id: &str) -> StoreResult<bool> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE client_keys SET revoked_at = ?2, enabled = 0, previous_hash = NULL, \
                 previous_valid_until = NULL WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_secs()],
            )?;
            let exists = changed > 0 || select_key(&tx, id)?.is_some();
            bump_keys_version(&tx)?;
            tx.commit()?;
            Ok(exists)
        })
    }

    fn rotate_key(
        &self,
        id: &str,
        secret_hash: &str,
        prefix: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<Option<ClientKey>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE client_keys SET \
                   previous_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE secret_hash END, \
                   previous_valid_until = ?4, secret_hash = ?2, prefix = ?3, rotated_at = ?5 \
                 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, secret_hash, prefix, grace_until, now_secs()],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            bump_keys_version(&tx)?;
            let key = select_key(&tx, id)?;
            tx.commit()?;
            Ok(key)
        })
    }

    fn key_page(&self, query: &KeyQuery) -> StoreResult<KeyPage> {
        self.read(|conn| super::pages::keys(conn, query))
    }

    fn keys_version(&self) -> StoreResult<i64> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT value FROM meta WHERE name = 'keys_version'",
                [],
                |row| row.get(0),
            )?)
        })
    }

    fn key_hashes(&self) -> StoreResult<Vec<KeyHashes>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {KEY_COLUMNS}, secret_hash, previous_hash FROM client_keys \
                 WHERE revoked_at IS NULL"
            ))?;
            let rows = stmt
                .query_map([], hashes_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}
