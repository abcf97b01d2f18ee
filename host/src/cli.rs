//! Command line: `switchyard [serve]` runs the gateway, other subcommands are tools
//! around it. Add a subcommand as a [`Command`] variant with its own argument type.

pub mod check;
pub mod keys;
pub mod migrate;
pub mod new;
pub mod precompile;
pub mod store;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Switchyard: an OpenAI-compatible gateway to OpenAI, Anthropic, Gemini, Azure
/// OpenAI and Coze, with WebAssembly adapters.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file. Without it, `./config.toml` if present, else the defaults
    /// embedded in the binary.
    #[arg(short, long, env = "SWITCHYARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// What to do; without a subcommand the gateway serves.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Work with adapter components.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Manage client keys in the configured database.
    #[command(subcommand)]
    Keys(crate::cli::keys::KeysCommand),
    /// Bring the configured database's schema up to date (the gateway also does this
    /// when it starts) and print its version.
    Migrate,
    /// Work on a whole store: `store copy` moves a gateway's data to another database.
    #[command(subcommand)]
    Store(crate::cli::store::StoreCommand),
}

/// `switchyard plugin ...`
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Load an adapter the way the gateway does, print what it declares, and replay
    /// golden fixtures through it (see docs/plugin-check.md).
    Check(CheckArgs),
    /// Write a new adapter crate from the template, with the guest kit beside it.
    New(crate::cli::new::NewArgs),
    /// Compile the built-in components and the plugin folder into the compile cache,
    /// so the gateway starts without compiling (run it when building an image).
    Precompile(PrecompileArgs),
}

/// `switchyard plugin precompile`
#[derive(Debug, Args)]
pub struct PrecompileArgs {
    /// Compile with the baseline compiler instead, only the built-ins the
    /// configuration's models route to and the dialects (what a first start serves
    /// from while the optimized code compiles; the gateway runs this itself).
    #[arg(long, hide = true)]
    pub baseline: bool,
    /// Compile only the component read from standard input (the gateway's hot reload
    /// runs this, so the compiler's memory leaves with the child).
    #[arg(long, hide = true)]
    pub stdin: bool,
}

/// `switchyard plugin check <file.wasm> [fixtures-dir]`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The adapter component (`.wasm`).
    pub file: PathBuf,
    /// A folder of `*.json` fixtures to replay; without it only loading is checked.
    pub fixtures: Option<PathBuf>,
}

impl Cli {
    /// The subcommand to run: [`Command::Serve`] when none was given.
    pub fn command(&self) -> &Command {
        self.command.as_ref().unwrap_or(&Command::Serve)
    }

    /// The configuration file to read, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            let local = PathBuf::from("config.toml");
            local.is_file().then_some(local)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).expect("arguments parse")
    }

    #[test]
    fn no_subcommand_serves_and_config_still_works() {
        let cli = parse(&["switchyard", "-c", "x.toml"]);
        assert!(matches!(cli.command(), Command::Serve));
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
        let cli = parse(&["switchyard", "--config", "y.toml", "serve"]);
        assert!(matches!(cli.command(), Command::Serve));
        assert_eq!(cli.config, Some(PathBuf::from("y.toml")));
    }

    #[test]
    fn plugin_check_takes_a_file_and_optional_fixtures() {
        let cli = parse(&["switchyard", "plugin", "check", "a.wasm", "fx"]);
        let Command::Plugin(PluginCommand::Check(args)) = cli.command() else {
            panic!("expected plugin check, got {:?}", cli.command);
        };
        assert_eq!(args.file, PathBuf::from("a.wasm"));
        assert_eq!(args.fixtures, Some(PathBuf::from("fx")));

        let cli = parse(&["switchyard", "plugin", "check", "a.wasm", "-c", "c.toml"]);
        assert_eq!(cli.config, Some(PathBuf::from("c.toml")), "-c is global");
        assert!(Cli::try_parse_from(["switchyard", "plugin", "check"]).is_err());
    }

    #[test]
    fn migrate_is_a_subcommand() {
        let cli = parse(&["switchyard", "-c", "x.toml", "migrate"]);
        assert!(matches!(cli.command(), Command::Migrate));
    }

    #[test]
    fn store_copy_takes_a_source_and_a_target() {
        let cli = parse(&[
            "switchyard",
            "store",
            "copy",
            "--from",
            "sqlite://data/switchyard.db",
            "--to",
            "postgres://u:pw@db/switchyard",
        ]);
        let Command::Store(crate::cli::store::StoreCommand::Copy(args)) = cli.command() else {
            panic!("expected store copy, got {:?}", cli.command);
        };
        assert_eq!(args.from, "sqlite://data/switchyard.db");
        assert_eq!(args.to, "postgres://u:pw@db/switchyard");
        for incomplete in [
            &["switchyard", "store", "copy", "--from", "sqlite://a.db"][..],
            &["switchyard", "store", "copy", "--to", "sqlite://a.db"],
            &["switchyard", "store"],
        ] {
            assert!(Cli::try_parse_from(incomplete).is_err(), "{incomplete:?}");
        }
    }

    #[test]
    fn keys_create_takes_models_as_a_list() {
        let cli = parse(&[
            "switchyard",
            "keys",
            "create",
            "--name",
            "ci",
            "--models",
            "a,b",
        ]);
        let Command::Keys(crate::cli::keys::KeysCommand::Create { name, models, .. }) =
            cli.command()
        else {
            panic!("expected keys create, got {:?}", cli.command);
        };
        assert_eq!(name, "ci");
        assert_eq!(
            models.as_deref(),
            Some(&["a".to_string(), "b".to_string()][..])
        );
    }
}
