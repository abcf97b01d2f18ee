//! Command line.

use std::path::PathBuf;

use clap::Parser;

/// Switchyard: an OpenAI-compatible gateway to OpenAI, Anthropic, Gemini, Azure
/// OpenAI and Coze, with WebAssembly adapters.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file. Without it, `./config.toml` if present, else the defaults
    /// embedded in the binary.
    #[arg(short, long, env = "SWITCHYARD_CONFIG")]
    pub config: Option<PathBuf>,
}

impl Cli {
    /// The configuration file to read, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            let local = PathBuf::from("config.toml");
            local.is_file().then_some(local)
        })
    }
}
