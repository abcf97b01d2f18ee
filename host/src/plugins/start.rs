//! A start's loading of the components: the built-ins, then the plugin folder, then
//! the watcher, then ready. A start whose compile cache lacks the built-ins serves
//! them from baseline code (a child process compiles it with Winch, in a fraction of
//! Cranelift's time) and replaces it with Cranelift's code once a second child has
//! compiled that. Both compile in children so the compilers' memory never stays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Plugins;
use super::engine::Tier;
use super::precompile;
use super::watch::{Reconciler, spawn_watcher};
use crate::config::Config;

/// Loads built-ins and the plugin folder, starts the watcher, then marks ready. A
/// start whose compile cache lacks the built-ins (the first one) serves them from
/// baseline code at once, while a child compiles them optimized in the background.
pub async fn load(plugins: Arc<Plugins>, config: Arc<Config>) {
    let baseline_first = config.plugins.serve_baseline_at_start
        && precompile::serve_baseline_first(&plugins.engine, &plugins.dir).await;
    let tier = if baseline_first {
        Tier::Baseline
    } else {
        Tier::Optimized
    };
    // A child compiles what the cache lacks, so the compiler's memory leaves with it.
    precompile::fill_cache(&plugins.engine, &plugins.dir, tier).await;
    plugins.set_builtins(plugins.load_builtins(tier).await);
    let mut reconciler = Reconciler::new(Arc::clone(&plugins));
    reconciler.reconcile().await;
    if config.plugins.hot_reload {
        match std::fs::create_dir_all(&plugins.dir) {
            Err(err) => tracing::warn!(
                dir = %plugins.dir.display(),
                error = %err,
                "cannot create the plugin folder; hot reload is off"
            ),
            Ok(()) => {
                let debounce = Duration::from_millis(config.plugins.reload_debounce_ms);
                match spawn_watcher(reconciler, debounce) {
                    Ok(watcher) => plugins.keep_watcher(watcher),
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot watch the plugin folder; hot reload is off")
                    }
                }
            }
        }
    }
    let registry = plugins.snapshot();
    tracing::info!(adapters = ?registry.active.keys().collect::<Vec<_>>(), "adapters loaded");
    // The compile is over: what its threads freed goes back to the system.
    tokio::task::spawn_blocking(crate::memory::release_free_memory);
    plugins.set_ready();
    if baseline_first {
        optimize_builtins(plugins).await;
    }
}

/// Replaces the baseline builds of the built-ins with optimized ones: compiled into
/// the cache by a child process (or by this one, when the child fails), then loaded
/// from there.
async fn optimize_builtins(plugins: Arc<Plugins>) {
    let started = Instant::now();
    precompile::fill_cache(&plugins.engine, &plugins.dir, Tier::Optimized).await;
    plugins.set_builtins(plugins.load_builtins(Tier::Optimized).await);
    let engine = plugins.engine.clone();
    let _ = tokio::task::spawn_blocking(move || precompile::forget_baseline(&engine)).await;
    tracing::info!(
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "built-in components now run optimized code"
    );
    tokio::task::spawn_blocking(crate::memory::release_free_memory);
}
