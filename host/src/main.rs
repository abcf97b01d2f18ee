//! The `switchyard` binary: read `.env`, parse the command line and run the
//! subcommand; without one, serve until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use switchyard::cli::{Cli, Command, PluginCommand};
use switchyard::cli::{check, keys, migrate, new, precompile, store};
use switchyard::{App, Config, telemetry};

/// See `switchyard::memory`: why mimalloc, and the option set before anything runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options are set before the Rust runtime's first allocation, which
/// reserves the first arena (before `main`).
#[ctor::ctor(unsafe)]
fn tune_allocator() {
    switchyard::memory::tune_allocator();
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // A missing .env is normal; a malformed one is worth stopping for.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(err) if err.not_found() => {}
        Err(err) => return Err(err).context("cannot read .env"),
    }
    let cli = Cli::parse();
    // A copy names both databases itself and needs no configuration.
    if let Command::Store(command) = cli.command() {
        let mut stdout = std::io::stdout().lock();
        store::run(command, &mut stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = load_config(&cli)?;
    match cli.command() {
        Command::Serve => {
            // A first start compiles in a child process, so the compiler's memory
            // leaves with it (see `plugins::precompile`).
            if let Ok(program) = std::env::current_exe() {
                switchyard::plugins::precompile::compile_in_child(program, cli.config_path());
            }
            serve(config).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Keys(command) => {
            let mut stdout = std::io::stdout().lock();
            keys::run(command.clone(), &config, &mut stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        // Run above, before the configuration is read.
        Command::Store(_) => Ok(ExitCode::SUCCESS),
        Command::Migrate => {
            let mut stdout = std::io::stdout().lock();
            migrate::run(&config, &mut stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(PluginCommand::New(args)) => {
            let mut stdout = std::io::stdout().lock();
            new::run(args, &mut stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(PluginCommand::Precompile(args)) => {
            let mut stdout = std::io::stdout().lock();
            precompile::run(&config, args, &mut stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(PluginCommand::Check(args)) => {
            let mut stdout = std::io::stdout().lock();
            match check::run(args, &config.plugins, &mut stdout).await {
                Ok(code) => Ok(code),
                Err(err) => {
                    eprintln!("error: {err:#}");
                    Ok(ExitCode::from(check::EXIT_UNCHECKED))
                }
            }
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let path = cli.config_path();
    Config::load(path.as_deref()).with_context(|| match &path {
        Some(path) => format!("configuration error in {}", path.display()),
        None => "configuration error in the embedded defaults".to_string(),
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let _log_guard = telemetry::init(&config.server).context("cannot open the log file")?;

    let addr = config.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let app = App::build(config).await?;
    if let Some(key) = &app.default_key {
        println!(
            "created the first client key `{}` (id {}); it is shown only now:\n\n    {}\n",
            key.key.name, key.key.id, key.secret
        );
    }
    // Probes are answered from the start; the ready line (on stdout, logs go to
    // stderr) comes once adapters are loaded.
    let ready = async {
        app.ready().await;
        println!("switchyard listening on http://{local}");
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = app.serve(listener, shutdown_signal()) => {}
        () = ready => {}
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: draining requests in flight");
}
