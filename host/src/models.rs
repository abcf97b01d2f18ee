//! Model resolution: the public model name a client sends -> the deployment behind it.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;

use crate::config::ModelConfig;
use crate::error::GatewayError;

/// Where one public model goes.
#[derive(Debug)]
pub struct ModelRoute {
    /// The public name.
    pub name: String,
    /// The adapter that translates for it.
    pub adapter: String,
    /// The name sent upstream.
    pub upstream_model: String,
    /// Base URL override; the adapter's default otherwise.
    pub base_url: Option<String>,
    /// The upstream credential, if any. Never shown to adapters or logs.
    pub api_key: Option<SecretString>,
    /// Adapter options, in the shape the contract passes them.
    pub options: Vec<(String, String)>,
}

/// All configured models.
#[derive(Debug, Default)]
pub struct ModelTable {
    routes: BTreeMap<String, Arc<ModelRoute>>,
}

impl ModelTable {
    /// Builds the table, reading each `api_key_env` variable once through `env`.
    pub fn from_config(models: &[ModelConfig], env: &dyn Fn(&str) -> Option<String>) -> Self {
        let routes = models
            .iter()
            .map(|model| {
                let api_key = match (&model.api_key, &model.api_key_env) {
                    (Some(key), _) => Some(key.clone()),
                    (None, Some(var)) => {
                        let key = env(var).filter(|v| !v.is_empty());
                        if key.is_none() {
                            tracing::warn!(
                                model = %model.name,
                                variable = %var,
                                "API key variable is not set; upstream calls will carry no credential"
                            );
                        }
                        key
                    }
                    (None, None) => None,
                };
                if let Some(key) = &api_key {
                    crate::redact::register_secret(key);
                }
                let route = ModelRoute {
                    name: model.name.clone(),
                    adapter: model.adapter.clone(),
                    upstream_model: model
                        .upstream_model
                        .clone()
                        .unwrap_or_else(|| model.name.clone()),
                    base_url: model.base_url.clone(),
                    api_key: api_key.map(SecretString::from),
                    options: model
                        .options
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                };
                (model.name.clone(), Arc::new(route))
            })
            .collect();
        Self { routes }
    }

    /// The route for `name`, or 404 `model_not_found`.
    pub fn resolve(&self, name: &str) -> Result<Arc<ModelRoute>, GatewayError> {
        self.routes
            .get(name)
            .cloned()
            .ok_or_else(|| GatewayError::ModelNotFound(name.to_string()))
    }

    /// All routes, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<ModelRoute>> {
        self.routes.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn model(name: &str) -> ModelConfig {
        ModelConfig {
            name: name.into(),
            adapter: "openai".into(),
            upstream_model: None,
            base_url: None,
            api_key_env: Some("KEY_VAR".into()),
            api_key: None,
            options: BTreeMap::from([("organization".into(), "org-1".into())]),
        }
    }

    #[test]
    fn resolves_names_keys_and_defaults() {
        let table = ModelTable::from_config(&[model("a")], &|var| {
            (var == "KEY_VAR").then(|| "sk-secret".to_string())
        });
        let route = table.resolve("a").unwrap();
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
    fn unknown_model_is_404_and_unset_key_is_none() {
        let table = ModelTable::from_config(&[model("a")], &|_| None);
        assert!(table.resolve("a").unwrap().api_key.is_none());
        let err = table.resolve("b").unwrap_err();
        assert_eq!(err.status(), http::StatusCode::NOT_FOUND);
    }
}
