//! Turning bytes into a validated [`Adapter`]: compile off the async runtime, check
//! the contract version, type-check against the linker, and ask the adapter who it is.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::bindings::{AdapterWorldPre, CONTRACT_PACKAGE, CONTRACT_VERSION, PluginInfo};
use super::engine::PluginEngine;
use super::pool::InstancePool;
use super::registry::{Adapter, AdapterSource};
use super::session::{PluginFault, Session};

/// Deadline for `info()` during validation.
const INFO_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a file or embedded adapter could not be loaded. Shown on `/health` and logged.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a WebAssembly component wasmtime can compile.
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    /// The component exports no `switchyard:adapter/adapter` interface.
    #[error(
        "not a Switchyard adapter: it exports no {CONTRACT_PACKAGE}/adapter interface (exports: {0})"
    )]
    NotAnAdapter(String),
    /// The component targets a contract version this host does not implement.
    #[error("adapter targets contract {CONTRACT_PACKAGE}@{found}; this host supports {supported}")]
    ContractVersion {
        /// The version the component was built against.
        found: String,
        /// The versions this host accepts.
        supported: String,
    },
    /// The component imports something the host does not provide (adapters get no I/O).
    #[error("adapter cannot be linked (it may import an interface adapters are not given): {0}")]
    Link(String),
    /// `info()` trapped or ran past its deadline.
    #[error("adapter info() failed: {0}")]
    Info(PluginFault),
    /// `info()` answered something the host refuses (an overlong or malformed field).
    #[error("adapter info() is refused: {0}")]
    InfoInvalid(String),
    /// The file name and the adapter's declared name disagree.
    #[error("file declares adapter name `{declared}`; name the file `{declared}.wasm`")]
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

/// Compiles and validates an adapter. `expected_name`, when given, must equal the
/// name the adapter declares (a file's stem).
pub async fn load(
    engine: &PluginEngine,
    bytes: Vec<u8>,
    source: AdapterSource,
    expected_name: Option<&str>,
) -> Result<Adapter, LoadError> {
    let digest = digest(&bytes);
    let digest_for_cache = digest.clone();
    let compile_engine = engine.clone();
    let (component, pre, contract) =
        tokio::task::spawn_blocking(move || compile(&compile_engine, &bytes, &digest_for_cache))
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
    let info: PluginInfo = session.info().await.map_err(LoadError::Info)?;
    super::verify::info(&info).map_err(LoadError::InfoInvalid)?;
    if let Some(expected) = expected_name
        && info.name != expected
    {
        return Err(LoadError::NameMismatch {
            declared: info.name,
        });
    }
    drop(component);
    let default_base = reqwest::Url::parse(&info.default_base_url).ok();
    Ok(Adapter {
        default_base,
        name: Arc::from(info.name.as_str()),
        version: Arc::from(info.version.as_str()),
        info,
        contract,
        source,
        digest,
        pre,
        pool: InstancePool::new(engine.limits.warm_instances),
    })
}

/// A compiled, linked component and the contract version it targets.
type Compiled = (
    Component,
    AdapterWorldPre<super::session::PluginState>,
    String,
);

/// The CPU-heavy part: compile, check the contract, type-check against the linker.
fn compile(engine: &PluginEngine, bytes: &[u8], digest: &str) -> Result<Compiled, LoadError> {
    let component = match &engine.cache {
        Some(cache) => cache.component(&engine.engine, bytes, digest),
        None => Component::new(&engine.engine, bytes),
    }
    .map_err(|err| LoadError::Compile(format!("{err:#}")))?;
    let contract = check_contract(engine, &component)?;
    let instance_pre = engine
        .linker
        .instantiate_pre(&component)
        .map_err(|err| LoadError::Link(format!("{err:#}")))?;
    let pre =
        AdapterWorldPre::new(instance_pre).map_err(|err| LoadError::Link(format!("{err:#}")))?;
    Ok((component, pre, contract))
}

/// Finds the exported adapter interface and checks its version is `0.1.x`; returns it.
fn check_contract(engine: &PluginEngine, component: &Component) -> Result<String, LoadError> {
    let prefix = format!("{CONTRACT_PACKAGE}/adapter@");
    let ty = component.component_type();
    let mut export_names = Vec::new();
    for (name, item) in ty.exports(&engine.engine) {
        if !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            export_names.push(name.to_string());
            continue;
        }
        if let Some(found) = name.strip_prefix(&prefix) {
            return if compatible(found) {
                Ok(found.to_string())
            } else {
                Err(LoadError::ContractVersion {
                    found: found.to_string(),
                    supported: supported_range(),
                })
            };
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
fn compatible(found: &str) -> bool {
    let ours: Vec<&str> = CONTRACT_VERSION.split('.').collect();
    let theirs: Vec<&str> = found.split(['.', '-', '+']).collect();
    match (ours.as_slice(), theirs.as_slice()) {
        (["0", minor, ..], ["0", their_minor, ..]) => minor == their_minor,
        ([major, ..], [their_major, ..]) => major == their_major,
        _ => false,
    }
}

/// The human-readable range of supported contract versions.
pub fn supported_range() -> String {
    let mut parts = CONTRACT_VERSION.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("{CONTRACT_PACKAGE}@0.{minor}.x"),
        (Some(major), _) => format!("{CONTRACT_PACKAGE}@{major}.x"),
        _ => CONTRACT_VERSION.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_versions_follow_semver_for_zero_x() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(
            !compatible("0.2.0"),
            "a new minor of 0.x is a breaking change"
        );
        assert!(!compatible("1.0.0"));
        assert!(!compatible("garbage"));
        assert_eq!(supported_range(), "switchyard:adapter@0.1.x");
    }

    #[test]
    fn digest_is_stable_hex() {
        assert_eq!(digest(b"abc").len(), 64);
        assert_eq!(digest(b"abc"), digest(b"abc"));
        assert_ne!(digest(b"abc"), digest(b"abd"));
    }
}
