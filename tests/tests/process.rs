//! The real `switchyard` binary as its own process (for what is process-wide: the
//! metrics recorder, open-file limits), and a process's open-file limits and
//! descriptors read from /proc.

use std::process::Stdio;
use std::time::Duration;

use e2e::TestConfig;
use e2e::binary::{self, GATEWAY_ENV};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long the binary may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `switchyard` process; killed when dropped.
pub struct GatewayProcess {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
    _dir: TempDir,
}

impl GatewayProcess {
    /// Starts the binary on `config`.
    pub async fn start(config: &TestConfig) -> Self {
        Self::start_with_open_files(config, None).await
    }

    /// Starts the binary on `config` with its open-file soft limit set to `soft_limit`
    /// (the hard limit unchanged), as a login shell on a stock system would.
    pub async fn start_with_open_files(config: &TestConfig, soft_limit: Option<u64>) -> Self {
        Self::spawn(config, soft_limit, &[], &[]).await
    }

    /// Starts the binary on `config` after copying each `(file name, source path)`
    /// into its plugin folder, e.g. `("spin.wasm", e2e::wasm::SPIN)`.
    pub async fn start_with_plugins(config: &TestConfig, plugins: &[(&str, &str)]) -> Self {
        Self::spawn(config, None, &[], plugins).await
    }

    /// Starts the binary on `config` with `env` set, and no proxy variable but those
    /// in `env`.
    pub async fn start_with_env(config: &TestConfig, env: &[(&str, &str)]) -> Self {
        Self::spawn(config, None, env, &[]).await
    }

    async fn spawn(
        config: &TestConfig,
        soft_limit: Option<u64>,
        env: &[(&str, &str)],
        plugin_files: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("switchyard-e2e-proc-")
            .tempdir()
            .expect("a temporary folder");
        let plugins = dir.path().join("plugins");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&plugins).expect("the plugin folder");
        std::fs::create_dir_all(&data).expect("the data folder");
        for (name, source) in plugin_files {
            std::fs::copy(source, plugins.join(name)).expect("a plugin file copied");
        }
        let toml = config
            .to_toml()
            .replace("{plugins_dir}", &plugins.display().to_string())
            .replace("{data_dir}", &data.display().to_string());
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, toml).expect("the config file");
        let switchyard = binary::switchyard().expect("the switchyard binary builds");

        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(match soft_limit {
                Some(limit) => format!("ulimit -S -n {limit} && exec \"$0\" --config \"$1\""),
                None => "exec \"$0\" --config \"$1\"".to_string(),
            })
            .arg(&switchyard)
            .arg(&config_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for name in GATEWAY_ENV {
            command.env_remove(name);
        }
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("SWITCHYARD_") || text.to_ascii_lowercase().ends_with("_proxy") {
                command.env_remove(name);
            }
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("the switchyard binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.expect("reading stdout") {
                if let Some(url) = line.strip_prefix("switchyard listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("switchyard exited before its ready line");
        })
        .await
        .expect("switchyard prints its ready line");
        // Keep reading stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            url,
            child,
            _dir: dir,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the gateway process is running")
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

/// The (soft, hard) open-file limits of process `pid` ("self" for this one).
pub fn open_file_limits(pid: &str) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc limits");
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut numbers = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .map(|n| {
            if n == "unlimited" {
                Ok(u64::MAX)
            } else {
                n.parse::<u64>()
            }
        });
    let soft = numbers.next().and_then(Result::ok).expect("a soft limit");
    let hard = numbers.next().and_then(Result::ok).expect("a hard limit");
    (soft, hard)
}

/// How many descriptors process `pid` has open.
pub fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Raises this test process's own soft limit to its hard limit when it is below
/// `needed` (through `prlimit`, as the tests have no libc binding), and checks it.
pub fn ensure_own_limit(needed: u64) {
    let (soft, hard) = open_file_limits("self");
    if soft >= needed {
        return;
    }
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={hard}:{hard}"))
        .status();
    let (soft, _) = open_file_limits("self");
    assert!(
        soft >= needed,
        "the test needs {needed} open files of its own; its limit is {soft} (hard {hard}), prlimit: {status:?}"
    );
}
