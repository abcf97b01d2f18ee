//! Compiling components in a child process. What Cranelift allocates while it
//! compiles stays in the allocator of the process that ran it (tens of megabytes,
//! which `malloc_trim` returns only in part), so a gateway whose compile cache lacks
//! some of the components it starts with has a short-lived copy of itself
//! (`switchyard plugin precompile`) compile them into the cache, then loads the code
//! from there as any restart does. The memory leaves with the child. Without a child
//! (the library in tests, or a child that failed) the gateway compiles them itself.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::builtin;
use super::cache::CompileCache;
use super::engine::{PluginEngine, Tier};
use super::load::digest;

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
/// to compile them).
fn builtin_set() -> Vec<Piece> {
    builtin::ADAPTERS
        .iter()
        .map(|builtin| Piece {
            name: builtin.name.to_string(),
            bytes: Bytes::from_static(builtin.bytes),
            digest: builtin.digest.to_string(),
        })
        .collect()
}

/// The components a start loads: the built-ins, then the `.wasm` files in the plugin
/// folder (unreadable ones are left to the loader to report).
fn start_set(dir: &Path) -> Vec<Piece> {
    let mut set = builtin_set();
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

/// What `tier`'s child compiles, the cache it fills and the engine it compiles for:
/// for the optimized tier the whole start set; for the baseline tier the built-ins
/// only (a start serves from baseline code only when the folder's files are cached).
fn tier_work<'e>(
    engine: &'e PluginEngine,
    dir: &Path,
    tier: Tier,
) -> Option<(Vec<Piece>, &'e CompileCache, &'e wasmtime::Engine)> {
    match tier {
        Tier::Optimized => Some((start_set(dir), engine.cache.as_ref()?, &engine.engine)),
        Tier::Baseline => {
            let baseline = engine.baseline.as_ref()?;
            Some((builtin_set(), baseline.cache.as_ref()?, &baseline.engine))
        }
    }
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
    /// The cache lacks built-ins and nothing else: a child compiles their baseline
    /// code, the start serves it, and the optimized code follows in the background.
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
/// cache lacks some of them, a child process compiles them into it. Returns whether
/// the cache now holds them all (`false` without a cache or a child, or when the
/// child failed: the loader then compiles in this process).
pub async fn fill_cache(engine: &PluginEngine, dir: &Path, tier: Tier) -> bool {
    fill_cache_with(engine, dir, COMPILER.get(), tier).await
}

async fn fill_cache_with(
    engine: &PluginEngine,
    dir: &Path,
    compiler: Option<&Compiler>,
    tier: Tier,
) -> bool {
    let Some(compiler) = compiler else {
        return false;
    };
    let (engine, dir) = (engine.clone(), dir.to_path_buf());
    let lacking = tokio::task::spawn_blocking(move || {
        tier_work(&engine, &dir, tier).map(|(set, cache, _)| missing(cache, &set))
    })
    .await;
    match lacking {
        Ok(Some(0)) => return true,
        Ok(Some(_)) => {}
        Ok(None) | Err(_) => return false,
    }
    let started = Instant::now();
    let mut command = tokio::process::Command::new(&compiler.program);
    if let Some(config) = &compiler.config {
        command.arg("--config").arg(config);
    }
    command.args(["plugin", "precompile"]);
    if tier == Tier::Baseline {
        command.arg("--baseline");
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    let outcome = tokio::time::timeout(CHILD_LIMIT, command.status()).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Ok(Ok(status)) if status.success() => {
            tracing::info!(
                elapsed_ms,
                tier = tier.name(),
                "components compiled into the cache by a child process"
            );
            true
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
pub fn fill(engine: &PluginEngine, dir: &Path, tier: Tier) -> Option<Filled> {
    let (set, cache, compiler) = tier_work(engine, dir, tier)?;
    let mut filled = Filled::default();
    for piece in set {
        if cache.holds(&piece.digest) {
            filled.cached += 1;
            continue;
        }
        match cache.fill(compiler, &piece.bytes, &piece.digest) {
            Ok(()) => filled.compiled += 1,
            Err(err) => filled.failed.push((piece.name, format!("{err:#}"))),
        }
    }
    Some(filled)
}

/// Removes the built-ins' baseline code from the cache (once the optimized code
/// serves, nothing loads it again).
pub fn forget_baseline(engine: &PluginEngine) {
    if let Some(cache) = engine.baseline.as_ref().and_then(|b| b.cache.as_ref()) {
        for piece in builtin_set() {
            cache.forget(&piece.digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PluginsConfig;
    use crate::plugins::engine_limits;

    fn engine(cache: Option<&Path>) -> PluginEngine {
        let engine = PluginEngine::new(engine_limits(&PluginsConfig::default())).unwrap();
        match cache {
            Some(dir) => engine.with_cache(dir.to_path_buf()),
            None => engine,
        }
    }

    fn compiler(program: &str) -> Compiler {
        Compiler {
            program: PathBuf::from(program),
            config: Some(PathBuf::from("unused.toml")),
        }
    }

    #[tokio::test]
    async fn without_a_cache_or_a_child_the_gateway_compiles_itself() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            !fill_cache_with(
                &engine(None),
                dir.path(),
                Some(&compiler("true")),
                Tier::Optimized
            )
            .await
        );
        let cached = engine(Some(&dir.path().join("cache")));
        assert!(!fill_cache_with(&cached, dir.path(), None, Tier::Optimized).await);
    }

    #[tokio::test]
    async fn a_child_that_fails_or_cannot_start_leaves_the_compile_to_the_gateway() {
        let dir = tempfile::tempdir().unwrap();
        let cached = engine(Some(&dir.path().join("cache")));
        assert!(
            !fill_cache_with(
                &cached,
                dir.path(),
                Some(&compiler("false")),
                Tier::Optimized
            )
            .await
        );
        let missing = dir.path().join("no-such-program");
        let missing = compiler(&missing.display().to_string());
        assert!(!fill_cache_with(&cached, dir.path(), Some(&missing), Tier::Optimized).await);
    }

    #[tokio::test]
    async fn a_full_cache_starts_no_child_and_serves_optimized_code_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let cached = engine(Some(&dir.path().join("cache")));
        let child = compiler("true");
        let plan = plan_with(&cached, dir.path(), Some(&child), true).await;
        assert_eq!(plan, StartPlan::BaselineFirst);
        let filled = fill(&cached, dir.path(), Tier::Optimized).unwrap();
        assert_eq!(filled.compiled, builtin::ADAPTERS.len());
        // A child would fail (`false`): a `true` answer means none was started.
        assert!(
            fill_cache_with(
                &cached,
                dir.path(),
                Some(&compiler("false")),
                Tier::Optimized
            )
            .await
        );
        let plan = plan_with(&cached, dir.path(), Some(&child), true).await;
        assert_eq!(plan, StartPlan::Load);
    }

    #[tokio::test]
    async fn baseline_code_serves_first_only_when_a_child_will_replace_it() {
        let dir = tempfile::tempdir().unwrap();
        let cached = engine(Some(&dir.path().join("cache")));
        let child = compiler("true");
        let plan = |engine, compiler, allowed| plan_with(engine, dir.path(), compiler, allowed);
        assert_eq!(
            plan(&cached, Some(&child), true).await,
            StartPlan::BaselineFirst
        );
        // The operator wants ready to mean optimized.
        assert_eq!(
            plan(&cached, Some(&child), false).await,
            StartPlan::CompileFirst
        );
        // No child to compile the optimized code, or no cache to put it in: the
        // loader compiles in this process.
        assert_eq!(plan(&cached, None, true).await, StartPlan::Load);
        let uncached = engine(None);
        assert_eq!(plan(&uncached, Some(&child), true).await, StartPlan::Load);
        // A metered engine has no baseline tier.
        let limits = engine_limits(&PluginsConfig::default());
        let metered = PluginEngine::metered(limits)
            .unwrap()
            .with_cache(dir.path().join("cache"));
        assert_eq!(
            plan(&metered, Some(&child), true).await,
            StartPlan::CompileFirst
        );
        // A folder file the cache lacks: the start compiles everything first.
        std::fs::write(dir.path().join("custom.wasm"), b"\0asm not yet compiled").unwrap();
        assert_eq!(
            plan(&cached, Some(&child), true).await,
            StartPlan::CompileFirst
        );
    }

    #[tokio::test]
    async fn the_baseline_child_leaves_the_built_ins_baseline_code_until_it_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let cached = engine(Some(&cache));
        // A folder file is not the baseline child's work: a start that serves
        // baseline code has the folder's files cached optimized already.
        std::fs::write(dir.path().join("custom.wasm"), b"\0asm not compiled").unwrap();
        let filled = fill(&cached, dir.path(), Tier::Baseline).unwrap();
        assert_eq!(filled.compiled, builtin::ADAPTERS.len());
        assert!(filled.failed.is_empty(), "{:?}", filled.failed);
        let baseline = |cache: &Path| {
            std::fs::read_dir(cache)
                .unwrap()
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    name.to_string_lossy().ends_with(".baseline.cwasm")
                })
                .count()
        };
        assert_eq!(baseline(&cache), builtin::ADAPTERS.len());
        // Filled: no child is started (one would fail), and the optimized tier still
        // lacks everything.
        let failing = compiler("false");
        assert!(fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Baseline).await);
        assert!(!fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Optimized).await);
        forget_baseline(&cached);
        assert_eq!(baseline(&cache), 0);
    }
}
