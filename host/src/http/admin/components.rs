//! `/admin/plugins`: every adapter and dialect component (version, source, contract,
//! compiler tier, digest, last error, reload history), and `PUT /admin/plugins/{name}`,
//! which swaps one in from an uploaded `.wasm`.
//!
//! An upload is validated first, exactly as a file dropped into the plugin folder is
//! (compiled, its contract version checked, its declared name compared with `{name}`),
//! so a bad file is refused with the loader's message and never reaches the folder.
//! A good one is written into the folder atomically (a temporary file renamed over
//! `<name>.wasm`), where the hot-reload watcher swaps it in as it would any file, and
//! the answer waits until the new version serves. With several gateway processes, the
//! file reaches only this process's folder, unless the folder is shared.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::plugins::engine::Tier;
use crate::plugins::history::ReloadEvent;
use crate::plugins::load::{self, Loaded};
use crate::plugins::registry::{AdapterSource, Registry};
use crate::state::AppState;

/// How long an upload waits for the watcher to serve the new version.
const SWAP_WAIT: Duration = Duration::from_secs(15);
/// How often it looks.
const SWAP_POLL: Duration = Duration::from_millis(50);
/// History events listed per component.
const HISTORY_PER_COMPONENT: usize = 20;
/// The longest component name (a file stem).
const MAX_NAME: usize = 64;

/// One component as the console lists it.
#[derive(Debug, Serialize)]
pub struct Component {
    /// Its name (the file stem for a file).
    pub name: String,
    /// `adapter` or `dialect`.
    pub kind: &'static str,
    /// The version serving (`null` when none loaded).
    pub version: Option<String>,
    /// `builtin` or `file`.
    pub source: Option<&'static str>,
    /// The file it came from.
    pub path: Option<String>,
    /// The contract version it targets.
    pub contract: Option<String>,
    /// `optimized`, or `baseline` while the optimized build compiles.
    pub tier: Option<&'static str>,
    /// SHA-256 of its bytes.
    pub digest: Option<String>,
    /// Why the last load failed, if it did.
    pub last_error: Option<String>,
    /// Its latest events, newest first.
    pub history: Vec<ReloadEvent>,
}

fn file(source: &AdapterSource) -> Option<String> {
    match source {
        AdapterSource::File(path) => Some(path.display().to_string()),
        AdapterSource::Builtin => None,
    }
}

/// Every component in `registry`, adapters then dialects, each with its history.
fn components(registry: &Registry, history: &[ReloadEvent]) -> Vec<Component> {
    let events = |name: &str| -> Vec<ReloadEvent> {
        history
            .iter()
            .filter(|e| e.component == name)
            .take(HISTORY_PER_COMPONENT)
            .cloned()
            .collect()
    };
    let mut listed: BTreeMap<(&'static str, String), Component> = BTreeMap::new();
    for (name, adapter) in &registry.active {
        listed.insert(
            ("adapter", name.clone()),
            Component {
                name: name.clone(),
                kind: "adapter",
                version: Some(adapter.version.to_string()),
                source: Some(adapter.source.kind()),
                path: file(&adapter.source),
                contract: Some(adapter.contract.clone()),
                tier: Some(adapter.tier.name()),
                digest: Some(adapter.digest.clone()),
                last_error: registry.errors.get(name).cloned(),
                history: events(name),
            },
        );
    }
    for (name, dialect) in &registry.dialects {
        listed.insert(
            ("dialect", name.clone()),
            Component {
                name: name.clone(),
                kind: "dialect",
                version: Some(dialect.version.to_string()),
                source: Some(dialect.source.kind()),
                path: file(&dialect.source),
                contract: Some(dialect.contract.clone()),
                tier: Some(dialect.tier.name()),
                digest: Some(dialect.digest.clone()),
                last_error: registry.errors.get(name).cloned(),
                history: events(name),
            },
        );
    }
    for (name, error) in &registry.errors {
        if registry.active.contains_key(name) || registry.dialects.contains_key(name) {
            continue;
        }
        listed.insert(
            ("adapter", name.clone()),
            Component {
                name: name.clone(),
                kind: "adapter",
                version: None,
                source: None,
                path: None,
                contract: None,
                tier: None,
                digest: None,
                last_error: Some(error.clone()),
                history: events(name),
            },
        );
    }
    listed.into_values().collect()
}

/// `GET /admin/plugins`: every component, the folder, whether uploads swap them in,
/// and the latest events of all.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let registry = state.plugins.snapshot();
    let history = state.plugins.history.newest_first();
    Json(json!({
        "object": "list",
        "dir": state.plugins.dir.display().to_string(),
        "hot_reload": state.config.plugins.hot_reload,
        "contracts": load::supported_range(),
        "data": components(&registry, &history),
        "history": history.iter().take(100).collect::<Vec<_>>(),
    }))
}

/// A name that is one plain file stem.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// `PUT /admin/plugins/{name}` (body: the `.wasm`): validates it, writes it into the
/// plugin folder, waits until it serves, and reports the version before and after.
pub async fn upload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    if !valid_name(&name) {
        return Err(GatewayError::bad_request(
            format!(
                "`{name}` is not a component name: lowercase letters, digits, `-` and `_`, \
                 at most {MAX_NAME}"
            ),
            Some("name"),
        ));
    }
    if !state.config.plugins.hot_reload {
        return Err(GatewayError::Forbidden {
            message: "plugins.hot_reload is off: this gateway does not swap components while \
                      it runs; copy the file into its plugin folder and restart it"
                .into(),
            code: "hot_reload_off",
        });
    }
    if body.is_empty() {
        return Err(GatewayError::bad_request(
            "the body is empty: send the component's .wasm bytes",
            None,
        ));
    }
    let path = state.plugins.dir.join(format!("{name}.wasm"));
    let before = state.plugins.snapshot();
    let previous = before
        .active
        .get(&name)
        .map(|a| a.version.to_string())
        .or_else(|| before.dialects.get(&name).map(|d| d.version.to_string()));
    let loaded = load::load_tier(
        &state.plugins.engine,
        Tier::Baseline,
        body.to_vec(),
        AdapterSource::File(path.clone()),
        Some(&name),
    )
    .await
    .map_err(|err| GatewayError::BadReference {
        message: format!("the component was refused, nothing changed: {err}"),
        param: "body",
        code: "component_invalid",
    })?;
    let (kind, version, digest) = match &loaded {
        Loaded::Adapter(a) => ("adapter", a.version.to_string(), a.digest.clone()),
        Loaded::Dialect(d) => ("dialect", d.version.to_string(), d.digest.clone()),
    };
    drop(loaded);
    write_atomically(state.plugins.dir.clone(), name.clone(), body)
        .await
        .map_err(|err| GatewayError::Internal(Box::new(err)))?;
    tracing::info!(component = %name, version = %version, "component uploaded");
    let serving = wait_for(&state, &name, &digest).await;
    Ok(Json(json!({
        "object": "component",
        "name": name,
        "kind": kind,
        "version": version,
        "previous_version": previous,
        "digest": digest,
        "path": path.display().to_string(),
        "serving": serving,
    })))
}

/// Writes `bytes` as `<dir>/<name>.wasm` by renaming a finished temporary file over
/// it, so the watcher never reads half a file.
async fn write_atomically(dir: PathBuf, name: String, bytes: Bytes) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let temporary = dir.join(format!(
            ".{name}.upload-{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let written = std::fs::write(&temporary, &bytes)
            .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
            .and_then(|()| std::fs::rename(&temporary, dir.join(format!("{name}.wasm"))));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Whether the component `name` with `digest` serves within [`SWAP_WAIT`].
async fn wait_for(state: &AppState, name: &str, digest: &str) -> bool {
    let plugins = Arc::clone(&state.plugins);
    let deadline = tokio::time::Instant::now() + SWAP_WAIT;
    loop {
        let registry = plugins.snapshot();
        let serving = registry.active.get(name).map(|a| a.digest.as_str()) == Some(digest)
            || registry.dialects.get(name).map(|d| d.digest.as_str()) == Some(digest);
        if serving {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(SWAP_POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn only_plain_file_stems_are_names() {
        for good in ["openai", "my-adapter_2", "x"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "../x", "a/b", "A", ".hidden", "-x", &"x".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
