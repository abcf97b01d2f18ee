//! The real `switchyard` binary, for tests that run it as a user would.
//!
//! Cargo builds a package's binaries only for that package's own tests, and this crate
//! is not the host's; so the binary is built here with `cargo build` (a no-op when it
//! is fresh, as after `tests/run_tests.sh`'s build step) and found through cargo's
//! own report of the artifact, whatever the target directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, bail};
use serde_json::Value;

/// Variables the gateway reads on top of its config file; a developer's shell may set
/// them, and they would change what a test runs.
pub const GATEWAY_ENV: &[&str] = &[
    "SWITCHYARD_CONFIG",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "RUST_LOG",
    "DATABASE_URL",
    "TYPE",
    "API_KEY",
    "BASE_URL",
    "ACTUAL_NAME",
    "MODEL_NAME",
    "ENABLE_CLIENT_AUTH",
    "ALLOW_ANONYMOUS_ACCESS",
    "ADMIN_KEY",
];

/// The workspace root (the folder holding `plugins/` and `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The path of an up-to-date `switchyard` binary, built once per test process in the
/// profile the tests were built in.
pub fn switchyard() -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build().map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// A `switchyard` command with a clean environment (no `SWITCHYARD_*` or seed
/// variables), run in `cwd` so no stray `config.toml` or `.env` is read.
pub fn command(cwd: &Path) -> anyhow::Result<Command> {
    let mut cmd = Command::new(switchyard()?);
    cmd.current_dir(cwd);
    for name in GATEWAY_ENV {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SWITCHYARD_") {
            cmd.env_remove(name);
        }
    }
    Ok(cmd)
}

/// Variables cargo sets for one package's compilation or test run.
fn is_package_variable(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&name) || name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_BIN_EXE_")
}

fn build() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The same selection as `tests/run_tests.sh`'s build step: its features are the
    // ones `cargo test --workspace` resolves (dev-dependencies turn on tokio's
    // `test-util`), so dependencies are built once, not once per feature set.
    cmd.current_dir(workspace_root()).args([
        "build",
        "--workspace",
        "--bins",
        "--tests",
        "--message-format=json-render-diagnostics",
    ]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    // What cargo set for this test process describes the e2e package; build scripts
    // that watch such variables (ring watches CARGO_MANIFEST_DIR) would otherwise see
    // a change and rebuild the host here and again in the next plain `cargo build`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_package_variable(&name) {
            cmd.env_remove(name.as_ref());
        }
    }
    let output = cmd
        .output()
        .context("running cargo build for the switchyard binary")?;
    if !output.status.success() {
        bail!(
            "cargo build of the switchyard binary failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == "switchyard")
        .filter(|message| message["profile"]["test"] == false)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo build reported no switchyard executable")
}
