//! A builder for the gateway configuration the tests use.

use std::fmt::Write as _;

use crate::mock_upstream::MOCK_API_KEY;

/// One compiled-adapter cache for every test gateway: entries are keyed by the
/// adapter's bytes and the engine's settings, so sharing it is safe, and it spares each
/// test gateway compiling the built-in adapters again (seconds per start).
pub fn shared_adapter_cache() -> std::path::PathBuf {
    std::env::temp_dir().join("switchyard-e2e-adapter-cache")
}

/// One `[[models]]` entry.
#[derive(Debug, Clone)]
pub struct TestModel {
    /// Public name clients send.
    pub name: String,
    /// Adapter name.
    pub adapter: String,
    /// Model name sent upstream.
    pub upstream_model: String,
    /// Upstream base URL.
    pub base_url: String,
    /// Upstream key.
    pub api_key: String,
    /// Adapter options (`[models.options]`).
    pub options: Vec<(String, String)>,
}

/// Gateway settings for a test; [`TestConfig::to_toml`] writes the TOML with the
/// `{plugins_dir}` and `{data_dir}` placeholders [`crate::TestGateway`] fills in.
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// `server.max_body_bytes`.
    pub max_body_bytes: usize,
    /// `plugins.call_timeout_ms`.
    pub call_timeout_ms: u64,
    /// `plugins.memory_limit_mib`.
    pub memory_limit_mib: usize,
    /// `plugins.max_concurrent_calls`.
    pub max_concurrent_calls: u32,
    /// `plugins.reload_debounce_ms`.
    pub reload_debounce_ms: u64,
    /// `server.log_level`.
    pub log_level: String,
    /// `server.cors_allowed_origins`.
    pub cors_allowed_origins: Vec<String>,
    /// `server.header_read_timeout_ms`; the gateway's default when `None`.
    pub header_read_timeout_ms: Option<u64>,
    /// `server.max_connections`; the gateway's default when `None`.
    pub max_connections: Option<usize>,
    /// `auth.enable_client_auth`.
    pub client_auth: bool,
    /// `auth.allow_anonymous_access`.
    pub anonymous: bool,
    /// `auth.admin_key`.
    pub admin_key: Option<String>,
    /// `auth.rotation_grace_secs`.
    pub rotation_grace_secs: u64,
    /// `conversations.enabled`.
    pub conversations: bool,
    /// `storage.request_log`.
    pub request_log: bool,
    /// The configured models.
    pub models: Vec<TestModel>,
    /// TOML appended as is (more `[[models]]` tables, a `[routing]` section, ...).
    pub extra: String,
}

impl Default for TestConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            call_timeout_ms: 2000,
            memory_limit_mib: 64,
            max_concurrent_calls: 256,
            reload_debounce_ms: 50,
            log_level: "warn".into(),
            cors_allowed_origins: Vec::new(),
            header_read_timeout_ms: None,
            max_connections: None,
            client_auth: false,
            anonymous: false,
            admin_key: None,
            rotation_grace_secs: 0,
            conversations: false,
            request_log: true,
            models: Vec::new(),
            extra: String::new(),
        }
    }
}

impl TestConfig {
    /// Defaults: 10 MiB bodies, 2 s adapter deadline, 64 MiB adapter memory, no models.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a model routed through `adapter` to `upstream_model` at `base_url`, with the
    /// key the mock upstream accepts.
    pub fn model(self, name: &str, adapter: &str, upstream_model: &str, base_url: &str) -> Self {
        self.model_with_key(name, adapter, upstream_model, base_url, MOCK_API_KEY)
    }

    /// Adds a model with an explicit upstream key.
    pub fn model_with_key(
        mut self,
        name: &str,
        adapter: &str,
        upstream_model: &str,
        base_url: &str,
        api_key: &str,
    ) -> Self {
        self.models.push(TestModel {
            name: name.into(),
            adapter: adapter.into(),
            upstream_model: upstream_model.into(),
            base_url: base_url.into(),
            api_key: api_key.into(),
            options: Vec::new(),
        });
        self
    }

    /// Sets an adapter option on the model added last.
    pub fn option(mut self, key: &str, value: &str) -> Self {
        if let Some(model) = self.models.last_mut() {
            model.options.push((key.into(), value.into()));
        }
        self
    }

    /// Sets the adapter call deadline.
    pub fn call_timeout_ms(mut self, ms: u64) -> Self {
        self.call_timeout_ms = ms;
        self
    }

    /// Sets the request body limit.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Allows browser calls from `origins` (CORS).
    pub fn cors(mut self, origins: &[&str]) -> Self {
        self.cors_allowed_origins = origins.iter().map(|o| o.to_string()).collect();
        self
    }

    /// Disconnects a client that has not sent a whole request head this long after
    /// it started one (or after connecting).
    pub fn header_read_timeout_ms(mut self, ms: u64) -> Self {
        self.header_read_timeout_ms = Some(ms);
        self
    }

    /// Caps the client connections open at once; one more is answered 503.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// Requires client keys (off by default in tests).
    pub fn client_auth(mut self, on: bool) -> Self {
        self.client_auth = on;
        self
    }

    /// With client auth on, serves requests without a key as `anonymous`.
    pub fn anonymous(mut self, allowed: bool) -> Self {
        self.anonymous = allowed;
        self
    }

    /// Turns the admin API on with this key.
    pub fn admin_key(mut self, key: &str) -> Self {
        self.admin_key = Some(key.into());
        self
    }

    /// Default grace period of rotated secrets.
    pub fn rotation_grace_secs(mut self, secs: u64) -> Self {
        self.rotation_grace_secs = secs;
        self
    }

    /// Stores every client's conversations.
    pub fn conversations(mut self, on: bool) -> Self {
        self.conversations = on;
        self
    }

    /// Keeps (or not) the request log.
    pub fn request_log(mut self, on: bool) -> Self {
        self.request_log = on;
        self
    }

    /// Appends `toml` to the configuration as is.
    pub fn raw(mut self, toml: &str) -> Self {
        self.extra.push('\n');
        self.extra.push_str(toml);
        self.extra.push('\n');
        self
    }

    /// Sets the adapter memory ceiling.
    pub fn memory_limit_mib(mut self, mib: usize) -> Self {
        self.memory_limit_mib = mib;
        self
    }

    /// The configuration as TOML.
    pub fn to_toml(&self) -> String {
        let mut toml = format!(
            r#"[server]
host = "127.0.0.1"
port = 0
log_level = {log_level}
max_body_bytes = {max_body_bytes}
cors_allowed_origins = {cors}
{connections}
[storage]
database_url = "sqlite://{{data_dir}}/switchyard.db"
request_log = {request_log}

[auth]
enable_client_auth = {client_auth}
allow_anonymous_access = {anonymous}
rotation_grace_secs = {grace}
{admin_key}
[conversations]
enabled = {conversations}

[plugins]
dir = "{{plugins_dir}}"
call_timeout_ms = {call_timeout_ms}
memory_limit_mib = {memory_limit_mib}
max_concurrent_calls = {max_concurrent_calls}
reload_debounce_ms = {reload_debounce_ms}
cache_dir = {cache_dir}
# The cache is shared: a gateway waits for the optimized code, so the first one
# fills it for the rest instead of each short-lived one compiling in the background.
serve_baseline_at_start = false

[upstream]
connect_timeout_secs = 5
timeout_secs = 60
"#,
            log_level = quote(&self.log_level),
            cache_dir = quote(&shared_adapter_cache().display().to_string()),
            cors = serde_json::to_string(&self.cors_allowed_origins).unwrap_or_default(),
            connections = self.connection_settings(),
            max_body_bytes = self.max_body_bytes,
            call_timeout_ms = self.call_timeout_ms,
            memory_limit_mib = self.memory_limit_mib,
            max_concurrent_calls = self.max_concurrent_calls,
            reload_debounce_ms = self.reload_debounce_ms,
            request_log = self.request_log,
            client_auth = self.client_auth,
            anonymous = self.anonymous,
            grace = self.rotation_grace_secs,
            admin_key = self
                .admin_key
                .as_deref()
                .map(|k| format!("admin_key = {}\n", quote(k)))
                .unwrap_or_default(),
            conversations = self.conversations,
        );
        for model in &self.models {
            // Writing to a String cannot fail.
            let _ = write!(
                toml,
                "\n[[models]]\nname = {}\nadapter = {}\nupstream_model = {}\nbase_url = {}\napi_key = {}\n",
                quote(&model.name),
                quote(&model.adapter),
                quote(&model.upstream_model),
                quote(&model.base_url),
                quote(&model.api_key),
            );
            if !model.options.is_empty() {
                let options: Vec<String> = model
                    .options
                    .iter()
                    .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
                    .collect();
                let _ = writeln!(toml, "options = {{ {} }}", options.join(", "));
            }
        }
        toml.push_str(&self.extra);
        toml
    }

    /// The connection keys of `[server]` that were set, one per line; unset ones are
    /// left out so the gateway's defaults apply.
    fn connection_settings(&self) -> String {
        let mut lines = String::new();
        let settings = [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            (
                "max_connections",
                self.max_connections
                    .map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
            ),
        ];
        for (key, value) in settings {
            if let Some(value) = value {
                // Writing to a String cannot fail.
                let _ = writeln!(lines, "{key} = {value}");
            }
        }
        lines
    }
}

/// A TOML basic string (JSON string escapes are a subset TOML accepts).
fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}
