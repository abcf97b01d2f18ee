//! The gateway under test, run in-process through `switchyard::serve` on `127.0.0.1:0`
//! with its own temporary data and plugin folders.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::checks::{self, ApiError};
use crate::sse::ChatStream;

/// How long [`TestGateway::start`] waits for `/health/ready` to answer 200.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running gateway; it is shut down when dropped.
///
/// The configuration text may use `{plugins_dir}` and `{data_dir}`, which are
/// replaced by the gateway's temporary folders ([`crate::TestConfig`] does this).
pub struct TestGateway {
    url: String,
    dir: TempDir,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    _task: JoinHandle<anyhow::Result<()>>,
}

impl TestGateway {
    /// Starts a gateway with an empty plugin folder.
    pub async fn start(config_toml: &str) -> anyhow::Result<Self> {
        Self::start_with_plugins(config_toml, &[]).await
    }

    /// Starts a gateway after copying each `(file name, source path)` into its plugin
    /// folder, e.g. `("trap.wasm", e2e::wasm::TRAP)`.
    pub async fn start_with_plugins(
        config_toml: &str,
        plugins: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        crate::init_tracing();
        let dir = tempfile::Builder::new()
            .prefix("switchyard-e2e-")
            .tempdir()?;
        let plugins_dir = dir.path().join("plugins");
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&plugins_dir)?;
        std::fs::create_dir_all(&data_dir)?;
        for (name, source) in plugins {
            std::fs::copy(source, plugins_dir.join(name))
                .with_context(|| format!("copying {source} into the plugin folder as {name}"))?;
        }
        let text = config_toml
            .replace("{plugins_dir}", &plugins_dir.display().to_string())
            .replace("{data_dir}", &data_dir.display().to_string());
        let config = switchyard::Config::from_toml_str(&text)
            .with_context(|| format!("test configuration rejected:\n{text}"))?;

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let mut task = tokio::spawn(switchyard::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if task.is_finished() {
                let outcome = (&mut task).await;
                bail!("the gateway stopped during start-up: {outcome:?}");
            }
            let health = client.get(format!("{url}/health/ready")).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            if Instant::now() > deadline {
                bail!("the gateway was not ready (/health/ready) within {READY_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            url,
            dir,
            client,
            shutdown: Some(shutdown),
            _task: task,
        })
    }

    /// The gateway's base URL, `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `url()` joined with a path such as `/v1/chat/completions`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The watched plugin folder.
    pub fn plugins_dir(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// The data folder (SQLite database).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// An HTTP client for this gateway (60 s timeout per request).
    pub fn client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// `POST /v1/chat/completions` with a JSON body.
    pub async fn chat(&self, body: &Value) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(self.endpoint("/v1/chat/completions"))
            .json(body)
            .send()
            .await
    }

    /// `POST /v1/chat/completions` with `body` sent byte for byte (a `Value` would sort
    /// its members), for tests of what the gateway keeps of the client's order.
    pub async fn chat_raw(&self, body: String) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(self.endpoint("/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
    }

    /// `POST /v1/chat/completions` with `body` and `stream: true`, read as a 200 event
    /// stream (fails, with the body, on any other answer).
    pub async fn stream(&self, body: &Value) -> anyhow::Result<ChatStream> {
        let mut body = body.clone();
        body["stream"] = Value::Bool(true);
        checks::read_stream(self.chat(&body).await?).await
    }

    /// `POST /v1/chat/completions` with `body` as is, read as a 200 JSON completion.
    pub async fn complete(&self, body: &Value) -> anyhow::Result<Value> {
        checks::read_json(self.chat(body).await?).await
    }

    /// `POST /v1/chat/completions` with `body` as is, read as an OpenAI error (fails
    /// on a 2xx or an error that is not OpenAI-shaped).
    pub async fn chat_error(&self, body: &Value) -> anyhow::Result<ApiError> {
        checks::read_error(self.chat(body).await?).await
    }

    /// `GET /health` as JSON.
    pub async fn health(&self) -> anyhow::Result<Value> {
        let response = self.client.get(self.endpoint("/health")).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("/health answered {status}: {body}");
        }
        Ok(body)
    }

    /// The `/health` entry of one adapter, if listed.
    pub async fn adapter_health(&self, name: &str) -> anyhow::Result<Option<Value>> {
        let health = self.health().await?;
        Ok(health
            .get("adapters")
            .and_then(Value::as_array)
            .and_then(|adapters| {
                adapters
                    .iter()
                    .find(|a| a.get("name").and_then(Value::as_str) == Some(name))
                    .cloned()
            }))
    }

    /// Puts `contents` into the plugin folder as `file_name` the way an operator
    /// should: written under a temporary name, then renamed into place, so the watcher
    /// never sees a half-written file.
    pub fn install_plugin_bytes(&self, file_name: &str, contents: &[u8]) -> anyhow::Result<()> {
        let dir = self.plugins_dir();
        let staging = dir.join(format!(".{file_name}.partial"));
        std::fs::write(&staging, contents)?;
        std::fs::rename(&staging, dir.join(file_name))?;
        Ok(())
    }

    /// Like [`Self::install_plugin_bytes`], with the bytes of the file at `source`.
    pub fn install_plugin(&self, file_name: &str, source: impl AsRef<Path>) -> anyhow::Result<()> {
        let source = source.as_ref();
        let contents =
            std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
        self.install_plugin_bytes(file_name, &contents)
    }

    /// Removes `file_name` from the plugin folder.
    pub fn remove_plugin(&self, file_name: &str) -> anyhow::Result<()> {
        std::fs::remove_file(self.plugins_dir().join(file_name))?;
        Ok(())
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
