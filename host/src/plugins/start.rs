//! A start's loading of the components: the built-ins, then the plugin folder, then
//! the watcher, then ready. A start whose compile cache lacks the built-ins serves
//! what its models route to and the dialects from baseline code (a child process
//! compiles it with Winch, in a fraction of Cranelift's time), then every built-in
//! from Cranelift's code once a second child has compiled that. Both compile in
//! children so the compilers' memory never stays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Plugins;
use super::engine::Tier;
use super::precompile::{self, StartPlan};
use super::watch::{Reconciler, spawn_watcher};
use crate::config::Config;

/// Loads built-ins and the plugin folder, starts the watcher, then marks ready. A
/// start whose compile cache lacks the built-ins (the first one) serves the ones
/// requests can reach (see [`precompile::served_first`]) from baseline code at once,
/// while a child compiles them all optimized in the background.
pub async fn load(plugins: Arc<Plugins>, config: Arc<Config>) {
    let plan = precompile::plan(
        &plugins.engine,
        &plugins.dir,
        config.plugins.serve_baseline_at_start,
    )
    .await;
    let baseline_first = plan == StartPlan::BaselineFirst;
    let tier = if baseline_first {
        Tier::Baseline
    } else {
        Tier::Optimized
    };
    // Baseline code is for what requests can reach before the optimized code loads.
    let first = precompile::served_first(&config);
    if plan != StartPlan::Load {
        // A child compiles what the cache lacks, so the compiler's memory leaves with it.
        precompile::fill_cache(&plugins.engine, &plugins.dir, tier, &first).await;
    }
    let builtins =
        plugins.load_builtins_named(tier, |name| !baseline_first || first.contains(&name));
    plugins.set_builtins(builtins.await);
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

/// Replaces the baseline builds of the built-ins with optimized ones, and adds the
/// built-ins no model routes to: compiled into the cache by a child process (or by
/// this one, when the child fails), then loaded from there.
async fn optimize_builtins(plugins: Arc<Plugins>) {
    let started = Instant::now();
    precompile::fill_cache(&plugins.engine, &plugins.dir, Tier::Optimized, &[]).await;
    plugins.set_builtins(plugins.load_builtins(Tier::Optimized).await);
    let engine = plugins.engine.clone();
    let _ = tokio::task::spawn_blocking(move || precompile::forget_baseline(&engine)).await;
    tracing::info!(
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "built-in components now run optimized code"
    );
    tokio::task::spawn_blocking(crate::memory::release_free_memory);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::PluginsConfig;
    use crate::plugins::load::Loaded;
    use crate::plugins::{Builtins, FileLayer, builtin, history};

    #[tokio::test]
    async fn the_optimized_load_upgrades_what_served_first_and_adds_the_rest() {
        let plugins = Plugins::new(&PluginsConfig::default(), None).unwrap();
        let first = ["messages", "openai", "responses"];
        let served = plugins
            .load_builtins_named(Tier::Baseline, |name| first.contains(&name))
            .await;
        plugins.set_builtins(served);
        let before = plugins.snapshot();
        assert_eq!(before.active.keys().collect::<Vec<_>>(), ["openai"]);
        assert_eq!(before.dialects.len(), 2);

        plugins.set_builtins(plugins.load_builtins(Tier::Optimized).await);
        let after = plugins.snapshot();
        assert_eq!(
            after.active.len() + after.dialects.len(),
            builtin::ADAPTERS.len()
        );
        assert!(after.active.values().all(|a| a.tier == Tier::Optimized));
        // The reload history says which were upgraded and which arrived now.
        let events = plugins.history.newest_first();
        let outcome = |name: &str| {
            events
                .iter()
                .find(|e| e.component == name)
                .map(|e| e.outcome)
                .unwrap()
        };
        assert_eq!(outcome("openai"), history::Outcome::Optimized);
        assert_eq!(outcome("messages"), history::Outcome::Optimized);
        assert_eq!(outcome("anthropic"), history::Outcome::Loaded);
    }

    #[tokio::test]
    async fn new_built_ins_replace_the_serving_ones_under_the_folder_and_a_failed_one_keeps_serving()
     {
        let plugins = Plugins::new(&PluginsConfig::default(), None).unwrap();
        plugins.set_builtins(plugins.load_builtins(Tier::Baseline).await);
        let first = plugins.snapshot();
        assert_eq!(
            first.active.len() + first.dialects.len(),
            builtin::ADAPTERS.len()
        );
        assert!(first.active.values().all(|a| a.tier == Tier::Baseline));
        // A first start picks what it compiles before anything is loaded, by these
        // names: they must be the dialects.
        assert_eq!(first.dialects.keys().collect::<Vec<_>>(), builtin::DIALECTS);
        assert!(first.errors.is_empty(), "{:?}", first.errors);

        // The folder overrides `openai` (with another build of `coze`) and has a
        // rejected file.
        let again = plugins.load_builtins(Tier::Baseline).await;
        let coze = Arc::clone(&again.adapters["coze"]);
        let files = BTreeMap::from([
            (
                "openai".to_string(),
                FileLayer {
                    good: Some(Arc::new(Loaded::Adapter(Arc::clone(&coze)))),
                    error: None,
                },
            ),
            (
                "broken".to_string(),
                FileLayer {
                    good: None,
                    error: Some("broken.wasm: not a component".into()),
                },
            ),
        ]);
        plugins.set_files(files);

        // New built-ins: `gemini` rebuilt, `anthropic` failed (it keeps its serving
        // build), a name nothing serves failed (reported).
        let newer = Builtins {
            adapters: BTreeMap::from([(
                "gemini".to_string(),
                Arc::clone(&again.adapters["gemini"]),
            )]),
            dialects: BTreeMap::new(),
            errors: BTreeMap::from([
                ("anthropic".to_string(), "built-in: no".to_string()),
                ("nameless".to_string(), "built-in: no".to_string()),
            ]),
        };
        plugins.set_builtins(newer);
        let now = plugins.snapshot();
        assert!(Arc::ptr_eq(
            &now.active["gemini"],
            &again.adapters["gemini"]
        ));
        assert!(Arc::ptr_eq(
            &now.active["anthropic"],
            &first.active["anthropic"]
        ));
        assert!(Arc::ptr_eq(&now.active["azure"], &first.active["azure"]));
        // The folder's layer stays on top of the replaced built-ins.
        assert!(Arc::ptr_eq(&now.active["openai"], &coze));
        assert_eq!(
            now.errors.keys().collect::<Vec<_>>(),
            ["broken", "nameless"],
            "{:?}",
            now.errors
        );
        assert_eq!(now.dialects.len(), first.dialects.len());
    }
}
