//! Configuration: `config.toml` (or the copy embedded in the binary), overridden by
//! `SWITCHYARD_<SECTION>__<KEY>` environment variables, then by the seed's variables
//! and its single-model quick start ([`env`]). Unknown keys are errors.

pub mod env;
mod model;
mod validate;

pub use model::{DeploymentConfig, ModelConfig, TimeoutsConfig};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;

/// The configuration file shipped in the repository, embedded as the defaults.
pub const EMBEDDED_CONFIG: &str = include_str!("../../config.toml");

/// Prefix of environment variables that override any setting.
pub const ENV_PREFIX: &str = "SWITCHYARD_";

pub use env::QUICK_START_TYPES;

/// A configuration that could not be read or does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or variable could not be parsed, or holds an unknown key.
    #[error("{0}")]
    Parse(String),
    /// Parsed, but inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        Self::Parse(messages.join("; "))
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP listener and request limits.
    pub server: ServerConfig,
    /// Where data is kept.
    pub storage: StorageConfig,
    /// Client keys and the admin API.
    pub auth: AuthConfig,
    /// The browser console at `/ui`.
    pub console: ConsoleConfig,
    /// Conversation storage.
    pub conversations: ConversationsConfig,
    /// The adapter runtime.
    pub plugins: PluginsConfig,
    /// Calls to upstream platforms.
    pub upstream: UpstreamConfig,
    /// Retries, fallbacks and deployment health.
    pub routing: RoutingConfig,
    /// Public model names and where they go.
    pub models: Vec<ModelConfig>,
    /// Spend tracking and budgets.
    pub spend: SpendConfig,
    /// Prices over the shipped table, by public or upstream model name.
    pub prices: std::collections::HashMap<String, crate::spend::price::PriceConfig>,
}

/// `[spend]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpendConfig {
    /// The IANA time zone budget periods and spend days follow (`UTC`, `Europe/Berlin`).
    pub time_zone: String,
    /// Output tokens a request without `max_tokens` is assumed to use when reserving.
    pub default_max_output_tokens: u64,
    /// The most one request reserves against a budget, in dollars.
    pub max_reservation_usd: f64,
    /// How long a reservation nobody settles (a process that died) holds, in seconds.
    pub reservation_ttl_secs: u64,
}

impl Default for SpendConfig {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            default_max_output_tokens: 4096,
            max_reservation_usd: 5.0,
            reservation_ttl_secs: 900,
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one (the ready line on stdout says which).
    pub port: u16,
    /// A tracing filter: `info`, `debug`, `switchyard=debug,tower_http=info`, ...
    pub log_level: String,
    /// Largest request body accepted, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Console log format.
    pub log_format: LogFormat,
    /// Also write JSON logs to this file, rotated daily (`<file>.YYYY-MM-DD`).
    pub log_file: Option<PathBuf>,
    /// Origins allowed to call from a browser (CORS); `*` allows any. Empty: none.
    pub cors_allowed_origins: Vec<String>,
    /// Time a client gets to send each request head, in milliseconds; it also bounds
    /// how long an idle keep-alive connection stays open. Slower clients are
    /// disconnected (slowloris).
    pub header_read_timeout_ms: u64,
    /// Client connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

/// How console logs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            log_level: "info".into(),
            max_body_bytes: 10 * 1024 * 1024,
            log_format: LogFormat::Text,
            log_file: None,
            cors_allowed_origins: Vec::new(),
            header_read_timeout_ms: 10_000,
            max_connections: 10_000,
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `sqlite://path/to/file.db` (relative to the working directory), or
    /// `postgres://user:password@host:5432/database` for a database several gateways
    /// share.
    pub database_url: String,
    /// Connections to a Postgres server at most, per gateway process.
    pub pool_size: usize,
    /// Keep one row per proxied request (time, client, model, status, latency, tokens).
    pub request_log: bool,
    /// Entries waiting for the log writer at most; beyond, requests wait for room.
    pub write_queue: usize,
    /// `redis://host:6379/0`: share rate limits and key changes with the other gateway
    /// processes on this Redis; empty keeps them in this process.
    pub redis_url: String,
    /// What the limits do while Redis cannot be reached.
    pub redis_failure: RedisFailure,
}

/// What shared limits do while Redis cannot be reached (`storage.redis_failure`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisFailure {
    /// Admit by this process's own limits (each process enforces the whole limit).
    #[default]
    Open,
    /// Refuse limited keys' requests with 503 `limits_unavailable`.
    Closed,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/switchyard.db".into(),
            pool_size: crate::store::postgres::DEFAULT_POOL_SIZE,
            request_log: true,
            write_queue: 8192,
            redis_url: String::new(),
            redis_failure: RedisFailure::Open,
        }
    }
}

impl StorageConfig {
    /// The store's opening options these settings give.
    pub fn open_options(&self) -> crate::store::OpenOptions {
        crate::store::OpenOptions {
            pool_size: self.pool_size,
        }
    }
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Require a client key (`Authorization: Bearer sy-...`) on the API.
    pub enable_client_auth: bool,
    /// With client auth on, still serve requests that carry no key (as `anonymous`);
    /// a wrong key is refused either way.
    pub allow_anonymous_access: bool,
    /// The admin API key (`/admin`); unset turns the admin API off. Also read from
    /// `ADMIN_KEY` or `SWITCHYARD_AUTH__ADMIN_KEY`.
    pub admin_key: Option<SecretString>,
    /// Seconds a rotated-out secret keeps working, unless the rotation says otherwise.
    pub rotation_grace_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            enable_client_auth: true,
            allow_anonymous_access: false,
            admin_key: None,
            rotation_grace_secs: 0,
        }
    }
}

/// `[console]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve the console at `/ui`; signing in needs `auth.admin_key`.
    pub enabled: bool,
    /// How long a sign-in lasts, in seconds.
    pub session_ttl_secs: u64,
    /// Always mark the session cookie `Secure`. It is marked anyway when the request
    /// came through a TLS-terminating proxy that says so (`X-Forwarded-Proto: https`).
    pub secure_cookie: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            session_ttl_secs: 8 * 3600,
            secure_cookie: false,
        }
    }
}

/// `[conversations]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationsConfig {
    /// Store every client's exchanges (a key's own setting overrides this).
    pub enabled: bool,
    /// Delete conversations not updated for this many days; 0 keeps them forever.
    pub retention_days: u32,
}

impl Default for ConversationsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            retention_days: 30,
        }
    }
}

/// `[plugins]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Folder watched for `.wasm` adapters; `<name>.wasm` overrides built-in `<name>`.
    pub dir: PathBuf,
    /// Deadline of one adapter call, in milliseconds.
    pub call_timeout_ms: u64,
    /// Linear memory ceiling of one adapter instance, in MiB.
    pub memory_limit_mib: usize,
    /// Adapter sessions (requests in flight) at once; beyond this requests get 503.
    pub max_concurrent_calls: u32,
    /// Idle instances kept warm per adapter version; 0 gives every request a fresh
    /// instance (strictest isolation, slower).
    pub warm_instances: usize,
    /// Quiet time after the last file event before a reload, in milliseconds.
    pub reload_debounce_ms: u64,
    /// Watch the folder and reload changed adapters without a restart.
    pub hot_reload: bool,
    /// Folder for compiled adapters, so later starts skip the compiler. Unset: an
    /// `adapter-cache` folder next to the SQLite database; an empty string: no cache.
    pub cache_dir: Option<PathBuf>,
    /// When the compile cache lacks the built-ins (a first start, a new binary), serve
    /// the adapters the models route to and the dialects from baseline code at once,
    /// and load every built-in's optimized code when a child has compiled it; `false`
    /// reports ready only once the optimized code is loaded.
    pub serve_baseline_at_start: bool,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data/plugins"),
            call_timeout_ms: 1000,
            memory_limit_mib: 64,
            max_concurrent_calls: 1024,
            warm_instances: 32,
            reload_debounce_ms: 100,
            hot_reload: true,
            cache_dir: None,
            serve_baseline_at_start: true,
        }
    }
}

/// `[upstream]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamConfig {
    /// TCP connect timeout, in seconds.
    pub connect_timeout_secs: u64,
    /// Whole-call timeout (a streamed answer included), in seconds.
    pub timeout_secs: u64,
    /// Time allowed until the upstream's response head, in seconds.
    pub first_byte_timeout_secs: u64,
    /// Longest silence between two events of a stream, in seconds.
    pub stream_idle_timeout_secs: u64,
    /// Largest non-streamed upstream body read, in bytes.
    pub max_response_bytes: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 10,
            timeout_secs: 600,
            first_byte_timeout_secs: 300,
            stream_idle_timeout_secs: 120,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// `[routing]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// Attempts per model (first try included) across its deployments.
    pub max_attempts: u32,
    /// Time a request may spend on retries and fallbacks, in milliseconds.
    pub retry_budget_ms: u64,
    /// First backoff delay, in milliseconds (doubling, with jitter).
    pub backoff_initial_ms: u64,
    /// Longest backoff delay, in milliseconds.
    pub backoff_max_ms: u64,
    /// Consecutive failures that take a deployment out (circuit opens).
    pub breaker_failures: u32,
    /// How long an open deployment stays out before one probe request, in milliseconds.
    pub breaker_cooldown_ms: u64,
    /// After a shutdown signal, how long in-flight requests and streams may finish,
    /// in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_budget_ms: 30_000,
            backoff_initial_ms: 200,
            backoff_max_ms: 5_000,
            breaker_failures: 5,
            breaker_cooldown_ms: 30_000,
            shutdown_grace_secs: 30,
        }
    }
}

impl Config {
    /// Parses TOML text alone: no environment, no quick start. Used by tests.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = Figment::from(Toml::string(text)).extract()?;
        config.validate()?;
        Ok(config)
    }

    /// Loads the file at `path` (or the embedded defaults when `None`), then applies
    /// the environment: `SWITCHYARD_*` overrides, then the seed's variables and its
    /// quick-start model ([`env`]).
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => Toml::file_exact(path),
            None => Toml::string(EMBEDDED_CONFIG),
        };
        let figment =
            Figment::from(file).merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&["config"]));
        let mut config: Self = figment.extract()?;
        env::apply_seed(&mut config, &|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// The address to bind.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        let host = self
            .server
            .host
            .trim_start_matches('[')
            .trim_end_matches(']');
        let ip = if host == "localhost" {
            "127.0.0.1"
        } else {
            host
        };
        ip.parse::<std::net::IpAddr>()
            .map(|ip| SocketAddr::new(ip, self.server.port))
            .map_err(|_| {
                ConfigError::Invalid(format!(
                    "server.host `{}` is not an IP address",
                    self.server.host
                ))
            })
    }
}

#[cfg(test)]
mod tests;
