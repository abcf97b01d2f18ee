//! The gateway as a separate process (the release binary, so its RSS is its own):
//! a generated configuration, the ready line, `/health` and `VmRSS`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Variables the gateway reads that must not leak from the caller's shell into the
/// measured configuration.
const SCRUB: &[&str] = &[
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
    "SWITCHYARD_CONFIG",
];

/// A running gateway process; killed on drop.
pub struct Gateway {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its `plugins.dir`.
    pub plugins_dir: PathBuf,
}

/// The binary to measure: `SWITCHYARD_BIN`, else the one cargo built with this bench.
pub fn binary() -> PathBuf {
    std::env::var_os("SWITCHYARD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_switchyard")))
}

/// Which of the gateway's own pieces a measured process runs with.
#[derive(Clone, Copy)]
pub struct Profile {
    /// Client keys required (`auth.enable_client_auth`); the bench then sends one.
    pub client_auth: bool,
    /// The request log written (`storage.request_log`).
    pub request_log: bool,
}

impl Profile {
    /// The embedded defaults: client keys on, request log on.
    pub const DEFAULTS: Profile = Profile {
        client_auth: true,
        request_log: true,
    };
    /// Defaults, client keys off.
    pub const NO_AUTH: Profile = Profile {
        client_auth: false,
        request_log: true,
    };
    /// Defaults, request log off.
    pub const NO_LOG: Profile = Profile {
        client_auth: true,
        request_log: false,
    };
}

/// The admin key of measured gateways, for creating the bench's client key.
pub const ADMIN_KEY: &str = "bench-admin-key-0123456789";

impl Gateway {
    /// Writes a configuration into `dir` with the `bench-openai` and
    /// `bench-anthropic` models pointing at `mock`, starts the binary and waits for
    /// its ready line (at most 60 s: it compiles the built-in adapters first).
    pub fn start(dir: &Path, mock: SocketAddr) -> Gateway {
        Gateway::start_with(dir, mock, Profile::NO_AUTH, None)
    }

    /// As [`Gateway::start`], with `profile`'s pieces, and compiled adapters from
    /// `cache` (another gateway's, so this one starts without compiling).
    pub fn start_with(
        dir: &Path,
        mock: SocketAddr,
        profile: Profile,
        cache: Option<&Path>,
    ) -> Gateway {
        let plugins_dir = dir.join("plugins");
        std::fs::create_dir_all(&plugins_dir).unwrap();
        let cache_line = cache
            .map(|c| format!("cache_dir = \"{}\"", c.display()))
            .unwrap_or_default();
        let config = format!(
            r#"
[server]
host = "127.0.0.1"
port = 0
log_level = "error"
[storage]
database_url = "sqlite://{db}"
request_log = {log}
[auth]
enable_client_auth = {auth}
admin_key = "{ADMIN_KEY}"
[plugins]
dir = "{plugins}"
hot_reload = true
max_concurrent_calls = 4096
{cache_line}
[[models]]
name = "bench-openai"
adapter = "openai"
upstream_model = "gpt-4o-mini"
base_url = "http://{mock}/v1"
api_key = "sk-bench"
[[models]]
name = "bench-anthropic"
adapter = "anthropic"
upstream_model = "claude-haiku-4-5"
base_url = "http://{mock}"
api_key = "sk-ant-bench"
"#,
            db = dir.join("switchyard.db").display(),
            plugins = plugins_dir.display(),
            log = profile.request_log,
            auth = profile.client_auth,
        );
        let config_path = dir.join("config.toml");
        std::fs::write(&config_path, config).unwrap();
        let stderr = std::fs::File::create(dir.join("gateway.log")).unwrap();

        let mut cmd = Command::new(binary());
        cmd.arg("--config")
            .arg(&config_path)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for var in SCRUB {
            cmd.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SWITCHYARD_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            // Keep reading so the gateway never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("switchyard listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                let log = std::fs::read_to_string(dir.join("gateway.log")).unwrap_or_default();
                panic!("the gateway did not print its ready line within 60 s:\n{log}");
            }
        };
        Gateway {
            child,
            addr,
            plugins_dir,
        }
    }

    /// A new client key's secret, made through the admin API.
    pub async fn create_key(&self, client: &reqwest::Client) -> String {
        let body = client
            .post(format!("http://{}/admin/keys", self.addr))
            .bearer_auth(ADMIN_KEY)
            .header("content-type", "application/json")
            .body(r#"{"name": "bench"}"#)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
        created["secret"].as_str().unwrap().to_string()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the process now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// The `source` (`builtin` / `file`) of adapter `name` in `/health`, if loaded.
    pub async fn adapter_source(&self, client: &reqwest::Client, name: &str) -> Option<String> {
        let body = client
            .get(format!("http://{}/health", self.addr))
            .send()
            .await
            .ok()?
            .bytes()
            .await
            .ok()?;
        let health: serde_json::Value = serde_json::from_slice(&body).ok()?;
        health["adapters"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == name)?
            .get("source")?
            .as_str()
            .map(str::to_string)
    }

    /// Polls `/health` until every component runs optimized code (a first start
    /// serves baseline code while a child compiles), or `limit` passes; the time it
    /// took from `since`.
    pub async fn wait_optimized(
        &self,
        client: &reqwest::Client,
        since: Instant,
        limit: Duration,
    ) -> Option<Duration> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.all_optimized(client).await {
                return Some(since.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }

    async fn all_optimized(&self, client: &reqwest::Client) -> bool {
        let Ok(response) = client
            .get(format!("http://{}/health", self.addr))
            .send()
            .await
        else {
            return false;
        };
        let Ok(body) = response.bytes().await else {
            return false;
        };
        let Ok(health) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return false;
        };
        let components = ["adapters", "dialects"]
            .iter()
            .filter_map(|kind| health[kind].as_array())
            .flatten();
        components
            .filter(|c| !c["tier"].is_null())
            .all(|c| c["tier"] == "optimized")
    }

    /// Polls `/health` until adapter `name` has `source`, or `deadline` passes; the
    /// time it took from `since`.
    pub async fn wait_source(
        &self,
        client: &reqwest::Client,
        name: &str,
        source: &str,
        since: Instant,
        deadline: Instant,
    ) -> Option<Duration> {
        while Instant::now() < deadline {
            if self.adapter_source(client, name).await.as_deref() == Some(source) {
                return Some(since.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of process `pid` in KiB (0 when unreadable).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `wasm` with a custom section `switchyard-bench` holding `n` appended: a valid
/// component with a different digest, so the gateway really reloads it.
pub fn tagged_component(wasm: &[u8], n: u32) -> Vec<u8> {
    let name = b"switchyard-bench";
    let payload = n.to_le_bytes();
    let mut content = leb128(name.len() as u32);
    content.extend_from_slice(name);
    content.extend_from_slice(&payload);
    let mut out = wasm.to_vec();
    out.push(0); // custom section id
    out.extend(leb128(content.len() as u32));
    out.extend(content);
    out
}

fn leb128(mut v: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Writes `bytes` to `dir/<name>` through a temporary name and a rename, so the
/// watcher never sees a half-written file.
pub fn install(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}
