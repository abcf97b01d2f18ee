//! Model resolution: the public model name a client sends -> its deployments (each an
//! adapter, base URL, key and upstream model, with its own health), its fallbacks and
//! its timeouts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::config::{DeploymentConfig, ModelConfig, RoutingConfig, UpstreamConfig};
use crate::dispatch::breaker::Breaker;
use crate::error::GatewayError;
use crate::spend::price::PriceTable;

/// One deployment of a public model: where a request can go.
#[derive(Debug)]
pub struct Deployment {
    /// The public name.
    pub name: String,
    /// This deployment's label (`<model>#<n>` unless named).
    pub deployment: String,
    /// The adapter that translates for it.
    pub adapter: String,
    /// The name sent upstream.
    pub upstream_model: String,
    /// Base URL override, parsed once (configuration checks it is an http(s) URL); the
    /// adapter's default otherwise.
    pub base_url: Option<url::Url>,
    /// The upstream credential, if any. Never shown to adapters or logs.
    pub api_key: Option<SecretString>,
    /// The environment variable that should hold the credential, when it is unset: the
    /// deployment cannot serve, and saying which variable to set is the useful answer.
    pub missing_key: Option<String>,
    /// Adapter options, in the shape the contract passes them.
    pub options: Vec<(String, String)>,
    /// Share of traffic within its priority.
    pub weight: u32,
    /// Lower is tried first.
    pub priority: u32,
    /// This deployment's health.
    pub breaker: Breaker,
    /// What its tokens cost; `None` when unknown.
    pub price: Option<crate::spend::price::Price>,
}

/// How long each phase of a call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Until the upstream's response head.
    pub first_byte: Duration,
    /// The whole call, a stream included.
    pub total: Duration,
    /// Longest silence between stream events.
    pub stream_idle: Duration,
}

/// A public model.
#[derive(Debug)]
pub struct Model {
    /// The public name (shared with the request records and metric labels).
    pub name: Arc<str>,
    /// Its deployments (at least one).
    pub deployments: Vec<Arc<Deployment>>,
    /// Models to try, in order, when every deployment fails.
    pub fallbacks: Vec<String>,
    /// Its timeouts.
    pub timeouts: Timeouts,
    /// Attempts across its deployments, the first included.
    pub max_attempts: u32,
}

impl Model {
    /// Whether some deployment has the credential it was configured with (models whose
    /// key variable is unset are not offered).
    pub fn is_servable(&self) -> bool {
        self.deployments.iter().any(|d| d.missing_key.is_none())
    }

    /// The first unset key variable, when no deployment can serve.
    pub fn unset_key(&self) -> Option<&str> {
        if self.is_servable() {
            return None;
        }
        self.deployments
            .iter()
            .find_map(|d| d.missing_key.as_deref())
    }

    /// The adapter of the first deployment (what `/v1/models` shows as the owner).
    pub fn primary_adapter(&self) -> &str {
        self.deployments.first().map_or("", |d| d.adapter.as_str())
    }
}

/// All configured models.
#[derive(Debug, Default)]
pub struct ModelTable {
    models: BTreeMap<String, Arc<Model>>,
}

/// Reads an upstream key, once, from the configuration or the environment: the key
/// (if one is configured), or the name of the variable that should hold it but is unset.
fn api_key(
    model: &str,
    key: Option<&SecretString>,
    var: Option<&String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SecretString>, String> {
    let key = match (key, var) {
        (Some(key), _) => key.clone(),
        (None, Some(var)) => match env(var).filter(|v| !v.is_empty()) {
            Some(key) => SecretString::from(key),
            None => {
                tracing::warn!(
                    model = %model,
                    variable = %var,
                    "API key variable is not set; the model is not offered until it is"
                );
                return Err(var.clone());
            }
        },
        (None, None) => return Ok(None),
    };
    crate::redact::register_secret(key.expose_secret());
    Ok(Some(key))
}

fn ms_or(ms: Option<u64>, secs: u64) -> Duration {
    ms.map_or(Duration::from_secs(secs), Duration::from_millis)
}

impl ModelTable {
    /// Builds the table, reading each `api_key_env` variable once through `env`.
    pub fn from_config(
        models: &[ModelConfig],
        routing: &RoutingConfig,
        upstream: &UpstreamConfig,
        prices: &PriceTable,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let cooldown = Duration::from_millis(routing.breaker_cooldown_ms);
        let models = models
            .iter()
            .map(|model| {
                let single = [DeploymentConfig {
                    weight: 1,
                    ..DeploymentConfig::default()
                }];
                let configs = if model.deployments.is_empty() {
                    &single[..]
                } else {
                    &model.deployments[..]
                };
                let deployments = configs
                    .iter()
                    .enumerate()
                    .map(|(n, d)| {
                        let mut options = model.options.clone();
                        options.extend(d.options.clone());
                        let key = api_key(
                            &model.name,
                            d.api_key.as_ref().or(model.api_key.as_ref()),
                            d.api_key_env.as_ref().or(model.api_key_env.as_ref()),
                            env,
                        );
                        let upstream_model = d
                            .upstream_model
                            .clone()
                            .or_else(|| model.upstream_model.clone())
                            .unwrap_or_else(|| model.name.clone());
                        let price = d
                            .price
                            .as_ref()
                            .or(model.price.as_ref())
                            .and_then(|p| p.to_price(&model.name).ok())
                            .or_else(|| prices.lookup(&model.name, &upstream_model));
                        Arc::new(Deployment {
                            name: model.name.clone(),
                            deployment: d
                                .name
                                .clone()
                                .unwrap_or_else(|| format!("{}#{n}", model.name)),
                            adapter: model.adapter_of(d).to_string(),
                            upstream_model,
                            base_url: d
                                .base_url
                                .as_ref()
                                .or(model.base_url.as_ref())
                                .and_then(|url| url::Url::parse(url).ok()),
                            missing_key: key.as_ref().err().cloned(),
                            api_key: key.ok().flatten(),
                            options: options.into_iter().collect(),
                            weight: d.weight,
                            priority: d.priority,
                            breaker: Breaker::new(routing.breaker_failures, cooldown),
                            price,
                        })
                    })
                    .collect();
                let entry = Model {
                    name: Arc::from(model.name.as_str()),
                    deployments,
                    fallbacks: model.fallbacks.clone(),
                    timeouts: Timeouts {
                        first_byte: ms_or(
                            model.timeouts.first_byte_ms,
                            upstream.first_byte_timeout_secs,
                        ),
                        total: ms_or(model.timeouts.total_ms, upstream.timeout_secs),
                        stream_idle: ms_or(
                            model.timeouts.stream_idle_ms,
                            upstream.stream_idle_timeout_secs,
                        ),
                    },
                    max_attempts: model.max_attempts.unwrap_or(routing.max_attempts),
                };
                (model.name.clone(), Arc::new(entry))
            })
            .collect();
        Self { models }
    }

    /// The model called `name`, or 404 `model_not_found`.
    pub fn resolve(&self, name: &str) -> Result<Arc<Model>, GatewayError> {
        self.models
            .get(name)
            .cloned()
            .ok_or_else(|| GatewayError::ModelNotFound(name.to_string()))
    }

    /// All models, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Model>> {
        self.models.values()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// A deployment for routing tests.
    pub(crate) fn route(deployment: &str, priority: u32, weight: u32) -> Arc<Deployment> {
        Arc::new(Deployment {
            name: "m".into(),
            deployment: deployment.into(),
            adapter: "openai".into(),
            upstream_model: "m".into(),
            base_url: None,
            api_key: None,
            missing_key: None,
            options: Vec::new(),
            weight,
            priority,
            breaker: Breaker::new(1, Duration::from_secs(1)),
            price: None,
        })
    }

    fn model(name: &str) -> ModelConfig {
        ModelConfig {
            name: name.into(),
            adapter: "openai".into(),
            upstream_model: None,
            base_url: None,
            api_key_env: Some("KEY_VAR".into()),
            api_key: None,
            options: BTreeMap::from([("organization".into(), "org-1".into())]),
            deployments: Vec::new(),
            fallbacks: Vec::new(),
            timeouts: crate::config::TimeoutsConfig::default(),
            max_attempts: None,
            price: None,
        }
    }

    fn table(models: &[ModelConfig], env: &dyn Fn(&str) -> Option<String>) -> ModelTable {
        ModelTable::from_config(
            models,
            &RoutingConfig::default(),
            &UpstreamConfig::default(),
            &PriceTable::default(),
            env,
        )
    }

    #[test]
    fn deployments_inherit_the_model_fields_and_override_them() {
        let mut config = model("a");
        config.upstream_model = Some("up".into());
        config.timeouts.first_byte_ms = Some(250);
        config.deployments = vec![
            DeploymentConfig {
                weight: 2,
                ..DeploymentConfig::default()
            },
            DeploymentConfig {
                name: Some("azure-east".into()),
                adapter: Some("azure".into()),
                api_key: Some("sk-other".into()),
                options: BTreeMap::from([("organization".into(), "org-2".into())]),
                priority: 1,
                weight: 1,
                ..DeploymentConfig::default()
            },
        ];
        let table = table(&[config], &|_| Some("sk-env".into()));
        let model = table.resolve("a").unwrap();
        let [first, second] = &model.deployments[..] else {
            panic!("two deployments")
        };
        assert_eq!(first.deployment, "a#0");
        assert_eq!(
            (first.adapter.as_str(), first.upstream_model.as_str()),
            ("openai", "up")
        );
        assert_eq!(first.api_key.as_ref().unwrap().expose_secret(), "sk-env");
        assert_eq!(first.weight, 2);
        assert_eq!(second.deployment, "azure-east");
        assert_eq!(second.adapter, "azure");
        assert_eq!(second.api_key.as_ref().unwrap().expose_secret(), "sk-other");
        assert_eq!(
            second.options,
            vec![("organization".into(), "org-2".into())]
        );
        assert_eq!(model.timeouts.first_byte, Duration::from_millis(250));
        assert_eq!(model.timeouts.total, Duration::from_secs(600));
        assert_eq!(model.max_attempts, 3);
    }

    #[test]
    fn resolves_names_keys_and_defaults() {
        let table = table(&[model("a")], &|var| {
            (var == "KEY_VAR").then(|| "sk-secret".to_string())
        });
        let route = Arc::clone(&table.resolve("a").unwrap().deployments[0]);
        assert_eq!(
            route.upstream_model, "a",
            "upstream model defaults to the public name"
        );
        assert_eq!(route.api_key.as_ref().unwrap().expose_secret(), "sk-secret");
        assert_eq!(route.options, vec![("organization".into(), "org-1".into())]);
        assert!(
            !format!("{route:?}").contains("sk-secret"),
            "keys never print"
        );
    }

    #[test]
    fn unknown_model_is_404_and_an_unset_key_variable_is_named() {
        let table = table(&[model("a")], &|_| None);
        let a = table.resolve("a").unwrap();
        assert!(a.deployments[0].api_key.is_none());
        assert!(!a.is_servable(), "no credential, no service");
        assert_eq!(a.unset_key(), Some("KEY_VAR"));
        let err = table.resolve("b").unwrap_err();
        assert_eq!(err.status(), http::StatusCode::NOT_FOUND);

        let set = table_with_key();
        assert!(set.resolve("a").unwrap().is_servable());
        assert_eq!(set.resolve("a").unwrap().unset_key(), None);
    }

    fn table_with_key() -> ModelTable {
        table(&[model("a")], &|var| {
            (var == "KEY_VAR").then(|| "sk-x".into())
        })
    }
}
