//! Hot reload: watch the plugin folder, debounce, and reconcile it with the registry.
//! A reconcile re-reads the folder as a whole, so missed or coalesced file events
//! cannot leave the registry out of step with the disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::Plugins;
use super::load::{self, LoadError, Loaded};
use super::registry::{AdapterSource, Registry};

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
}

impl Reconciler {
    /// A reconciler for `plugins`' folder.
    pub fn new(plugins: Arc<Plugins>) -> Self {
        let dir = plugins.dir.clone();
        Self {
            plugins,
            dir,
            files: HashMap::new(),
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
        self.files.retain(|name, _| on_disk.contains_key(name));
        for (name, path) in on_disk {
            let bytes = match tokio::fs::read(&path).await {
                Ok(bytes) => bytes,
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
            let result =
                load::load_component(&self.plugins.engine, bytes, source, Some(&name)).await;
            let slot = self.files.entry(name.clone()).or_insert(FileSlot {
                tried: String::new(),
                good: None,
                error: None,
            });
            slot.tried = digest;
            match result {
                Ok(loaded) => {
                    tracing::info!(
                        component = %name,
                        version = %loaded.version(),
                        path = %path.display(),
                        "component loaded from file"
                    );
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

    /// Builds the registry from built-ins overlaid with file adapters and swaps it in.
    fn publish(&self) {
        let builtins = self.plugins.builtins();
        let mut active = builtins.adapters.clone();
        let mut dialects = builtins.dialects.clone();
        let mut errors = builtins.errors.clone();
        for (name, slot) in &self.files {
            match slot.good.as_deref() {
                Some(Loaded::Adapter(adapter)) => {
                    dialects.remove(name);
                    active.insert(name.clone(), Arc::clone(adapter));
                }
                Some(Loaded::Dialect(dialect)) => {
                    active.remove(name);
                    dialects.insert(name.clone(), Arc::clone(dialect));
                }
                None => {}
            }
            if let Some(error) = &slot.error {
                errors.insert(name.clone(), error.clone());
            }
        }
        self.plugins.publish(Registry {
            active,
            dialects,
            errors,
        });
    }
}

fn describe(path: &Path, err: &LoadError) -> String {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
    format!("{}: {err}", file.unwrap_or_default())
}

/// The `.wasm` files of `dir`, by stem. A missing folder is an empty one.
fn scan(dir: &Path) -> std::io::Result<BTreeMap<String, PathBuf>> {
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
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|event| !event.kind.is_access()) {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&reconciler.dir, RecursiveMode::NonRecursive)?;
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Debounce: wait until no event arrived for `debounce`.
            loop {
                match tokio::time::timeout(debounce, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            reconciler.reconcile().await;
            // A reload compiles: give back what the compile freed.
            tokio::task::spawn_blocking(crate::memory::release_free_memory);
        }
    });
    Ok(watcher)
}
