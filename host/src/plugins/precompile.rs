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
use super::engine::PluginEngine;
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

/// The components a start loads: the built-ins (their digests known since the build,
/// so their bytes are only read to compile them), then the `.wasm` files in the
/// plugin folder (unreadable ones are left to the loader to report).
fn start_set(dir: &Path) -> Vec<Piece> {
    let mut set: Vec<Piece> = builtin::ADAPTERS
        .iter()
        .map(|builtin| Piece {
            name: builtin.name.to_string(),
            bytes: Bytes::from_static(builtin.bytes),
            digest: builtin.digest.to_string(),
        })
        .collect();
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

/// How many of `set` the cache lacks.
fn missing(cache: &CompileCache, set: &[Piece]) -> usize {
    set.iter()
        .filter(|piece| !cache.holds(&piece.digest))
        .count()
}

/// Before a start loads its components: when the compile cache lacks some of them,
/// a child process compiles them into it. Returns whether the cache now holds them
/// all (`false` without a cache or a child, or when the child failed: the loader
/// then compiles in this process).
pub async fn fill_cache(engine: &PluginEngine, dir: &Path) -> bool {
    fill_cache_with(engine, dir, COMPILER.get()).await
}

async fn fill_cache_with(engine: &PluginEngine, dir: &Path, compiler: Option<&Compiler>) -> bool {
    let (Some(cache), Some(compiler)) = (engine.cache.clone(), compiler) else {
        return false;
    };
    let dir = dir.to_path_buf();
    let lacking = tokio::task::spawn_blocking(move || missing(&cache, &start_set(&dir))).await;
    match lacking {
        Ok(0) => return true,
        Ok(_) => {}
        Err(_) => return false,
    }
    let started = Instant::now();
    let mut command = tokio::process::Command::new(&compiler.program);
    if let Some(config) = &compiler.config {
        command.arg("--config").arg(config);
    }
    command
        .args(["plugin", "precompile"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    let outcome = tokio::time::timeout(CHILD_LIMIT, command.status()).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Ok(Ok(status)) if status.success() => {
            tracing::info!(
                elapsed_ms,
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

/// Compiles whatever of the start set in `dir` the engine's cache lacks (the work of
/// `switchyard plugin precompile`, in the child or run by hand before an image is
/// built). `None` when the engine keeps no cache.
pub fn fill(engine: &PluginEngine, dir: &Path) -> Option<Filled> {
    let cache = engine.cache.as_ref()?;
    let mut filled = Filled::default();
    for piece in start_set(dir) {
        if cache.holds(&piece.digest) {
            filled.cached += 1;
            continue;
        }
        match cache.fill(&engine.engine, &piece.bytes, &piece.digest) {
            Ok(()) => filled.compiled += 1,
            Err(err) => filled.failed.push((piece.name, format!("{err:#}"))),
        }
    }
    Some(filled)
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
        assert!(!fill_cache_with(&engine(None), dir.path(), Some(&compiler("true"))).await);
        let cached = engine(Some(&dir.path().join("cache")));
        assert!(!fill_cache_with(&cached, dir.path(), None).await);
    }

    #[tokio::test]
    async fn a_child_that_fails_or_cannot_start_leaves_the_compile_to_the_gateway() {
        let dir = tempfile::tempdir().unwrap();
        let cached = engine(Some(&dir.path().join("cache")));
        assert!(!fill_cache_with(&cached, dir.path(), Some(&compiler("false"))).await);
        let missing = dir.path().join("no-such-program");
        let missing = compiler(&missing.display().to_string());
        assert!(!fill_cache_with(&cached, dir.path(), Some(&missing)).await);
    }

    #[tokio::test]
    async fn a_full_cache_starts_no_child() {
        let dir = tempfile::tempdir().unwrap();
        let cached = engine(Some(&dir.path().join("cache")));
        let filled = fill(&cached, dir.path()).unwrap();
        assert_eq!(filled.compiled, builtin::ADAPTERS.len());
        // A child would fail (`false`): a `true` answer means none was started.
        assert!(fill_cache_with(&cached, dir.path(), Some(&compiler("false"))).await);
    }
}
