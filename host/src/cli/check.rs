//! `switchyard plugin check <file.wasm> [fixtures]`: load an adapter exactly as the
//! gateway does (contract version, linking, `info()`, memory limit, deadline), print
//! what it declares, then replay golden fixtures through it and report each case with
//! the instructions it cost. The format is in docs/plugin-check.md.

pub mod dialect;
pub mod diff;
pub mod expect;
pub mod fixture;
pub mod replay;
pub mod runner;
pub mod stream;

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cli::CheckArgs;
use crate::config::PluginsConfig;
use crate::plugins::bindings::{
    CONTRACT_PACKAGE, CredentialPlacement, DialectInfo, Endpoint, PluginInfo,
};
use crate::plugins::engine::{EngineLimits, PluginEngine};
use crate::plugins::load::{self, Loaded};
use crate::plugins::registry::AdapterSource;
use diff::Difference;
use runner::Runner;

/// Instances alive at once while checking: one case at a time, plus `load`'s.
const CHECK_INSTANCES: u32 = 4;

/// Exit status when every fixture passed (or none were given and the adapter loaded).
pub const EXIT_PASSED: u8 = 0;
/// Exit status when a fixture failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status when nothing could be checked: the adapter did not load, or the
/// fixtures folder is unreadable or empty (main prints the error).
pub const EXIT_UNCHECKED: u8 = 2;

/// Why a case failed.
#[derive(Debug)]
pub enum Failure {
    /// The fixture file cannot be used.
    Fixture(String),
    /// A step went wrong in a way that is not a value difference (a trap, a deadline,
    /// an error where a result was expected, or the reverse).
    Step {
        /// The step, e.g. `transform-request`.
        step: String,
        /// What happened.
        message: String,
    },
    /// A step's output differs from the expectation.
    Mismatch {
        /// The step, e.g. `stream replayed byte by byte`.
        step: String,
        /// The first difference.
        difference: Difference,
    },
}

impl Failure {
    /// A [`Failure::Step`].
    pub fn step(step: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Step {
            step: step.into(),
            message: message.into(),
        }
    }

    /// A [`Failure::Mismatch`].
    pub fn mismatch(step: impl Into<String>, difference: Difference) -> Self {
        Self::Mismatch {
            step: step.into(),
            difference,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixture(message) => write!(f, "invalid fixture: {message}"),
            Self::Step { step, message } => write!(f, "{step}: {message}"),
            Self::Mismatch { step, difference } => write!(f, "{step}: {difference}"),
        }
    }
}

/// Runs the check, writing the report to `out`. An `Err` means nothing could be
/// checked ([`EXIT_UNCHECKED`]).
pub async fn run(
    args: &CheckArgs,
    config: &PluginsConfig,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let memory_limit = config.memory_limit_mib.saturating_mul(1024 * 1024);
    let engine = PluginEngine::metered(EngineLimits {
        max_instances: CHECK_INSTANCES,
        memory_limit,
        warm_instances: 0,
    })
    .map_err(|err| anyhow::anyhow!("cannot create the wasm engine: {err:#}"))?;
    engine.start_epoch_ticker()?;

    let file = &args.file;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let loaded = load::load_component(&engine, bytes, AdapterSource::File(file.clone()), None)
        .await
        .with_context(|| format!("{} does not load", file.display()))?;
    let pre = match &loaded {
        Loaded::Adapter(adapter) => {
            print_info(out, file, &adapter.info, &adapter.contract)?;
            &adapter.pre
        }
        Loaded::Dialect(dialect) => {
            print_dialect_info(out, file, &dialect.info, &dialect.contract)?;
            &dialect.pre
        }
    };

    let Some(dir) = &args.fixtures else {
        return Ok(ExitCode::from(EXIT_PASSED));
    };
    let files = fixture::list(dir)
        .with_context(|| format!("cannot read the fixtures folder {}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!("no *.json fixtures in {}", dir.display());
    }
    let runner = Runner {
        pre,
        call_timeout: Duration::from_millis(config.call_timeout_ms),
        memory_limit,
        fuel_budget: engine.fuel_budget(),
    };
    let names: Vec<String> = files.iter().map(|path| case_name(path)).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    writeln!(out, "\nfixtures in {}:", dir.display())?;
    let mut failed = 0usize;
    for (path, name) in files.iter().zip(&names) {
        let outcome = match &loaded {
            Loaded::Adapter(_) => match fixture::load(path) {
                Ok(case) => runner.run(&case).await,
                Err(message) => unusable(message),
            },
            Loaded::Dialect(_) => match dialect::load(path) {
                Ok(case) => runner.run_dialect(&case).await,
                Err(message) => unusable(message),
            },
        };
        let verdict = if outcome.failure.is_some() {
            failed += 1;
            "FAIL"
        } else {
            "PASS"
        };
        let fuel = outcome
            .fuel
            .map_or_else(|| "-".to_string(), |fuel| fuel.to_string());
        writeln!(out, "{verdict}  {name:<width$}  fuel {fuel:>10}")?;
        if let Some(failure) = &outcome.failure {
            for line in format!("{name}: {failure}").lines() {
                writeln!(out, "      {line}")?;
            }
        }
    }
    let passed = files.len() - failed;
    writeln!(out, "\n{passed} passed, {failed} failed")?;
    Ok(ExitCode::from(if failed == 0 {
        EXIT_PASSED
    } else {
        EXIT_FAILED
    }))
}

/// A fixture's name: its file name without `.json`.
fn case_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The outcome of a fixture file that cannot be used.
fn unusable(message: String) -> replay::Outcome {
    replay::Outcome {
        fuel: None,
        failure: Some(Failure::Fixture(message)),
    }
}

/// What a dialect declares, as the gateway will see it.
fn print_dialect_info(
    out: &mut dyn Write,
    file: &Path,
    info: &DialectInfo,
    contract: &str,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: loaded (dialect, contract {}@{}; this host supports {})",
        file.display(),
        CONTRACT_PACKAGE,
        contract,
        load::supported_range()
    )?;
    writeln!(out, "  name:         {}", info.name)?;
    writeln!(out, "  version:      {}", info.version)?;
    writeln!(out, "  description:  {}", info.description)?;
    writeln!(out, "  endpoint:     {}", endpoint_name(info.endpoint))
}

/// The contract's name for an endpoint.
fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions => "chat-completions",
        Endpoint::Embeddings => "embeddings",
        Endpoint::Messages => "messages",
        Endpoint::MessagesCountTokens => "messages-count-tokens",
        Endpoint::Responses => "responses",
    }
}

fn print_info(
    out: &mut dyn Write,
    file: &Path,
    info: &PluginInfo,
    contract: &str,
) -> std::io::Result<()> {
    let endpoints: Vec<&str> = info
        .endpoints
        .iter()
        .map(|endpoint| endpoint_name(*endpoint))
        .collect();
    let credential = match &info.credential {
        CredentialPlacement::None => "none".to_string(),
        CredentialPlacement::Bearer => "bearer (Authorization: Bearer <key>)".to_string(),
        CredentialPlacement::Header(name) => format!("header `{name}`"),
        CredentialPlacement::Query(name) => format!("query parameter `{name}`"),
    };
    writeln!(
        out,
        "{}: loaded (contract {}@{}; this host supports {})",
        file.display(),
        CONTRACT_PACKAGE,
        contract,
        load::supported_range()
    )?;
    writeln!(out, "  name:         {}", info.name)?;
    writeln!(out, "  version:      {}", info.version)?;
    writeln!(out, "  description:  {}", info.description)?;
    writeln!(out, "  endpoints:    {}", endpoints.join(", "))?;
    writeln!(out, "  credential:   {credential}")?;
    writeln!(out, "  base url:     {}", info.default_base_url)?;
    let stem = case_name(file);
    if stem != info.name {
        writeln!(
            out,
            "  note:         the gateway loads it from its plugin folder only as `{}.wasm`",
            info.name
        )?;
    }
    Ok(())
}
