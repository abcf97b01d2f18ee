//! Hot reload: watch the plugin folder, debounce, and reconcile it with the registry.
//! A reconcile re-reads the folder as a whole, so missed or coalesced file events
//! cannot leave the registry out of step with the disk.
//!
//! While the gateway runs, a changed file is compiled twice: by the baseline compiler
//! (Winch, a fraction of Cranelift's time), whose code serves at once, and then by
//! Cranelift in the background, whose code replaces it when done, unless the file
//! changed again meanwhile. Both compile in child processes, so the compilers' memory
//! never stays in the gateway; bytes whose optimized code the cache already holds
//! skip both. Files present at start are compiled optimized (or loaded from the
//! compile cache) before the gateway reports ready.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::engine::Tier;
use super::history::{Outcome, ReloadEvent};
use super::load::{self, LoadError, Loaded};
use super::precompile;
use super::registry::AdapterSource;
use super::{FileLayer, Plugins};

/// The optimized build of a file, finished in the background.
pub struct Upgrade {
    name: String,
    digest: String,
    loaded: Result<Loaded, LoadError>,
}

/// What the reconciler remembers about one file.
struct FileSlot {
    /// Digest of the bytes last tried, loaded or not.
    tried: String,
    /// The last version of this file that loaded.
    good: Option<Arc<Loaded>>,
    /// Why the last tried version failed, if it did.
    error: Option<String>,
}

/// Reconciles the plugin folder with the registry; owned by the watch task.
pub struct Reconciler {
    plugins: Arc<Plugins>,
    dir: PathBuf,
    files: HashMap<String, FileSlot>,
    /// Where background optimized builds report; `None` until the watcher runs (files
    /// found at start are compiled optimized at once).
    upgrades: Option<mpsc::UnboundedSender<Upgrade>>,
}

impl Reconciler {
    /// A reconciler for `plugins`' folder.
    pub fn new(plugins: Arc<Plugins>) -> Self {
        let dir = plugins.dir.clone();
        Self {
            plugins,
            dir,
            files: HashMap::new(),
            upgrades: None,
        }
    }

    /// Reads the folder, loads new or changed `.wasm` files, forgets removed ones, and
    /// publishes the resulting registry.
    pub async fn reconcile(&mut self) {
        let on_disk = match scan(&self.dir) {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!(dir = %self.dir.display(), error = %err, "cannot read plugin folder");
                return;
            }
        };
        let history = &self.plugins.history;
        self.files.retain(|name, slot| {
            let kept = on_disk.contains_key(name);
            if !kept && slot.good.is_some() {
                history.record(event(name, Outcome::Removed, None, None));
            }
            kept
        });
        for (name, path) in on_disk {
            let bytes = match tokio::fs::read(&path).await {
                Ok(bytes) => Bytes::from(bytes),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "cannot read adapter file");
                    continue;
                }
            };
            let digest = load::digest(&bytes);
            if self
                .files
                .get(&name)
                .is_some_and(|slot| slot.tried == digest)
            {
                continue;
            }
            let source = AdapterSource::File(path.clone());
            let tier = self.tier_for(&bytes, &digest).await;
            let result = load::load_known(
                &self.plugins.engine,
                tier,
                bytes.clone(),
                digest.clone(),
                source.clone(),
                Some(&name),
            )
            .await;
            if tier == Tier::Baseline {
                // Mapped now; the next start compiles the file optimized anyway.
                precompile::forget_baseline_of(&self.plugins.engine, &digest);
            }
            let slot = self.files.entry(name.clone()).or_insert(FileSlot {
                tried: String::new(),
                good: None,
                error: None,
            });
            slot.tried = digest;
            self.plugins.history.record(match &result {
                Ok(loaded) => event(&name, Outcome::Loaded, Some(loaded), None),
                Err(err) => event(&name, Outcome::Rejected, None, Some(describe(&path, err))),
            });
            match result {
                Ok(loaded) => {
                    tracing::info!(
                        component = %name,
                        version = %loaded.version(),
                        path = %path.display(),
                        tier = loaded.tier().name(),
                        "component loaded from file"
                    );
                    if loaded.tier() == Tier::Baseline
                        && let Some(upgrades) = &self.upgrades
                    {
                        optimize_later(
                            Arc::clone(&self.plugins),
                            upgrades.clone(),
                            &name,
                            &slot.tried,
                            bytes,
                            source,
                        );
                    }
                    slot.good = Some(Arc::new(loaded));
                    slot.error = None;
                    crate::record::metrics::record_reload(&name, true);
                }
                Err(err) => {
                    tracing::error!(
                        adapter = %name,
                        path = %path.display(),
                        error = %err,
                        "adapter file rejected; the previous version keeps serving"
                    );
                    slot.error = Some(describe(&path, &err));
                    crate::record::metrics::record_reload(&name, false);
                }
            }
        }
        self.publish();
    }

    /// The compiler a file's new bytes load with. Files present at start load
    /// optimized. Later, bytes whose optimized code is in the cache (a rollback to a
    /// version seen before) load that at once; new bytes serve from baseline code,
    /// compiled by a child process (in this one when there is none).
    async fn tier_for(&self, bytes: &Bytes, digest: &str) -> Tier {
        let engine = &self.plugins.engine;
        if self.upgrades.is_none() || precompile::holds(engine, Tier::Optimized, digest) {
            return Tier::Optimized;
        }
        precompile::compile_one(engine, bytes.clone(), digest, Tier::Baseline).await;
        Tier::Baseline
    }

    /// Puts an optimized build in place of its baseline build, unless the file changed
    /// (or went) since; a failed optimized build leaves the baseline serving.
    pub fn upgrade(&mut self, upgrade: Upgrade) {
        let Some(slot) = self.files.get_mut(&upgrade.name) else {
            return;
        };
        if slot.tried != upgrade.digest {
            return;
        }
        match upgrade.loaded {
            Ok(loaded) => {
                tracing::info!(component = %upgrade.name, "optimized code now serving");
                self.plugins.history.record(event(
                    &upgrade.name,
                    Outcome::Optimized,
                    Some(&loaded),
                    None,
                ));
                slot.good = Some(Arc::new(loaded));
                self.publish();
            }
            Err(err) => tracing::warn!(
                component = %upgrade.name,
                error = %err,
                "optimized compile failed; the baseline code keeps serving"
            ),
        }
    }

    /// Publishes the folder's components over the built-ins.
    fn publish(&self) {
        let files = self
            .files
            .iter()
            .map(|(name, slot)| {
                let layer = FileLayer {
                    good: slot.good.clone(),
                    error: slot.error.clone(),
                };
                (name.clone(), layer)
            })
            .collect();
        self.plugins.set_files(files);
    }
}

/// Compiles `bytes` optimized on its own task (in a child process when there is one)
/// and reports to `upgrades`.
fn optimize_later(
    plugins: Arc<Plugins>,
    upgrades: mpsc::UnboundedSender<Upgrade>,
    name: &str,
    digest: &str,
    bytes: Bytes,
    source: AdapterSource,
) {
    let (name, digest) = (name.to_string(), digest.to_string());
    tokio::spawn(async move {
        let engine = &plugins.engine;
        precompile::compile_one(engine, bytes.clone(), &digest, Tier::Optimized).await;
        let loaded = load::load_known(
            engine,
            Tier::Optimized,
            bytes,
            digest.clone(),
            source,
            Some(&name),
        )
        .await;
        let _ = upgrades.send(Upgrade {
            name,
            digest,
            loaded,
        });
    });
}

/// A history event about a file component.
fn event(
    name: &str,
    outcome: Outcome,
    loaded: Option<&Loaded>,
    error: Option<String>,
) -> ReloadEvent {
    ReloadEvent {
        at_ms: crate::store::now_millis(),
        component: name.to_string(),
        outcome,
        version: loaded.map(|l| l.version().to_string()),
        source: "file",
        digest: loaded.map(|l| l.digest().to_string()),
        error,
    }
}

fn describe(path: &Path, err: &LoadError) -> String {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
    format!("{}: {err}", file.unwrap_or_default())
}

/// The `.wasm` files of `dir`, by stem. A missing folder is an empty one.
pub(super) fn scan(dir: &Path) -> std::io::Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "wasm")
            && path.is_file()
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            files.insert(stem.to_string(), path);
        }
    }
    Ok(files)
}

/// Watches the folder and reconciles after each burst of changes has been quiet for
/// `debounce`. Runs until the returned watcher is dropped.
pub fn spawn_watcher(
    mut reconciler: Reconciler,
    debounce: Duration,
) -> notify::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (upgrades, mut optimized) = mpsc::unbounded_channel();
    if reconciler.plugins.engine.baseline.is_some() {
        reconciler.upgrades = Some(upgrades);
    }
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|event| !event.kind.is_access()) {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&reconciler.dir, RecursiveMode::NonRecursive)?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = rx.recv() => {
                    if event.is_none() {
                        return;
                    }
                    // Debounce: wait until no event arrived for `debounce`.
                    loop {
                        match tokio::time::timeout(debounce, rx.recv()).await {
                            Ok(Some(())) => continue,
                            Ok(None) => return,
                            Err(_) => break,
                        }
                    }
                    reconciler.reconcile().await;
                }
                Some(upgrade) = optimized.recv() => reconciler.upgrade(upgrade),
            }
            // A reload compiles: give back what the compile freed.
            tokio::task::spawn_blocking(crate::memory::release_free_memory);
        }
    });
    Ok(watcher)
}
