//! `switchyard plugin new NAME`: a new adapter crate, ready to build, written from the
//! adapter template and the guest kit this binary carries.
//!
//! The template in the repository depends on the kit by a path into the repository; a
//! new adapter lives anywhere, so the kit is copied next to it (`kit/`, with the
//! contract this gateway speaks) and the path points at the copy. Nothing is fetched:
//! the crate builds with the registry's `serde`, `serde_json` and `wit-bindgen` only.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use rust_embed::RustEmbed;

/// `switchyard plugin new <name> [--dir DIR]`
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The adapter's name: lower-case letters, digits and `-`, starting with a letter.
    /// Models select it with `adapter = "<name>"`; it builds to `<name>.wasm`.
    pub name: String,
    /// Where to write the crate; `./<name>` by default. Must not exist, or be empty.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The adapter template (`examples/adapter-template`), without build output.
#[derive(RustEmbed)]
#[folder = "../examples/adapter-template"]
#[exclude = "target/*"]
#[exclude = "*.wasm"]
struct Template;

/// The guest kit (`plugins/kit`), its contract included (`wit/`, a link in the
/// repository, files here).
#[derive(RustEmbed)]
#[folder = "../plugins/kit"]
#[exclude = "target/*"]
struct Kit;

/// The template's lines that name it or point into the repository, and what a new
/// adapter has instead. A template that no longer has one of them fails the unit
/// tests, not a user.
const TEMPLATE_NAME: &str = "name = \"plugin-template\"";
const TEMPLATE_KIT: &str = "switchyard-guest-kit = { path = \"../../plugins/kit\" }";
const NEW_KIT: &str = "switchyard-guest-kit = { path = \"kit\" }";

/// Writes the crate and prints what to do next.
pub fn run(args: &NewArgs, out: &mut impl Write) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} already exists and is not empty: choose another name or `--dir`",
            dir.display()
        );
    }
    write_crate(&args.name, &dir)?;
    let name = &args.name;
    let shown = dir.display();
    writeln!(
        out,
        "created the adapter `{name}` in {shown}

next:
  cd {shown}
  cargo test                       # the translation, natively (first build: about 30 s on 2 cores)
  ./build.sh PLUGINS_DIR           # {name}.wasm into the gateway's plugins.dir (first build: about a minute)
  switchyard plugin check PLUGINS_DIR/{name}.wasm fixtures

then route a model to it in config.toml and call it (the gateway loads the file within a second):
  [[models]]
  name = \"my-model\"
  adapter = \"{name}\"
  upstream_model = \"the-platform's-model-name\"
  base_url = \"http://localhost:8000/v1\"

src/wire.rs holds the platform's JSON: change it and the translations in src/request.rs,
src/response.rs, src/stream.rs and src/error.rs; the OpenAI side comes from kit/."
    )?;
    Ok(())
}

/// Lower-case letters, digits and `-`, starting with a letter: a file stem, a crate
/// name and an adapter name all at once.
fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        bail!(
            "`{name}` is not an adapter name: use lower-case letters, digits and `-`, \
             starting with a letter (e.g. `acme` or `acme-chat`)"
        );
    }
    Ok(())
}

/// The template with its name and kit path replaced, and the kit under `kit/`.
fn write_crate(name: &str, dir: &Path) -> anyhow::Result<()> {
    for path in Template::iter() {
        let Some(file) = Template::get(&path) else {
            continue;
        };
        let data = match &*path {
            "Cargo.toml" => manifest(&file.data, name)?.into_bytes(),
            "Cargo.lock" => lockfile(&file.data, name).into_bytes(),
            _ => file.data.into_owned(),
        };
        write_file(&dir.join(&*path), &data, path.ends_with(".sh"))?;
    }
    for path in Kit::iter() {
        if let Some(file) = Kit::get(&path) {
            write_file(&dir.join("kit").join(&*path), &file.data, false)?;
        }
    }
    Ok(())
}

fn manifest(template: &[u8], name: &str) -> anyhow::Result<String> {
    let text = std::str::from_utf8(template).context("the template's Cargo.toml is not UTF-8")?;
    if !text.contains(TEMPLATE_NAME) || !text.contains(TEMPLATE_KIT) {
        bail!("this binary's adapter template has an unexpected Cargo.toml");
    }
    Ok(text
        .replacen(TEMPLATE_NAME, &format!("name = \"plugin-{name}\""), 1)
        .replacen(TEMPLATE_KIT, NEW_KIT, 1))
}

/// The lock file with the package renamed, so the first build changes nothing in it.
fn lockfile(template: &[u8], name: &str) -> String {
    String::from_utf8_lossy(template).replacen(
        TEMPLATE_NAME,
        &format!("name = \"plugin-{name}\""),
        1,
    )
}

/// Writes one file; `executable` for scripts (`build.sh`).
fn write_file(path: &Path, data: &[u8], executable: bool) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, data).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_crate(name: &str) -> (tempfile::TempDir, PathBuf, String) {
        let root = tempfile::tempdir().expect("a temp dir");
        let dir = root.path().join(name);
        let mut out = Vec::new();
        run(
            &NewArgs {
                name: name.into(),
                dir: Some(dir.clone()),
            },
            &mut out,
        )
        .expect("writes the crate");
        (root, dir, String::from_utf8(out).expect("UTF-8"))
    }

    #[test]
    fn a_new_crate_is_the_template_renamed_with_the_kit_beside_it() {
        let (_root, dir, printed) = new_crate("acme");
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a manifest");
        assert!(manifest.contains("name = \"plugin-acme\""), "{manifest}");
        assert!(manifest.contains(NEW_KIT), "{manifest}");
        assert!(!manifest.contains("plugins/kit"));
        let lock = std::fs::read_to_string(dir.join("Cargo.lock")).expect("a lock file");
        assert!(lock.contains("name = \"plugin-acme\""));

        for file in [
            "src/lib.rs",
            "src/wire.rs",
            "fixtures/tools.json",
            "build.sh",
        ] {
            assert!(dir.join(file).is_file(), "{file} is written");
        }
        for file in [
            "kit/Cargo.toml",
            "kit/src/openai/stream.rs",
            "kit/wit/types.wit",
            "kit/wit/world.wit",
        ] {
            assert!(dir.join(file).is_file(), "{file} is copied");
        }
        let contract = std::fs::read(dir.join("kit/wit/world.wit")).expect("the contract");
        assert_eq!(
            contract,
            std::fs::read("../wit/0.2/world.wit").expect("the repository's contract"),
            "the kit carries the contract this gateway speaks"
        );
        assert!(!dir.join("target").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("build.sh"))
                .expect("build.sh")
                .permissions()
                .mode();
            assert!(mode & 0o100 != 0, "build.sh stays executable");
        }
        assert!(printed.contains("adapter = \"acme\""), "{printed}");
        assert!(printed.contains("plugin check"), "{printed}");
    }

    #[test]
    fn bad_names_and_occupied_folders_are_refused() {
        for name in ["Acme", "1acme", "acme_chat", "acme-", "", "a/b"] {
            let error = check_name(name).expect_err(name).to_string();
            assert!(error.contains("lower-case letters"), "{error}");
        }
        let root = tempfile::tempdir().expect("a temp dir");
        std::fs::write(root.path().join("x"), "taken").expect("writes");
        let error = run(
            &NewArgs {
                name: "acme".into(),
                dir: Some(root.path().to_path_buf()),
            },
            &mut Vec::new(),
        )
        .expect_err("not empty");
        assert!(error.to_string().contains("not empty"), "{error}");
    }

    #[test]
    fn a_template_without_the_expected_lines_is_an_error() {
        assert!(manifest(b"[package]\nname = \"x\"\n", "acme").is_err());
    }
}
