//! Warm instances of one adapter version. Creating an instance costs several times a
//! whole translation (see `benches/adapter.rs`), so clean instances are kept for the
//! next request, within bounds: an instance that faulted, still holds a stream
//! resource, has served `MAX_REQUESTS` requests or whose memory grew past
//! `RECYCLE_MEMORY_BYTES` is dropped instead. Adapters are pure translators, so a
//! clean instance carries nothing from one request to the next.

use std::sync::Mutex;

use super::session::Session;

/// Requests an instance serves before it is replaced by a fresh one.
pub const MAX_REQUESTS: u32 = 10_000;

/// An instance whose linear memory grew past this is not reused (its memory returns
/// to the system).
pub const RECYCLE_MEMORY_BYTES: usize = 16 * 1024 * 1024;

/// Idle instances of one adapter version.
#[derive(Default)]
pub struct InstancePool {
    idle: Mutex<Vec<Session>>,
    capacity: usize,
}

impl InstancePool {
    /// A pool keeping at most `capacity` idle instances (0 disables reuse).
    pub fn new(capacity: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::with_capacity(capacity)),
            capacity,
        }
    }

    /// An idle instance, if there is one.
    pub fn take(&self) -> Option<Session> {
        self.idle.lock().ok()?.pop()
    }

    /// Returns an instance after a request that ended normally; it is kept only if
    /// it may safely serve again and the pool has room.
    pub fn put(&self, session: Session) {
        let reusable = session.is_clean()
            && session.requests() < MAX_REQUESTS
            && session.memory_size() <= RECYCLE_MEMORY_BYTES;
        if !reusable {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.capacity
        {
            idle.push(session);
        }
    }

    /// Idle instances now.
    pub fn idle(&self) -> usize {
        self.idle.lock().map(|idle| idle.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::PluginsConfig;
    use crate::plugins::Plugins;
    use crate::plugins::bindings::{CallContext, Endpoint};

    fn ctx() -> CallContext {
        CallContext {
            endpoint: Endpoint::ChatCompletions,
            public_model: "m".into(),
            upstream_model: "m".into(),
            streaming: true,
            include_usage: false,
            client_id: "test".into(),
            options: Vec::new(),
        }
    }

    #[tokio::test]
    async fn clean_instances_are_reused_and_dirty_ones_are_not() {
        let config = PluginsConfig {
            warm_instances: 2,
            ..PluginsConfig::default()
        };
        let plugins = Plugins::start(&config).await.expect("built-ins load");
        let adapter = plugins.snapshot().get("openai").expect("openai built-in");

        let (session, _permit) = plugins.session(&adapter).await.unwrap();
        assert_eq!(session.requests(), 1);
        adapter.pool.put(session);
        assert_eq!(adapter.pool.idle(), 1, "a clean instance goes back");
        let (session, _permit) = plugins.session(&adapter).await.unwrap();
        assert_eq!(
            session.requests(),
            2,
            "the next request gets the warm instance"
        );

        // A stream left open (a client that went away) makes the instance unfit.
        let mut session = session;
        let stream = session.open_stream(&ctx(), 200, &[]).await.unwrap();
        adapter.pool.put(session);
        assert_eq!(
            adapter.pool.idle(),
            0,
            "an instance with an open stream is dropped"
        );

        let (mut session, _permit) = plugins.session(&adapter).await.unwrap();
        assert_eq!(session.requests(), 1, "a fresh instance replaced it");
        let stream2 = session.open_stream(&ctx(), 200, &[]).await.unwrap();
        session.close_stream(stream2).await.unwrap();
        adapter.pool.put(session);
        assert_eq!(
            adapter.pool.idle(),
            1,
            "a closed stream leaves the instance clean"
        );
        let _ = stream;
    }

    #[tokio::test]
    async fn the_pool_is_bounded_and_zero_disables_reuse() {
        let config = PluginsConfig {
            warm_instances: 0,
            ..PluginsConfig::default()
        };
        let plugins = Plugins::start(&config).await.expect("built-ins load");
        let adapter = plugins.snapshot().get("openai").expect("openai built-in");
        let (session, _permit) = plugins.session(&adapter).await.unwrap();
        adapter.pool.put(session);
        assert_eq!(adapter.pool.idle(), 0);
    }

    #[tokio::test]
    async fn a_full_house_answers_503() {
        let config = PluginsConfig {
            max_concurrent_calls: 1,
            ..PluginsConfig::default()
        };
        let plugins = Plugins::start(&config).await.expect("built-ins load");
        let adapter = plugins.snapshot().get("openai").expect("openai built-in");
        let held = plugins.session(&adapter).await.unwrap();
        let err = plugins.session(&adapter).await.err().expect("no slot left");
        assert_eq!(err.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        drop(held);
        assert!(
            plugins.session(&adapter).await.is_ok(),
            "the slot is free again"
        );
    }
}
