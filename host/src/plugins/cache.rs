//! Compiled adapters on disk, so a start (or a reload of a file seen before) loads
//! machine code instead of running the compiler: start-up to ready in milliseconds, and
//! no compiler arenas left resident. An entry is keyed by the SHA-256 of the adapter's
//! bytes and by the engine's compatibility hash (wasmtime version, target, the settings
//! that shape compiled code), so a new binary or a changed `memory_limit_mib` compiles
//! afresh instead of loading code built for another engine.
//!
//! The cache folder holds native code the gateway will run: it must be as private as
//! the database next to it (the gateway creates it for its own user only).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// A folder of compiled adapters for one engine.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    engine_tag: String,
    /// The file name's ending: `.cwasm`, or `.baseline.cwasm` for the baseline tier's.
    suffix: &'static str,
}

impl CompileCache {
    /// The cache in `dir` for `engine` (the folder is created on the first write).
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        Self {
            dir,
            engine_tag: format!("{:016x}", hasher.finish()),
            suffix: ".cwasm",
        }
    }

    /// The same folder for the baseline compiler's `engine`: a first start's child
    /// leaves baseline code for the built-ins it serves first here, and
    /// the gateway removes it once the optimized code has replaced it.
    pub fn baseline(dir: PathBuf, engine: &Engine) -> Self {
        Self {
            suffix: ".baseline.cwasm",
            ..Self::new(dir, engine)
        }
    }

    /// Where the compiled code for the bytes with SHA-256 `digest` is kept.
    fn entry(&self, digest: &str) -> PathBuf {
        self.dir
            .join(format!("{digest}-{}{}", self.engine_tag, self.suffix))
    }

    /// The component for `digest` when the cache holds it, without compiling.
    pub fn cached(&self, engine: &Engine, digest: &str) -> Option<Component> {
        let path = self.entry(digest);
        if !path.is_file() {
            return None;
        }
        deserialize_file(engine, &path)
            .inspect_err(|err| {
                tracing::warn!(path = %path.display(), error = %err, "cached adapter unusable");
            })
            .ok()
    }

    /// Removes the entry for `digest`, if any.
    pub fn forget(&self, digest: &str) {
        let _ = std::fs::remove_file(self.entry(digest));
    }

    /// Whether the cache holds compiled code for the bytes with SHA-256 `digest`.
    pub fn holds(&self, digest: &str) -> bool {
        self.entry(digest).is_file()
    }

    /// Compiles `bytes` (SHA-256 `digest`) and stores the code, without loading it.
    pub fn fill(&self, engine: &Engine, bytes: &[u8], digest: &str) -> wasmtime::Result<()> {
        let artifact = engine.precompile_component(bytes)?;
        self.store(&self.entry(digest), &artifact)?;
        Ok(())
    }

    /// The component for `bytes` (whose SHA-256 is `digest`): from the cache when it
    /// holds it, else compiled and then stored. A cache that cannot be read or written
    /// only costs the compile.
    pub fn component(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> wasmtime::Result<Component> {
        let path = self.entry(digest);
        if path.is_file() {
            match deserialize_file(engine, &path) {
                Ok(component) => return Ok(component),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "cached adapter unusable; compiling again");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let artifact = engine.precompile_component(bytes)?;
        if let Err(err) = self.store(&path, &artifact) {
            tracing::warn!(dir = %self.dir.display(), error = %err, "cannot write the adapter cache");
        }
        deserialize(engine, &artifact)
    }

    /// Writes `artifact` to `path` through a temporary file and a rename, so a reader
    /// never sees half a file (two processes may fill the same cache at once).
    fn store(&self, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let temporary = path.with_extension(format!("{:016x}.tmp", fastrand::u64(..)));
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            std::io::Write::write_all(&mut file, artifact)?;
            file.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        renamed
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Loads compiled code this engine wrote.
#[expect(
    unsafe_code,
    reason = "wasmtime trusts serialized components to be its own output; these come from \
              precompile_component in this process or a cache folder only the gateway writes"
)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` was produced by `Engine::precompile_component` just above;
    // wasmtime checks its header and compatibility hash before use.
    unsafe { Component::deserialize(engine, artifact) }
}

/// Loads compiled code from the cache folder.
#[expect(
    unsafe_code,
    reason = "wasmtime trusts serialized components to be its own output; the cache folder \
              is private to the gateway and written only by `CompileCache::store`"
)]
fn deserialize_file(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the file was written by `CompileCache::store` with this engine's
    // compatibility tag in its name; wasmtime re-checks header and compatibility.
    unsafe { Component::deserialize_file(engine, path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component (magic, version 0x0d, component layer): nothing inside.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn a_second_load_reads_the_cache_and_a_bad_entry_is_recompiled() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = CompileCache::new(dir.path().join("adapters"), &engine);
        let bytes = EMPTY_COMPONENT;
        cache.component(&engine, bytes, "d1").unwrap();
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("adapters"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "one compiled entry written: {entries:?}");
        cache.component(&engine, bytes, "d1").unwrap();

        std::fs::write(&entries[0], b"not wasmtime output").unwrap();
        cache
            .component(&engine, bytes, "d1")
            .expect("a corrupt entry is replaced, not fatal");
        assert_ne!(std::fs::read(&entries[0]).unwrap(), b"not wasmtime output");
    }
}
