//! Compiling components in a child process. What Cranelift allocates while it
//! compiles stays in the allocator of the process that ran it (tens of megabytes,
//! which `malloc_trim` returns only in part), so a gateway whose compile cache lacks
//! some of the components it starts with has a short-lived copy of itself
//! (`switchyard plugin precompile`) compile them into the cache, then loads the code
//! from there as any restart does. The memory leaves with the child. Without a child
//! (the library in tests, or a child that failed) the gateway compiles them itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rayon::prelude::*;

use super::builtin;
use super::cache::CompileCache;
use super::engine::{PluginEngine, Tier};
use super::load::digest;
use crate::config::Config;

/// How to run this program as the compiler: its executable and the configuration
/// file the gateway started with (the child reads the same one, and inherits the
/// environment, so it builds the same engine and writes the same cache).
#[derive(Debug, Clone)]
struct Compiler {
    program: PathBuf,
    config: Option<PathBuf>,
}

static COMPILER: OnceLock<Compiler> = OnceLock::new();

/// Longest a child may compile before the gateway gives up on it and compiles itself.
const CHILD_LIMIT: Duration = Duration::from_secs(600);

/// Lets this process compile in a child: `program [--config config] plugin precompile`.
/// The binary calls it before serving; without it, compiles stay in-process.
pub fn compile_in_child(program: PathBuf, config: Option<PathBuf>) {
    let _ = COMPILER.set(Compiler { program, config });
}

/// One component a start loads.
struct Piece {
    /// The built-in's name or the file's path.
    name: String,
    bytes: Bytes,
    /// Hex SHA-256 of `bytes`.
    digest: String,
}

/// The built-ins (their digests known since the build, so their bytes are only read
/// to compile them) that `keep` accepts by name.
fn builtin_set(keep: impl Fn(&str) -> bool) -> Vec<Piece> {
    builtin::ADAPTERS
        .iter()
        .filter(|builtin| keep(builtin.name))
        .map(|builtin| Piece {
            name: builtin.name.to_string(),
            bytes: Bytes::from_static(builtin.bytes),
            digest: builtin.digest.to_string(),
        })
        .collect()
}

/// The built-ins a first start serves from baseline code before it is ready: the
/// adapters `config`'s models route to and the dialects (the Messages and Responses
/// APIs need theirs whatever the model). The other adapters no request can reach;
/// they load with the optimized code that follows, so the start waits for a
/// fraction of the compile (the dialects and one adapter are under half the bytes).
pub fn served_first(config: &Config) -> Vec<&'static str> {
    let routed: BTreeSet<&str> = config.models.iter().flat_map(|m| m.adapters()).collect();
    builtin::ADAPTERS
        .iter()
        .map(|builtin| builtin.name)
        .filter(|name| builtin::DIALECTS.contains(name) || routed.contains(name))
        .collect()
}

/// The components a start loads: the built-ins, then the `.wasm` files in the plugin
/// folder (unreadable ones are left to the loader to report).
fn start_set(dir: &Path) -> Vec<Piece> {
    let mut set = builtin_set(|_| true);
    // The files the reconciler will load, found the way it finds them.
    let Ok(files) = super::watch::scan(dir) else {
        return set;
    };
    for path in files.into_values() {
        if let Ok(bytes) = std::fs::read(&path) {
            set.push(Piece {
                name: path.display().to_string(),
                digest: digest(&bytes),
                bytes: Bytes::from(bytes),
            });
        }
    }
    set
}

/// The cache `tier`'s code is kept in and the engine that compiles it (`None` when
/// the engine keeps no cache for `tier`).
fn tier_cache(engine: &PluginEngine, tier: Tier) -> Option<(&CompileCache, &wasmtime::Engine)> {
    match tier {
        Tier::Optimized => Some((engine.cache.as_ref()?, &engine.engine)),
        Tier::Baseline => {
            let baseline = engine.baseline.as_ref()?;
            Some((baseline.cache.as_ref()?, &baseline.engine))
        }
    }
}

/// What `tier`'s child compiles, the cache it fills and the engine it compiles for:
/// for the optimized tier the whole start set; for the baseline tier the built-ins
/// named in `first` (a start serves from baseline code only when the folder's files
/// are cached, and only what its models route to). `None` when the engine keeps no
/// cache for `tier`.
fn tier_work<'e>(
    engine: &'e PluginEngine,
    dir: &Path,
    tier: Tier,
    first: &[&str],
) -> Option<(Vec<Piece>, &'e CompileCache, &'e wasmtime::Engine)> {
    let (cache, compiler) = tier_cache(engine, tier)?;
    let set = match tier {
        Tier::Optimized => start_set(dir),
        Tier::Baseline => builtin_set(|name| first.contains(&name)),
    };
    Some((set, cache, compiler))
}

/// Whether the cache holds `tier`'s code for the bytes with SHA-256 `digest`.
pub fn holds(engine: &PluginEngine, tier: Tier, digest: &str) -> bool {
    tier_cache(engine, tier).is_some_and(|(cache, _)| cache.holds(digest))
}

/// How many of `set` the cache lacks.
fn missing(cache: &CompileCache, set: &[Piece]) -> usize {
    set.iter()
        .filter(|piece| !cache.holds(&piece.digest))
        .count()
}

/// How a start gets its components' code, decided from one read of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPlan {
    /// The cache holds everything (or there is no cache or no child, and the loader
    /// compiles in this process): load optimized code at once.
    Load,
    /// A child compiles what the cache lacks, then the start loads optimized code.
    CompileFirst,
    /// The cache lacks built-ins and nothing else: a child compiles baseline code for
    /// the ones requests can reach ([`served_first`]), the start serves it, and every
    /// built-in's optimized code follows in the background.
    BaselineFirst,
}

/// The plan for a start whose operator allows (`baseline_allowed`) or forbids
/// serving baseline code first. A folder file the cache lacks means compiling
/// everything first: baseline code is only for the built-ins.
pub async fn plan(engine: &PluginEngine, dir: &Path, baseline_allowed: bool) -> StartPlan {
    plan_with(engine, dir, COMPILER.get(), baseline_allowed).await
}

async fn plan_with(
    engine: &PluginEngine,
    dir: &Path,
    compiler: Option<&Compiler>,
    baseline_allowed: bool,
) -> StartPlan {
    let (Some(cache), Some(_)) = (engine.cache.clone(), compiler) else {
        return StartPlan::Load;
    };
    let baseline = baseline_allowed && engine.baseline.is_some();
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let set = start_set(&dir);
        let (builtins, files) = set.split_at(builtin::ADAPTERS.len().min(set.len()));
        match (missing(&cache, builtins), missing(&cache, files)) {
            (0, 0) => StartPlan::Load,
            (_, 0) if baseline => StartPlan::BaselineFirst,
            _ => StartPlan::CompileFirst,
        }
    })
    .await
    .unwrap_or(StartPlan::CompileFirst)
}

/// Before a start loads its components with `tier`'s compiler: when the compile
/// cache lacks some of them (for the baseline tier, some of the built-ins named in
/// `first`), a child process compiles them into it. Returns whether the cache now
/// holds them all (`false` without a cache or a child, or when the child failed: the
/// loader then compiles in this process).
pub async fn fill_cache(
    engine: &PluginEngine,
    dir: &Path,
    tier: Tier,
    first: &[&'static str],
) -> bool {
    fill_cache_with(engine, dir, COMPILER.get(), tier, first).await
}

async fn fill_cache_with(
    engine: &PluginEngine,
    dir: &Path,
    compiler: Option<&Compiler>,
    tier: Tier,
    first: &[&'static str],
) -> bool {
    let Some(compiler) = compiler else {
        return false;
    };
    let (engine, dir, names) = (engine.clone(), dir.to_path_buf(), first.to_vec());
    let lacking = tokio::task::spawn_blocking(move || {
        tier_work(&engine, &dir, tier, &names).map(|(set, cache, _)| missing(cache, &set))
    })
    .await;
    match lacking {
        Ok(Some(0)) => return true,
        Ok(Some(_)) => {}
        Ok(None) | Err(_) => return false,
    }
    run_child(compiler, tier, None).await
}

/// A hot reload's compile: a child process compiles `bytes` (SHA-256 `digest`) with
/// `tier`'s compiler into the cache, so the compiler's memory leaves with it (compiled
/// in this process, each new file left the gateway 15-30 MiB larger). Returns whether
/// the cache now holds that code (`false` without a cache or a child, or when the
/// child failed, as it does for bytes that do not compile: the loader then compiles
/// in this process and reports why).
pub async fn compile_one(engine: &PluginEngine, bytes: Bytes, digest: &str, tier: Tier) -> bool {
    compile_one_with(engine, bytes, digest, COMPILER.get(), tier).await
}

async fn compile_one_with(
    engine: &PluginEngine,
    bytes: Bytes,
    digest: &str,
    compiler: Option<&Compiler>,
    tier: Tier,
) -> bool {
    let (Some(compiler), Some((cache, _))) = (compiler, tier_cache(engine, tier)) else {
        return false;
    };
    if cache.holds(digest) {
        return true;
    }
    // The child hashes what it read: the cache holds code for these very bytes only
    // if they reached it whole.
    run_child(compiler, tier, Some(bytes)).await && cache.holds(digest)
}

/// Runs `switchyard plugin precompile` for `tier`: over the start set, or over
/// `component` (written to the child's standard input). Returns whether it succeeded.
async fn run_child(compiler: &Compiler, tier: Tier, component: Option<Bytes>) -> bool {
    let started = Instant::now();
    let mut command = tokio::process::Command::new(&compiler.program);
    if let Some(config) = &compiler.config {
        command.arg("--config").arg(config);
    }
    command.args(["plugin", "precompile"]);
    if tier == Tier::Baseline {
        command.arg("--baseline");
    }
    if component.is_some() {
        // A file that does not compile fails the child: the loader, compiling it
        // again here, says why in the gateway's own log.
        command
            .arg("--stdin")
            .stdin(Stdio::piped())
            .stderr(Stdio::null());
    } else {
        command.stdin(Stdio::null());
    }
    command.stdout(Stdio::null()).kill_on_drop(true);
    let outcome = tokio::time::timeout(CHILD_LIMIT, async {
        let mut child = command.spawn()?;
        if let (Some(mut stdin), Some(bytes)) = (child.stdin.take(), component.as_ref()) {
            // A child that exits early (bytes it cannot parse) closes the pipe: its
            // exit status tells the rest.
            let _ = tokio::io::AsyncWriteExt::write_all(&mut stdin, bytes).await;
        }
        child.wait().await
    })
    .await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let what = if component.is_some() {
        "component"
    } else {
        "components"
    };
    match outcome {
        Ok(Ok(status)) if status.success() => {
            tracing::info!(
                elapsed_ms,
                tier = tier.name(),
                "{what} compiled into the cache by a child process"
            );
            true
        }
        Ok(Ok(status)) if component.is_some() => {
            tracing::debug!(%status, "the compiling child failed; compiling in this process");
            false
        }
        Ok(Ok(status)) => {
            tracing::warn!(%status, "the compiling child failed; compiling in this process");
            false
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "cannot start the compiling child; compiling in this process");
            false
        }
        Err(_) => {
            tracing::warn!(
                elapsed_ms,
                "the compiling child took too long; compiling in this process"
            );
            false
        }
    }
}

/// What [`fill`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Filled {
    /// Components compiled now.
    pub compiled: usize,
    /// Components the cache already held.
    pub cached: usize,
    /// Components that did not compile, with why (the gateway reports them too).
    pub failed: Vec<(String, String)>,
}

/// Compiles with `tier`'s compiler whatever of its work (see [`tier_work`]) the
/// cache lacks: the work of `switchyard plugin precompile`, in the child or run by
/// hand before an image is built. `None` when the engine keeps no cache for `tier`.
pub fn fill(engine: &PluginEngine, dir: &Path, tier: Tier, first: &[&str]) -> Option<Filled> {
    let (set, cache, compiler) = tier_work(engine, dir, tier, first)?;
    Some(fill_set(cache, compiler, set))
}

/// Compiles `bytes` with `tier`'s compiler into the cache unless it holds them: the
/// work of a hot reload's child (`switchyard plugin precompile --stdin`). `None` when
/// the engine keeps no cache for `tier`.
pub fn fill_one(engine: &PluginEngine, tier: Tier, bytes: &[u8]) -> Option<Filled> {
    let (cache, compiler) = tier_cache(engine, tier)?;
    let piece = Piece {
        name: "standard input".to_string(),
        digest: digest(bytes),
        bytes: Bytes::copy_from_slice(bytes),
    };
    Some(fill_set(cache, compiler, vec![piece]))
}

/// Compiles what of `set` the cache lacks into it.
fn fill_set(cache: &CompileCache, compiler: &wasmtime::Engine, set: Vec<Piece>) -> Filled {
    let (held, lacking): (Vec<Piece>, Vec<Piece>) = set
        .into_iter()
        .partition(|piece| cache.holds(&piece.digest));
    let mut filled = Filled {
        cached: held.len(),
        ..Filled::default()
    };
    // Wasmtime spreads one component's functions over the cores, but reading the
    // component and writing its code are serial: compiling several components at once
    // overlaps those stretches. On wasmtime's own thread pool (rayon), so the two
    // levels share the cores instead of oversubscribing them.
    let outcomes: Vec<wasmtime::Result<()>> = lacking
        .par_iter()
        .map(|piece| cache.fill(compiler, &piece.bytes, &piece.digest))
        .collect();
    for (piece, outcome) in lacking.into_iter().zip(outcomes) {
        match outcome {
            Ok(()) => filled.compiled += 1,
            Err(err) => filled.failed.push((piece.name, format!("{err:#}"))),
        }
    }
    filled
}

/// Removes the baseline code for the bytes with SHA-256 `digest` from the cache (a
/// reloaded file's: once loaded, the code is mapped, and the next start compiles
/// the file optimized).
pub fn forget_baseline_of(engine: &PluginEngine, digest: &str) {
    if let Some((cache, _)) = tier_cache(engine, Tier::Baseline) {
        cache.forget(digest);
    }
}

/// Removes the built-ins' baseline code from the cache (once the optimized code
/// serves, nothing loads it again).
pub fn forget_baseline(engine: &PluginEngine) {
    for piece in builtin_set(|_| true) {
        forget_baseline_of(engine, &piece.digest);
    }
}

#[cfg(test)]
mod tests;
