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

/// Every built-in's name: a baseline compile of them all.
fn all() -> Vec<&'static str> {
    builtin::ADAPTERS.iter().map(|b| b.name).collect()
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
            Tier::Optimized,
            &[]
        )
        .await
    );
    let cached = engine(Some(&dir.path().join("cache")));
    assert!(!fill_cache_with(&cached, dir.path(), None, Tier::Optimized, &[]).await);
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
            Tier::Optimized,
            &[]
        )
        .await
    );
    let missing = dir.path().join("no-such-program");
    let missing = compiler(&missing.display().to_string());
    assert!(!fill_cache_with(&cached, dir.path(), Some(&missing), Tier::Optimized, &[]).await);
}

#[tokio::test]
async fn a_full_cache_starts_no_child_and_serves_optimized_code_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cached = engine(Some(&dir.path().join("cache")));
    let child = compiler("true");
    let plan = plan_with(&cached, dir.path(), Some(&child), true).await;
    assert_eq!(plan, StartPlan::BaselineFirst);
    let filled = fill(&cached, dir.path(), Tier::Optimized, &[]).unwrap();
    assert_eq!(filled.compiled, builtin::ADAPTERS.len());
    // A child would fail (`false`): a `true` answer means none was started.
    assert!(
        fill_cache_with(
            &cached,
            dir.path(),
            Some(&compiler("false")),
            Tier::Optimized,
            &[]
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
    let filled = fill(&cached, dir.path(), Tier::Baseline, &all()).unwrap();
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
    assert!(fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Baseline, &all()).await);
    assert!(!fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Optimized, &[]).await);
    forget_baseline(&cached);
    assert_eq!(baseline(&cache), 0);
}

#[tokio::test]
async fn a_reloaded_file_is_compiled_by_a_child_only_when_the_cache_lacks_it() {
    let dir = tempfile::tempdir().unwrap();
    let cached = engine(Some(&dir.path().join("cache")));
    let openai = &builtin::ADAPTERS[0];
    let bytes = Bytes::from_static(openai.bytes);
    let compile = |compiler: Option<Compiler>, tier| {
        let (cached, bytes) = (&cached, bytes.clone());
        async move { compile_one_with(cached, bytes, openai.digest, compiler.as_ref(), tier).await }
    };
    // No child: the loader compiles in this process.
    assert!(!compile(None, Tier::Baseline).await);
    // A child that exits 0 without compiling these bytes: the cache still lacks them.
    assert!(!compile(Some(compiler("true")), Tier::Baseline).await);
    // What the real child does (`precompile --stdin`), then no child is needed (one
    // would fail).
    let filled = fill_one(&cached, Tier::Baseline, openai.bytes).unwrap();
    assert_eq!((filled.compiled, filled.cached), (1, 0));
    assert!(holds(&cached, Tier::Baseline, openai.digest));
    assert!(!holds(&cached, Tier::Optimized, openai.digest));
    assert!(compile(Some(compiler("false")), Tier::Baseline).await);
    let again = fill_one(&cached, Tier::Baseline, openai.bytes).unwrap();
    assert_eq!((again.compiled, again.cached), (0, 1));
    forget_baseline_of(&cached, openai.digest);
    assert!(!holds(&cached, Tier::Baseline, openai.digest));
    // Without a cache there is nowhere for a child to put the code.
    assert!(
        !compile_one_with(
            &engine(None),
            bytes,
            openai.digest,
            Some(&compiler("true")),
            Tier::Optimized
        )
        .await
    );
}

#[test]
fn bytes_that_do_not_compile_are_named_and_leave_nothing_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cached = engine(Some(&dir.path().join("cache")));
    let filled = fill_one(&cached, Tier::Optimized, b"\0asm\x0d\0\x01\0junk").unwrap();
    assert_eq!(filled.compiled, 0);
    assert_eq!(filled.failed.len(), 1);
    assert_eq!(filled.failed[0].0, "standard input");
    assert!(
        !dir.path().join("cache").exists()
            || std::fs::read_dir(dir.path().join("cache")).unwrap().count() == 0
    );
    assert!(fill_one(&engine(None), Tier::Optimized, b"").is_none());
}

#[test]
fn several_components_compile_at_once_and_report_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let cached = engine(Some(&dir.path().join("cache")));
    // Two folder files, one good and one not, after the built-ins.
    std::fs::write(dir.path().join("a-good.wasm"), builtin::ADAPTERS[1].bytes).unwrap();
    std::fs::write(dir.path().join("b-bad.wasm"), b"\0asm\x0d\0\x01\0junk").unwrap();
    let filled = fill(&cached, dir.path(), Tier::Optimized, &[]).unwrap();
    // The good file has a built-in's bytes: compiled once, found the second time.
    assert_eq!(filled.compiled + filled.cached, builtin::ADAPTERS.len() + 1);
    assert_eq!(filled.failed.len(), 1, "{:?}", filled.failed);
    assert!(
        filled.failed[0].0.ends_with("b-bad.wasm"),
        "{:?}",
        filled.failed
    );
    for builtin in builtin::ADAPTERS {
        assert!(
            holds(&cached, Tier::Optimized, builtin.digest),
            "{}",
            builtin.name
        );
    }
}

#[test]
fn a_first_start_serves_first_what_its_models_route_to_and_the_dialects() {
    let defaults = Config::from_toml_str(crate::config::EMBEDDED_CONFIG).unwrap();
    assert_eq!(served_first(&defaults), ["messages", "openai", "responses"]);

    let config = Config::from_toml_str(
        r#"
[[models]]
name = "claude"
adapter = "anthropic"

[[models]]
name = "spread"
adapter = "azure"
[[models.deployments]]
adapter = "gemini"
[[models.deployments]]
upstream_model = "the model's adapter"

[[models]]
name = "mine"
adapter = "from-the-plugin-folder"

[[models]]
name = "every deployment names its own"
adapter = "coze"
[[models.deployments]]
adapter = "openai"
"#,
    )
    .unwrap();
    assert_eq!(
        served_first(&config),
        [
            "anthropic",
            "azure",
            "gemini",
            "messages",
            "openai",
            "responses"
        ]
    );
}

#[tokio::test]
async fn the_baseline_child_compiles_only_what_is_served_first() {
    let dir = tempfile::tempdir().unwrap();
    let cached = engine(Some(&dir.path().join("cache")));
    let first = ["messages", "openai", "responses"];
    let filled = fill(&cached, dir.path(), Tier::Baseline, &first).unwrap();
    assert_eq!(filled.compiled, first.len());
    for builtin in builtin::ADAPTERS {
        let expected = first.contains(&builtin.name);
        assert_eq!(
            holds(&cached, Tier::Baseline, builtin.digest),
            expected,
            "{}",
            builtin.name
        );
    }
    // The start finds its set compiled (a child would fail), while all of them would
    // need a child.
    let failing = compiler("false");
    assert!(fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Baseline, &first).await);
    assert!(!fill_cache_with(&cached, dir.path(), Some(&failing), Tier::Baseline, &all()).await);
}
