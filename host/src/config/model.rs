//! `[[models]]`: public model names, their deployments and per-model timeouts.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

/// One deployment of a model: where its requests can go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentConfig {
    /// A label for `/health` and logs; defaults to `<model>#<n>`.
    #[serde(default)]
    pub name: Option<String>,
    /// The adapter; defaults to the model's.
    #[serde(default)]
    pub adapter: Option<String>,
    /// The upstream model, deployment or bot; defaults to the model's.
    #[serde(default)]
    pub upstream_model: Option<String>,
    /// Upstream base URL; defaults to the model's, then the adapter's.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Variable holding the upstream key; defaults to the model's.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The upstream key itself; defaults to the model's.
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// Adapter options, over the model's.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Share of traffic among deployments of the same priority.
    #[serde(default = "one")]
    pub weight: u32,
    /// Lower goes first; higher priorities serve only when lower ones fail or are out.
    #[serde(default)]
    pub priority: u32,
    /// This deployment's price, over the model's and the shipped table's.
    #[serde(default)]
    pub price: Option<crate::spend::price::PriceConfig>,
}

fn one() -> u32 {
    1
}

/// Per-model timeouts, in milliseconds, over the `[upstream]` ones.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsConfig {
    /// Until the upstream's response head.
    #[serde(default)]
    pub first_byte_ms: Option<u64>,
    /// The whole call, a stream included.
    #[serde(default)]
    pub total_ms: Option<u64>,
    /// Longest silence between stream events.
    #[serde(default)]
    pub stream_idle_ms: Option<u64>,
}

/// One `[[models]]` entry: a public model name and the deployment behind it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The name clients send in `model`.
    pub name: String,
    /// The adapter that translates for this model (`openai`, `anthropic`, ...); each
    /// deployment may name its own.
    #[serde(default)]
    pub adapter: String,
    /// The model, deployment or bot name sent upstream; defaults to `name`.
    #[serde(default)]
    pub upstream_model: Option<String>,
    /// Upstream base URL; defaults to the adapter's.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Name of the environment variable holding the upstream API key (preferred).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The upstream API key itself (for tests and local setups).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// Adapter-specific settings, passed to the adapter with each call.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Several deployments behind this name; the fields above are their defaults.
    /// Empty: the model itself is the one deployment.
    #[serde(default)]
    pub deployments: Vec<DeploymentConfig>,
    /// Models tried in order when every deployment of this one fails.
    #[serde(default)]
    pub fallbacks: Vec<String>,
    /// Timeouts for this model.
    #[serde(default)]
    pub timeouts: TimeoutsConfig,
    /// Attempts for this model; defaults to `routing.max_attempts`.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// The price of its deployments, over `[prices]` and the shipped table.
    #[serde(default)]
    pub price: Option<crate::spend::price::PriceConfig>,
}

impl ModelConfig {
    /// The adapter that translates for deployment `d`: its own, else the model's.
    pub fn adapter_of<'a>(&'a self, d: &'a DeploymentConfig) -> &'a str {
        d.adapter.as_deref().unwrap_or(&self.adapter)
    }

    /// The adapters its requests can go through: each deployment's (the model's
    /// own when it lists none).
    pub fn adapters(&self) -> Vec<&str> {
        if self.deployments.is_empty() {
            vec![self.adapter.as_str()]
        } else {
            let each = self.deployments.iter().map(|d| self.adapter_of(d));
            each.collect()
        }
    }
}
