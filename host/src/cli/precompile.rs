//! `switchyard plugin precompile`: compiles the built-in components and the plugin
//! folder's `.wasm` files into the compile cache, so the next start loads machine
//! code instead of running the compiler. The gateway runs it as a child process when
//! its cache lacks something (see `plugins::precompile`); an operator runs it when
//! building an image, so containers start in milliseconds.

use std::io::Write;

use crate::app::adapter_cache_dir;
use crate::cli::PrecompileArgs;
use crate::config::Config;
use crate::plugins::engine::{PluginEngine, Tier};
use crate::plugins::{engine_limits, precompile};

/// Fills the cache `config` names and reports what it did to `out`. Components that
/// do not compile are listed (the gateway reports them on `/health` too) and fail
/// the command.
pub fn run(config: &Config, args: &PrecompileArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(dir) = adapter_cache_dir(config) else {
        anyhow::bail!(
            "plugins.cache_dir is empty, so compiled components are not kept: there is no cache to fill"
        );
    };
    let engine = PluginEngine::new(engine_limits(&config.plugins))
        .map_err(|err| anyhow::anyhow!("cannot create the wasm engine: {err:#}"))?
        .with_cache(dir.clone());
    let tier = if args.baseline {
        Tier::Baseline
    } else {
        Tier::Optimized
    };
    let filled = if args.stdin {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
        precompile::fill_one(&engine, tier, &bytes)
    } else {
        let first = precompile::served_first(config);
        precompile::fill(&engine, &config.plugins.dir, tier, &first)
    }
    .ok_or_else(|| anyhow::anyhow!("the engine keeps no cache"))?;
    for (name, error) in &filled.failed {
        writeln!(out, "{name}: {error}")?;
    }
    writeln!(
        out,
        "{}: compiled {} components, {} already there",
        dir.display(),
        filled.compiled,
        filled.cached
    )?;
    if !filled.failed.is_empty() {
        anyhow::bail!("{} components did not compile", filled.failed.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path, cache: &str) -> Config {
        Config::from_toml_str(&format!(
            "[plugins]\ndir = \"{}\"\ncache_dir = \"{cache}\"\n",
            dir.join("plugins").display()
        ))
        .unwrap()
    }

    fn run_to_string(config: &Config) -> anyhow::Result<String> {
        let mut out = Vec::new();
        run(
            config,
            &PrecompileArgs {
                baseline: false,
                stdin: false,
            },
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn fills_the_cache_once_then_finds_everything_there() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let config = config(dir.path(), &cache.display().to_string());
        let builtins = crate::plugins::builtin::ADAPTERS.len();

        let first = run_to_string(&config).unwrap();
        assert!(
            first.contains(&format!("compiled {builtins} components, 0 already there")),
            "{first}"
        );
        let entries = std::fs::read_dir(&cache).unwrap().count();
        assert_eq!(entries, builtins, "one compiled entry per built-in");

        let again = run_to_string(&config).unwrap();
        assert!(
            again.contains(&format!("compiled 0 components, {builtins} already there")),
            "{again}"
        );
    }

    #[test]
    fn a_folder_file_that_does_not_compile_is_named_and_fails_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let config = config(dir.path(), &cache.display().to_string());
        std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
        std::fs::write(
            dir.path().join("plugins/broken.wasm"),
            b"\0asm\x0d\0\x01\0junk",
        )
        .unwrap();
        let mut out = Vec::new();
        let err = run(
            &config,
            &PrecompileArgs {
                baseline: false,
                stdin: false,
            },
            &mut out,
        )
        .unwrap_err();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("broken.wasm"), "{out}");
        assert!(
            err.to_string().contains("1 components did not compile"),
            "{err}"
        );
    }

    #[test]
    fn without_a_cache_there_is_nothing_to_fill() {
        let dir = tempfile::tempdir().unwrap();
        let err = run_to_string(&config(dir.path(), "")).unwrap_err();
        assert!(
            err.to_string().contains("plugins.cache_dir is empty"),
            "{err}"
        );
    }
}
