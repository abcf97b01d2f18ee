//! Turning bytes into a validated component ([`Adapter`] or [`Dialect`]): compile off
//! the async runtime, find which world and contract version it targets, type-check
//! against the linker, and ask it who it is.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::bindings::{CONTRACT_PACKAGE, CONTRACT_VERSIONS, PluginInfo, v0_1, v0_2};
use super::engine::{PluginEngine, Tier};
use super::pool::InstancePool;
use super::registry::{Adapter, AdapterSource, Dialect};
use super::session::{PluginFault, Pre, Session};

mod header;

/// Deadline for `info()` during validation.
const INFO_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a file or embedded adapter could not be loaded. Shown on `/health` and logged.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is no WebAssembly at all (a text file, an archive, half a download).
    #[error(
        "not a WebAssembly file (it starts with {0}); build the adapter with its build.sh (or `cargo build --release --target wasm32-wasip2`) and copy the `.wasm` it writes"
    )]
    NotWasm(String),
    /// A core module, not a component: built for the wrong target.
    #[error(
        "a core WebAssembly module, not a component: build for `wasm32-wasip2` (its build.sh does), or wrap the module with `wasm-tools component new`"
    )]
    CoreModule,
    /// The bytes are not a WebAssembly component wasmtime can compile.
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    /// The component exports neither the adapter nor the dialect interface.
    #[error(
        "not a Switchyard adapter: it exports no {CONTRACT_PACKAGE}/adapter (or /dialect) interface (exports: {0})"
    )]
    NotAnAdapter(String),
    /// The component targets a contract version this host does not implement.
    #[error("{kind} targets contract {CONTRACT_PACKAGE}@{found}; this host supports {supported}")]
    ContractVersion {
        /// `adapter` or `dialect`.
        kind: &'static str,
        /// The version the component was built against.
        found: String,
        /// The versions this host accepts.
        supported: String,
    },
    /// The component imports something the host does not provide (adapters get no I/O).
    #[error("adapter cannot be linked (it may import an interface adapters are not given): {0}")]
    Link(String),
    /// `info()` trapped or ran past its deadline.
    #[error("info() failed: {0}")]
    Info(PluginFault),
    /// `info()` answered something the host refuses (an overlong or malformed field).
    #[error("info() is refused: {0}")]
    InfoInvalid(String),
    /// The file name and the adapter's declared name disagree.
    #[error("file declares the name `{declared}`; name the file `{declared}.wasm`")]
    NameMismatch {
        /// The name `info()` returned.
        declared: String,
    },
    /// The compile task itself failed (panicked or was cancelled).
    #[error("compile task failed: {0}")]
    Task(String),
}

/// Hex SHA-256 of adapter bytes, to skip reloading unchanged files.
pub fn digest(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A loaded component, by kind.
pub enum Loaded {
    /// A platform adapter.
    Adapter(Arc<Adapter>),
    /// A dialect component.
    Dialect(Arc<Dialect>),
}

impl Loaded {
    /// Which compiler made its code.
    pub fn tier(&self) -> Tier {
        match self {
            Self::Adapter(adapter) => adapter.tier,
            Self::Dialect(dialect) => dialect.tier,
        }
    }

    /// The component's declared version.
    pub fn version(&self) -> &str {
        match self {
            Self::Adapter(adapter) => &adapter.version,
            Self::Dialect(dialect) => &dialect.version,
        }
    }

    /// SHA-256 of the component's bytes, hex.
    pub fn digest(&self) -> &str {
        match self {
            Self::Adapter(adapter) => &adapter.digest,
            Self::Dialect(dialect) => &dialect.digest,
        }
    }
}

/// Compiles (optimized) and validates an adapter or dialect component.
/// `expected_name`, when given, must equal the name the component declares (a file's
/// stem).
pub async fn load_component(
    engine: &PluginEngine,
    bytes: Vec<u8>,
    source: AdapterSource,
    expected_name: Option<&str>,
) -> Result<Loaded, LoadError> {
    load_tier(engine, Tier::Optimized, bytes, source, expected_name).await
}

/// Like [`load_component`], compiled by `tier`'s compiler (the baseline tier when the
/// engine has one; the optimized one otherwise).
pub async fn load_tier(
    engine: &PluginEngine,
    tier: Tier,
    bytes: Vec<u8>,
    source: AdapterSource,
    expected_name: Option<&str>,
) -> Result<Loaded, LoadError> {
    let digest = digest(&bytes);
    load_known(
        engine,
        tier,
        Bytes::from(bytes),
        digest,
        source,
        expected_name,
    )
    .await
}

/// Like [`load_tier`], for bytes whose SHA-256 (`digest`) is already known (the
/// built-ins': computed when the binary was built, so a start that finds their code
/// in the cache never reads the embedded bytes).
pub async fn load_known(
    engine: &PluginEngine,
    tier: Tier,
    bytes: Bytes,
    digest: String,
    source: AdapterSource,
    expected_name: Option<&str>,
) -> Result<Loaded, LoadError> {
    let tier = if engine.baseline.is_some() {
        tier
    } else {
        Tier::Optimized
    };
    let digest_for_cache = digest.clone();
    let compile_engine = engine.clone();
    let (pre, contract) = tokio::task::spawn_blocking(move || {
        compile(&compile_engine, tier, &bytes, &digest_for_cache)
    })
    .await
    .map_err(|err| LoadError::Task(err.to_string()))??;

    let mut session = Session::start_with_fuel(
        &pre,
        INFO_TIMEOUT,
        engine.limits.memory_limit,
        engine.fuel_budget(),
    )
    .await
    .map_err(LoadError::Info)?;
    let check_name = |declared: &str| match expected_name {
        Some(expected) if declared != expected => Err(LoadError::NameMismatch {
            declared: declared.to_owned(),
        }),
        _ => Ok(()),
    };
    let pool = InstancePool::new(engine.limits.warm_instances);
    if matches!(pre, Pre::Dialect(_)) {
        let info = session.dialect_info().await.map_err(LoadError::Info)?;
        super::verify::dialect_info(&info).map_err(LoadError::InfoInvalid)?;
        check_name(&info.name)?;
        return Ok(Loaded::Dialect(Arc::new(Dialect {
            name: Arc::from(info.name.as_str()),
            version: Arc::from(info.version.as_str()),
            info,
            contract,
            tier,
            source,
            digest,
            pre,
            pool,
        })));
    }
    let info: PluginInfo = session.info().await.map_err(LoadError::Info)?;
    super::verify::info(&info).map_err(LoadError::InfoInvalid)?;
    check_name(&info.name)?;
    let default_base = url::Url::parse(&info.default_base_url).ok();
    Ok(Loaded::Adapter(Arc::new(Adapter {
        default_base,
        name: Arc::from(info.name.as_str()),
        version: Arc::from(info.version.as_str()),
        info,
        contract,
        tier,
        source,
        digest,
        pre,
        pool,
    })))
}

/// Like [`load_component`], for a component that must be an adapter.
pub async fn load(
    engine: &PluginEngine,
    bytes: Vec<u8>,
    source: AdapterSource,
    expected_name: Option<&str>,
) -> Result<Arc<Adapter>, LoadError> {
    match load_component(engine, bytes, source, expected_name).await? {
        Loaded::Adapter(adapter) => Ok(adapter),
        Loaded::Dialect(dialect) => Err(LoadError::NotAnAdapter(format!(
            "{CONTRACT_PACKAGE}/dialect@{}: this is the `{}` dialect component",
            dialect.contract, dialect.name
        ))),
    }
}

/// The CPU-heavy part: compile, find the world and contract, type-check against the
/// linker. Returns the linked component and the contract version it targets.
/// Optimized code is cached on disk; baseline code is read from there when a first
/// start's child left it, and never written by this process.
fn compile(
    engine: &PluginEngine,
    tier: Tier,
    bytes: &[u8],
    digest: &str,
) -> Result<(Pre, String), LoadError> {
    header::check(bytes)?;
    let (wasm_engine, linker) = match (&engine.baseline, tier) {
        (Some(baseline), Tier::Baseline) => (&baseline.engine, &baseline.linker),
        _ => (&engine.engine, &engine.linker),
    };
    let baseline_cache = engine.baseline.as_ref().and_then(|b| b.cache.as_ref());
    let component = match (&engine.cache, baseline_cache, tier) {
        (Some(cache), _, Tier::Optimized) => cache.component(wasm_engine, bytes, digest),
        (_, Some(cache), Tier::Baseline) => match cache.cached(wasm_engine, digest) {
            Some(component) => Ok(component),
            None => Component::new(wasm_engine, bytes),
        },
        _ => Component::new(wasm_engine, bytes),
    }
    .map_err(|err| LoadError::Compile(header::one_line(&format!("{err:#}"))))?;
    let (kind, contract) = check_contract(wasm_engine, &component)?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(|err| LoadError::Link(format!("{err:#}")))?;
    let link = |err: wasmtime::Error| LoadError::Link(format!("{err:#}"));
    let pre = match (kind, minor(&contract)) {
        (Kind::Adapter, Some("1")) => {
            Pre::AdapterV0_1(v0_1::AdapterWorldPre::new(instance_pre).map_err(link)?)
        }
        (Kind::Adapter, _) => {
            Pre::Adapter(v0_2::adapter::AdapterWorldPre::new(instance_pre).map_err(link)?)
        }
        (Kind::Dialect, _) => {
            Pre::Dialect(v0_2::dialect::DialectWorldPre::new(instance_pre).map_err(link)?)
        }
    };
    Ok((pre, contract))
}

/// Which world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Adapter,
    Dialect,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Adapter => "adapter",
            Self::Dialect => "dialect",
        }
    }

    /// The contract versions that define this world (dialects arrived in 0.2).
    fn versions(self) -> &'static [&'static str] {
        match self {
            Self::Adapter => CONTRACT_VERSIONS,
            Self::Dialect => &CONTRACT_VERSIONS[1..],
        }
    }
}

/// `1` for `0.1.3`: the part that decides compatibility for `0.x`.
fn minor(version: &str) -> Option<&str> {
    version.split(['.', '-', '+']).nth(1)
}

/// Finds the exported adapter or dialect interface and checks its version is one the
/// host implements; returns the kind and the version.
fn check_contract(
    engine: &wasmtime::Engine,
    component: &Component,
) -> Result<(Kind, String), LoadError> {
    let ty = component.component_type();
    let mut export_names = Vec::new();
    for (name, item) in ty.exports(engine) {
        if !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            export_names.push(name.to_string());
            continue;
        }
        for kind in [Kind::Adapter, Kind::Dialect] {
            let prefix = format!("{CONTRACT_PACKAGE}/{}@", kind.name());
            if let Some(found) = name.strip_prefix(&prefix) {
                return if kind.versions().iter().any(|ours| compatible(ours, found)) {
                    Ok((kind, found.to_string()))
                } else {
                    Err(LoadError::ContractVersion {
                        kind: kind.name(),
                        found: found.to_string(),
                        supported: supported_range_of(kind.versions()),
                    })
                };
            }
        }
        export_names.push(name.to_string());
    }
    Err(LoadError::NotAnAdapter(if export_names.is_empty() {
        "none".into()
    } else {
        export_names.join(", ")
    }))
}

/// `0.x` versions are compatible when major and minor match; later majors when the major does.
fn compatible(ours: &str, found: &str) -> bool {
    let ours: Vec<&str> = ours.split('.').collect();
    let theirs: Vec<&str> = found.split(['.', '-', '+']).collect();
    match (ours.as_slice(), theirs.as_slice()) {
        (["0", minor, ..], ["0", their_minor, ..]) => minor == their_minor,
        ([major, ..], [their_major, ..]) => major == their_major,
        _ => false,
    }
}

/// The human-readable range of supported adapter contract versions.
pub fn supported_range() -> String {
    supported_range_of(CONTRACT_VERSIONS)
}

/// `switchyard:adapter@0.1.x and 0.2.x` for the given versions.
fn supported_range_of(versions: &[&str]) -> String {
    let ranges: Vec<String> = versions
        .iter()
        .map(|version| {
            let mut parts = version.split('.');
            match (parts.next(), parts.next()) {
                (Some("0"), Some(minor)) => format!("0.{minor}.x"),
                (Some(major), _) => format!("{major}.x"),
                _ => (*version).to_string(),
            }
        })
        .collect();
    format!("{CONTRACT_PACKAGE}@{}", ranges.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_versions_follow_semver_for_zero_x() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.0", "0.1.7"));
        assert!(
            !compatible("0.1.0", "0.2.0"),
            "a new minor of 0.x is a breaking change"
        );
        assert!(compatible("0.2.0", "0.2.1"));
        assert!(!compatible("0.2.0", "1.0.0"));
        assert!(!compatible("0.2.0", "garbage"));
        assert_eq!(supported_range(), "switchyard:adapter@0.1.x and 0.2.x");
        assert_eq!(
            supported_range_of(Kind::Dialect.versions()),
            "switchyard:adapter@0.2.x"
        );
    }

    #[test]
    fn digest_is_stable_hex() {
        assert_eq!(digest(b"abc").len(), 64);
        assert_eq!(digest(b"abc"), digest(b"abc"));
        assert_ne!(digest(b"abc"), digest(b"abd"));
    }
}
