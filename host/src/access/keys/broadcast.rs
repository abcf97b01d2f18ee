//! Key changes told to every gateway process at once, through Redis pub/sub.
//!
//! Every process already notices a change within a second by polling the store's key
//! version; with Redis (`storage.redis_url`) the process that made the change (admin
//! API) publishes on [`CHANNEL`] and every other one reloads its ring when the message
//! arrives, so a revoked key is refused everywhere on the next request. A lost message
//! (Redis down) costs nothing but speed: the polling still catches the change.

use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::ConnectionManager;

use super::KeyRing;

/// The channel key changes are published on.
pub const CHANNEL: &str = "switchyard:keys";

/// Wait before subscribing again after the subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// Publishes this process's key changes.
pub struct KeyBroadcast {
    conn: ConnectionManager,
}

impl KeyBroadcast {
    /// A publisher on the Redis at `url`, and a subscriber that reloads `ring` on every
    /// change another process publishes. Nothing connects until used: a gateway starts
    /// while Redis is down.
    pub fn start(url: &str, ring: Weak<KeyRing>) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        tokio::spawn(listen(client, ring));
        Ok(Self { conn })
    }

    /// Tells the other processes that keys changed.
    pub async fn announce(&self) {
        let mut conn = self.conn.clone();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(CHANNEL).arg(std::process::id());
        if let Err(err) = publish.query_async::<i64>(&mut conn).await {
            tracing::warn!(error = %err, "cannot announce a key change through Redis; other processes see it within a second");
        }
    }
}

/// Reloads `ring` whenever a key change is published, until the ring is gone;
/// subscribes again whenever the subscription breaks.
async fn listen(client: redis::Client, ring: Weak<KeyRing>) {
    loop {
        if ring.strong_count() == 0 {
            return;
        }
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while messages.next().await.is_some() {
                        let Some(ring) = ring.upgrade() else { return };
                        let outcome = tokio::task::spawn_blocking(move || ring.refresh()).await;
                        if let Ok(Err(err)) = outcome {
                            tracing::warn!(error = %err, "cannot reload client keys");
                        }
                    }
                }
                Err(err) => tracing::debug!(error = %err, "cannot subscribe to key changes"),
            },
            Err(err) => tracing::debug!(error = %err, "cannot subscribe to key changes"),
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
