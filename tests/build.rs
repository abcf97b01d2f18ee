//! Builds the adapter components the end-to-end tests load (the built-in adapters and
//! the test adapters in `tests/adapters/`) for `wasm32-wasip2`, and writes their paths
//! as constants (`e2e::wasm::SHOUT`, ...).
//!
//! The nested cargo gets its own target directory (the one `host/build.rs` uses, so the
//! guest builds are shared): with the outer build's directory it would wait forever on
//! the lock the outer build holds.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guests: (constant name, cargo package, wasm file stem).
const GUESTS: &[(&str, &str, &str)] = &[
    ("OPENAI", "plugin-openai", "plugin_openai"),
    ("ANTHROPIC", "plugin-anthropic", "plugin_anthropic"),
    ("GEMINI", "plugin-gemini", "plugin_gemini"),
    ("AZURE", "plugin-azure", "plugin_azure"),
    ("COZE", "plugin-coze", "plugin_coze"),
    ("MESSAGES", "plugin-messages", "plugin_messages"),
    ("SHOUT", "test-adapter-shout", "test_adapter_shout"),
    ("TRAP", "test-adapter-trap", "test_adapter_trap"),
    ("SPIN", "test-adapter-spin", "test_adapter_spin"),
    ("HOG", "test-adapter-hog", "test_adapter_hog"),
    ("FUTURE", "test-adapter-future", "test_adapter_future"),
    ("LEGACY", "test-adapter-legacy", "test_adapter_legacy"),
    ("HOSTILE", "test-adapter-hostile", "test_adapter_hostile"),
    ("BLOAT", "test-adapter-bloat", "test_adapter_bloat"),
    ("LONGNAME", "test-adapter-longname", "test_adapter_longname"),
];

const GUEST_TARGET: &str = "wasm32-wasip2";

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BuildResult<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or("the e2e crate has no parent directory")?
        .to_path_buf();
    for watched in [
        root.join("wit"),
        root.join("plugins"),
        manifest_dir.join("adapters"),
        // The release profile and the lock file shape the guests' bytes too.
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
    ] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SWITCHYARD_GUEST_TARGET_DIR");

    check_target_installed()?;

    let target_dir = env::var_os("SWITCHYARD_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("wasm-guests"));
    build_guests(&root, &target_dir)?;

    let release = target_dir.join(GUEST_TARGET).join("release");
    let mut code = String::new();
    for (constant, package, stem) in GUESTS {
        let wasm = release.join(format!("{stem}.wasm"));
        if !wasm.is_file() {
            return Err(format!(
                "expected {} after building {package} for {GUEST_TARGET}",
                wasm.display()
            )
            .into());
        }
        writeln!(
            code,
            "/// `{package}` built for `{GUEST_TARGET}` (release).\npub const {constant}: &str = {:?};",
            wasm.display().to_string()
        )?;
    }
    std::fs::write(
        PathBuf::from(env::var("OUT_DIR")?).join("wasm_paths.rs"),
        code,
    )?;
    Ok(())
}

/// Fails early, with the fix, when the toolchain cannot build for the guest target.
fn check_target_installed() -> BuildResult<()> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc).args(["--print", "sysroot"]).output()?;
    let sysroot = PathBuf::from(String::from_utf8(output.stdout)?.trim());
    let target_libs = sysroot.join("lib").join("rustlib").join(GUEST_TARGET);
    if !target_libs.is_dir() {
        return Err(format!(
            "the Rust target {GUEST_TARGET} is not installed for {} ({} is missing).\n\
             The end-to-end tests build adapter components with it. Install it with:\n\
             \n    rustup target add {GUEST_TARGET}\n",
            sysroot.display(),
            target_libs.display()
        )
        .into());
    }
    Ok(())
}

fn build_guests(root: &Path, target_dir: &Path) -> BuildResult<()> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--release", "--target", GUEST_TARGET])
        .arg("--target-dir")
        .arg(target_dir);
    for (_, package, _) in GUESTS {
        cmd.args(["-p", package]);
    }
    // The outer build's flags and wrappers (clippy, coverage) are for the host target,
    // not for the guests, and would change their fingerprints on every run.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
    ] {
        cmd.env_remove(var);
    }
    // A build script's stdout is read by cargo as directives; keep the child's off it.
    cmd.stdout(std::process::Stdio::from(std::io::stderr()));
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!(
            "building the test adapters for {GUEST_TARGET} failed ({status}); \
             the compiler output above says why"
        )
        .into());
    }
    Ok(())
}
