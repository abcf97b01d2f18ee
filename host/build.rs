//! Builds the built-in components in `plugins/` (platform adapters and dialects) for
//! `wasm32-wasip2` and embeds them.
//!
//! The nested cargo gets its own target directory: sharing the outer build's would
//! make it wait forever on the lock the outer build holds.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// Folders under `plugins/` that are not components.
const NOT_ADAPTERS: &[&str] = &["kit"];

/// Every `plugins/<name>` crate except the kit is a built-in component named `<name>`,
/// package `plugin-<name>`, built to `plugin_<name>.wasm`.
fn builtins(root: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(root.join("plugins"))? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.join("Cargo.toml").is_file() && !NOT_ADAPTERS.contains(&name) {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or("host crate has no parent directory")?
        .to_path_buf();
    // The guests' bytes follow the contract, their sources, and the workspace's
    // release profile and lock file: a change to any of them must refresh the digests.
    for watched in ["wit", "plugins", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=SWITCHYARD_GUEST_TARGET_DIR");

    let target_dir = env::var_os("SWITCHYARD_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("wasm-guests"));
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    let names = builtins(&root)?;
    for name in &names {
        cmd.args(["-p", &format!("plugin-{name}")]);
    }
    // The outer build's flags and wrappers are for the host target, not the guests.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!(
            "building the built-in adapters for wasm32-wasip2 failed ({status}); \
             is the target installed? run `rustup target add wasm32-wasip2`"
        )
        .into());
    }

    let out = PathBuf::from(env::var("OUT_DIR")?).join("builtin_adapters.rs");
    let mut code = String::from(
        "/// Built-in components (adapters and dialects).\n\
         pub const ADAPTERS: &[Builtin] = &[\n",
    );
    for name in &names {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join(format!("plugin_{name}.wasm"));
        if !Path::new(&wasm).is_file() {
            return Err(format!("expected {} after the guest build", wasm.display()).into());
        }
        let digest = Sha256::digest(fs::read(&wasm)?);
        code.push_str(&format!(
            "    Builtin {{ name: {name:?}, bytes: include_bytes!({:?}), digest: \"{digest:x}\" }},\n",
            wasm.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(out, code)?;
    Ok(())
}
