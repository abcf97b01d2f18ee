//! Logging: human-readable lines on stderr by default, JSON lines on request, and
//! optionally a daily-rotated file as well. Filtered by `RUST_LOG`, else
//! `server.log_level`. Colour only when stderr is a terminal: redirected to a file or
//! a pipe (a service manager, `docker logs`, a log shipper) the escape codes would be
//! noise in every line.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, ServerConfig};

/// Keeps the file writer flushing; hold it until the process ends.
pub struct LogGuard(#[allow(dead_code)] Option<WorkerGuard>);

/// Installs the global subscriber. Safe to call once per process; later calls do nothing.
pub fn init(server: &ServerConfig) -> std::io::Result<LogGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&server.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));

    let console = match server.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let (file, guard) = match &server.log_file {
        Some(path) => {
            let (writer, guard) = tracing_appender::non_blocking(daily_file(path)?);
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .with_ansi(false)
                .with_current_span(true)
                .with_writer(writer)
                .boxed();
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        [Some(console), file].into_iter().flatten().collect();
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
    Ok(LogGuard(guard))
}

/// A writer that starts a new file every day: `<dir>/<name>.YYYY-MM-DD`.
fn daily_file(path: &Path) -> std::io::Result<tracing_appender::rolling::RollingFileAppender> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "switchyard.log".into());
    tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(name)
        .build(dir)
        .map_err(std::io::Error::other)
}
