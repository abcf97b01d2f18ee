//! Client keys in Postgres. Every change bumps `meta.keys_version` in its own
//! transaction, so every gateway on the database sees it on its next poll and
//! refreshes its key ring; a new key is found by hash from any of them at once.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use super::PostgresStore;
use crate::store::model::{ClientKey, KeyHashes, KeyLimits, KeyPatch, NewKey};
use crate::store::pages::{KeyPage, KeyQuery};
use crate::store::{KeyStore, StoreError, StoreResult, now_secs};

/// A key's columns as [`key_from_row`] reads them; its hashes follow at 16 and 17 where
/// [`hashes_from_row`] reads them.
pub(super) const KEY_COLUMNS: &str = "id, name, prefix, created_at, last_used_at, expires_at, enabled, \
     revoked_at, models, requests_per_minute, tokens_per_minute, max_concurrent, \
     store_conversations, rotated_at, previous_valid_until, team";

pub(super) fn key_from_row(row: &Row) -> StoreResult<ClientKey> {
    let models: Option<serde_json::Value> = row.try_get(8)?;
    Ok(ClientKey {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        prefix: row.try_get(2)?,
        created_at: row.try_get(3)?,
        last_used_at: row.try_get(4)?,
        expires_at: row.try_get(5)?,
        enabled: row.try_get(6)?,
        revoked_at: row.try_get(7)?,
        // Leniently, as SQLite reads its JSON text: a list that is not one is no list.
        models: models.and_then(|m| serde_json::from_value(m).ok()),
        limits: KeyLimits {
            requests_per_minute: limit(row, 9)?,
            tokens_per_minute: limit(row, 10)?,
            max_concurrent: limit(row, 11)?,
        },
        store_conversations: row.try_get(12)?,
        rotated_at: row.try_get(13)?,
        previous_secret_valid_until: row.try_get(14)?,
        team: row.try_get(15)?,
    })
}

/// A limit: BIGINT in the table, since Postgres has no unsigned 32-bit type.
fn limit(row: &Row, column: usize) -> StoreResult<Option<u32>> {
    row.try_get::<_, Option<i64>>(column)?
        .map(u32::try_from)
        .transpose()
        .map_err(|_| StoreError::Inconsistent("a key limit outside 0..=u32::MAX"))
}

/// A key with its hashes, from `KEY_COLUMNS, secret_hash, previous_hash`.
pub(super) fn hashes_from_row(row: &Row) -> StoreResult<KeyHashes> {
    Ok(KeyHashes {
        key: key_from_row(row)?,
        secret_hash: row.try_get(16)?,
        previous_hash: row.try_get(17)?,
    })
}

pub(super) fn models_json(models: Option<&Vec<String>>) -> Option<Json<&Vec<String>>> {
    models.map(Json)
}

pub(super) async fn bump_keys_version(client: &impl GenericClient) -> StoreResult<()> {
    client
        .execute(
            "UPDATE meta SET value = value + 1 WHERE name = 'keys_version'",
            &[],
        )
        .await?;
    Ok(())
}

async fn select_key(
    client: &impl GenericClient,
    id: &str,
    lock: bool,
) -> StoreResult<Option<ClientKey>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {KEY_COLUMNS} FROM client_keys WHERE id = $1{lock}");
    let statement = client.prepare_cached(&sql).await?;
    client
        .query_opt(&statement, &[&id])
        .await?
        .map(|row| key_from_row(&row))
        .transpose()
}

impl KeyStore for PostgresStore {
    fn create_key(&self, key: &NewKey, secret_hash: &str) -> StoreResult<ClientKey> {
        let id = format!("key_{}", uuid::Uuid::new_v4().simple());
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO client_keys (id, name, prefix, secret_hash, created_at, \
                     expires_at, enabled, models, requests_per_minute, tokens_per_minute, \
                     max_concurrent, store_conversations, team) \
                     VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, $10, $11, $12) \
                     RETURNING {KEY_COLUMNS}"
                ))
                .await?;
            let row = tx
                .query_one(
                    &insert,
                    &[
                        &id,
                        &key.name,
                        &key.prefix,
                        &secret_hash,
                        &now_secs(),
                        &key.expires_at,
                        &models_json(key.models.as_ref()),
                        &key.limits.requests_per_minute.map(i64::from),
                        &key.limits.tokens_per_minute.map(i64::from),
                        &key.limits.max_concurrent.map(i64::from),
                        &key.store_conversations,
                        &key.team,
                    ],
                )
                .await?;
            let created = key_from_row(&row)?;
            bump_keys_version(&tx).await?;
            tx.commit().await?;
            Ok(created)
        })
    }

    fn list_keys(&self, include_revoked: bool) -> StoreResult<Vec<ClientKey>> {
        let filter = if include_revoked {
            ""
        } else {
            "WHERE revoked_at IS NULL"
        };
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM client_keys {filter} ORDER BY created_at DESC, id");
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            let rows = conn.query(&statement, &[]).await?;
            rows.iter().map(key_from_row).collect()
        })
    }

    fn key_page(&self, query: &KeyQuery) -> StoreResult<KeyPage> {
        self.call(async |conn| super::pages::keys(conn, query).await)
    }

    fn get_key(&self, id: &str) -> StoreResult<Option<ClientKey>> {
        self.call(async |conn| select_key(&*conn, id, false).await)
    }

    fn find_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<(ClientKey, bool)>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS}, secret_hash = $1 FROM client_keys \
             WHERE revoked_at IS NULL AND (secret_hash = $1 \
               OR (previous_hash = $1 AND previous_valid_until > $2)) \
             LIMIT 1"
        );
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            let Some(row) = conn
                .query_opt(&statement, &[&secret_hash, &now_secs()])
                .await?
            else {
                return Ok(None);
            };
            let current: bool = row.try_get(16)?;
            Ok(Some((key_from_row(&row)?, !current)))
        })
    }

    fn update_key(&self, id: &str, patch: &KeyPatch) -> StoreResult<Option<ClientKey>> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            // Locked until commit: a change from another gateway waits, then applies
            // on top of this one rather than overwriting it.
            let Some(mut key) = select_key(&tx, id, true)
                .await?
                .filter(|k| k.revoked_at.is_none())
            else {
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
            let update = tx
                .prepare_cached(
                    "UPDATE client_keys SET name = $2, models = $3, requests_per_minute = $4, \
                     tokens_per_minute = $5, max_concurrent = $6, expires_at = $7, \
                     enabled = $8, store_conversations = $9, team = $10 WHERE id = $1",
                )
                .await?;
            tx.execute(
                &update,
                &[
                    &id,
                    &key.name,
                    &models_json(key.models.as_ref()),
                    &key.limits.requests_per_minute.map(i64::from),
                    &key.limits.tokens_per_minute.map(i64::from),
                    &key.limits.max_concurrent.map(i64::from),
                    &key.expires_at,
                    &key.enabled,
                    &key.store_conversations,
                    &key.team,
                ],
            )
            .await?;
            bump_keys_version(&tx).await?;
            tx.commit().await?;
            Ok(Some(key))
        })
    }

    fn revoke_key(&self, id: &str) -> StoreResult<bool> {
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let revoke = tx
                .prepare_cached(
                    "UPDATE client_keys SET revoked_at = $2, enabled = FALSE, \
                     previous_hash = NULL, previous_valid_until = NULL \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .await?;
            let changed = tx.execute(&revoke, &[&id, &now_secs()]).await?;
            let exists = changed > 0 || select_key(&tx, id, false).await?.is_some();
            bump_keys_version(&tx).await?;
            tx.commit().await?;
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
        let sql = format!(
            "UPDATE client_keys SET \
               previous_hash = CASE WHEN $4::BIGINT IS NULL THEN NULL ELSE secret_hash END, \
               previous_valid_until = $4, secret_hash = $2, prefix = $3, rotated_at = $5 \
             WHERE id = $1 AND revoked_at IS NULL \
             RETURNING {KEY_COLUMNS}"
        );
        self.call(async |conn| {
            let tx = conn.transaction().await?;
            let rotate = tx.prepare_cached(&sql).await?;
            let Some(row) = tx
                .query_opt(
                    &rotate,
                    &[&id, &secret_hash, &prefix, &grace_until, &now_secs()],
                )
                .await?
            else {
                return Ok(None);
            };
            let key = key_from_row(&row)?;
            bump_keys_version(&tx).await?;
            tx.commit().await?;
            Ok(Some(key))
        })
    }

    fn keys_version(&self) -> StoreResult<i64> {
        self.call(async |conn| {
            let statement = conn
                .prepare_cached("SELECT value FROM meta WHERE name = 'keys_version'")
                .await?;
            Ok(conn.query_one(&statement, &[]).await?.try_get(0)?)
        })
    }

    fn key_hashes(&self) -> StoreResult<Vec<KeyHashes>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS}, secret_hash, previous_hash FROM client_keys \
             WHERE revoked_at IS NULL"
        );
        self.call(async |conn| {
            let statement = conn.prepare_cached(&sql).await?;
            let rows = conn.query(&statement, &[]).await?;
            rows.iter().map(hashes_from_row).collect()
        })
    }
}
