//! The published set of adapters: an immutable snapshot swapped atomically on reload.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::bindings::{AdapterWorldPre, Endpoint, PluginInfo};
use super::pool::InstancePool;
use super::session::PluginState;

/// Where an adapter's code came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterSource {
    /// Embedded in the binary.
    Builtin,
    /// A `.wasm` file in the plugin folder.
    File(PathBuf),
}

impl AdapterSource {
    /// `builtin` or `file`, as shown on `/health`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::File(_) => "file",
        }
    }
}

/// One loaded, validated adapter version.
pub struct Adapter {
    /// What the adapter says about itself.
    pub info: PluginInfo,
    /// `info.name`, shared with the request records and metric labels that name it.
    pub name: Arc<str>,
    /// `info.version`, shared likewise.
    pub version: Arc<str>,
    /// `info.default_base_url`, parsed once at load (`None` when it gives none).
    pub default_base: Option<reqwest::Url>,
    /// The contract version the component targets (`0.1.0`), from its export name.
    pub contract: String,
    /// Where it came from.
    pub source: AdapterSource,
    /// SHA-256 of its bytes.
    pub digest: String,
    /// Pre-linked component, ready to instantiate.
    pub pre: AdapterWorldPre<PluginState>,
    /// Warm instances of this version.
    pub pool: InstancePool,
}

impl Adapter {
    /// Whether the adapter translates `endpoint`.
    pub fn supports(&self, endpoint: Endpoint) -> bool {
        self.info.endpoints.contains(&endpoint)
    }
}

impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("name", &self.info.name)
            .field("version", &self.info.version)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A consistent view of all adapters. Requests hold the `Arc<Adapter>` they resolved,
/// so a swap never changes code under a request in flight.
#[derive(Debug, Default)]
pub struct Registry {
    /// Adapters serving requests, by name.
    pub active: BTreeMap<String, Arc<Adapter>>,
    /// The last load failure per adapter name, cleared by the next successful load.
    pub errors: BTreeMap<String, String>,
}

impl Registry {
    /// The adapter serving `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<Adapter>> {
        self.active.get(name).cloned()
    }
}
