//! The published set of adapters: an immutable snapshot swapped atomically on reload.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::bindings::{DialectInfo, Endpoint, PluginInfo};
use super::engine::Tier;
use super::pool::InstancePool;
use super::session::Pre;

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
    pub default_base: Option<url::Url>,
    /// The contract version the component targets (`0.1.0`), from its export name.
    pub contract: String,
    /// Which compiler made its code.
    pub tier: Tier,
    /// Where it came from.
    pub source: AdapterSource,
    /// SHA-256 of its bytes.
    pub digest: String,
    /// Pre-linked component, ready to instantiate.
    pub pre: Pre,
    /// Warm instances of this version.
    pub pool: InstancePool,
}

/// One loaded, validated dialect component version: translates an inbound API other
/// than chat (e.g. Anthropic Messages) to and from chat.
pub struct Dialect {
    /// What the dialect says about itself.
    pub info: DialectInfo,
    /// `info.name`.
    pub name: Arc<str>,
    /// `info.version`.
    pub version: Arc<str>,
    /// The contract version the component targets, from its export name.
    pub contract: String,
    /// Which compiler made its code.
    pub tier: Tier,
    /// Where it came from.
    pub source: AdapterSource,
    /// SHA-256 of its bytes.
    pub digest: String,
    /// Pre-linked component, ready to instantiate.
    pub pre: Pre,
    /// Warm instances of this version.
    pub pool: InstancePool,
}

impl std::fmt::Debug for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialect")
            .field("name", &self.info.name)
            .field("version", &self.info.version)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
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
    /// Dialect components serving requests, by name.
    pub dialects: BTreeMap<String, Arc<Dialect>>,
    /// The last load failure per adapter name, cleared by the next successful load.
    pub errors: BTreeMap<String, String>,
}

impl Registry {
    /// The adapter serving `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<Adapter>> {
        self.active.get(name).cloned()
    }

    /// The dialect translating `endpoint`, if one is loaded.
    pub fn dialect_for(&self, endpoint: Endpoint) -> Option<Arc<Dialect>> {
        self.dialects
            .values()
            .find(|dialect| dialect.info.endpoint == endpoint)
            .cloned()
    }
}
